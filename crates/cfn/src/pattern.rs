//! Schema patterns (`pattern` in the registry schemas): ECMA-style regular expressions,
//! matched against literal strings at synthesis. Most are character classes in a row
//! (`^[a-zA-Z0-9-]{1,64}$`): those are matched by bitmaps without compiling anything;
//! the rest by `regex-lite` for ASCII text and by `regex` (Unicode classes) otherwise.

use std::sync::{Arc, Mutex, OnceLock};

use cairn_core::ordered::OrderedMap;
use regex::Regex;

use crate::class_sequence::ClassSequence;

/// Whether `s` matches the schema pattern `p`; `None` when `p` uses syntax the `regex`
/// crate does not support and that cannot be rewritten (look-behind, look-ahead inside the
/// pattern, back-references): such a pattern is left to cfn-lint.
///
/// Look-aheads at the start (`^(?!aws:)…`, `^(?=.{1,64}$)…`, two thirds of the schemas'
/// look-around patterns) are checked as separate prefix matches, and `(?![\s\S])` is the
/// end of the text. Each pattern is compiled once per process, keyed by its address (the
/// patterns are the generated code's static strings).
pub(crate) fn matches(p: &'static str, s: &str) -> Option<bool> {
    /// Compiled patterns by the address and length of their static string (a fixed, fast
    /// hasher: the keys are addresses, not input).
    type Compiled = OrderedMap<(usize, usize), Arc<Matcher>>;
    static CACHE: Mutex<Option<Compiled>> = Mutex::new(None);
    let matcher = {
        let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let cache = cache.get_or_insert_with(Compiled::default);
        cache
            .entry((p.as_ptr() as usize, p.len()))
            .or_insert_with(|| Arc::new(Matcher::new(p)))
            .clone()
    };
    matcher.is_match(s)
}

/// A compiled schema pattern.
enum Matcher {
    Plain(Plain),
    /// `^(?=A)(?!B)rest`: each look-ahead as an anchored prefix match, then `^rest`.
    Split(Vec<(bool, Plain)>, Plain),
}

impl Matcher {
    fn new(p: &str) -> Matcher {
        let p = p.replace(r"(?![\s\S])", r"\z");
        match split_leading_lookaheads(&p) {
            Some((lookaheads, rest)) => Matcher::Split(
                lookaheads
                    .into_iter()
                    .map(|(positive, inner)| (positive, Plain::new(format!("^(?:{inner})"))))
                    .collect(),
                Plain::new(format!("^{rest}")),
            ),
            None => Matcher::Plain(Plain::new(p)),
        }
    }

    fn is_match(&self, s: &str) -> Option<bool> {
        match self {
            Matcher::Plain(plain) => plain.is_match(s),
            Matcher::Split(lookaheads, rest) => {
                for (positive, inner) in lookaheads {
                    if inner.is_match(s)? != *positive {
                        return Some(false);
                    }
                }
                rest.is_match(s)
            }
        }
    }
}

/// One pattern without look-around. Compiling a pattern with Unicode classes (`\p{L}`, and
/// `\d`, `\w` in Unicode mode) costs up to a millisecond; most values are ASCII, and for
/// ASCII text a class means exactly its ASCII part, so ASCII values are matched with an
/// ASCII-only pattern compiled by `regex-lite` (no automata to build: several times
/// cheaper to compile than with `regex`; slower per character, which the short strings
/// of a template do not feel); the Unicode one is compiled with `regex` only when a
/// non-ASCII value comes.
struct Plain {
    pattern: String,
    ascii: Option<Ascii>,
    unicode: OnceLock<Option<Regex>>,
}

/// How ASCII text is matched.
enum Ascii {
    /// Classes in a row anchored at the start: bitmaps and lengths.
    Classes(ClassSequence),
    Regex(regex_lite::Regex),
}

impl Plain {
    fn new(pattern: String) -> Plain {
        let ascii = ascii_pattern(&pattern).and_then(|ascii| match ClassSequence::parse(&ascii) {
            Some(classes) => Some(Ascii::Classes(classes)),
            None => regex_lite::RegexBuilder::new(&ascii)
                .size_limit(1 << 20)
                .build()
                .ok()
                .map(Ascii::Regex),
        });
        Plain {
            pattern,
            ascii,
            unicode: OnceLock::new(),
        }
    }

