//! [`Template`]: one synthesized CloudFormation template and the assertions on it.

use cairn_core::{Assembly, StackArtifact};
use serde_json::{json, Map, Value as Json};

use crate::matcher::{show, Match, Mismatch};

/// A synthesized template under test, with assertions that panic with a readable message
/// (the AWS CDK's `Template`).
///
/// Expected values match object-like (see [`Match`]): every expected key must be there and
/// match, other keys are ignored.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    json: Json,
}

impl Template {
    /// The template of one synthesized stack.
    pub fn from_stack(stack: &StackArtifact) -> Template {
        Template::from_json(&stack.name, stack.template.clone())
    }

    /// The template of stack `stack` (its id, `data`, or its name, `shop-prod-data`) of
    /// environment `env` in `assembly`. Panics, naming what exists, when either is not there.
    pub fn from_assembly(assembly: &Assembly, env: &str, stack: &str) -> Template {
        let Some(environment) = assembly.environments.iter().find(|e| e.settings.name == env) else {
            let known: Vec<&str> = assembly.environments.iter().map(|e| e.settings.name.as_str()).collect();
            panic!("no environment `{env}` in the synthesized assembly; it has: {}", list(&known));
        };
        let Some(artifact) = environment.stack(stack) else {
            let known: Vec<&str> = environment.stacks.iter().map(|s| s.id.as_str()).collect();
            panic!("no stack `{stack}` in environment `{env}`; it has: {}", list(&known));
        };
        Template::from_stack(artifact)
    }

    /// A template given as JSON; `name` is how failure messages call it.
    pub fn from_json(name: &str, json: Json) -> Template {
        Template {
            name: name.to_string(),
            json,
        }
    }

    /// The name failure messages use (the stack name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole template.
    pub fn json(&self) -> &Json {
        &self.json
    }

    fn section(&self, section: &str) -> Option<&Map<String, Json>> {
        self.json.get(section).and_then(Json::as_object)
    }

    fn resources(&self) -> impl Iterator<Item = (&String, &Json)> {
        self.section("Resources").into_iter().flatten()
    }

    /// The logical IDs of every resource, in template order.
    pub fn logical_ids(&self) -> Vec<String> {
        self.resources().map(|(id, _)| id.clone()).collect()
    }

    /// Resource `logical_id` (its `Type`, `Properties`…). Panics when there is none.
    pub fn resource(&self, logical_id: &str) -> &Json {
        match self.section("Resources").and_then(|r| r.get(logical_id)) {
            Some(resource) => resource,
            None => {
                let ids = self.logical_ids();
                panic!(
                    "{}: no resource `{logical_id}`{}",
                    self.name,
                    closest_name(logical_id, ids.iter().map(String::as_str))
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default()
                )
            }
        }
    }

    fn of_type<'a>(&'a self, resource_type: &'a str) -> impl Iterator<Item = (&'a String, &'a Json)> + 'a {
        self.resources()
            .filter(move |(_, r)| r.get("Type").and_then(Json::as_str) == Some(resource_type))
    }

    /// `(logical ID, resource)` of every resource of `resource_type` whose `Properties`
    /// match `properties` (`json!({})` for all of them).
    pub fn find_resources(&self, resource_type: &str, properties: Json) -> Vec<(String, Json)> {
        let expected = json!({ "Properties": properties });
        self.of_type(resource_type)
            .filter(|(_, r)| Match::check(&expected, &with_properties(r)).is_ok())
            .map(|(id, r)| (id.clone(), r.clone()))
            .collect()
    }

    /// `(output ID, output)` of every output matching `expected`.
    pub fn find_outputs(&self, expected: Json) -> Vec<(String, Json)> {
        self.section("Outputs")
            .into_iter()
            .flatten()
            .filter(|(_, o)| Match::check(&expected, o).is_ok())
            .map(|(id, o)| (id.clone(), o.clone()))
            .collect()
    }

    /// Asserts that exactly `count` resources of `resource_type` exist.
    pub fn resource_count_is(&self, resource_type: &str, count: usize) {
        let found = self.of_type(resource_type).count();
        if found != count {
            panic!(
                "{}: expected {count} resource(s) of type {resource_type}, found {found}{}",
                self.name,
                if found == 0 { self.type_hint(resource_type) } else { String::new() }
            );
        }
    }

    /// Asserts that exactly `count` resources of `resource_type` have `Properties` matching `properties`.
    pub fn resource_properties_count_is(&self, resource_type: &str, properties: Json, count: usize) {
        let found = self.find_resources(resource_type, properties.clone()).len();
        if found != count {
            panic!(
                "{}: expected {count} resource(s) of type {resource_type} with properties {}, found {found}",
                self.name,
                show(&properties)
            );
        }
    }

    /// Asserts that some resource of `resource_type` has `Properties` matching `properties`.
    pub fn has_resource_properties(&self, resource_type: &str, properties: Json) {
        self.has_resource(resource_type, json!({ "Properties": properties }));
    }

