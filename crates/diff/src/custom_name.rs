//! Replacements of resources with a fixed physical name. CloudFormation creates the
//! new resource before it deletes the old one, so both would need the same name: it
//! refuses ("CloudFormation cannot update a stack when a custom-named resource
//! requires replacing. Rename X and update the stack again."). Which property is the
//! name comes from the schema facts (`name_property`).

use serde_json::Value as Json;

use crate::canonical::canon_eq;
use crate::warnings::{Warning, WarningKind};
use crate::{Action, Replacement, ResourceChange};
use cairn_core::schema;

/// Warnings for the (possibly) replaced resources among `changes` whose name is set and
/// unchanged, and for a resource removed and added again under another logical ID (a
/// renamed construct) with the same fixed name.
pub fn warnings(changes: &[ResourceChange]) -> Vec<Warning> {
    let mut found: Vec<Warning> = changes.iter().filter_map(warning).collect();
    found.extend(changes.iter().filter_map(|added| moved_warning(added, changes)));
    found
}

/// The fixed name of a resource side, with the name property.
fn fixed_name<'a>(resource_type: &str, side: &'a Option<Json>) -> Option<(&'static str, &'a Json)> {
    let property = schema::resource_type(resource_type)?.name_property?;
    Some((property, side.as_ref()?.get("Properties")?.get(property)?))
}

/// `added` takes the fixed name of a resource of the same type that this change removes:
/// CloudFormation creates the new resource first, and the name is still taken.
fn moved_warning(added: &ResourceChange, changes: &[ResourceChange]) -> Option<Warning> {
    if added.action != Action::Add {
        return None;
    }
    let (property, name) = fixed_name(&added.resource_type, &added.new)?;
    let removed = changes.iter().find(|r| {
        r.action == Action::Remove
            && r.resource_type == added.resource_type
            && fixed_name(&r.resource_type, &r.old).is_some_and(|(_, old)| canon_eq(old, name))
    })?;
    let shown = match name {
        Json::String(s) => format!("`{s}`"),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    let paths = match (removed.path.as_deref(), added.path.as_deref()) {
        (Some(old), Some(new)) => format!(" (construct path {old} → {new})"),
        _ => String::new(),
    };
    Some(Warning {
        kind: WarningKind::CustomNameReplaced,
        logical_id: added.logical_id.clone(),
        resource_type: Some(added.resource_type.clone()),
        path: added.path.clone(),
        message: format!(
            "{} replaces {}{paths} under the same {property} {shown}: CloudFormation creates the new resource before it deletes the old one, so the create fails (the name is taken)",
            added.logical_id, removed.logical_id
        ),
        fix: format!(
            "if the construct was renamed, keep its logical IDs with `Stack::keep_logical_ids(\"<new path>\", \"<old path>\")` (or `override_logical_id(\"<new path>/Resource\", \"{}\")`) before creating it, so CloudFormation updates it in place; otherwise give the new resource another {property} (a new resource: a stateful one starts empty)",
            removed.logical_id
        ),
        blocking: true,
    })
}

fn warning(r: &ResourceChange) -> Option<Warning> {
    if r.action != Action::Modify || !r.replacement.replaces() {
        return None;
    }
    let (property, old) = fixed_name(&r.resource_type, &r.old)?;
    let (_, new) = fixed_name(&r.resource_type, &r.new)?;
    if !canon_eq(old, new) {
        // A new name: the new resource does not clash with the old one.
        return None;
    }
    let shown = match new {
        Json::String(s) => format!("`{s}`"),
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    let certain = r.replacement == Replacement::Always;
    let message = if certain {
        format!(
            "{} requires replacement, but its {property} {shown} is fixed: CloudFormation cannot replace a custom-named resource, so the deploy fails",
            r.logical_id
        )
    } else {
        format!(
            "{} may require replacement, and its {property} {shown} is fixed: if CloudFormation replaces it, the deploy fails (it cannot replace a custom-named resource)",
            r.logical_id
        )
    };
    Some(Warning {
        kind: WarningKind::CustomNameReplaced,
        logical_id: r.logical_id.clone(),
        resource_type: Some(r.resource_type.clone()),
        path: r.path.clone(),
        message,
        fix: format!(
            "leave the properties that force the replacement as they are; or change {property} in the same deploy (a new resource under a new name: a stateful one starts empty)"
        ),
        blocking: certain,
    })
}
