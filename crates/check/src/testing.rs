//! Test helpers: environments made of hand-written templates.

use indexmap::IndexMap;
use serde_json::{json, Map, Value as Json};

use cairn_core::{EnvArtifact, StackArtifact};
use cairn_core::{EnvSettings, Suppression};

use crate::report::Report;
use crate::run::check_env;

/// A resource with its construct path in the metadata, as synthesis writes it.
pub fn r(kind: &str, path: &str, props: Json) -> Json {
    json!({ "Type": kind, "Properties": props, "Metadata": { "cairn:path": path } })
}

/// A stack `id` of `(logical id, resource)` pairs, with outputs.
pub fn stack_with(id: &str, resources: Vec<(&str, Json)>, outputs: Json) -> StackArtifact {
    let mut res = Map::new();
    let mut paths = IndexMap::new();
    for (logical, body) in resources {
        if let Some(p) = body.pointer("/Metadata/cairn:path").and_then(Json::as_str) {
            paths.insert(logical.to_string(), p.to_string());
        }
        res.insert(logical.to_string(), body);
    }
    let mut template = json!({ "AWSTemplateFormatVersion": "2010-09-09", "Resources": res });
    if outputs.as_object().is_some_and(|o| !o.is_empty()) {
        template["Outputs"] = outputs;
    }
    StackArtifact {
        id: id.to_string(),
        name: format!("app-test-{id}"),
        body: serde_json::to_string_pretty(&template).unwrap_or_default(),
        template,
        depends_on: Vec::new(),
        paths,
        suppressions: Vec::new(),
    }
}

pub fn stack(id: &str, resources: Vec<(&str, Json)>) -> StackArtifact {
    stack_with(id, resources, json!({}))
}

pub fn env_of(retain_data: bool, stacks: Vec<StackArtifact>) -> EnvArtifact {
    EnvArtifact {
        app: "app".into(),
        settings: EnvSettings {
            name: "test".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            retain_data,
            require_approval: false,
            tags: IndexMap::new(),
        },
        stacks,
    }
}

/// Checks one stack `data` of these resources.
pub fn check(retain_data: bool, resources: Vec<(&str, Json)>) -> Report {
    check_env(&env_of(retain_data, vec![stack("data", resources)])).expect("no suppression errors")
}

/// Paths of active findings of `rule`.
pub fn hits(report: &Report, rule: &str) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.rule == rule && f.is_active())
        .map(|f| f.path.clone())
        .collect()
}

/// Every active finding as `RULE path`, to assert that a compliant template has none.
pub fn all(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.is_active())
        .map(|f| format!("{} {}: {}", f.rule, f.path, f.message))
        .collect()
}

pub fn suppression(rule: &str, path: &str) -> Suppression {
    Suppression {
        rule: rule.into(),
        reason: "reviewed: does not apply here".into(),
        path: path.into(),
    }
}