    /// Asserts that some resource of `resource_type` matches `expected` as a whole
    /// (`Properties`, `DeletionPolicy`, `DependsOn`…).
    ///
    /// The failure message shows the candidate with the fewest differences and each
    /// differing path.
    pub fn has_resource(&self, resource_type: &str, expected: Json) {
        let mut closest: Option<(&String, Vec<Mismatch>)> = None;
        let mut candidates = 0;
        for (id, resource) in self.of_type(resource_type) {
            candidates += 1;
            match Match::check(&expected, &with_properties(resource)) {
                Ok(()) => return,
                Err(diffs) => {
                    if closest.as_ref().is_none_or(|(_, best)| diffs.len() < best.len()) {
                        closest = Some((id, diffs));
                    }
                }
            }
        }
        let Some((id, diffs)) = closest else {
            panic!(
                "{}: no resource of type {resource_type}{}",
                self.name,
                self.type_hint(resource_type)
            );
        };
        panic!(
            "{}: no {resource_type} matches (of {candidates} candidate(s)); the closest is `{id}`, which differs at:\n{}\nexpected:\n{}",
            self.name,
            lines(&diffs),
            pretty(&expected)
        );
    }

    /// Asserts that every resource of `resource_type` has `Properties` matching
    /// `properties` (e.g. every security group rule has a description); at least one must exist.
    pub fn all_resources_properties(&self, resource_type: &str, properties: Json) {
        self.all_resources(resource_type, json!({ "Properties": properties }));
    }

    /// Asserts that every resource of `resource_type` matches `expected` as a whole
    /// (e.g. every queue has `"DeletionPolicy": "Retain"`); at least one must exist.
    pub fn all_resources(&self, resource_type: &str, expected: Json) {
        let mut any = false;
        for (id, resource) in self.of_type(resource_type) {
            any = true;
            if let Err(diffs) = Match::check(&expected, &with_properties(resource)) {
                panic!("{}: `{id}` ({resource_type}) differs at:\n{}", self.name, lines(&diffs));
            }
        }
        if !any {
            panic!(
                "{}: no resource of type {resource_type}{}",
                self.name,
                self.type_hint(resource_type)
            );
        }
    }

    /// Asserts that output `output_id` exists and matches `expected` (`Value`, `Export`…).
    pub fn has_output(&self, output_id: &str, expected: Json) {
        let outputs = self.section("Outputs");
        let Some(output) = outputs.and_then(|o| o.get(output_id)) else {
            let names: Vec<&str> = outputs.into_iter().flatten().map(|(id, _)| id.as_str()).collect();
            panic!(
                "{}: no output `{output_id}`{}; the outputs are: {}",
                self.name,
                closest_name(output_id, names.iter().copied())
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default(),
                list(&names)
            );
        };
        if let Err(diffs) = Match::check(&expected, output) {
            panic!("{}: output `{output_id}` differs at:\n{}", self.name, lines(&diffs));
        }
    }

    /// Asserts that the whole template matches `expected` (object-like).
    pub fn template_matches(&self, expected: Json) {
        if let Err(diffs) = Match::check(&expected, &self.json) {
            panic!("{}: the template differs at:\n{}", self.name, lines(&diffs));
        }
    }

    /// Why a type was not found: the types the template has, and the closest name.
    fn type_hint(&self, resource_type: &str) -> String {
        let mut types: Vec<&str> = self.resources().filter_map(|(_, r)| r.get("Type").and_then(Json::as_str)).collect();
        types.sort_unstable();
        types.dedup();
        let guess = closest_name(resource_type, types.iter().copied())
            .map(|c| format!(" (did you mean {c}?)"))
            .unwrap_or_default();
        format!("{guess}; the template has: {}", list(&types))
    }
}

/// A resource with `Properties: {}` when it has none, so expected properties are compared
/// key by key rather than reported as one missing object.
fn with_properties(resource: &Json) -> Json {
    let mut resource = resource.clone();
    if let Some(map) = resource.as_object_mut() {
        map.entry("Properties").or_insert_with(|| json!({}));
    }
    resource
}

fn lines(diffs: &[Mismatch]) -> String {
    diffs.iter().map(|d| format!("  {d}")).collect::<Vec<_>>().join("\n")
}

