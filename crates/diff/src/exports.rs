//! Exports in use that a deploy would remove or change. CloudFormation refuses to
//! update a stack that would remove an export another stack imports (renaming a
//! construct changes its logical ID, and so its export name), and equally one that
//! would change such an export's value ("Cannot update export ... as it is in use
//! by ..."), which happens when the value expression changes or when the resource it
//! refers to is replaced. Needs every stack of the environment, not only the ones compared.

use serde_json::Value as Json;

use crate::canonical::{canon_eq, referenced_ids};
use crate::warnings::{Warning, WarningKind};
use crate::{Replacement, ResourceChange, StackDiff};

/// One stack of an environment, on both sides of a comparison.
#[derive(Debug, Clone, Copy)]
pub struct StackSides<'a> {
    /// The stack's name.
    pub stack: &'a str,
    /// Its template before (None: no stack).
    pub old: Option<&'a Json>,
    /// Its template after (None: no stack).
    pub new: Option<&'a Json>,
}

/// Adds a blocking warning to the producer's diff in `diffs` for every export that
/// a stack of `environment` removes or changes while another of its stacks imports it
/// (in its old or its new template: the importer is updated after the producer).
pub fn flag_exports_in_use(diffs: &mut [StackDiff], environment: &str, stacks: &[StackSides]) {
    for producer in stacks {
        let new_exports = exports(producer.new);
        for (output_id, name, output) in exports(producer.old) {
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
            let warning = match new_exports.iter().find(|(_, n, _)| *n == name) {
                None => removed(producer, output_id, name, output, &importers),
                Some((_, _, new_output)) => {
                    let Some(change) = value_change(output, new_output, &diff.diff.resources) else {
                        continue;
                    };
                    changed(producer, output_id, name, output, &importers, &change)
                }
            };
            diff.diff.warnings.push(warning);
        }
    }
}

/// How an export's value changes: its expression differs, or a resource it refers to
/// is (or may be) replaced and so gets a new name, ARN or endpoint.
struct ValueChange {
    reason: String,
    /// `changes` or `may change`.
    verb: &'static str,
    /// The replaced resource behind it, if that is the cause.
    replaced: Option<String>,
}

fn value_change(old: &Json, new: &Json, resources: &[ResourceChange]) -> Option<ValueChange> {
    let (ov, nv) = (old.get("Value")?, new.get("Value")?);
    if !canon_eq(ov, nv) {
        return Some(ValueChange {
            reason: format!("its value changes from {} to {}", compact(ov), compact(nv)),
            verb: "changes",
            replaced: None,
        });
    }
    let refs = referenced_ids(nv);
    let (r, how) = resources
        .iter()
        .filter(|r| refs.contains(&r.logical_id) && r.replacement.replaces())
        .map(|r| (r, r.replacement))
        .max_by_key(|(_, k)| *k)?;
    let certain = how == Replacement::Always;
    Some(ValueChange {
        reason: format!(
            "it refers to {}{}, which {}",
            r.logical_id,
            r.path.as_deref().map(|p| format!(" ({p})")).unwrap_or_default(),
            if certain { "is replaced" } else { "may be replaced" }
        ),
        verb: if certain { "changes" } else { "may change" },
        replaced: Some(r.logical_id.clone()),
    })
}

fn compact(v: &Json) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn changed(producer: &StackSides, output_id: &str, name: &str, output: &Json, importers: &[&str], change: &ValueChange) -> Warning {
    let (path, what) = source(producer, output);
    let avoid = match &change.replaced {
        Some(id) => format!("avoid replacing {id} (keep the properties that force it)"),
        None => "keep the export's value".to_string(),
    };
    Warning {
        kind: WarningKind::ExportChangedInUse,
        logical_id: output_id.to_string(),
        resource_type: None,
        path,
        message: format!(
            "export `{name}`{what} {}: {}, but {} import{} it: CloudFormation refuses to update an export in use, so the deploy of {} fails",
            change.verb,
            change.reason,
            importers.join(", "),
            if importers.len() == 1 { "s" } else { "" },
            producer.stack
        ),
        fix: format!(
            "{avoid}; or first deploy {} without the import (e.g. a literal value or a parameter), then this change, then import again",
            importers.join(", ")
        ),
        blocking: true,
    }
}

