//! [`compare`]: two templates in, a [`TemplateDiff`] out. Resources are matched by
//! logical ID and compared attribute by attribute; the other sections item by item.

use serde_json::{Map, Value as Json};

use cairn_core::metadata;

use crate::{
    custom_name, engine, properties, replacement, security, update_fails, Action, ItemChange, PathSegment, PropertyChange, Replacement,
    ResourceChange, Section, SecurityImpact, TemplateDiff,
};

/// Compares two templates (JSON objects; an empty object stands for "no stack").
pub fn compare(old: &Json, new: &Json) -> TemplateDiff {
    let empty = Map::new();
    let old_res = old.get("Resources").and_then(Json::as_object).unwrap_or(&empty);
    let new_res = new.get("Resources").and_then(Json::as_object).unwrap_or(&empty);

    let mut resources = Vec::new();
    for (id, n) in new_res {
        match old_res.get(id) {
            None => resources.push(whole_resource(id, Action::Add, n)),
            Some(o) => {
                if let Some(change) = modified_resource(id, o, n) {
                    resources.push(change);
                }
            }
        }
    }
    for (id, o) in old_res {
        if !new_res.contains_key(id) {
            resources.push(whole_resource(id, Action::Remove, o));
        }
    }
    replacement::propagate(&mut resources, new_res);
    for r in &mut resources {
        r.risk = replacement::data_risk(r);
    }

    let security = security::diff(old_res, new_res);
    for r in &mut resources {
        let mine = security.iter().filter(|c| c.logical_id == r.logical_id);
        r.security_impact = mine.fold(SecurityImpact::None, |acc, c| {
            acc.max(if c.broadening {
                SecurityImpact::Broadening
            } else {
                SecurityImpact::Changed
            })
        });
    }

    let mut warnings = engine::warnings(&resources);
    warnings.extend(custom_name::warnings(&resources));
    warnings.extend(update_fails::warnings(&resources));
    TemplateDiff {
        resources,
        security,
        other: other_changes(old, new),
        warnings,
    }
}

/// `Metadata["cairn:path"]`.
pub fn construct_path(resource: &Json) -> Option<String> {
    resource.get("Metadata")?.get(metadata::PATH)?.as_str().map(str::to_string)
}

fn resource_type(resource: &Json) -> String {
    resource.get("Type").and_then(Json::as_str).unwrap_or("(no Type)").to_string()
}

/// The resource without the `cairn:path` metadata (and without an emptied `Metadata`).
pub(crate) fn without_path_metadata(resource: &Json) -> Json {
    let mut r = resource.clone();
    if let Some(obj) = r.as_object_mut() {
        let emptied = match obj.get_mut("Metadata").and_then(Json::as_object_mut) {
            Some(meta) => {
                meta.shift_remove(metadata::PATH);
                meta.is_empty()
            }
            None => false,
        };
        if emptied {
            obj.shift_remove("Metadata");
        }
    }
    r
}

fn whole_resource(id: &str, action: Action, resource: &Json) -> ResourceChange {
    let body = without_path_metadata(resource);
    ResourceChange {
        logical_id: id.to_string(),
        resource_type: resource_type(resource),
        path: construct_path(resource),
        action,
        property_changes: Vec::new(),
        replacement: Replacement::None,
        replacement_reasons: Vec::new(),
        security_impact: SecurityImpact::None,
        risk: None,
        old: (action == Action::Remove).then(|| body.clone()),
        new: (action == Action::Add).then_some(body),
    }
}

