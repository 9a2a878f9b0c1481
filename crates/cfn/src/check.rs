//! The schema constraints of a generated type as static data, and the check of literal
//! values against them: enum, pattern, length, range, item counts, known and required
//! properties. Intrinsics (`Ref`, `Fn::Sub`…) are not literals and pass unchecked;
//! CloudFormation resolves them at deploy time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use cairn_core::ordered::OrderedMap;
use cairn_core::{Error, Value};
use regex::Regex;

/// The properties of an object type (a resource's `Properties` or a nested type); its
/// `fields` are sorted by name (the checks search them).
#[derive(Debug)]
pub struct Shape {
    /// The schema's name for it (`AWS::SQS::Queue`, `Tag`), for messages.
    pub name: &'static str,
    pub fields: &'static [Field],
    /// Whether properties the schema does not list are refused.
    pub closed: bool,
}

/// One property of a [`Shape`].
#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub required: bool,
    pub check: Check,
}

/// What a literal value must satisfy.
#[derive(Debug)]
pub enum Check {
    /// Anything (free-form JSON, or a schema this generator does not model).
    Any,
    Str {
        min: Option<u64>,
        max: Option<u64>,
        pattern: Option<&'static str>,
        /// Allowed values; empty means any.
        values: &'static [&'static str],
    },
    Number {
        min: Option<f64>,
        max: Option<f64>,
    },
    Bool,
    List {
        min: Option<u64>,
        max: Option<u64>,
        item: &'static Check,
    },
    Map(&'static Check),
    Object(&'static Shape),
}

/// A literal that breaks its schema, located by its property path (`Code.S3Key`, `Tags[0].Key`).
#[derive(Debug)]
pub struct Violation {
    pub property: String,
    pub message: String,
    pub fix: String,
}

impl Violation {
    /// The error cairn reports: the construct path, the property, what is allowed.
    pub fn into_error(self, construct_path: String, resource_type: &str) -> Error {
        Error::new(format!("{} ({resource_type})", self.message))
            .at(construct_path)
            .property(self.property)
            .fix(self.fix)
    }
}

/// Where a value sits (`Code.S3Key`, `Tags[0].Key`), rendered only for a violation: the
/// check visits every property of every resource, and almost none is wrong.
#[derive(Clone, Copy)]
enum At<'a> {
    Root(&'a str),
    Key(&'a At<'a>, &'a str),
    Index(&'a At<'a>, usize),
}

impl At<'_> {
    fn render(&self) -> String {
        match self {
            At::Root(s) => s.to_string(),
            At::Key(parent, name) => match parent.render() {
                p if p.is_empty() => name.to_string(),
                p => format!("{p}.{name}"),
            },
            At::Index(parent, i) => format!("{}[{i}]", parent.render()),
        }
    }
}

/// Checks the properties of an object of `shape`; the first violation found.
pub fn check_object(shape: &Shape, props: &OrderedMap<String, Value>, at: &str) -> Result<(), Violation> {
    object(shape, props, &At::Root(at))
}

/// Checks the given properties of an object of `shape` (not whether required ones are there).
pub fn check_fields(shape: &Shape, props: &OrderedMap<String, Value>, at: &str) -> Result<(), Violation> {
    fields(shape, props, &At::Root(at))
}

/// Checks one value; intrinsics pass.
pub fn check_value(check: &Check, value: &Value, at: &str) -> Result<(), Violation> {
    value_at(check, value, &At::Root(at))
}

fn object(shape: &Shape, props: &OrderedMap<String, Value>, at: &At) -> Result<(), Violation> {
    if let Some(field) = shape.fields.iter().find(|f| f.required && !props.contains_key(f.name)) {
        return Err(Violation {
            property: At::Key(at, field.name).render(),
            message: format!("required property `{}` of {} is missing", field.name, shape.name),
            fix: format!("set `{}`", field.name),
        });
    }
    fields(shape, props, at)
}

fn fields(shape: &Shape, props: &OrderedMap<String, Value>, at: &At) -> Result<(), Violation> {
    for (name, value) in props {
        // The generator writes the fields sorted by name.
        match shape.fields.binary_search_by(|f| f.name.cmp(name.as_str())) {
            Ok(i) => value_at(&shape.fields[i].check, value, &At::Key(at, name))?,
            Err(_) if shape.closed => {
                let known: Vec<&str> = shape.fields.iter().map(|f| f.name).collect();
                return Err(Violation {
                    property: At::Key(at, name).render(),
                    message: format!("{} has no property `{name}`", shape.name),
                    fix: format!("use one of: {}", known.join(", ")),
                });
            }
            Err(_) => {}
        }
    }
    Ok(())
}

fn value_at(check: &Check, value: &Value, at: &At) -> Result<(), Violation> {
    let fail = |message: String, fix: String| {
        Err(Violation {
            property: at.render(),
            message,
            fix,
        })
    };
    match (check, value) {
        (Check::Any, _) => Ok(()),
        (Check::Str { min, max, pattern, values }, Value::String(s)) => {
            if !values.is_empty() {
                if values.contains(&s.as_str()) {
                    return Ok(());
                }
                return fail(
                    format!("`{s}` is not an allowed value"),
                    format!("use one of: {}", values.join(", ")),
                );
            }
            let len = s.chars().count() as u64;
            if let Some(min) = min.filter(|m| len < *m) {
                return fail(
                    format!("`{s}` is {len} characters long, shorter than {min}"),
                    format!("use at least {min} characters"),
                );
            }
            if let Some(max) = max.filter(|m| len > *m) {
                return fail(
                    format!("the value is {len} characters long, longer than {max}"),
                    format!("use at most {max} characters"),
                );
            }
            if let Some(p) = pattern {
                if matches(p, s) == Some(false) {
                    return fail(
                        format!("`{s}` does not match the pattern `{p}`"),
                        "use a value that matches the pattern".to_string(),
                    );
                }
            }
            Ok(())
        }
        (Check::Number { min, max }, Value::Number(n)) => check_range(*min, *max, n.as_f64(), at),
        (Check::Number { min, max }, Value::String(s)) => match s.trim().parse::<f64>() {
            // CloudFormation takes numbers written as strings.
            Ok(n) => check_range(*min, *max, Some(n), at),
            Err(_) => fail(format!("`{s}` is not a number"), "use a number".to_string()),
        },
        (Check::Bool, Value::String(s)) if s != "true" && s != "false" => {
            fail(format!("`{s}` is not a boolean"), "use true or false".to_string())
        }
        (Check::List { min, max, item }, Value::List(items)) => {
            let n = items.len() as u64;
            if let Some(min) = min.filter(|m| n < *m) {
                return fail(format!("the list has {n} items, fewer than {min}"), format!("give at least {min}"));
            }
            if let Some(max) = max.filter(|m| n > *m) {
                return fail(format!("the list has {n} items, more than {max}"), format!("give at most {max}"));
            }
            for (i, v) in items.iter().enumerate() {
                value_at(item, v, &At::Index(at, i))?;
            }
            Ok(())
        }
        (Check::Map(inner), Value::Map(entries)) => {
            for (k, v) in entries {
                value_at(inner, v, &At::Key(at, k))?;
            }
            Ok(())
        }
        (Check::Object(shape), Value::Map(props)) => object(shape, props, at),
        (Check::Str { .. } | Check::Number { .. } | Check::Bool, Value::List(_) | Value::Map(_))
        | (Check::List { .. } | Check::Map(_) | Check::Object(_), Value::String(_) | Value::Number(_) | Value::Bool(_)) => fail(
            format!("the value has the wrong shape ({})", expected(check)),
            format!("give {}", expected(check)),
        ),
        _ => Ok(()),
    }
}

fn expected(check: &Check) -> &'static str {
    match check {
        Check::Any => "any value",
        Check::Str { .. } => "a string",
        Check::Number { .. } => "a number",
        Check::Bool => "a boolean",
        Check::List { .. } => "a list",
        Check::Map(_) => "a map",
        Check::Object(_) => "an object",
    }
}

