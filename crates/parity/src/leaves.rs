//! An item's leaves: every property of a resource (output, parameter…) as a
//! (path → value) pair, and the leaves that differ between two versions of an item,
//! found by walking both trees together.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use cairn_core::metadata;
use serde_json::{Map, Value as Json};

use crate::normalize::{json_eq, normalized_eq, Normalizer};
use crate::{PathKey, Section};

/// An intrinsic function (`Ref`, `Fn::*`, `Condition`) is compared and shown whole.
fn is_leaf(v: &Json) -> bool {
    match v {
        Json::Object(m) => m.is_empty() || (m.len() == 1 && m.keys().all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::"))),
        Json::Array(items) => items.is_empty(),
        _ => true,
    }
}

/// `[{Key, Value}, …]` tag lists are keyed by tag key, so one extra tag is one difference.
fn tag_list(property: &str, items: &[Json]) -> bool {
    (property == "Tags" || property.ends_with(".Tags"))
        && items.iter().all(|i| {
            i.as_object()
                .is_some_and(|o| field(o, "Key").is_some_and(Json::is_string) && field(o, "Value").is_some())
        })
}

/// `o[name]`: by looking at each key of a small object (a tag has two), by lookup
/// otherwise (`serde_json`'s maps hash the name with SipHash for every lookup).
fn field<'o>(o: &'o Map<String, Json>, name: &str) -> Option<&'o Json> {
    if o.len() <= 4 {
        o.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
    } else {
        o.get(name)
    }
}

/// A tag's key and value (`None` for an item that is not an object).
fn tag(item: &Json) -> Option<(&str, &Json)> {
    let o = item.as_object()?;
    let key = field(o, "Key").and_then(Json::as_str).unwrap_or_default();
    Some((key, field(o, "Value").unwrap_or(&Json::Null)))
}

struct Walker<'a, 'v, 'e> {
    item: &'a PathKey,
    emit: &'e mut dyn FnMut(PathKey, &'v Json),
}

impl<'v> Walker<'_, 'v, '_> {
    fn leaf(&mut self, property: String, raw: &'v Json) {
        let key = PathKey {
            stack: self.item.stack.clone(),
            section: self.item.section,
            id: self.item.id.clone(),
            property,
        };
        (self.emit)(key, raw);
    }

    fn walk(&mut self, property: String, v: &'v Json) {
        if is_leaf(v) {
            self.leaf(property, v);
            return;
        }
        match v {
            Json::Array(items) if tag_list(&property, items) => {
                for item in items {
                    let (k, v) = tag(item).unwrap_or(("", &Json::Null));
                    self.walk(format!("{property}[{k}]"), v);
                }
            }
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(format!("{property}[{i}]"), item);
                }
            }
            Json::Object(m) => {
                for (k, v) in m {
                    let p = if property.is_empty() {
                        k.clone()
                    } else {
                        format!("{property}.{k}")
                    };
                    self.walk(p, v);
                }
            }
            _ => self.leaf(property, v),
        }
    }
}

/// Calls `emit` with every leaf (key, value as written) of one item: a resource's
/// own key carries its type, then its properties and attributes follow.
pub fn item_leaves<'v>(_norm: &Normalizer, item: &PathKey, value: &'v Json, emit: &mut dyn FnMut(PathKey, &'v Json)) {
    // An output's own leaf: what kind of item it is (a resource's is its Type).
    static OUTPUT: LazyLock<Json> = LazyLock::new(|| Json::String("Output".into()));
    let empty: &'static Map<String, Json> = &EMPTY;
    let mut w = Walker { item, emit };
    match item.section {
        Section::Stack | Section::Conditions => w.leaf(String::new(), value),
        Section::Template => w.walk(String::new(), value),
        Section::Resources | Section::Parameters => {
            let obj = value.as_object().unwrap_or(empty);
            w.leaf(String::new(), obj.get("Type").unwrap_or(&Json::Null));
            for (attr, v) in obj {
                match attr.as_str() {
                    "Type" => {}
                    "Metadata" if item.section == Section::Resources => {
                        for (mk, mv) in v.as_object().unwrap_or(empty) {
                            if mk != metadata::PATH {
                                w.walk(format!("Metadata.{mk}"), mv);
                            }
                        }
                    }
                    _ => w.walk(attr.clone(), v),
                }
            }
        }
        Section::Outputs => {
            w.leaf(String::new(), &OUTPUT);
            for (attr, v) in value.as_object().unwrap_or(empty) {
                w.walk(attr.clone(), v);
            }
        }
    }
}

