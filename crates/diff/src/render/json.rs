//! JSON, documented in `docs/diff-json-schema.md`. Flat lists (`changes`,
//! `securityChanges`, `dataRisks`) with every entry carrying its environment,
//! stack, logical ID, type and construct path, so `jq` filters need no joins.
//! Fields are only ever added within a `schemaVersion`.

use serde_json::{json, Map, Value as Json};

use crate::change::path_string;
use crate::{DiffReport, ItemChange, PathSegment, PropertyChange, ResourceChange, SecurityChange, SecurityDetail, StackDiff, Summary};

/// Version of the JSON layout; bumped only for incompatible changes.
pub const SCHEMA_VERSION: u32 = 1;

pub fn render(report: &DiffReport) -> String {
    let doc = document(report);
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}")) + "\n"
}

/// The JSON document as a value.
pub fn document(report: &DiffReport) -> Json {
    let (source, date) = cairn_core::schema::provenance();
    let mut summary = summary_json(&report.summary());
    if let Some(m) = summary.as_object_mut() {
        m.insert("stacks".into(), json!(report.stacks.len()));
        m.insert("stacksChanged".into(), json!(report.changed().count()));
    }
    let mut changes = Vec::new();
    let mut security = Vec::new();
    let mut risks = Vec::new();
    let mut warnings = Vec::new();
    for s in &report.stacks {
        for w in &s.diff.warnings {
            let mut e = base(s, &w.logical_id, w.resource_type.as_deref(), w.path.as_deref());
            e.insert("kind".into(), json!(w.kind.as_str()));
            e.insert("blocking".into(), json!(w.blocking));
            e.insert("message".into(), json!(w.message));
            e.insert("fix".into(), json!(w.fix));
            warnings.push(Json::Object(e));
        }
        for r in &s.diff.resources {
            resource_entries(s, r, &mut changes);
            if let Some(risk) = &r.risk {
                let mut e = base(s, &r.logical_id, Some(&r.resource_type), r.path.as_deref());
                e.insert("cause".into(), json!(risk.cause.as_str()));
                e.insert("dataLoss".into(), json!(risk.data_loss()));
                e.insert("keptBy".into(), json!(risk.kept_by));
                e.insert("unknownType".into(), json!(risk.unknown_type));
                risks.push(Json::Object(e));
            }
        }
        for item in &s.diff.other {
            item_entries(s, item, &mut changes);
        }
        for c in &s.diff.security {
            security.push(security_entry(s, c));
        }
    }
    let mut doc = json!({
        "schemaVersion": SCHEMA_VERSION,
        "old": report.old_label,
        "new": report.new_label,
        "replacementFacts": {"source": source, "schemaDate": date},
        "summary": summary,
        "stacks": report.stacks.iter().map(|s| json!({
            "environment": s.environment,
            "stack": s.stack,
            "stackId": s.stack_id,
            "status": s.status.as_str(),
            "summary": summary_json(&s.diff.summary()),
        })).collect::<Vec<_>>(),
        "changes": changes,
        "securityChanges": security,
        "dataRisks": risks,
        "warnings": warnings,
    });
    // Only when there is something to say: documents without notes are unchanged.
    if !report.notes.is_empty() {
        if let Some(m) = doc.as_object_mut() {
            m.insert("notes".into(), json!(report.notes));
        }
    }
    doc
}

fn summary_json(s: &Summary) -> Json {
    json!({
        "add": s.add,
        "change": s.change,
        "replace": s.replace,
        "mayReplace": s.may_replace,
        "unknownReplace": s.unknown_replace,
        "destroy": s.destroy,
        "securityChanges": s.security,
        "broadening": s.broadening,
        "dataLossRisks": s.data_loss,
        "otherChanges": s.other,
        "warnings": s.warnings,
        "blocking": s.blocking,
    })
}

fn base(s: &StackDiff, id: &str, rtype: Option<&str>, path: Option<&str>) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("environment".into(), json!(s.environment));
    m.insert("stack".into(), json!(s.stack));
    m.insert("logicalId".into(), json!(id));
    m.insert("type".into(), json!(rtype));
    m.insert("constructPath".into(), json!(path));
    m
}

fn path_json(path: &[PathSegment]) -> Json {
    Json::Array(
        path.iter()
            .map(|p| match p {
                PathSegment::Key(k) => json!(k),
                PathSegment::Index(i) => json!(i),
            })
            .collect(),
    )
}

fn property_fields(e: &mut Map<String, Json>, c: Option<&PropertyChange>, display: Option<String>) {
    e.insert("propertyAction".into(), json!(c.map(|c| c.action.as_str())));
    e.insert("attribute".into(), json!(c.map(|c| c.attribute.clone()).filter(|a| !a.is_empty())));
    e.insert("propertyPath".into(), c.map(|c| path_json(&c.path)).unwrap_or(Json::Null));
    e.insert("path".into(), json!(display));
}

