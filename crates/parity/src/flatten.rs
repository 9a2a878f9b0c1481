//! Templates → leaves: every property of every resource (and output, parameter…)
//! as a (path → value) pair, with the environment's name, account id and region
//! replaced by `{env}`, `{account}` and `{region}` so that `shop-prod-data:Export`
//! and `shop-dev-data:Export` compare equal.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use serde_json::{Map, Value as Json};

use super::{Flat, PathKey, Section};
use cairn_core::synth::{EnvArtifact, PATH_METADATA_KEY};

/// Replaces an environment's identity inside strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalizer {
    /// (needle, placeholder), longest needle first.
    needles: Vec<(String, &'static str)>,
}

impl Normalizer {
    pub fn new(env: &str, account: &str, region: &str) -> Self {
        let mut needles: Vec<(String, &'static str)> = [(account, "{account}"), (region, "{region}"), (env, "{env}")]
            .into_iter()
            .filter(|(n, _)| !n.is_empty())
            .map(|(n, p)| (n.to_string(), p))
            .collect();
        needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        Normalizer { needles }
    }

    /// Also replaces `other` (another environment's name) by `{env}`: for a synthesis
    /// under one name with another environment's values (`shop-prod` tags under dev).
    pub fn with_alias(mut self, other: &str) -> Self {
        if !other.is_empty() && !self.needles.iter().any(|(n, _)| n == other) {
            self.needles.push((other.to_string(), "{env}"));
            self.needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        }
        self
    }

    /// `s` with every whole-token occurrence of the name, account and region replaced.
    /// A token ends at a character that is not a letter or digit (`-`, `:`, `/`, `.`…),
    /// so `prod` in `shop-prod-data` is replaced and in `production` it is not.
    pub fn string(&self, s: &str) -> String {
        let mut out = s.to_string();
        for (needle, placeholder) in &self.needles {
            if out.contains(needle.as_str()) {
                out = replace_tokens(&out, needle, placeholder);
            }
        }
        out
    }

    /// Like [`Normalizer::string`], without allocating when nothing is replaced.
    pub fn cow<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if self.needles.iter().any(|(n, _)| s.contains(n.as_str())) {
            Cow::Owned(self.string(s))
        } else {
            Cow::Borrowed(s)
        }
    }

    pub fn json(&self, v: &Json) -> Json {
        match v {
            Json::String(s) => Json::String(self.string(s)),
            Json::Array(items) => Json::Array(items.iter().map(|i| self.json(i)).collect()),
            Json::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), self.json(v))).collect()),
            other => other.clone(),
        }
    }
}

/// Whether `a` (of the environment `na` normalizes) equals `b` (of `nb`) once normalized.
pub fn normalized_eq(a: &Json, na: &Normalizer, b: &Json, nb: &Normalizer) -> bool {
    match (a, b) {
        (Json::String(x), Json::String(y)) => na.cow(x) == nb.cow(y),
        (Json::Array(x), Json::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| normalized_eq(v, na, w, nb)),
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| normalized_eq(v, na, w, nb)))
        }
        _ => a == b,
    }
}