/// The leaves of one item whose values differ between `a` (normalized with `na`) and
/// `b` (with `nb`), or that exist on one side only: the keys that comparing
/// [`item_leaves`] of both sides gives, found by walking both trees together and
/// skipping every subtree that is equal (most of an item is, when it differs at all).
pub fn differing_leaves(item: &PathKey, a: Option<&Json>, na: &Normalizer, b: Option<&Json>, nb: &Normalizer, out: &mut BTreeSet<PathKey>) {
    let pair = Pair {
        item,
        na,
        nb,
        same_norm: na == nb,
    };
    let (x, y) = match (a, b) {
        (None, None) => return,
        (Some(x), Some(y)) => (x, y),
        (one, other) => {
            // On one side only: every leaf of the other side differs.
            let (value, norm) = match (one, other) {
                (Some(v), _) => (v, na),
                (_, Some(v)) => (v, nb),
                _ => return,
            };
            item_leaves(norm, item, value, &mut |k, _| {
                out.insert(k);
            });
            return;
        }
    };
    if pair.equal(x, y) {
        return;
    }
    let empty: &Map<String, Json> = &EMPTY;
    match item.section {
        Section::Stack | Section::Conditions => {
            out.insert(pair.key(String::new()));
        }
        Section::Template => pair.walk_from("", Some(x), Some(y), out),
        Section::Resources | Section::Parameters => {
            let (ox, oy) = (x.as_object().unwrap_or(empty), y.as_object().unwrap_or(empty));
            if !normalized_eq(ox.get("Type").unwrap_or(&Json::Null), na, oy.get("Type").unwrap_or(&Json::Null), nb) {
                out.insert(pair.key(String::new()));
            }
            each_key(ox, oy, |attr, vx, vy| match attr {
                "Type" => {}
                "Metadata" if item.section == Section::Resources => {
                    let mx = vx.and_then(Json::as_object).unwrap_or(empty);
                    let my = vy.and_then(Json::as_object).unwrap_or(empty);
                    each_key(mx, my, |mk, mvx, mvy| {
                        if mk != metadata::PATH {
                            pair.walk_from(&format!("Metadata.{mk}"), mvx, mvy, out);
                        }
                    });
                }
                _ => pair.walk_from(attr, vx, vy, out),
            });
        }
        Section::Outputs => {
            let (ox, oy) = (x.as_object().unwrap_or(empty), y.as_object().unwrap_or(empty));
            each_key(ox, oy, |attr, vx, vy| pair.walk_from(attr, vx, vy, out));
        }
    }
}

static EMPTY: LazyLock<Map<String, Json>> = LazyLock::new(Map::new);

/// Calls `f` with each key of either object (once) and its values: pairwise while both
/// list the same keys in the same order (two renderings of one item do), by lookup
/// otherwise (`serde_json`'s maps hash every key looked up).
fn each_key<'m>(x: &'m Map<String, Json>, y: &'m Map<String, Json>, mut f: impl FnMut(&'m str, Option<&'m Json>, Option<&'m Json>)) {
    if x.len() == y.len() && x.keys().zip(y.keys()).all(|(a, b)| a == b) {
        for ((k, vx), vy) in x.iter().zip(y.values()) {
            f(k, Some(vx), Some(vy));
        }
    } else {
        for k in union_keys(x, y) {
            f(k, x.get(k), y.get(k));
        }
    }
}

/// Keys of either object (each once).
fn union_keys<'m>(x: &'m Map<String, Json>, y: &'m Map<String, Json>) -> impl Iterator<Item = &'m str> {
    x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))).map(String::as_str)
}

/// Tag key → value of a `[{Key, Value}]` list, or None when a key repeats (then the
/// generic comparison decides, as [`item_leaves`] would).
fn tags_by_key(items: &[Json]) -> Option<BTreeMap<&str, &Json>> {
    let mut map = BTreeMap::new();
    for i in items {
        let (k, v) = tag(i).unwrap_or(("", &Json::Null));
        if map.insert(k, v).is_some() {
            return None;
        }
    }
    Some(map)
}

