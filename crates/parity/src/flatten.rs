//! Templates → a [`Flat`]: every stack's resources, outputs, parameters and
//! conditions as items keyed by [`PathKey`], with the construct path of each
//! resource and the environment's [`Normalizer`].

use cairn_core::metadata;
use cairn_core::{EnvArtifact, StackArtifact};
use serde_json::Value as Json;

use crate::{Flat, Normalizer, PathKey, Section};

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
                if let Some(path) = item.get("Metadata").and_then(|m| m.get(metadata::PATH)).and_then(Json::as_str) {
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

/// The stacks `(id, name, template)` of the environment `norm` normalizes.
fn flatten_stacks<'a>(norm: Normalizer, stacks: impl Iterator<Item = (&'a str, &'a str, Json)>) -> Flat {
    let mut flat = Flat {
        normalizer: norm,
        ..Default::default()
    };
    for (id, name, template) in stacks {
        add_stack(&mut flat, id, name, template);
    }
    flat
}

/// All stacks of a synthesized environment.
pub fn flatten_env(env: &EnvArtifact) -> Flat {
    flatten_stacks(
        normalizer_of(env),
        env.stacks.iter().map(|s| (&*s.id, &*s.name, s.template.clone())),
    )
}

/// All stacks of a synthesized environment, consuming it (no copy of the templates).
pub fn flatten_variant(mut env: EnvArtifact) -> Flat {
    flatten_taking(&mut env)
}

/// All stacks of a synthesized environment, taking each stack's template (left as
/// `null`; the file text, `body`, stays): for a caller done with the templates as JSON
/// but still writing the files, without a copy of the templates.
pub fn flatten_taking(env: &mut EnvArtifact) -> Flat {
    let norm = normalizer_of(env);
    let stacks = env.stacks.iter_mut().map(|s| {
        let StackArtifact { id, name, template, .. } = s;
        (&**id, &**name, std::mem::take(template))
    });
    flatten_stacks(norm, stacks)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