fn replace_tokens(s: &str, needle: &str, placeholder: &str) -> String {
    let bytes = s.as_bytes();
    let boundary = |i: Option<usize>| i.is_none_or(|i| !bytes[i].is_ascii_alphanumeric());
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut from = 0;
    while let Some(pos) = s[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before = start.checked_sub(1);
        let after = (end < bytes.len()).then_some(end);
        if boundary(before) && boundary(after) {
            out.push_str(&s[last..start]);
            out.push_str(placeholder);
            last = end;
            from = end;
        } else {
            // Step one character, staying on a char boundary.
            from = start + s[start..].chars().next().map_or(1, char::len_utf8);
        }
        if from >= s.len() {
            break;
        }
    }
    out.push_str(&s[last..]);
    out
}

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
                .is_some_and(|o| o.get("Key").is_some_and(Json::is_string) && o.contains_key("Value"))
        })
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
                    let k = item.get("Key").and_then(Json::as_str).unwrap_or_default();
                    self.walk(format!("{property}[{k}]"), item.get("Value").unwrap_or(&Json::Null));
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
                            if mk != PATH_METADATA_KEY {
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
            for attr in union_keys(ox, oy) {
                match attr {
                    "Type" => {}
                    "Metadata" if item.section == Section::Resources => {
                        let mx = ox.get(attr).and_then(Json::as_object).unwrap_or(empty);
                        let my = oy.get(attr).and_then(Json::as_object).unwrap_or(empty);
                        for mk in union_keys(mx, my) {
                            if mk != PATH_METADATA_KEY {
                                pair.walk_from(&format!("Metadata.{mk}"), mx.get(mk), my.get(mk), out);
                            }
                        }
                    }
                    _ => pair.walk_from(attr, ox.get(attr), oy.get(attr), out),
                }
            }
        }
        Section::Outputs => {
            let (ox, oy) = (x.as_object().unwrap_or(empty), y.as_object().unwrap_or(empty));
            for attr in union_keys(ox, oy) {
                pair.walk_from(attr, ox.get(attr), oy.get(attr), out);
            }
        }
    }
}

static EMPTY: LazyLock<Map<String, Json>> = LazyLock::new(Map::new);

/// Keys of either object (each once).
fn union_keys<'m>(x: &'m Map<String, Json>, y: &'m Map<String, Json>) -> impl Iterator<Item = &'m str> {
    x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))).map(String::as_str)
}