fn pretty(value: &Json) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The name among `names` closest to `wanted` (case-insensitive edit distance at most a
/// third of its length, or 2), for "did you mean" hints.
fn closest_name<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let wanted_lower = wanted.to_lowercase();
    names
        .map(|n| (edit_distance(&wanted_lower, &n.to_lowercase()), n))
        .filter(|(d, _)| *d <= (wanted.chars().count() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, n)| n)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        Template::from_json(
            "t-dev-data",
            json!({
                "Resources": {
                    "Jobs": { "Type": "AWS::SQS::Queue", "Properties": { "SqsManagedSseEnabled": true, "MessageRetentionPeriod": 345600 } },
                    "JobsDlq": { "Type": "AWS::SQS::Queue", "Properties": { "SqsManagedSseEnabled": true, "MessageRetentionPeriod": 1209600 } },
                    "Topic": { "Type": "AWS::SNS::Topic" },
                    "Db": { "Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "Properties": { "StorageEncrypted": true } }
                },
                "Outputs": { "JobsUrl": { "Value": { "Ref": "Jobs" }, "Export": { "Name": "t-dev-jobs-url" } } }
            }),
        )
    }

    fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let err = std::panic::catch_unwind(f).expect_err("the assertion fails");
        err.downcast_ref::<String>().cloned().unwrap_or_default()
    }

    #[test]
    fn passing_assertions() {
        let t = template();
        t.has_resource_properties("AWS::SQS::Queue", json!({ "MessageRetentionPeriod": 1209600 }));
        t.has_resource_properties("AWS::SNS::Topic", json!({}));
        t.has_resource("AWS::RDS::DBInstance", json!({ "DeletionPolicy": "Snapshot" }));
        t.resource_count_is("AWS::SQS::Queue", 2);
        t.resource_count_is("AWS::S3::Bucket", 0);
        t.resource_properties_count_is("AWS::SQS::Queue", json!({ "SqsManagedSseEnabled": true }), 2);
        t.has_output("JobsUrl", json!({ "Export": { "Name": Match::string_like_regexp("-jobs-url$") } }));
        t.all_resources_properties("AWS::SQS::Queue", json!({ "SqsManagedSseEnabled": true }));
        assert_eq!(
            t.find_resources("AWS::SQS::Queue", json!({ "MessageRetentionPeriod": 345600 }))[0].0,
            "Jobs"
        );
        assert_eq!(t.find_outputs(json!({ "Value": { "Ref": "Jobs" } })).len(), 1);
        t.template_matches(json!({ "Resources": { "Topic": Match::any_value() } }));
    }

    #[test]
    fn a_failure_names_the_closest_candidate_and_the_differing_path() {
        let message = panic_message(|| template().has_resource_properties("AWS::SQS::Queue", json!({ "MessageRetentionPeriod": 1209601 })));
        assert!(
            message.starts_with("t-dev-data: no AWS::SQS::Queue matches (of 2 candidate(s)); the closest is `Jobs`"),
            "{message}"
        );
        assert!(
            message.contains("  /Properties/MessageRetentionPeriod: expected 1209601, found 345600"),
            "{message}"
        );

        // The closest is the one with fewer differences, not the first.
        let message = panic_message(|| {
            template().has_resource_properties(
                "AWS::SQS::Queue",
                json!({ "MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": false }),
            )
        });
        assert!(message.contains("the closest is `JobsDlq`"), "{message}");
    }

    #[test]
    fn a_missing_type_lists_the_types_and_guesses_a_typo() {
        let message = panic_message(|| template().has_resource_properties("AWS::SQS::Queeu", json!({})));
        assert!(
            message.contains("no resource of type AWS::SQS::Queeu (did you mean AWS::SQS::Queue?)"),
            "{message}"
        );
        assert!(
            message.contains("the template has: AWS::RDS::DBInstance, AWS::SNS::Topic, AWS::SQS::Queue"),
            "{message}"
        );
        let message = panic_message(|| template().resource_count_is("AWS::SNS::Topic", 2));
        assert_eq!(message, "t-dev-data: expected 2 resource(s) of type AWS::SNS::Topic, found 1");
    }

    #[test]
    fn outputs_and_resources_by_name() {
        let message = panic_message(|| template().has_output("JobUrl", json!({})));
        assert!(message.contains("no output `JobUrl` (did you mean `JobsUrl`?)"), "{message}");
        let message = panic_message(|| template().has_output("JobsUrl", json!({ "Export": Match::absent() })));
        assert!(message.contains("/Export: expected nothing (absent)"), "{message}");
        assert_eq!(template().resource("Db")["DeletionPolicy"], "Snapshot");
        let message = panic_message(|| {
            template().resource("Jbos");
        });
        assert!(message.contains("did you mean `Jobs`?"), "{message}");
    }

    #[test]
    fn every_resource_must_match_and_one_must_exist() {
        let message = panic_message(|| template().all_resources_properties("AWS::SQS::Queue", json!({ "MessageRetentionPeriod": 345600 })));
        assert!(message.contains("`JobsDlq` (AWS::SQS::Queue) differs at:"), "{message}");
        let message = panic_message(|| template().all_resources_properties("AWS::S3::Bucket", json!({})));
        assert!(message.contains("no resource of type AWS::S3::Bucket"), "{message}");
        // Whole resources: policies outside `Properties`.
        template().all_resources("AWS::RDS::DBInstance", json!({ "DeletionPolicy": "Snapshot" }));
        let message = panic_message(|| template().all_resources("AWS::SQS::Queue", json!({ "DeletionPolicy": "Retain" })));
        assert!(
            message.contains("`Jobs` (AWS::SQS::Queue) differs at:\n  /DeletionPolicy: expected \"Retain\", found nothing"),
            "{message}"
        );
    }
}
