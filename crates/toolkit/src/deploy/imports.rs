//! Imports an endpoint's export registry cannot serve, written as values (moto).
//!
//! moto 5 registers a stack's exports only when CreateStack creates the stack: an update
//! (UpdateStack or ExecuteChangeSet) that adds an export or changes its value leaves the
//! registry without it or with the old value, and every stack importing it then fails
//! (`No export named … found`) or gets the old value. For those imports alone, the
//! template sent to moto carries the exporting stack's current output value instead of
//! `Fn::ImportValue`; imports the registry serves correctly stay as they are.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

/// The export names a template imports with a literal `{"Fn::ImportValue": "name"}`.
pub fn imported_names(template: &Json) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    collect(template, &mut names);
    names
}

fn collect(v: &Json, names: &mut BTreeSet<String>) {
    match v {
        Json::Object(m) => {
            if let (1, Some(Json::String(name))) = (m.len(), m.get("Fn::ImportValue")) {
                names.insert(name.clone());
                return;
            }
            m.values().for_each(|x| collect(x, names));
        }
        Json::Array(a) => a.iter().for_each(|x| collect(x, names)),
        _ => {}
    }
}

/// The imports of `wanted` whose `current` value the `registry` lacks or holds differently.
pub fn unserved(
    wanted: &BTreeSet<String>,
    registry: &BTreeMap<String, String>,
    current: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    wanted
        .iter()
        .filter_map(|n| current.get(n).map(|v| (n, v)))
        .filter(|(n, v)| registry.get(*n) != Some(*v))
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect()
}

/// `template` with each `{"Fn::ImportValue": name}` of `values` replaced by its value.
pub fn write_values(template: &Json, values: &BTreeMap<String, String>) -> Json {
    match template {
        Json::Object(m) => {
            if let (1, Some(Json::String(name))) = (m.len(), m.get("Fn::ImportValue")) {
                if let Some(v) = values.get(name) {
                    return Json::String(v.clone());
                }
            }
            Json::Object(m.iter().map(|(k, x)| (k.clone(), write_values(x, values))).collect())
        }
        Json::Array(a) => Json::Array(a.iter().map(|x| write_values(x, values)).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_imports_the_registry_lacks_or_holds_stale_are_written_as_values() {
        let t = json!({"Resources": {"Policy": {"Properties": {"Statement": [
            {"Resource": {"Fn::ImportValue": "data:Old"}},
            {"Resource": {"Fn::ImportValue": "data:New"}},
            {"Resource": [{"Fn::ImportValue": "data:Changed"}, "*"]}
        ]}}}});
        let names = imported_names(&t);
        assert_eq!(
            names.iter().map(String::as_str).collect::<Vec<_>>(),
            ["data:Changed", "data:New", "data:Old"]
        );
        let registry: BTreeMap<String, String> = [("data:Old", "arn:old"), ("data:Changed", "arn:before")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let current: BTreeMap<String, String> = [("data:Old", "arn:old"), ("data:New", "arn:new"), ("data:Changed", "arn:after")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let values = unserved(&names, &registry, &current);
        assert_eq!(values.keys().map(String::as_str).collect::<Vec<_>>(), ["data:Changed", "data:New"]);
        let written = write_values(&t, &values);
        let s = &written["Resources"]["Policy"]["Properties"]["Statement"];
        assert_eq!(s[0]["Resource"], json!({"Fn::ImportValue": "data:Old"}));
        assert_eq!(s[1]["Resource"], json!("arn:new"));
        assert_eq!(s[2]["Resource"], json!(["arn:after", "*"]));
    }
}