/// Tag key → value of a `[{Key, Value}]` list, or None when a key repeats (then the
/// generic comparison decides, as [`item_leaves`] would).
fn tags_by_key(items: &[Json]) -> Option<BTreeMap<&str, &Json>> {
    let mut map = BTreeMap::new();
    for i in items {
        let k = i.get("Key").and_then(Json::as_str).unwrap_or_default();
        if map.insert(k, i.get("Value").unwrap_or(&Json::Null)).is_some() {
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
        (self.same_norm && x == y) || normalized_eq(x, self.na, y, self.nb)
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
        let mark = path.len();
        match (x, y) {
            _ if is_leaf(x) && is_leaf(y) => {
                if !normalized_eq(x, self.na, y, self.nb) {
                    out.insert(self.key(path.clone()));
                }
            }
            (Json::Object(mx), Json::Object(my)) if !is_leaf(x) && !is_leaf(y) => {
                for k in union_keys(mx, my) {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(k);
                    self.walk(path, mx.get(k), my.get(k), out);
                    path.truncate(mark);
                }
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

/// Adds one stack's template to `flat`, item by item.
fn add_stack(flat: &mut Flat, stack_id: &str, stack_name: &str, template: Json) {
    flat.stacks.push(stack_id.to_string());
    flat.stack_names.insert(stack_id.to_string(), stack_name.to_string());
    flat.items
        .insert(PathKey::new(stack_id, Section::Stack, "", ""), Json::String(stack_name.to_string()));
    let Json::Object(top) = template else { return };
    for (key, value) in top {
        let section = match key.as_str() {
            "Resources" => Section::Resources,
            "Outputs" => Section::Outputs,
            "Parameters" => Section::Parameters,
            "Conditions" => Section::Conditions,
            _ => {
                flat.items.insert(PathKey::new(stack_id, Section::Template, &key, ""), value);
                continue;
            }
        };
        let Json::Object(entries) = value else { continue };
        for (id, item) in entries {
            if section == Section::Resources {
                if let Some(path) = item.get("Metadata").and_then(|m| m.get(PATH_METADATA_KEY)).and_then(Json::as_str) {
                    flat.paths.insert((stack_id.to_string(), id.clone()), path.to_string());
                }
            }
            flat.items.insert(PathKey::new(stack_id, section, &id, ""), item);
        }
    }
}

/// Adds one stack's template to `flat`, normalized with `norm`.
pub fn flatten_stack(flat: &mut Flat, norm: &Normalizer, stack_id: &str, stack_name: &str, template: &Json) {
    flat.normalizer = norm.clone();
    add_stack(flat, stack_id, stack_name, template.clone());
}

fn normalizer_of(env: &EnvArtifact) -> Normalizer {
    Normalizer::new(&env.settings.name, &env.settings.account, &env.settings.region)
}

/// All stacks of a synthesized environment.
pub fn flatten_env(env: &EnvArtifact) -> Flat {
    let mut flat = Flat {
        normalizer: normalizer_of(env),
        ..Default::default()
    };
    for s in &env.stacks {
        add_stack(&mut flat, &s.id, &s.name, s.template.clone());
    }
    flat
}

/// All stacks of a synthesized environment, consuming it (no copy of the templates).
pub fn flatten_variant(env: EnvArtifact) -> Flat {
    let mut flat = Flat {
        normalizer: normalizer_of(&env),
        ..Default::default()
    };
    for s in env.stacks {
        add_stack(&mut flat, &s.id, &s.name, s.template);
    }
    flat
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalizes_whole_tokens_only() {
        let n = Normalizer::new("prod", "123456789012", "us-east-1");
        assert_eq!(n.string("shop-prod-data:ExportsOutputRefX"), "shop-{env}-data:ExportsOutputRefX");
        assert_eq!(n.string("prod"), "{env}");
        assert_eq!(n.string("production"), "production");
        assert_eq!(n.string("reprod/prod.x"), "reprod/{env}.x");
        assert_eq!(
            n.string("arn:aws:sqs:us-east-1:123456789012:shop-prod-jobs"),
            "arn:aws:sqs:{region}:{account}:shop-{env}-jobs"
        );
        assert_eq!(n.string("us-east-1a"), "us-east-1a");
        assert_eq!(n.string("prodprod-prod"), "prodprod-{env}");
    }

    #[test]
    fn flattens_properties_tags_and_intrinsics() {
        let t = json!({
            "Description": "x (prod environment)",
            "Resources": {
                "Q": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {
                        "VisibilityTimeout": 30,
                        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["D", "Arn"]}, "maxReceiveCount": 3},
                        "Tags": [{"Key": "Environment", "Value": "prod"}, {"Key": "Team", "Value": "a"}],
                        "List": [1, 2]
                    },
                    "DeletionPolicy": "Retain",
                    "Metadata": {"cairn:path": "data/Q/Resource"}
                }
            },
            "Outputs": {"O": {"Value": {"Ref": "Q"}, "Export": {"Name": "shop-prod-data:O"}}}
        });
        let mut flat = Flat::default();
        flatten_stack(&mut flat, &Normalizer::new("prod", "1", "r"), "data", "shop-prod-data", &t);
        let get = |s: Section, id: &str, p: &str| flat.get(&PathKey::new("data", s, id, p)).map(|l| l.norm.clone());
        assert_eq!(get(Section::Stack, "", ""), Some(json!("shop-{env}-data")));
        assert_eq!(get(Section::Template, "Description", ""), Some(json!("x ({env} environment)")));
        assert_eq!(get(Section::Resources, "Q", ""), Some(json!("AWS::SQS::Queue")));
        assert_eq!(get(Section::Resources, "Q", "Properties.VisibilityTimeout"), Some(json!(30)));
        assert_eq!(
            get(Section::Resources, "Q", "Properties.RedrivePolicy.deadLetterTargetArn"),
            Some(json!({"Fn::GetAtt": ["D", "Arn"]}))
        );
        assert_eq!(get(Section::Resources, "Q", "Properties.Tags[Environment]"), Some(json!("{env}")));
        assert_eq!(get(Section::Resources, "Q", "Properties.Tags[Team]"), Some(json!("a")));
        assert_eq!(get(Section::Resources, "Q", "Properties.List[1]"), Some(json!(2)));
        assert_eq!(get(Section::Resources, "Q", "DeletionPolicy"), Some(json!("Retain")));
        assert_eq!(get(Section::Resources, "Q", "Metadata.cairn:path"), None);
        assert_eq!(get(Section::Outputs, "O", "Export.Name"), Some(json!("shop-{env}-data:O")));
        assert_eq!(
            flat.paths.get(&("data".into(), "Q".into())).map(String::as_str),
            Some("data/Q/Resource")
        );
    }

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
