//! Escape hatches: raw overrides of a resource's template entry, applied at the end
//! of synthesis (like the AWS CDK's `addOverride` / `addDeletionOverride`).
//!
//! Constructs keep rendering their resources until synthesis (a grant rewrites a
//! role's whole policy document), so an edit made with [`crate::Stack::update_resource`]
//! can be overwritten by a later call on the construct. An override is stored on the
//! stack instead and applied to the rendered JSON after every construct has had its
//! say, so it always wins.
//!
//! A path is dotted (`Properties.PolicyDocument.Statement.0.Effect`): a segment that
//! is a number indexes a list, `\.` is a dot inside a key
//! (`Metadata.cfn-lint\.ignore`).

use serde_json::{Map, Value as Json};

use crate::value::Value;

/// The top-level keys of a resource entry an override may start with.
pub const TOP_LEVEL_KEYS: &[&str] = &[
    "Properties",
    "DependsOn",
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Condition",
    "CreationPolicy",
    "UpdatePolicy",
];

/// One override of one resource, in the order they were added.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ResourceOverride {
    /// The path as written (for error messages).
    pub path: String,
    /// The path split into keys and list indexes.
    pub segments: Vec<String>,
    /// `None` deletes what the path names.
    pub value: Option<Value>,
}

/// Splits a dotted override path; a message saying what is wrong otherwise.
pub(crate) fn parse_path(path: &str) -> Result<Vec<String>, String> {
    let mut segments = Vec::new();
    let mut current = String::new();
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                current.push('.');
                chars.next();
            }
            '.' => segments.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    segments.push(current);
    if segments.iter().any(String::is_empty) {
        return Err(format!("override path `{path}` has an empty segment"));
    }
    let top = segments[0].as_str();
    if !TOP_LEVEL_KEYS.contains(&top) {
        return Err(format!(
            "override path `{path}` starts with `{top}`, which is not a key of a resource entry"
        ));
    }
    if top == "Metadata" && segments.get(1).map(String::as_str) == Some(crate::metadata::PATH) {
        return Err(format!("override path `{path}` would change the construct path cairn records"));
    }
    if top == "Metadata" && segments.len() == 1 {
        return Err(format!("override path `{path}` would replace the construct path cairn records"));
    }
    Ok(segments)
}

/// Sets (`Some`) or deletes (`None`) what `segments` names inside `entry`. Missing maps
/// on the way are created for a set; a deletion of a key that is not there does nothing
/// (as in the AWS CDK: constructs write some properties in some environments only, e.g.
/// versioning where data is kept, and one override must hold for every environment).
/// Walking through anything but a map or a list index is an error message.
pub(crate) fn apply(entry: &mut Json, segments: &[String], value: Option<Json>) -> Result<(), String> {
    let (last, parents) = segments.split_last().ok_or("the override path is empty")?;
    let mut node = entry;
    for (i, segment) in parents.iter().enumerate() {
        let absent = matches!(&*node, Json::Object(map) if !map.contains_key(segment));
        if absent && value.is_none() {
            return Ok(());
        }
        node = child(node, segment).map_err(|what| walk_error(&segments[..=i], what))?;
    }
    match (node, value) {
        (Json::Object(map), Some(v)) => {
            map.insert(last.clone(), v);
            Ok(())
        }
        (Json::Object(map), None) => {
            map.shift_remove(last);
            Ok(())
        }
        (Json::Array(items), value) => {
            let index = list_index(last, items.len()).map_err(|what| walk_error(segments, what))?;
            match value {
                Some(v) => items[index] = v,
                None => {
                    items.remove(index);
                }
            }
            Ok(())
        }
        (other, _) => Err(walk_error(&segments[..segments.len() - 1], kind(other))),
    }
}

/// The child `segment` of `node`: a map entry (an empty map created when missing), or
/// a list item. `Err` describes what stopped the walk.
fn child<'a>(node: &'a mut Json, segment: &str) -> Result<&'a mut Json, String> {
    match node {
        Json::Object(map) => Ok(map.entry(segment.to_string()).or_insert_with(|| Json::Object(Map::new()))),
        Json::Array(items) => {
            let index = list_index(segment, items.len())?;
            Ok(&mut items[index])
        }
        other => Err(kind(other).into()),
    }
}

