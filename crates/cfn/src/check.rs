//! The schema constraints of a generated type as static data, and the check of literal
//! values against them: enum, pattern, length, range, item counts, known and required
//! properties. Intrinsics (`Ref`, `Fn::Sub`…) are not literals and pass unchecked;
//! CloudFormation resolves them at deploy time.

use crate::pattern::matches;
use cairn_core::ordered::OrderedMap;
use cairn_core::{Error, Value};

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
            let len = if s.is_ascii() { s.len() } else { s.chars().count() } as u64;
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
}