    fn is_match(&self, s: &str) -> Option<bool> {
        if s.is_ascii() {
            match &self.ascii {
                Some(Ascii::Classes(classes)) => return Some(classes.is_match(s.as_bytes())),
                Some(Ascii::Regex(re)) => return Some(re.is_match(s)),
                None => {}
            }
        }
        let unicode = self
            .unicode
            .get_or_init(|| regex::RegexBuilder::new(&self.pattern).size_limit(1 << 20).build().ok());
        unicode.as_ref().map(|re| re.is_match(s))
    }
}

/// `^(?=A)(?!B)rest` → `[(true, A), (false, B)]` and `rest`; `None` when `p` does not start
/// with an anchor and a look-ahead.
fn split_leading_lookaheads(p: &str) -> Option<(Vec<(bool, &str)>, &str)> {
    let mut rest = p.strip_prefix('^').or_else(|| p.strip_prefix(r"\A"))?;
    let mut found = Vec::new();
    while let Some(positive) = rest
        .strip_prefix("(?=")
        .map(|_| true)
        .or_else(|| rest.strip_prefix("(?!").map(|_| false))
    {
        let end = closing_paren(rest)?;
        found.push((positive, &rest[3..end]));
        rest = &rest[end + 1..];
    }
    (!found.is_empty()).then_some((found, rest))
}

