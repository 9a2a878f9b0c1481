//! The commonest schema patterns: character classes in a row, anchored at the start
//! (`^[a-zA-Z0-9_-]{1,128}$`, `^\d*$`, `^([\w+=,.@-]+)$`, `^[a-zA-Z][a-zA-Z0-9_]{0,127}$`,
//! `^[^:]`), each a fixed number of times except the last. Matched against ASCII text by
//! 128-bit membership bitmaps and lengths: nothing to compile, a few instructions per
//! character, and no backtracking (only the last class varies in length). Anything else
//! (alternation, look-around, several variable-length classes, set operations) is left to
//! the regex engines, which agree with this on every pattern it accepts.

/// `^` classes `{min,max}` (`$`) over ASCII.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ClassSequence {
    items: Vec<Item>,
    /// Whether the pattern ends with `$`/`\z`: the whole text must match, not a prefix.
    anchored_end: bool,
}

#[derive(Debug, PartialEq, Eq)]
struct Item {
    members: u128,
    min: usize,
    max: Option<usize>,
}

impl Item {
    fn accepts(&self, bytes: &[u8]) -> bool {
        bytes.iter().all(|&b| b < 128 && self.members & (1u128 << b) != 0)
    }
}

impl ClassSequence {
    /// `None` unless `p` (already rewritten to ASCII classes) has exactly this shape.
    pub(crate) fn parse(p: &str) -> Option<ClassSequence> {
        let body = p.strip_prefix('^').or_else(|| p.strip_prefix(r"\A"))?;
        let (body, anchored_end) = match [r"\z", r"\Z", "$"].iter().find_map(|end| body.strip_suffix(end)) {
            Some(_) if body.ends_with(r"\$") => return None, // an escaped `$`, not the end
            Some(inner) => (inner, true),
            None => (body, false),
        };
        let mut items = Vec::new();
        let mut rest = body;
        while !rest.is_empty() {
            let (item, after) = element(rest)?;
            items.push(item);
            rest = after;
        }
        // Only the last class may vary in length: then matching needs no backtracking.
        if items.iter().rev().skip(1).any(|i| i.max != Some(i.min)) {
            return None;
        }
        Some(ClassSequence { items, anchored_end })
    }

    /// Whether the ASCII text `s` matches.
    pub(crate) fn is_match(&self, s: &[u8]) -> bool {
        let mut rest = s;
        let Some((last, fixed)) = self.items.split_last() else {
            return !self.anchored_end || s.is_empty();
        };
        for item in fixed {
            if rest.len() < item.min || !item.accepts(&rest[..item.min]) {
                return false;
            }
            rest = &rest[item.min..];
        }
        if self.anchored_end {
            rest.len() >= last.min && last.max.is_none_or(|max| rest.len() <= max) && last.accepts(rest)
        } else {
            rest.len() >= last.min && last.accepts(&rest[..last.min])
        }
    }
}

/// One class with its quantifier at the start of `p`: `Xq`, `(X)q`, `(?:X)q`, `(Xq)` or
/// `(?:Xq)`; `None` for anything else.
fn element(p: &str) -> Option<(Item, &str)> {
    let group = match p.strip_prefix("(?:") {
        Some(inner) => Some(inner),
        None if p.starts_with("(?") => None, // look-around and other group kinds
        None => p.strip_prefix('('),
    };
    let (members, quantity, rest) = match group {
        Some(inner) => {
            let (members, after_atom) = atom(inner)?;
            let (inner_q, after_q) = leading_quantifier(after_atom)?;
            let (outer_q, rest) = leading_quantifier(after_q.strip_prefix(')')?)?;
            let quantity = match (inner_q, outer_q) {
                (q, (1, Some(1))) | ((1, Some(1)), q) => q,
                _ => return None, // a quantified group of a quantified class
            };
            (members, quantity, rest)
        }
        None => {
            let (members, after_atom) = atom(p)?;
            let (quantity, rest) = leading_quantifier(after_atom)?;
            (members, quantity, rest)
        }
    };
    let (min, max) = quantity;
    Some((Item { members, min, max }, rest))
}

const DIGITS: u128 = range(b'0', b'9');
const WORD: u128 = range(b'0', b'9') | range(b'A', b'Z') | range(b'a', b'z') | bit(b'_');
/// `\s` in ASCII mode: tab, line feed, vertical tab, form feed, carriage return, space.
const SPACE: u128 = range(9, 13) | bit(b' ');
const ASCII: u128 = u128::MAX;

