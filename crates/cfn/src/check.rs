//! The schema constraints of a generated type as static data, and the check of literal
//! values against them: enum, pattern, length, range, item counts, known and required
//! properties. Intrinsics (`Ref`, `Fn::Sub`…) are not literals and pass unchecked;
//! CloudFormation resolves them at deploy time.

use std::cell::RefCell;
use std::collections::HashMap;

use cairn_core::ordered::OrderedMap;
use cairn_core::{Error, Value};
use regex::Regex;

/// The properties of an object type (a resource's `Properties` or a nested type).
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

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Checks the properties of an object of `shape`; the first violation found.
pub fn check_object(shape: &Shape, props: &OrderedMap<String, Value>, at: &str) -> Result<(), Violation> {
    for field in shape.fields {
        match props.get(field.name) {
            Some(value) => check_value(&field.check, value, &join(at, field.name))?,
            None if field.required => {
                return Err(Violation {
                    property: join(at, field.name),
                    message: format!("required property `{}` of {} is missing", field.name, shape.name),
                    fix: format!("set `{}`", field.name),
                })
            }
            None => {}
        }
    }
    if shape.closed {
        if let Some(unknown) = props.keys().find(|k| !shape.fields.iter().any(|f| f.name == k.as_str())) {
            let known: Vec<&str> = shape.fields.iter().map(|f| f.name).collect();
            return Err(Violation {
                property: join(at, unknown),
                message: format!("{} has no property `{unknown}`", shape.name),
                fix: format!("use one of: {}", known.join(", ")),
            });
        }
    }
    Ok(())
}

/// Checks one value; intrinsics pass.
pub fn check_value(check: &Check, value: &Value, at: &str) -> Result<(), Violation> {
    let fail = |message: String, fix: String| {
        Err(Violation {
            property: at.to_string(),
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
                check_value(item, v, &format!("{at}[{i}]"))?;
            }
            Ok(())
        }
        (Check::Map(inner), Value::Map(entries)) => {
            for (k, v) in entries {
                check_value(inner, v, &join(at, k))?;
            }
            Ok(())
        }
        (Check::Object(shape), Value::Map(props)) => check_object(shape, props, at),
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

fn check_range(min: Option<f64>, max: Option<f64>, n: Option<f64>, at: &str) -> Result<(), Violation> {
    let Some(n) = n else { return Ok(()) };
    let range = match (min, max) {
        (Some(a), Some(b)) if n < a || n > b => format!("from {a} to {b}"),
        (Some(a), None) if n < a => format!("at least {a}"),
        (None, Some(b)) if n > b => format!("at most {b}"),
        _ => return Ok(()),
    };
    Err(Violation {
        property: at.to_string(),
        message: format!("{n} is out of range"),
        fix: format!("use a number {range}"),
    })
}

/// Whether `s` matches the schema pattern `p`; `None` when `p` uses syntax the `regex`
/// crate does not support (look-around, back-references): such a pattern is not checked
/// here and left to cfn-lint.
///
/// Compiling a pattern with Unicode classes (`\p{L}`, and `\d`, `\w` in Unicode mode) costs
/// up to a millisecond; most values are ASCII, and for ASCII text a class means exactly
/// its ASCII part, so ASCII values are matched with an ASCII-only compilation of the
/// pattern (about 20 times cheaper to build). Other values use the Unicode pattern.
fn matches(p: &'static str, s: &str) -> Option<bool> {
    thread_local! {
        static ASCII: RefCell<HashMap<&'static str, Option<regex::bytes::Regex>>> = RefCell::new(HashMap::new());
        static UNICODE: RefCell<HashMap<&'static str, Option<Regex>>> = RefCell::new(HashMap::new());
    }
    if s.is_ascii() {
        let ascii = ASCII.with(|cache| {
            let mut cache = cache.borrow_mut();
            let re = cache.entry(p).or_insert_with(|| {
                let pattern = ascii_pattern(p)?;
                regex::bytes::RegexBuilder::new(&pattern)
                    .unicode(false)
                    .size_limit(1 << 20)
                    .build()
                    .ok()
            });
            re.as_ref().map(|re| re.is_match(s.as_bytes()))
        });
        if ascii.is_some() {
            return ascii;
        }
    }
    UNICODE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let re = cache
            .entry(p)
            .or_insert_with(|| regex::RegexBuilder::new(p).size_limit(1 << 20).build().ok());
        re.as_ref().map(|re| re.is_match(s))
    })
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
        assert_eq!(matches(r"^(?!aws:).*$", "x"), None, "look-ahead is not supported: unchecked");
    }
}