fn list_index(segment: &str, len: usize) -> Result<usize, String> {
    match segment.parse::<usize>() {
        Ok(i) if i < len => Ok(i),
        Ok(i) => Err(format!("a list of {len} items (index {i} is past its end)")),
        Err(_) => Err(format!("a list (`{segment}` is not an index)")),
    }
}

fn walk_error(segments: &[String], what: impl AsRef<str>) -> String {
    format!("`{}` is {}", join(segments), what.as_ref())
}

fn join(segments: &[String]) -> String {
    segments.iter().map(|s| s.replace('.', "\\.")).collect::<Vec<_>>().join(".")
}

fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "a boolean, not a map or list",
        Json::Number(_) => "a number, not a map or list",
        Json::String(_) => "a string, not a map or list",
        Json::Array(_) => "a list",
        Json::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segs(p: &str) -> Vec<String> {
        parse_path(p).unwrap()
    }

    #[test]
    fn paths_split_on_unescaped_dots() {
        assert_eq!(segs("Properties.A.B"), ["Properties", "A", "B"]);
        assert_eq!(segs("Metadata.cfn-lint\\.ignore.x"), ["Metadata", "cfn-lint.ignore", "x"]);
        assert!(parse_path("Properties..B").unwrap_err().contains("empty segment"));
        assert!(parse_path("Properties.").unwrap_err().contains("empty segment"));
        assert!(parse_path("Propertes.A").unwrap_err().contains("not a key of a resource entry"));
        assert!(parse_path("Metadata.cairn:path").is_err());
    }

    #[test]
    fn sets_create_maps_index_lists_and_delete() {
        let mut e = json!({ "Type": "T", "Properties": { "L": [{ "K": 1 }, { "K": 2 }], "S": "x" } });
        apply(&mut e, &segs("Properties.A.B"), Some(json!(true))).unwrap();
        apply(&mut e, &segs("Properties.L.1.K"), Some(json!(3))).unwrap();
        apply(&mut e, &segs("Properties.L.0"), None).unwrap();
        apply(&mut e, &segs("DeletionPolicy"), Some(json!("Retain"))).unwrap();
        assert_eq!(
            e,
            json!({ "Type": "T", "Properties": { "L": [{ "K": 3 }], "S": "x", "A": { "B": true } }, "DeletionPolicy": "Retain" })
        );
        apply(&mut e, &segs("Properties.S"), None).unwrap();
        assert!(e["Properties"].get("S").is_none());
    }

    #[test]
    fn walking_through_a_non_map_or_past_a_list_is_an_error() {
        let mut e = json!({ "Properties": { "S": "x", "L": [1] } });
        let err = apply(&mut e, &segs("Properties.S.Deeper"), Some(json!(1))).unwrap_err();
        assert_eq!(err, "`Properties.S` is a string, not a map or list");
        let err = apply(&mut e, &segs("Properties.L.3"), Some(json!(1))).unwrap_err();
        assert!(err.contains("index 3 is past its end"), "{err}");
        let err = apply(&mut e, &segs("Properties.L.x"), Some(json!(1))).unwrap_err();
        assert!(err.contains("`x` is not an index"), "{err}");
        let err = apply(&mut e, &segs("Properties.S.Deeper"), None).unwrap_err();
        assert_eq!(err, "`Properties.S` is a string, not a map or list");
    }

    #[test]
    fn deleting_what_is_not_there_changes_nothing() {
        let mut e = json!({ "Properties": { "S": "x" } });
        apply(&mut e, &segs("Properties.Missing"), None).unwrap();
        apply(&mut e, &segs("Properties.Missing.Deeper"), None).unwrap();
        apply(&mut e, &segs("DeletionPolicy"), None).unwrap();
        assert_eq!(e, json!({ "Properties": { "S": "x" } }));
    }
}