const fn bit(b: u8) -> u128 {
    1u128 << b
}

const fn range(lo: u8, hi: u8) -> u128 {
    let mut set = 0;
    let mut b = lo;
    while b <= hi && b < 128 {
        set |= 1u128 << b;
        if b == 127 {
            break;
        }
        b += 1;
    }
    set
}

/// One class at the start of `p`: its ASCII members and what follows it.
fn atom(p: &str) -> Option<(u128, &str)> {
    let mut chars = p.chars();
    match chars.next()? {
        '[' => class(chars.as_str()),
        '.' => Some((ASCII & !bit(b'\n'), chars.as_str())),
        '\\' => {
            let members = match chars.next()? {
                'd' => DIGITS,
                'D' => ASCII & !DIGITS,
                'w' => WORD,
                'W' => ASCII & !WORD,
                's' => SPACE,
                'S' => ASCII & !SPACE,
                // An escaped punctuation character is itself.
                e if e.is_ascii_punctuation() => bit(e as u8),
                _ => return None,
            };
            Some((members, chars.as_str()))
        }
        // A literal character is a class of one (none when it is not ASCII: it cannot match).
        c if !"^$.*+?()[]{}|".contains(c) => Some((if c.is_ascii() { bit(c as u8) } else { 0 }, chars.as_str())),
        _ => None,
    }
}

/// The inside of `[…]` (after the `[`): its members and what follows the `]`.
fn class(p: &str) -> Option<(u128, &str)> {
    let (negated, mut rest) = match p.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, p),
    };
    // Set operations and nested classes mean different things to different engines.
    let mut members = 0u128;
    let mut first = true;
    loop {
        if rest.starts_with(']') && !first {
            rest = &rest[1..];
            break;
        }
        if rest.starts_with('[') || rest.starts_with("&&") || rest.starts_with("--") || rest.starts_with("~~") {
            return None;
        }
        first = false;
        let (lo, after) = class_char(rest)?;
        match lo {
            ClassChar::Set(set) => {
                members |= set;
                rest = after;
            }
            ClassChar::Char(lo) => {
                let range_end = after.strip_prefix('-').filter(|r| !r.starts_with(']') && !r.is_empty());
                match range_end.map(class_char) {
                    Some(Some((ClassChar::Char(hi), after_range))) => {
                        if hi < lo {
                            return None;
                        }
                        if lo < 128 {
                            members |= range(lo as u8, hi.min(127) as u8);
                        }
                        rest = after_range;
                    }
                    Some(_) => return None, // `a-\d` or an unreadable end
                    None => {
                        if lo < 128 {
                            members |= bit(lo as u8);
                        }
                        rest = after;
                    }
                }
            }
        }
    }
    Some((if negated { ASCII & !members } else { members }, rest))
}

enum ClassChar {
    Char(u32),
    Set(u128),
}

/// One member of a class: a character (literal or escaped) or `\d`, `\w`, `\s`.
fn class_char(p: &str) -> Option<(ClassChar, &str)> {
    let mut chars = p.chars();
    let c = chars.next()?;
    if c != '\\' {
        return Some((ClassChar::Char(c as u32), chars.as_str()));
    }
    let e = chars.next()?;
    let member = match e {
        'd' => ClassChar::Set(DIGITS),
        'w' => ClassChar::Set(WORD),
        's' => ClassChar::Set(SPACE),
        't' => ClassChar::Char(9),
        'n' => ClassChar::Char(10),
        'v' => ClassChar::Char(11),
        'f' => ClassChar::Char(12),
        'r' => ClassChar::Char(13),
        'u' | 'x' => {
            let digits = if e == 'u' { 4 } else { 2 };
            let rest = chars.as_str();
            let hex = rest.get(..digits)?;
            let code = u32::from_str_radix(hex, 16).ok()?;
            return Some((ClassChar::Char(code), &rest[digits..]));
        }
        // An escaped punctuation character is itself; an escaped letter or digit is a
        // class or an escape this parser does not know.
        e if e.is_ascii_punctuation() || e == ' ' => ClassChar::Char(e as u32),
        _ => return None,
    };
    Some((member, chars.as_str()))
}

