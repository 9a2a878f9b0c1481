//! Properties CloudFormation refuses to update at all: the documentation says the
//! update request fails, whatever the `UpdateReplacePolicy` (a KMS key's `KeySpec`,
//! `KeyUsage`, `Origin`, `MultiRegion`: a key is never replaced by accident). Which
//! properties comes from the schema facts (`update_fails`).

use crate::warnings::{Warning, WarningKind};
use crate::{Action, PathSegment, ResourceChange};
use cairn_core::schema;

/// One blocking warning per resource that changes such a property.
pub fn warnings(changes: &[ResourceChange]) -> Vec<Warning> {
    changes.iter().filter_map(warning).collect()
}

fn warning(r: &ResourceChange) -> Option<Warning> {
    if r.action != Action::Modify {
        return None;
    }
    let info = schema::resource_type(&r.resource_type)?;
    let mut changed: Vec<&str> = r
        .property_changes
        .iter()
        .filter(|c| c.attribute == "Properties")
        .filter_map(|c| match c.path.first() {
            Some(PathSegment::Key(k)) => info.update_fails().find(|p| p == k),
            _ => None,
        })
        .collect();
    changed.dedup();
    if changed.is_empty() {
        return None;
    }
    let list = changed.join(", ");
    Some(Warning {
        kind: WarningKind::UpdateFails,
        logical_id: r.logical_id.clone(),
        resource_type: Some(r.resource_type.clone()),
        path: r.path.clone(),
        message: format!(
            "{list} of an existing {} cannot change: CloudFormation fails the update (it neither updates nor replaces it)",
            r.resource_type
        ),
        fix: format!("keep {list} as deployed; for other values create a new resource (a new construct id) next to it and move to it"),
        blocking: true,
    })
}