/// The index of the `)` that closes the group opening at `group[0]`, minding escapes and
/// character classes.
fn closing_paren(group: &str) -> Option<usize> {
    let (mut depth, mut in_class, mut escaped) = (0usize, false, false);
    for (i, c) in group.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `p` with the Unicode classes schemas use (`\p{L}`, `\p{N}`, `\p{Z}` and their common
/// subclasses) replaced by their ASCII members, for matching ASCII text only; `None` for
/// a class it does not know (the caller then compiles the Unicode pattern).
fn ascii_pattern(p: &str) -> Option<String> {
    let mut out = String::with_capacity(p.len());
    let mut in_class = false;
    let mut chars = p.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push('\\');
                    break;
                };
                if next == 'p' || next == 'P' {
                    let mut name = String::new();
                    if chars.peek() == Some(&'{') {
                        chars.next();
                        for c in chars.by_ref() {
                            if c == '}' {
                                break;
                            }
                            name.push(c);
                        }
                    } else {
                        name.extend(chars.next());
                    }
                    if next == 'P' {
                        return None;
                    }
                    let members = match name.as_str() {
                        "L" | "Letter" => "A-Za-z",
                        "Lu" => "A-Z",
                        "Ll" => "a-z",
                        "N" | "Nd" => "0-9",
                        "Z" | "Zs" => " ",
                        "S" => "$+<=>^`|~",
                        "P" => "!-#%-*,-/:;?@\\[-\\]_{}",
                        _ => return None,
                    };
                    if in_class {
                        out.push_str(members);
                    } else {
                        out.push('[');
                        out.push_str(members);
                        out.push(']');
                    }
                } else {
                    out.push('\\');
                    out.push(next);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal.
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                if chars.peek() == Some(&']') {
                    out.push_str("\\]");
                    chars.next();
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_patterns_keep_the_ascii_members_of_unicode_classes() {
        assert_eq!(
            ascii_pattern(r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$").unwrap(),
            r"^([A-Za-z 0-9_.:/=+\-@]*)$"
        );
        assert_eq!(ascii_pattern(r"^\p{L}+$").unwrap(), r"^[A-Za-z]+$");
        assert_eq!(ascii_pattern(r"^\P{L}$"), None);
        assert_eq!(ascii_pattern(r"^\p{Greek}$"), None);
    }

    #[test]
    fn ascii_and_unicode_values_match_the_same_pattern_alike() {
        let p = r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$";
        assert_eq!(matches(p, "Team Alpha:1"), Some(true));
        assert_eq!(matches(p, "Équipe Ω"), Some(true));
        assert_eq!(matches(p, "a;b"), Some(false));
        assert_eq!(matches(p, "é;b"), Some(false));
        assert_eq!(matches(r"^\d{12}$", "123456789012"), Some(true));
        assert_eq!(matches(r"^[a-z.]*(?<!\.)$", "x."), None, "look-behind is not supported: unchecked");
    }

    #[test]
    fn leading_look_aheads_and_the_end_of_text_look_ahead_are_checked() {
        let tag = r"^(?!aws:)[a-zA-Z+-=._:/]+$";
        assert_eq!(matches(tag, "team"), Some(true));
        assert_eq!(matches(tag, "aws:team"), Some(false));
        let repository = r"^(?=.{2,256}$)((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)$";
        assert_eq!(matches(repository, "shop-images"), Some(true));
        assert_eq!(matches(repository, "Shop Images"), Some(false));
        assert_eq!(matches(repository, "a"), Some(false));
        assert_eq!(matches(r"^(?!\s*$).+$", "   "), Some(false));
        assert_eq!(matches(r"^\S([\s\S]*\S)?(?![\s\S])", "a b"), Some(true));
        assert_eq!(matches(r"^\S([\s\S]*\S)?(?![\s\S])", "a b "), Some(false));
    }

    /// Every pattern the bitmap matcher accepts, among the enabled services' schemas,
    /// gives the same answer as the regex engine on every one- and two-character ASCII
    /// string and on longer ones around the length limits schemas use.
    #[test]
    fn the_bitmap_matcher_agrees_with_the_regex_engine() {
        use crate::check::{Check, Shape};
        fn collect(check: &Check, seen: &mut Vec<&'static Shape>, out: &mut Vec<&'static str>) {
            match check {
                Check::Str { pattern: Some(p), .. } => out.push(p),
                Check::List { item, .. } => collect(item, seen, out),
                Check::Map(inner) => collect(inner, seen, out),
                Check::Object(shape) if !seen.iter().any(|s| std::ptr::eq(*s, *shape)) => {
                    seen.push(shape);
                    for field in shape.fields {
                        collect(&field.check, seen, out);
                    }
                }
                _ => {}
            }
        }
        let roots: [&'static Shape; 5] = [
            &crate::sqs::queue::PROPS_SHAPE,
            &crate::lambda::function::PROPS_SHAPE,
            &crate::wafv2::web_acl::PROPS_SHAPE,
            &crate::ecr::repository::PROPS_SHAPE,
            &crate::ssm::parameter::PROPS_SHAPE,
        ];
        let (mut seen, mut patterns) = (Vec::new(), Vec::new());
        for root in roots {
            collect(&Check::Object(root), &mut seen, &mut patterns);
        }
        let mut samples: Vec<String> = vec![String::new()];
        for a in 0u8..128 {
            samples.push(char::from(a).to_string());
            for b in [b'a', b'Z', b'0', b'-', b' ', b':', b'\n', b'_', b'.', b']'] {
                samples.push(format!("{}{}", char::from(a), char::from(b)));
            }
        }
        for s in [
            "arn:aws:iam::123456789012:role/x",
            "abc-123",
            "a.b.c",
            "ABC_def",
            "sg-0123456789abcdef0",
            "/a/b",
            "x y",
        ] {
            samples.push(s.to_string());
        }
        for n in [63, 64, 65, 127, 128, 129, 255, 256, 257, 1024, 1025, 2048, 2049] {
            samples.push("a".repeat(n));
        }
        let mut compared = 0;
        for p in patterns {
            let Some(ascii) = ascii_pattern(&p.replace(r"(?![\s\S])", r"\z")) else {
                continue;
            };
            let (Some(bitmap), Ok(re)) = (ClassSequence::parse(&ascii), regex_lite::Regex::new(&ascii)) else {
                continue;
            };
            compared += 1;
            for s in &samples {
                assert_eq!(bitmap.is_match(s.as_bytes()), re.is_match(s), "pattern {p} on {s:?}");
            }
        }
        assert!(compared >= 20, "only {compared} patterns compared");
    }
}