fn resource_entries(s: &StackDiff, r: &ResourceChange, out: &mut Vec<Json>) {
    let entry = |c: Option<&PropertyChange>| {
        let mut e = base(s, &r.logical_id, Some(&r.resource_type), r.path.as_deref());
        e.insert("kind".into(), json!("resource"));
        e.insert("action".into(), json!(r.action.as_str()));
        property_fields(&mut e, c, c.map(PropertyChange::display_path));
        let (old, new) = match c {
            Some(c) => (c.old.clone(), c.new.clone()),
            None => (r.old.clone(), r.new.clone()),
        };
        e.insert("old".into(), old.unwrap_or(Json::Null));
        e.insert("new".into(), new.unwrap_or(Json::Null));
        e.insert(
            "replacement".into(),
            json!(c.map(|c| c.replacement).unwrap_or(r.replacement).as_str()),
        );
        e.insert("resourceReplacement".into(), json!(r.replacement.as_str()));
        e.insert("replacementReasons".into(), json!(r.replacement_reasons));
        e.insert("securityImpact".into(), json!(r.security_impact.as_str()));
        e.insert("stateful".into(), json!(crate::replacement::is_stateful(&r.resource_type)));
        e.insert("dataLossRisk".into(), json!(r.risk.as_ref().is_some_and(|x| x.data_loss())));
        Json::Object(e)
    };
    if r.property_changes.is_empty() {
        out.push(entry(None));
    } else {
        out.extend(r.property_changes.iter().map(|c| entry(Some(c))));
    }
}

fn item_entries(s: &StackDiff, item: &ItemChange, out: &mut Vec<Json>) {
    let kind = match item.section {
        crate::Section::Outputs => "output",
        crate::Section::Parameters => "parameter",
        crate::Section::Conditions => "condition",
        crate::Section::Mappings => "mapping",
        crate::Section::Rules => "rule",
        crate::Section::Template => "template",
    };
    let entry = |c: Option<&PropertyChange>| {
        let mut e = base(s, &item.id, None, None);
        e.insert("kind".into(), json!(kind));
        e.insert("action".into(), json!(item.action.as_str()));
        let display = c.map(|c| {
            let inner = path_string(&c.path);
            match (c.attribute.is_empty(), inner.is_empty()) {
                (true, _) => inner,
                (false, _) => c.display_path(),
            }
        });
        property_fields(&mut e, c, display);
        let (old, new) = match c {
            Some(c) => (c.old.clone(), c.new.clone()),
            None => (item.old.clone(), item.new.clone()),
        };
        e.insert("old".into(), old.unwrap_or(Json::Null));
        e.insert("new".into(), new.unwrap_or(Json::Null));
        e.insert("replacement".into(), json!("none"));
        e.insert("resourceReplacement".into(), json!("none"));
        e.insert("replacementReasons".into(), json!([]));
        e.insert("securityImpact".into(), json!("none"));
        e.insert("stateful".into(), json!(false));
        e.insert("dataLossRisk".into(), json!(false));
        Json::Object(e)
    };
    if item.property_changes.is_empty() {
        out.push(entry(None));
    } else {
        out.extend(item.property_changes.iter().map(|c| entry(Some(c))));
    }
}

fn security_entry(s: &StackDiff, c: &SecurityChange) -> Json {
    let mut e = base(s, &c.logical_id, Some(&c.resource_type), c.path.as_deref());
    e.insert("action".into(), json!(c.action.as_str()));
    e.insert("broadening".into(), json!(c.broadening));
    match &c.detail {
        SecurityDetail::Statement(st) => {
            e.insert("kind".into(), json!("iam-statement"));
            e.insert("document".into(), json!(st.document));
            e.insert("sid".into(), json!(st.sid));
            e.insert("effect".into(), json!(st.effect));
            e.insert("actions".into(), json!(st.actions));
            e.insert("notActions".into(), json!(st.not_actions));
            e.insert("resources".into(), json!(st.resources));
            e.insert("notResources".into(), json!(st.not_resources));
            e.insert("principals".into(), json!(st.principals));
            e.insert("notPrincipal".into(), json!(st.not_principal));
            e.insert("condition".into(), st.raw.get("Condition").cloned().unwrap_or(Json::Null));
            e.insert("statement".into(), st.raw.clone());
        }
        SecurityDetail::ManagedPolicy(m) => {
            e.insert("kind".into(), json!("managed-policy"));
            e.insert("policyArn".into(), json!(m.arn));
            e.insert("value".into(), m.raw.clone());
        }
        SecurityDetail::Rule(r) => {
            e.insert("kind".into(), json!("security-group-rule"));
            e.insert("group".into(), json!(r.group));
            e.insert("direction".into(), json!(r.direction.as_str()));
            e.insert("protocol".into(), json!(r.protocol));
            e.insert("ports".into(), json!(r.ports));
            e.insert("peer".into(), json!(r.peer));
            e.insert("description".into(), json!(r.description));
            e.insert("public".into(), json!(r.public));
            e.insert("widens".into(), json!(r.widens));
            e.insert("rule".into(), r.raw.clone());
        }
    }
    Json::Object(e)
}