/// The construct path of the resource behind an export, and ` (of path, id)` to name it.
fn source<'a>(producer: &StackSides<'a>, output: &'a Json) -> (Option<String>, String) {
    let source = output.get("Value").and_then(referenced_resource);
    let resource = source.and_then(|id| producer.old?.get("Resources")?.get(id));
    let path = resource.and_then(crate::construct_path);
    let what = match (&path, source) {
        (Some(p), Some(id)) => format!(" (of {p}, {id})"),
        (None, Some(id)) => format!(" (of {id})"),
        _ => String::new(),
    };
    (path, what)
}

fn removed(producer: &StackSides, output_id: &str, name: &str, output: &Json, importers: &[&str]) -> Warning {
    let (path, what) = source(producer, output);
    let logical_id = output.get("Value").and_then(referenced_resource);
    let new_path = logical_id.and_then(|id| renamed_to(producer, id));
    let fix = fix(path.as_deref(), new_path.as_deref(), logical_id, importers);
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

/// The construct path of the one resource the new template adds with the old resource's
/// type: the likely new name of a renamed construct. None when there is not exactly one.
fn renamed_to(producer: &StackSides, old_id: &str) -> Option<String> {
    let old = producer.old?.get("Resources")?.as_object()?;
    let old_type = old.get(old_id)?.get("Type")?;
    let new = producer.new?.get("Resources")?.as_object()?;
    let mut added = new
        .iter()
        .filter(|(id, r)| !old.contains_key(id.as_str()) && r.get("Type") == Some(old_type));
    let (_, only) = added.next()?;
    if added.next().is_some() {
        return None;
    }
    crate::construct_path(only)
}

/// A construct path without its stack (`data/Orders/Resource` → `Orders/Resource`).
fn inside_stack(path: &str) -> Option<&str> {
    Some(path.split_once('/')?.1)
}

/// The renamed construct's old and new paths: the two paths without the segments they
/// end with in common (`Jobs/DeadLetterQueue`, `JobQueue/DeadLetterQueue` → `Jobs`, `JobQueue`).
fn renamed_part<'a>(old: &'a str, new: &'a str) -> Option<(String, String)> {
    let (old, new): (Vec<&str>, Vec<&str>) = (old.split('/').collect(), new.split('/').collect());
    let common = old.iter().rev().zip(new.iter().rev()).take_while(|(a, b)| a == b).count();
    let (old, new) = (&old[..old.len() - common], &new[..new.len() - common]);
    if old.is_empty() || new.is_empty() {
        return None;
    }
    Some((old.join("/"), new.join("/")))
}

/// Keep the renamed construct's IDs (named from its old path when known, and from its new
/// path when the new template adds exactly one resource of the same type), or drop the import first.
fn fix(path: Option<&str>, new_path: Option<&str>, logical_id: Option<&str>, importers: &[&str]) -> String {
    let old_inner = path.and_then(inside_stack);
    let new_inner = new_path.and_then(inside_stack);
    let keep = match (old_inner, logical_id) {
        (Some(old), Some(id)) => {
            // `Orders/Resource` is the construct `Orders`; a queue's `Jobs/DeadLetterQueue` is itself the resource.
            let construct = old.strip_suffix("/Resource").unwrap_or(old);
            let (keep_new, keep_old, resource_new) = match new_inner.and_then(|new| Some((new, renamed_part(old, new)?))) {
                Some((new, (old_part, new_part))) => (new_part, old_part, new.to_string()),
                None => {
                    let suffix = if construct.len() < old.len() { "/Resource" } else { "" };
                    ("<new path>".to_string(), construct.to_string(), format!("<new path>{suffix}"))
                }
            };
            format!("`Stack::keep_logical_ids(\"{keep_new}\", \"{keep_old}\")` (it keeps the names derived from the path too; `override_logical_id(\"{resource_new}\", \"{id}\")` keeps this one ID only)")
        }
        _ => "`Stack::keep_logical_ids(\"<new path>\", \"<old path>\")`".to_string(),
    };
    format!(
        "if the construct was renamed, keep its logical IDs with {keep} before creating it, so the export and the resource's names stay as they are; \
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