/// The quantifier at the start of `p` (`*`, `+`, `?`, `{n}`, `{m,}`, `{m,n}`; none is exactly
/// once) and what follows it; `None` for a lazy or possessive one or a malformed count.
fn leading_quantifier(p: &str) -> Option<((usize, Option<usize>), &str)> {
    let (quantity, rest) = match p.chars().next() {
        Some('*') => ((0, None), &p[1..]),
        Some('+') => ((1, None), &p[1..]),
        Some('?') => ((0, Some(1)), &p[1..]),
        Some('{') => {
            let close = p.find('}')?;
            let inside = &p[1..close];
            let quantity = match inside.split_once(',') {
                None => {
                    let n = inside.parse().ok()?;
                    (n, Some(n))
                }
                Some((m, "")) => (m.parse().ok()?, None),
                Some((m, n)) => {
                    let (m, n): (usize, usize) = (m.parse().ok()?, n.parse().ok()?);
                    if m > n {
                        return None;
                    }
                    (m, Some(n))
                }
            };
            (quantity, &p[close + 1..])
        }
        _ => return Some(((1, Some(1)), p)),
    };
    if rest.starts_with(['?', '+']) {
        return None;
    }
    Some((quantity, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(p: &str, s: &str) -> bool {
        ClassSequence::parse(p)
            .unwrap_or_else(|| panic!("{p} not parsed"))
            .is_match(s.as_bytes())
    }

    #[test]
    fn repeated_classes_match_like_a_regex() {
        assert!(matches(r"^[a-zA-Z0-9_-]{1,128}$", "my-queue_1"));
        assert!(!matches(r"^[a-zA-Z0-9_-]{1,128}$", "my queue"));
        assert!(!matches(r"^[a-zA-Z0-9_-]{1,128}$", ""));
        assert!(!matches(r"^[a-zA-Z0-9_-]{1,3}$", "abcd"));
        assert!(matches(r"^\d*$", ""));
        assert!(!matches(r"^\d*$", "12a"));
        assert!(matches(r"^([\w+=,.@-]+)$", "a.b@c"));
        assert!(matches(r"^[^:]*\z", "abc"));
        assert!(!matches(r"^[^:]*\z", "a:b"));
        assert!(matches(r"^[\u0009\u000A\u0020-\u007E\u00A1-\u00FF]*$", "tab\there"));
        assert!(!matches(r"^[\u0020-\u007E]*$", "bell\u{7}"));
        assert!(matches(r"^[.\-_/#A-Za-z0-9]{1,512}\Z", "/a/b#c"));
        assert!(matches(r"^([a-z,A-Z,0-9,. _\-:/()#,@\[\]+=&;\{\}!$*])*$", "a(b)[c]{d}!$*"));
        assert!(matches(r"^[]a]+$", "]a"));
        // Classes in a row, only the last of variable length; a prefix without `$`.
        assert!(matches(r"^[a-zA-Z][a-zA-Z0-9_]{0,127}$", "a1_b"));
        assert!(!matches(r"^[a-zA-Z][a-zA-Z0-9_]{0,127}$", "1ab"));
        assert!(matches(r"^([a-z])([A-Za-z0-9\_]*)$", "aB_1"));
        assert!(matches(r"^arn:aws:[a-z]+$", "arn:aws:sqs"));
        assert!(!matches(r"^arn:aws:[a-z]+$", "arn:aws:"));
        assert!(matches(r"^[^:]", "a:b"));
        assert!(!matches(r"^[^:]", ":b"));
        assert!(!matches(r"^[^:]", ""));
        assert!(matches(r"^$", ""));
        assert!(!matches(r"^$", "a"));
    }

    #[test]
    fn other_shapes_are_left_to_the_regex_engines() {
        for p in [
            r"^$|^[a-z]+$",
            r"^[a-z]*[a-z0-9]$",
            r"^(?:-?[a-z0-9]){0,62}$",
            r"[a-z]+",
            r"^[a-z]+?$",
            r"^[a-z&&[^x]]+$",
            r"^[[:alpha:]]+$",
            r"^[a@[\]]+$",
            r"^([a-z]+)*$",
            r"^\p{L}+$",
            r"^[a-z]+\$",
            r"^[a-z]{3,1}$",
        ] {
            assert_eq!(ClassSequence::parse(p), None, "{p}");
        }
    }
}