fn check_range(min: Option<f64>, max: Option<f64>, n: Option<f64>, at: &At) -> Result<(), Violation> {
    let Some(n) = n else { return Ok(()) };
    let range = match (min, max) {
        (Some(a), Some(b)) if n < a || n > b => format!("from {a} to {b}"),
        (Some(a), None) if n < a => format!("at least {a}"),
        (None, Some(b)) if n > b => format!("at most {b}"),
        _ => return Ok(()),
    };
    Err(Violation {
        property: at.render(),
        message: format!("{n} is out of range"),
        fix: format!("use a number {range}"),
    })
}

/// Whether `s` matches the schema pattern `p`; `None` when `p` uses syntax the `regex`
/// crate does not support and that cannot be rewritten (look-behind, look-ahead inside the
/// pattern, back-references): such a pattern is left to cfn-lint.
///
/// Look-aheads at the start (`^(?!aws:)…`, `^(?=.{1,64}$)…`, two thirds of the schemas'
/// look-around patterns) are checked as separate prefix matches, and `(?![\s\S])` is the
/// end of the text. Each pattern is compiled once per process, keyed by its address (the
/// patterns are the generated code's static strings).
fn matches(p: &'static str, s: &str) -> Option<bool> {
    /// Compiled patterns by the address and length of their static string.
    type Compiled = HashMap<(usize, usize), Arc<Matcher>>;
    static CACHE: Mutex<Option<Compiled>> = Mutex::new(None);
    let matcher = {
        let mut cache = CACHE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let cache = cache.get_or_insert_with(HashMap::new);
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
/// ASCII-only compilation (about 20 times cheaper to build); the Unicode one is compiled
/// only when a non-ASCII value comes.
struct Plain {
    pattern: String,
    ascii: Option<regex::bytes::Regex>,
    unicode: OnceLock<Option<Regex>>,
}

impl Plain {
    fn new(pattern: String) -> Plain {
        let ascii = ascii_pattern(&pattern).and_then(|ascii| {
            regex::bytes::RegexBuilder::new(&ascii)
                .unicode(false)
                .size_limit(1 << 20)
                .build()
                .ok()
        });
        Plain {
            pattern,
            ascii,
            unicode: OnceLock::new(),
        }
    }

    fn is_match(&self, s: &str) -> Option<bool> {
        if let (true, Some(re)) = (s.is_ascii(), &self.ascii) {
            return Some(re.is_match(s.as_bytes()));
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
    fn every_generated_shape_lists_its_fields_sorted_by_name() {
        let shapes: [&Shape; 2] = [&crate::sqs::queue::PROPS_SHAPE, &crate::lambda::function::PROPS_SHAPE];
        for shape in shapes {
            assert!(shape.fields.windows(2).all(|w| w[0].name < w[1].name), "{}", shape.name);
        }
    }

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
}