fn modified_resource(id: &str, old: &Json, new: &Json) -> Option<ResourceChange> {
    let (o, n) = (without_path_metadata(old), without_path_metadata(new));
    let empty = Map::new();
    let (om, nm) = (o.as_object().unwrap_or(&empty), n.as_object().unwrap_or(&empty));
    let mut changes = Vec::new();
    for key in keys_union(om, nm) {
        let (ov, nv) = (om.get(key), nm.get(key));
        match (ov, nv) {
            (Some(a), Some(b)) => {
                // `DependsOn: "A"` and `["A"]` mean the same, in any order.
                let ctx = if key == "DependsOn" {
                    properties::Ctx::ListOf
                } else {
                    properties::Ctx::Plain
                };
                changes.extend(properties::diff(a, b, ctx).into_iter().map(|c| c.under(key)));
            }
            (None, None) => {}
            (a, b) => changes.push(PropertyChange {
                attribute: key.to_string(),
                path: Vec::new(),
                action: if a.is_none() { Action::Add } else { Action::Remove },
                old: a.cloned(),
                new: b.cloned(),
                replacement: Replacement::None,
            }),
        }
    }
    if changes.is_empty() {
        return None;
    }
    let mut change = ResourceChange {
        logical_id: id.to_string(),
        resource_type: resource_type(new),
        path: construct_path(new).or_else(|| construct_path(old)),
        action: Action::Modify,
        property_changes: changes,
        replacement: Replacement::None,
        replacement_reasons: Vec::new(),
        security_impact: SecurityImpact::None,
        risk: None,
        old: Some(o),
        new: Some(n),
    };
    replacement::assess(&mut change);
    Some(change)
}

/// Keys of `new` in order, then keys only in `old`.
pub(crate) fn keys_union<'a>(old: &'a Map<String, Json>, new: &'a Map<String, Json>) -> Vec<&'a str> {
    let mut keys: Vec<&str> = new.keys().map(String::as_str).collect();
    keys.extend(old.keys().map(String::as_str).filter(|k| !new.contains_key(*k)));
    keys
}

fn other_changes(old: &Json, new: &Json) -> Vec<ItemChange> {
    let empty = Map::new();
    let mut out = Vec::new();
    for (section, key) in [
        (Section::Parameters, "Parameters"),
        (Section::Conditions, "Conditions"),
        (Section::Mappings, "Mappings"),
        (Section::Rules, "Rules"),
        (Section::Outputs, "Outputs"),
    ] {
        let om = old.get(key).and_then(Json::as_object).unwrap_or(&empty);
        let nm = new.get(key).and_then(Json::as_object).unwrap_or(&empty);
        for id in keys_union(om, nm) {
            if let Some(c) = item_change(section, id, om.get(id), nm.get(id)) {
                out.push(c);
            }
        }
    }
    // Template-level keys, except when a whole stack appears or disappears.
    let (om, nm) = (old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty));
    if !om.is_empty() && !nm.is_empty() {
        for key in ["AWSTemplateFormatVersion", "Description", "Transform", "Metadata"] {
            if let Some(c) = item_change(Section::Template, key, om.get(key), nm.get(key)) {
                out.push(c);
            }
        }
    }
    out
}

fn item_change(section: Section, id: &str, old: Option<&Json>, new: Option<&Json>) -> Option<ItemChange> {
    let (action, property_changes) = match (old, new) {
        (None, None) => return None,
        (None, Some(_)) => (Action::Add, Vec::new()),
        (Some(_), None) => (Action::Remove, Vec::new()),
        (Some(a), Some(b)) => {
            let changes = properties::diff(a, b, properties::Ctx::Plain);
            if changes.is_empty() {
                return None;
            }
            // Attribute = the item's first key (`Value`, `Export`), path = the rest.
            let changes = changes
                .into_iter()
                .map(|mut c| {
                    match c.path.first() {
                        Some(PathSegment::Key(k)) if a.is_object() && b.is_object() => {
                            c.attribute = k.clone();
                            c.path.remove(0);
                        }
                        _ => c.attribute = String::new(),
                    }
                    c
                })
                .collect();
            (Action::Modify, changes)
        }
    };
    Some(ItemChange {
        section,
        id: id.to_string(),
        action,
        property_changes,
        old: old.cloned(),
        new: new.cloned(),
    })
}
