//! Templates → leaves: every property of every resource (and output, parameter…)
//! as a (path → value) pair, with the environment's name, account id and region
//! replaced by `{env}`, `{account}` and `{region}` so that `shop-prod-data:Export`
//! and `shop-dev-data:Export` compare equal.

use serde_json::{Map, Value as Json};

use super::{Flat, Leaf, PathKey, Section};
use crate::synth::{EnvArtifact, PATH_METADATA_KEY};

/// Replaces an environment's identity inside strings.
#[derive(Debug, Clone)]
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
        needles.sort_by(|a, b| b.0.len().cmp(&a.0.len()));
        Normalizer { needles }
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

    pub fn json(&self, v: &Json) -> Json {
        match v {
            Json::String(s) => Json::String(self.string(s)),
            Json::Array(items) => Json::Array(items.iter().map(|i| self.json(i)).collect()),
            Json::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), self.json(v))).collect()),
            other => other.clone(),
        }
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

struct Walker<'a> {
    norm: &'a Normalizer,
    flat: &'a mut Flat,
    stack: &'a str,
    section: Section,
    id: &'a str,
}

impl Walker<'_> {
    fn emit(&mut self, property: String, raw: &Json) {
        let key = PathKey::new(self.stack, self.section, self.id, &property);
        self.flat.leaves.insert(
            key,
            Leaf {
                norm: self.norm.json(raw),
                raw: raw.clone(),
            },
        );
    }

    fn walk(&mut self, property: String, v: &Json) {
        if is_leaf(v) {
            self.emit(property, v);
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
            _ => self.emit(property, v),
        }
    }
}

/// Adds one stack's template to `flat`.
pub fn flatten_stack(flat: &mut Flat, norm: &Normalizer, stack_id: &str, stack_name: &str, template: &Json) {
    flat.stacks.push(stack_id.to_string());
    flat.stack_names.insert(stack_id.to_string(), stack_name.to_string());
    let mut w = Walker {
        norm,
        flat,
        stack: stack_id,
        section: Section::Stack,
        id: "",
    };
    w.emit(String::new(), &Json::String(stack_name.to_string()));
    let empty = Map::new();
    for (key, value) in template.as_object().unwrap_or(&empty) {
        let section = match key.as_str() {
            "Resources" => Section::Resources,
            "Outputs" => Section::Outputs,
            "Parameters" => Section::Parameters,
            "Conditions" => Section::Conditions,
            _ => {
                w.section = Section::Template;
                w.id = key;
                w.walk(String::new(), value);
                continue;
            }
        };
        w.section = section;
        for (id, item) in value.as_object().unwrap_or(&empty) {
            w.id = id;
            match section {
                Section::Resources => {
                    let obj = item.as_object().unwrap_or(&empty);
                    w.emit(String::new(), obj.get("Type").unwrap_or(&Json::Null));
                    for (attr, v) in obj {
                        match attr.as_str() {
                            "Type" => {}
                            "Metadata" => {
                                if let Some(path) = v.get(PATH_METADATA_KEY).and_then(Json::as_str) {
                                    w.flat.paths.insert((stack_id.to_string(), id.clone()), path.to_string());
                                }
                                for (mk, mv) in v.as_object().unwrap_or(&empty) {
                                    if mk != PATH_METADATA_KEY {
                                        w.walk(format!("Metadata.{mk}"), mv);
                                    }
                                }
                            }
                            _ => w.walk(attr.clone(), v),
                        }
                    }
                }
                Section::Conditions => w.emit(String::new(), item),
                Section::Parameters => {
                    let obj = item.as_object().unwrap_or(&empty);
                    w.emit(String::new(), obj.get("Type").unwrap_or(&Json::Null));
                    for (attr, v) in obj {
                        if attr != "Type" {
                            w.walk(attr.clone(), v);
                        }
                    }
                }
                _ => {
                    w.emit(String::new(), &Json::String("Output".into()));
                    for (attr, v) in item.as_object().unwrap_or(&empty) {
                        w.walk(attr.clone(), v);
                    }
                }
            }
        }
    }
}

/// All stacks of a synthesized environment.
pub fn flatten_env(env: &EnvArtifact) -> Flat {
    let norm = Normalizer::new(&env.settings.name, &env.settings.account, &env.settings.region);
    let mut flat = Flat::default();
    for s in &env.stacks {
        flatten_stack(&mut flat, &norm, &s.id, &s.name, &s.template);
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
}