/// Both sides of one item, walked together.
struct Pair<'a> {
    item: &'a PathKey,
    na: &'a Normalizer,
    nb: &'a Normalizer,
    /// Both sides normalize alike: equal JSON is equal without normalizing.
    same_norm: bool,
}

impl Pair<'_> {
    fn equal(&self, x: &Json, y: &Json) -> bool {
        (self.same_norm && json_eq(x, y)) || normalized_eq(x, self.na, y, self.nb)
    }

    fn key(&self, property: String) -> PathKey {
        PathKey {
            stack: self.item.stack.clone(),
            section: self.item.section,
            id: self.item.id.clone(),
            property,
        }
    }

    /// Every leaf of `v` at `property` (as [`Walker::walk`] finds them).
    fn leaves<'v>(&self, property: String, v: &'v Json) -> BTreeMap<PathKey, &'v Json> {
        let mut found = BTreeMap::new();
        let mut emit = |k: PathKey, raw: &'v Json| {
            found.insert(k, raw);
        };
        Walker {
            item: self.item,
            emit: &mut emit,
        }
        .walk(property, v);
        found
    }

    /// Visits every node of both trees once; `path` is the property path so far
    /// (extended and restored in place, so equal nodes cost no allocation).
    fn walk(&self, path: &mut String, x: Option<&Json>, y: Option<&Json>, out: &mut BTreeSet<PathKey>) {
        let (x, y) = match (x, y) {
            (None, None) => return,
            (Some(v), None) | (None, Some(v)) => {
                out.extend(self.leaves(path.clone(), v).into_keys());
                return;
            }
            (Some(x), Some(y)) => (x, y),
        };
        // Every node is visited once: no comparison of whole subtrees on the way down
        // (the item as a whole was compared before the walk), which would compare a
        // deep difference once per level above it.
        let mark = path.len();
        match (x, y) {
            _ if is_leaf(x) && is_leaf(y) => {
                if !self.equal(x, y) {
                    out.insert(self.key(path.clone()));
                }
            }
            (Json::Object(mx), Json::Object(my)) if !is_leaf(x) && !is_leaf(y) => {
                each_key(mx, my, |k, vx, vy| {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    self.walk(path, vx, vy, out);
                    path.truncate(mark);
                });
            }
            (Json::Array(ax), Json::Array(ay)) if !is_leaf(x) && !is_leaf(y) => match (tag_list(path, ax), tag_list(path, ay)) {
                (true, true) => match (tags_by_key(ax), tags_by_key(ay)) {
                    (Some(tx), Some(ty)) => {
                        let keys: BTreeSet<&str> = tx.keys().chain(ty.keys()).copied().collect();
                        for k in keys {
                            path.push('[');
                            path.push_str(k);
                            path.push(']');
                            self.walk(path, tx.get(k).copied(), ty.get(k).copied(), out);
                            path.truncate(mark);
                        }
                    }
                    _ => self.compare_leaves(path.clone(), x, y, out),
                },
                (false, false) => {
                    for i in 0..ax.len().max(ay.len()) {
                        path.push('[');
                        path.push_str(&i.to_string());
                        path.push(']');
                        self.walk(path, ax.get(i), ay.get(i), out);
                        path.truncate(mark);
                    }
                }
                _ => self.compare_leaves(path.clone(), x, y, out),
            },
            _ => {
                if !normalized_eq(x, self.na, y, self.nb) {
                    self.compare_leaves(path.clone(), x, y, out);
                }
            }
        }
    }

    /// Starts a walk at a top-level attribute of the item.
    fn walk_from(&self, property: &str, x: Option<&Json>, y: Option<&Json>, out: &mut BTreeSet<PathKey>) {
        let mut path = property.to_string();
        self.walk(&mut path, x, y, out);
    }

    /// Shapes differ (a value against an object, a tag list against a list…): compare
    /// the leaves of both sides one by one.
    fn compare_leaves(&self, property: String, x: &Json, y: &Json, out: &mut BTreeSet<PathKey>) {
        let lx = self.leaves(property.clone(), x);
        let ly = self.leaves(property, y);
        for (k, v) in &lx {
            if !ly.get(k).is_some_and(|w| normalized_eq(v, self.na, w, self.nb)) {
                out.insert(k.clone());
            }
        }
        for k in ly.keys() {
            if !lx.contains_key(k) {
                out.insert(k.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Flat;

    /// The tree walk finds exactly the leaves that comparing every leaf finds.
    #[test]
    fn differing_leaves_agree_with_comparing_every_leaf() {
        let dev = Normalizer::new("dev", "111111111111", "us-east-1");
        let prod = Normalizer::new("prod", "222222222222", "eu-west-1");
        let cases: Vec<(Section, Json, Json)> = vec![
            (
                Section::Resources,
                json!({"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "shop-dev-q", "Tags": [{"Key": "A", "Value": "1"}, {"Key": "Env", "Value": "dev"}]}}),
                json!({"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "shop-prod-q", "Tags": [{"Key": "Env", "Value": "prod"}, {"Key": "B", "Value": "2"}]}}),
            ),
            (
                Section::Resources,
                json!({"Type": "AWS::S3::Bucket", "Properties": {"L": [1, 2, 3], "O": {"x": {"Ref": "A"}}}, "DependsOn": ["A", "B"]}),
                json!({"Type": "AWS::S3::Bucket", "Properties": {"L": [1, 5], "O": {"x": {"y": 1}}}, "DependsOn": "A", "DeletionPolicy": "Retain"}),
            ),
            (
                Section::Resources,
                json!({"Type": "T", "Properties": {"Tags": [{"Key": "A", "Value": "1"}]}, "Metadata": {"cairn:path": "a", "m": {"k": 1}}}),
                json!({"Type": "U", "Properties": {"Tags": [{"NotKey": "A"}]}, "Metadata": {"cairn:path": "b", "n": 2}}),
            ),
            (
                Section::Resources,
                json!({"Type": "T", "Properties": {"Tags": [{"Key": "A", "Value": "1"}, {"Key": "A", "Value": "2"}]}}),
                json!({"Type": "T", "Properties": {"Tags": [{"Key": "A", "Value": "3"}]}}),
            ),
            (
                Section::Resources,
                json!({"Type": "T", "Properties": {"P": "x"}}),
                json!({"Type": "T", "Properties": {"P": {"a": [1, {"b": 2}]}}}),
            ),
            (Section::Resources, json!("not an object"), json!({"Type": "T"})),
            (
                Section::Outputs,
                json!({"Value": {"Fn::GetAtt": ["A", "Arn"]}, "Export": {"Name": "shop-dev-data:X"}}),
                json!({"Value": {"Fn::GetAtt": ["B", "Arn"]}, "Export": {"Name": "shop-prod-data:X"}, "Description": "d"}),
            ),
            (Section::Template, json!("shop (dev environment)"), json!({"a": 1})),
            (
                Section::Conditions,
                json!({"Fn::Equals": ["a", "b"]}),
                json!({"Fn::Equals": ["a", "c"]}),
            ),
            (
                Section::Parameters,
                json!({"Type": "String", "Metadata": {"cairn:path": "x"}}),
                json!({"Type": "String", "Metadata": {"cairn:path": "y"}}),
            ),
        ];
        for (section, a, b) in cases {
            let mut fa = Flat {
                normalizer: dev.clone(),
                ..Default::default()
            };
            let mut fb = Flat {
                normalizer: prod.clone(),
                ..Default::default()
            };
            let key = PathKey::new("data", section, "Item", "");
            fa.items.insert(key.clone(), a.clone());
            fb.items.insert(key.clone(), b.clone());
            let reference = fa.diff_keys_by_leaves(&fb, None);
            assert_eq!(fa.diff_keys(&fb), reference, "{a} vs {b}");
            assert_eq!(fb.diff_keys(&fa), fb.diff_keys_by_leaves(&fa, None), "{b} vs {a}");
            // One side only: every leaf of the other.
            let empty = Flat {
                normalizer: prod.clone(),
                ..Default::default()
            };
            assert_eq!(fa.diff_keys(&empty), fa.diff_keys_by_leaves(&empty, None));
            // Equal after normalization: nothing.
            assert!(fa.diff_keys(&fa.clone()).is_empty());
        }
    }
}
