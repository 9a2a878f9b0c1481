//! Exports removed while another stack still imports them. CloudFormation refuses
//! to update a stack that would remove an export in use, so renaming a construct
//! whose value another stack reads (its logical ID, and so its export name,
//! changes) fails the producer's deploy. Needs every stack of the environment,
//! not only the ones compared.

use serde_json::Value as Json;

use super::warnings::{Warning, WarningKind};
use super::StackDiff;

/// One stack of an environment, on both sides of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct StackSides<'a> {
    pub stack: &'a str,
    pub old: Option<&'a Json>,
    pub new: Option<&'a Json>,
}

/// Adds a blocking warning to the producer's diff in `diffs` for every export that
/// a stack of `environment` removes while another of its stacks imports it (in its
/// old or its new template: the importer is updated after the producer).
pub fn flag_removed_exports(diffs: &mut [StackDiff], environment: &str, stacks: &[StackSides]) {
    for producer in stacks {
        let new_exports = exports(producer.new);
        for (output_id, name, output) in exports(producer.old) {
            if new_exports.iter().any(|(_, n, _)| *n == name) {
                continue;
            }
            let importers: Vec<&str> = stacks
                .iter()
                .filter(|s| s.stack != producer.stack)
                .filter(|s| [s.old, s.new].into_iter().flatten().any(|t| imports(t, name)))
                .map(|s| s.stack)
                .collect();
            if importers.is_empty() {
                continue;
            }
            let Some(diff) = diffs.iter_mut().find(|d| d.environment == environment && d.stack == producer.stack) else {
                continue;
            };
            diff.diff.warnings.push(warning(producer, output_id, name, output, &importers));
        }
    }
}

fn warning(producer: &StackSides, output_id: &str, name: &str, output: &Json, importers: &[&str]) -> Warning {
    // The resource behind the export, to name its construct.
    let source = output.get("Value").and_then(referenced_resource);
    let resource = source.and_then(|id| producer.old?.get("Resources")?.get(id));
    let path = resource.and_then(super::construct_path);
    let what = match (&path, source) {
        (Some(p), Some(id)) => format!(" (of {p}, {id})"),
        (None, Some(id)) => format!(" (of {id})"),
        _ => String::new(),
    };
    let fix = fix(path.as_deref(), source, importers);
    Warning {
        kind: WarningKind::ExportStillImported,
        logical_id: output_id.to_string(),
        resource_type: None,
        path,
        message: format!(
            "export `{name}`{what} is removed, but {} still import{} it: CloudFormation refuses to update {} while the export is in use",
            importers.join(", "),
            if importers.len() == 1 { "s" } else { "" },
            producer.stack
        ),
        fix,
        blocking: true,
    }
}

/// Keep the renamed construct's IDs (named from its old path when known), or drop the import first.
fn fix(path: Option<&str>, logical_id: Option<&str>, importers: &[&str]) -> String {
    // `data/Orders/Resource` → the construct `Orders` inside the stack.
    let construct = path.and_then(|p| {
        let inner = p.split_once('/')?.1;
        Some(inner.strip_suffix("/Resource").unwrap_or(inner).to_string())
    });
    let keep = match (construct, logical_id) {
        (Some(c), Some(id)) => {
            format!("`Stack::keep_logical_ids(\"<new path>\", \"{c}\")` (or `override_logical_id(\"<new path>/Resource\", \"{id}\")`)")
        }
        _ => "`Stack::keep_logical_ids(\"<new path>\", \"<old path>\")`".to_string(),
    };
    format!(
        "if the construct was renamed, keep its logical IDs with {keep} before creating it, so the export keeps its name; \
         if it is really gone, first deploy {} without the import",
        importers.join(", ")
    )
}

/// `(output id, export name, output)` of the outputs with a literal export name.
fn exports(template: Option<&Json>) -> Vec<(&str, &str, &Json)> {
    let Some(outputs) = template.and_then(|t| t.get("Outputs")).and_then(Json::as_object) else {
        return Vec::new();
    };
    outputs
        .iter()
        .filter_map(|(id, o)| Some((id.as_str(), o.get("Export")?.get("Name")?.as_str()?, o)))
        .collect()
}

/// Whether `v` contains `Fn::ImportValue` of `name`.
fn imports(v: &Json, name: &str) -> bool {
    match v {
        Json::Object(m) => m.get("Fn::ImportValue").and_then(Json::as_str) == Some(name) || m.values().any(|x| imports(x, name)),
        Json::Array(a) => a.iter().any(|x| imports(x, name)),
        _ => false,
    }
}

/// The logical ID a `Ref` or `Fn::GetAtt` value points at.
fn referenced_resource(v: &Json) -> Option<&str> {
    if let Some(id) = v.get("Ref").and_then(Json::as_str) {
        return Some(id);
    }
    match v.get("Fn::GetAtt")? {
        Json::Array(a) => a.first()?.as_str(),
        Json::String(s) => s.split('.').next(),
        _ => None,
    }
}
