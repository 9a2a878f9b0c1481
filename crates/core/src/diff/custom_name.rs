//! Replacements of resources with a fixed physical name. CloudFormation creates the
//! new resource before it deletes the old one, so both would need the same name: it
//! refuses ("CloudFormation cannot update a stack when a custom-named resource
//! requires replacing. Rename X and update the stack again."). Which property is the
//! name comes from the schema facts (`name_property`).

use serde_json::Value as Json;

use super::canonical::canon_eq;
use super::warnings::{Warning, WarningKind};
use super::{Action, Replacement, ResourceChange};
use crate::schema;

/// Warnings for the (possibly) replaced resources among `changes` whose name is set and unchanged.
pub fn warnings(changes: &[ResourceChange]) -> Vec<Warning> {
    changes.iter().filter_map(warning).collect()
}

fn warning(r: &ResourceChange) -> Option<Warning> {
    if r.action != Action::Modify || !r.replacement.replaces() {
        return None;
    }
    let property = schema::resource_type(&r.resource_type)?.name_property?;
    let name = |side: &Option<Json>| side.as_ref()?.get("Properties")?.get(property).cloned();
    let (old, new) = (name(&r.old)?, name(&r.new)?);
    if !canon_eq(&old, &new) {
        // A new name: the new resource does not clash with the old one.
        return None;
    }
    let shown = match &new {
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
