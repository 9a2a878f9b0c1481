//! Matchers: what an expected value may say besides "equal to this".
//!
//! A matcher is a small JSON object with one reserved key ([`MATCHER_KEY`]), so that it
//! nests anywhere inside `json!({…})`. Plain objects match object-like (extra keys are
//! allowed, deeply), plain arrays element by element with the same length, and scalars by
//! equality.

use serde_json::{json, Map, Value as Json};

/// The reserved key that marks a JSON object as a matcher. CloudFormation has no key
/// starting with `$`, so no template value can be mistaken for one.
pub const MATCHER_KEY: &str = "$cairn.match";

/// Builders of matchers, named after the AWS CDK's `Match`.
///
/// Each returns a [`serde_json::Value`], so matchers nest inside `json!`:
///
/// ```
/// use cairn_assertions::Match;
/// use serde_json::json;
///
/// let expected = json!({
///     "QueueName": Match::absent(),
///     "KmsMasterKeyId": Match::any_value(),
///     "Tags": Match::array_with(json!([{ "Key": "env" }])),
/// });
/// let actual = json!({ "KmsMasterKeyId": "alias/aws/sqs", "Tags": [{ "Key": "app", "Value": "a" }, { "Key": "env", "Value": "dev" }] });
/// assert!(Match::check(&expected, &actual).is_ok());
/// ```
pub struct Match;

impl Match {
    /// Matches an object that has at least these keys, each matching (deeply; the default
    /// for objects, useful to switch back inside [`Match::object_equals`]).
    pub fn object_like(pattern: Json) -> Json {
        matcher("objectLike", pattern)
    }

    /// Matches an object with exactly these keys, each matching; nested objects too.
    pub fn object_equals(pattern: Json) -> Json {
        matcher("objectEquals", pattern)
    }

    /// Matches an array that has, for each of `items`, an element matching it (in any
    /// order; other elements allowed).
    pub fn array_with(items: Json) -> Json {
        matcher("arrayWith", items)
    }

    /// Matches exactly `value`: objects with no other keys, arrays of the same length.
    pub fn exact(value: Json) -> Json {
        matcher("exact", value)
    }

    /// Matches a key that must not be present.
    pub fn absent() -> Json {
        matcher("absent", Json::Null)
    }

    /// Matches any value that is present and not `null`.
    pub fn any_value() -> Json {
        matcher("anyValue", Json::Null)
    }

    /// Matches a string that contains a match of the regular expression `pattern`
    /// (anchor it with `^…$` to match the whole string).
    pub fn string_like_regexp(pattern: &str) -> Json {
        matcher("stringLikeRegexp", Json::String(pattern.to_string()))
    }

    /// Matches any value that does not match `pattern`.
    pub fn not(pattern: Json) -> Json {
        matcher("not", pattern)
    }

    /// Compares `actual` with `expected` and returns every difference, each with its path.
    pub fn check(expected: &Json, actual: &Json) -> Result<(), Vec<Mismatch>> {
        let mut out = Vec::new();
        compare(expected, Some(actual), "", Objects::Partial, &mut out);
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }
}

fn matcher(kind: &str, pattern: Json) -> Json {
    json!({ (MATCHER_KEY): kind, "pattern": pattern })
}

/// One difference between an expected and an actual value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// Where, as a JSON pointer from the compared value (`/Properties/Tags/0/Key`; empty for the root).
    pub path: String,
    /// What was expected there.
    pub expected: String,
    /// What was found there (`nothing` for a missing key).
    pub found: String,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = if self.path.is_empty() { "/" } else { &self.path };
        write!(f, "{path}: expected {}, found {}", self.expected, self.found)
    }
}

/// How plain objects of the expected value match.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Objects {
    /// At least the expected keys.
    Partial,
    /// Exactly the expected keys.
    Exact,
}

/// A matcher found in the expected value.
enum Kind<'a> {
    ObjectLike(&'a Json),
    ObjectEquals(&'a Json),
    ArrayWith(&'a Json),
    Exact(&'a Json),
    Absent,
    AnyValue,
    StringLike(&'a Json),
    Not(&'a Json),
    /// A `$cairn.match` object with a kind this version does not know: never matches,
    /// so a typo cannot make an assertion pass.
    Unknown(&'a str),
}

fn as_matcher(expected: &Json) -> Option<Kind<'_>> {
    let map = expected.as_object()?;
    let kind = map.get(MATCHER_KEY)?.as_str().unwrap_or("");
    let pattern = map.get("pattern").unwrap_or(&Json::Null);
    Some(match kind {
        "objectLike" => Kind::ObjectLike(pattern),
        "objectEquals" => Kind::ObjectEquals(pattern),
        "arrayWith" => Kind::ArrayWith(pattern),
        "exact" => Kind::Exact(pattern),
        "absent" => Kind::Absent,
        "anyValue" => Kind::AnyValue,
        "stringLikeRegexp" => Kind::StringLike(pattern),
        "not" => Kind::Not(pattern),
        other => Kind::Unknown(other),
    })
}

fn push(out: &mut Vec<Mismatch>, path: &str, expected: impl Into<String>, found: impl Into<String>) {
    out.push(Mismatch {
        path: path.to_string(),
        expected: expected.into(),
        found: found.into(),
    });
}

/// A value as it is shown in a message: compact JSON, cut after 120 characters.
pub(crate) fn show(value: &Json) -> String {
    let text = value.to_string();
    match text.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// `expected` described for a message: matchers by what they accept.
fn describe(expected: &Json) -> String {
    match as_matcher(expected) {
        Some(Kind::ObjectLike(p)) => format!("an object like {}", show(p)),
        Some(Kind::ObjectEquals(p)) => format!("exactly the object {}", show(p)),
        Some(Kind::ArrayWith(p)) => format!("an array with {}", show(p)),
        Some(Kind::Exact(p)) => format!("exactly {}", show(p)),
        Some(Kind::Absent) => "nothing (absent)".to_string(),
        Some(Kind::AnyValue) => "any value".to_string(),
        Some(Kind::StringLike(p)) => format!("a string matching {}", show(p)),
        Some(Kind::Not(p)) => format!("anything but {}", show(p)),
        Some(Kind::Unknown(kind)) => format!("an unknown matcher `{kind}`"),
        None => show(expected),
    }
}

fn child(path: &str, key: &str) -> String {
    // JSON pointer escaping (RFC 6901), so a key with `/` stays one step.
    format!("{path}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// Compares one value; `actual` is `None` where the key is missing.
fn compare(expected: &Json, actual: Option<&Json>, path: &str, objects: Objects, out: &mut Vec<Mismatch>) {
    if let Some(kind) = as_matcher(expected) {
        return compare_matcher(kind, expected, actual, path, objects, out);
    }
    let Some(actual) = actual else {
        return push(out, path, describe(expected), "nothing");
    };
    match expected {
        Json::Object(e) => match actual.as_object() {
            Some(a) => compare_objects(e, a, path, objects, out),
            None => push(out, path, "an object", show(actual)),
        },
        Json::Array(e) => match actual.as_array() {
            Some(a) if a.len() == e.len() => {
                for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                    compare(ev, Some(av), &child(path, &i.to_string()), objects, out);
                }
            }
            Some(a) => push(
                out,
                path,
                format!("{} element(s): {}", e.len(), show(expected)),
                format!("{}: {}{}", a.len(), show(actual), length_hint(e, a, objects)),
            ),
            None => push(out, path, "an array", show(actual)),
        },
        _ if expected == actual => {}
        _ => push(out, path, show(expected), show(actual)),
    }
}

/// What makes two arrays of different lengths differ, as the shown arrays may be cut:
/// the actual elements no expected one matches, and the expected ones nothing matches.
fn length_hint(expected: &[Json], actual: &[Json], objects: Objects) -> String {
    let matched = |e: &Json, a: &Json| {
        let mut diffs = Vec::new();
        compare(e, Some(a), "", objects, &mut diffs);
        diffs.is_empty()
    };
    let unexpected: Vec<String> = actual
        .iter()
        .filter(|a| !expected.iter().any(|e| matched(e, a)))
        .map(show)
        .collect();
    let missing: Vec<String> = expected
        .iter()
        .filter(|e| !actual.iter().any(|a| matched(e, a)))
        .map(describe)
        .collect();
    let mut hint = String::new();
    if !unexpected.is_empty() {
        hint.push_str(&format!("; unexpected: {}", unexpected.join(", ")));
    }
    if !missing.is_empty() {
        hint.push_str(&format!("; missing: {}", missing.join(", ")));
    }
    hint
}

fn compare_objects(e: &Map<String, Json>, a: &Map<String, Json>, path: &str, objects: Objects, out: &mut Vec<Mismatch>) {
    for (key, ev) in e {
        compare(ev, a.get(key), &child(path, key), objects, out);
    }
    if objects == Objects::Exact {
        for (key, av) in a {
            if !e.contains_key(key) {
                push(out, &child(path, key), "no such key", show(av));
            }
        }
    }
}

fn compare_matcher(kind: Kind<'_>, expected: &Json, actual: Option<&Json>, path: &str, objects: Objects, out: &mut Vec<Mismatch>) {
    match (kind, actual) {
        (Kind::Absent, None) => {}
        (Kind::Absent, Some(a)) => push(out, path, "nothing (absent)", show(a)),
        (Kind::Not(p), Some(a)) => {
            if Match::check_with(p, a, objects).is_ok() {
                push(out, path, describe(expected), show(a));
            }
        }
        (Kind::Not(_), None) => {}
        (_, None) => push(out, path, describe(expected), "nothing"),
        (Kind::AnyValue, Some(Json::Null)) => push(out, path, "any value", "null"),
        (Kind::AnyValue, Some(_)) => {}
        (Kind::ObjectLike(p), Some(a)) => compare(p, Some(a), path, Objects::Partial, out),
        (Kind::ObjectEquals(p), Some(a)) | (Kind::Exact(p), Some(a)) => compare(p, Some(a), path, Objects::Exact, out),
        (Kind::ArrayWith(items), Some(a)) => array_with(items, a, path, objects, out),
        (Kind::StringLike(p), Some(a)) => string_like(p, a, path, out),
        (Kind::Unknown(kind), Some(_)) => push(
            out,
            path,
            format!("a known matcher (`{kind}` is not one; build matchers with cairn_assertions::Match)"),
            "a value",
        ),
    }
}

impl Match {
    fn check_with(expected: &Json, actual: &Json, objects: Objects) -> Result<(), Vec<Mismatch>> {
        let mut out = Vec::new();
        compare(expected, Some(actual), "", objects, &mut out);
        if out.is_empty() {
            Ok(())
        } else {
            Err(out)
        }
    }
}

/// Each wanted item must match some element. A missing one is reported through the
/// element closest to it, so the message says what differs rather than only "not found".
fn array_with(items: &Json, actual: &Json, path: &str, objects: Objects, out: &mut Vec<Mismatch>) {
    let Some(elements) = actual.as_array() else {
        return push(out, path, "an array", show(actual));
    };
    let wanted: Vec<&Json> = match items {
        Json::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    for item in wanted {
        let mut closest: Option<(usize, Vec<Mismatch>)> = None;
        for (i, element) in elements.iter().enumerate() {
            let mut diffs = Vec::new();
            compare(item, Some(element), &child(path, &i.to_string()), objects, &mut diffs);
            if diffs.is_empty() {
                closest = None;
                break;
            }
            if closest.as_ref().is_none_or(|(_, best)| diffs.len() < best.len()) {
                closest = Some((i, diffs));
            }
        }
        match closest {
            None if !elements.is_empty() => {}
            None => push(out, path, format!("an element matching {}", show(item)), "an empty array"),
            Some((_, diffs)) => out.extend(diffs),
        }
    }
}

fn string_like(pattern: &Json, actual: &Json, path: &str, out: &mut Vec<Mismatch>) {
    let pattern = pattern.as_str().unwrap_or_default();
    let regex = match regex_lite::Regex::new(pattern) {
        Ok(regex) => regex,
        Err(e) => return push(out, path, format!("a valid pattern (`{pattern}` is not: {e})"), show(actual)),
    };
    match actual.as_str() {
        Some(s) if regex.is_match(s) => {}
        _ => push(out, path, format!("a string matching `{pattern}`"), show(actual)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diffs(expected: Json, actual: Json) -> Vec<String> {
        match Match::check(&expected, &actual) {
            Ok(()) => Vec::new(),
            Err(found) => found.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn objects_match_deeply_with_extra_keys_allowed() {
        let actual = json!({ "A": { "B": 1, "C": 2 }, "D": 3 });
        assert!(diffs(json!({ "A": { "B": 1 } }), actual.clone()).is_empty());
        assert_eq!(diffs(json!({ "A": { "B": 2 } }), actual), ["/A/B: expected 2, found 1"]);
    }

    #[test]
    fn every_difference_is_reported_with_its_path() {
        let found = diffs(
            json!({ "A": 1, "B": { "C": "x" }, "E": [1, 2] }),
            json!({ "A": 2, "B": {}, "E": [1, 3] }),
        );
        assert_eq!(
            found,
            [
                "/A: expected 1, found 2",
                "/B/C: expected \"x\", found nothing",
                "/E/1: expected 2, found 3"
            ]
        );
    }

    #[test]
    fn literal_arrays_need_the_same_length() {
        assert_eq!(
            diffs(json!([1]), json!([1, 2])),
            ["/: expected 1 element(s): [1], found 2: [1,2]; unexpected: 2"]
        );
        // Which elements differ is said even when the arrays are too long to show whole.
        let long = |extra: Option<&str>| {
            let mut actions: Vec<String> = (0..20).map(|i| format!("service:Action{i}")).collect();
            actions.extend(extra.map(str::to_string));
            json!(actions)
        };
        let found = diffs(long(None), long(Some("service:Extra")));
        assert!(found[0].ends_with("; unexpected: \"service:Extra\""), "{found:?}");
        let found = diffs(long(Some("service:Wanted")), long(None));
        assert!(found[0].ends_with("; missing: \"service:Wanted\""), "{found:?}");
    }

    #[test]
    fn object_equals_refuses_extra_keys_and_object_like_switches_back() {
        assert_eq!(
            diffs(Match::object_equals(json!({ "A": 1 })), json!({ "A": 1, "B": 2 })),
            ["/B: expected no such key, found 2"]
        );
        let nested = Match::object_equals(json!({ "A": Match::object_like(json!({ "X": 1 })) }));
        assert!(diffs(nested, json!({ "A": { "X": 1, "Y": 2 } })).is_empty());
    }

    #[test]
    fn array_with_finds_items_in_any_order_and_reports_the_closest_element() {
        let actual = json!([{ "Key": "a", "Value": "1" }, { "Key": "b", "Value": "2" }]);
        assert!(diffs(Match::array_with(json!([{ "Key": "b" }, { "Key": "a" }])), actual.clone()).is_empty());
        assert_eq!(
            diffs(Match::array_with(json!([{ "Key": "b", "Value": "3" }])), actual),
            ["/1/Value: expected \"3\", found \"2\""]
        );
        assert_eq!(
            diffs(Match::array_with(json!([1])), json!([])),
            ["/: expected an element matching 1, found an empty array"]
        );
    }

    #[test]
    fn absent_any_value_and_not() {
        assert!(diffs(json!({ "A": Match::absent() }), json!({ "B": 1 })).is_empty());
        assert_eq!(
            diffs(json!({ "A": Match::absent() }), json!({ "A": 1 })),
            ["/A: expected nothing (absent), found 1"]
        );
        assert_eq!(
            diffs(json!({ "A": Match::any_value() }), json!({})),
            ["/A: expected any value, found nothing"]
        );
        assert_eq!(
            diffs(json!({ "A": Match::any_value() }), json!({ "A": null })),
            ["/A: expected any value, found null"]
        );
        assert!(diffs(json!({ "A": Match::not(json!("*")) }), json!({ "A": "s3:GetObject" })).is_empty());
        assert_eq!(
            diffs(json!({ "A": Match::not(json!("*")) }), json!({ "A": "*" })),
            ["/A: expected anything but \"*\", found \"*\""]
        );
    }

    #[test]
    fn string_patterns() {
        assert!(diffs(Match::string_like_regexp("^arn:aws:sqs:"), json!("arn:aws:sqs:eu-west-1:1:q")).is_empty());
        assert_eq!(
            diffs(Match::string_like_regexp("^arn:"), json!({ "Ref": "Q" })),
            ["/: expected a string matching `^arn:`, found {\"Ref\":\"Q\"}"]
        );
        assert_eq!(
            diffs(Match::string_like_regexp("("), json!("x")).len(),
            1,
            "a bad pattern fails, it does not panic"
        );
    }

    #[test]
    fn an_unknown_matcher_never_matches() {
        let typo = json!({ (MATCHER_KEY): "anyValu", "pattern": null });
        assert_eq!(diffs(json!({ "A": typo }), json!({ "A": 1 })).len(), 1);
    }

    #[test]
    fn keys_with_slashes_stay_one_step_of_the_path() {
        assert_eq!(diffs(json!({ "a/b": 1 }), json!({ "a/b": 2 })), ["/a~1b: expected 1, found 2"]);
    }
}
