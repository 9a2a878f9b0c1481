//! Template diff: what changes between two versions of a stack's template, in the
//! terms a reviewer needs (resources added / removed / modified, the property paths
//! that changed, whether a change replaces the resource, IAM and security-group
//! changes, data at risk).
//!
//! Pure: [`compare`] takes two templates as JSON; [`DiffReport`] gathers the stacks
//! of one comparison; `render` turns a report into text, Markdown or JSON
//! (`docs/diff-json-schema.md`). Values are compared canonically ([`canonical`]):
//! key order, `5` vs `"5"`, `Fn::Sub` vs the equivalent `Fn::Join`, and the
//! `cairn:path` metadata never show up as changes.

pub mod canonical;
pub mod custom_name;
pub mod engine;
pub mod exports;
pub mod properties;
pub mod render;
pub mod replacement;
pub mod security;
pub mod update_fails;
pub mod warnings;

#[cfg(test)]
mod gate_tests;
#[cfg(test)]
mod tests;

use serde_json::{Map, Value as Json};

use cairn_core::synth::PATH_METADATA_KEY;

pub use render::{render, Format};
pub use warnings::{Warning, WarningKind};

/// What happens to a resource, an output, a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    Add,
    Remove,
    Modify,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Remove => "remove",
            Action::Modify => "modify",
        }
    }

    /// `+`, `-`, `~`.
    pub fn symbol(self) -> &'static str {
        match self {
            Action::Add => "+",
            Action::Remove => "-",
            Action::Modify => "~",
        }
    }
}

/// Whether an update replaces the resource (a new physical resource; the old one is deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Replacement {
    #[default]
    None,
    /// The type is not in cairn's schema table, so cairn cannot tell. Counted as a
    /// possible replacement (fail closed: a CI gate must not pass what it cannot judge).
    Unknown,
    /// "May require replacement": a conditionally create-only property changed, or a
    /// create-only property refers to a resource that is replaced.
    Conditional,
    /// "Requires replacement": a create-only property changed.
    Always,
}

impl Replacement {
    pub fn as_str(self) -> &'static str {
        match self {
            Replacement::None => "none",
            Replacement::Unknown => "unknown",
            Replacement::Conditional => "conditional",
            Replacement::Always => "always",
        }
    }

    /// Words for people ("requires replacement").
    pub fn describe(self) -> &'static str {
        match self {
            Replacement::None => "",
            Replacement::Unknown => "may require replacement: type not in cairn's schema table, counted as possible",
            Replacement::Conditional => "may require replacement",
            Replacement::Always => "requires replacement",
        }
    }

    /// Replaced or possibly replaced; `Unknown` counts as possibly (fail closed).
    pub fn replaces(self) -> bool {
        matches!(self, Replacement::Conditional | Replacement::Always | Replacement::Unknown)
    }
}

/// One step of a property path: an object key or an array index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    Key(String),
    Index(usize),
}

/// Renders a path as `KeySchema[0].AttributeName`.
pub fn path_string(path: &[PathSegment]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSegment::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathSegment::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// One changed value inside a resource (or output, parameter, condition).
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyChange {
    /// Which part of the resource: `Properties`, `Metadata`, `DependsOn`,
    /// `DeletionPolicy`, `UpdateReplacePolicy`, `Condition`, `Type`, ...
    /// For outputs, parameters and conditions: the item's own key (`Value`, `Export`).
    pub attribute: String,
    /// Path inside the attribute (empty: the attribute as a whole).
    pub path: Vec<PathSegment>,
    pub action: Action,
    pub old: Option<Json>,
    pub new: Option<Json>,
    /// What this change alone does to the resource.
    pub replacement: Replacement,
}

impl PropertyChange {
    /// `DBInstanceClass`, `Tags[2].Value`, `DeletionPolicy`, `Metadata.Foo`.
    pub fn display_path(&self) -> String {
        let inner = path_string(&self.path);
        match (self.attribute.as_str(), inner.is_empty()) {
            ("Properties", true) => "Properties".to_string(),
            ("Properties", false) => inner,
            (a, true) => a.to_string(),
            (a, false) if inner.starts_with('[') => format!("{a}{inner}"),
            (a, false) => format!("{a}.{inner}"),
        }
    }
}

/// How a change affects who may do what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum SecurityImpact {
    #[default]
    None,
    /// Permissions or rules changed without widening access.
    Changed,
    /// Access widened: an Allow statement, a managed policy or a network rule was added.
    Broadening,
}

impl SecurityImpact {
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityImpact::None => "none",
            SecurityImpact::Changed => "changed",
            SecurityImpact::Broadening => "broadening",
        }
    }
}

/// A stateful resource (database, table, bucket, queue, ...), or one of a type cairn
/// does not know, that is removed or replaced.
#[derive(Debug, Clone, PartialEq)]
pub struct DataRisk {
    /// What happens: removed, replaced or possibly replaced.
    pub cause: RiskCause,
    /// The policy that keeps the data (`DeletionPolicy: Retain`), if one does.
    pub kept_by: Option<String>,
    /// A `Snapshot` policy set on a type it does not apply to (it keeps nothing).
    pub ignored_policy: Option<String>,
    /// cairn does not know whether the type holds data: counted as if it did (fail closed).
    pub unknown_type: bool,
}

impl DataRisk {
    /// True when nothing keeps the data: it is deleted.
    pub fn data_loss(&self) -> bool {
        self.kept_by.is_none()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskCause {
    Remove,
    Replace,
    MayReplace,
}

impl RiskCause {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskCause::Remove => "remove",
            RiskCause::Replace => "replace",
            RiskCause::MayReplace => "may-replace",
        }
    }
}

/// One resource that is added, removed or modified.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceChange {
    pub logical_id: String,
    /// The resource's type (the new one when it changed).
    pub resource_type: String,
    /// Construct path from `Metadata["cairn:path"]` (`data/Orders/Resource`), if recorded.
    pub path: Option<String>,
    pub action: Action,
    /// For modifications: what changed, in template order.
    pub property_changes: Vec<PropertyChange>,
    /// The strongest replacement among the changes, or one caused by a replaced dependency.
    pub replacement: Replacement,
    /// Why a resource is replaced when no property of its own explains it.
    pub replacement_reasons: Vec<String>,
    pub security_impact: SecurityImpact,
    /// Set when a stateful resource is removed or replaced.
    pub risk: Option<DataRisk>,
    /// The whole resource before and after (without `cairn:path` metadata).
    pub old: Option<Json>,
    pub new: Option<Json>,
}

/// Part of the template besides resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Outputs,
    Parameters,
    Conditions,
    Mappings,
    Rules,
    /// Template-level keys: `Description`, `Transform`, `Metadata`, `AWSTemplateFormatVersion`.
    Template,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Outputs => "Outputs",
            Section::Parameters => "Parameters",
            Section::Conditions => "Conditions",
            Section::Mappings => "Mappings",
            Section::Rules => "Rules",
            Section::Template => "Template",
        }
    }

    /// Singular, for one item (`Output`).
    pub fn item(self) -> &'static str {
        match self {
            Section::Outputs => "Output",
            Section::Parameters => "Parameter",
            Section::Conditions => "Condition",
            Section::Mappings => "Mapping",
            Section::Rules => "Rule",
            Section::Template => "Template",
        }
    }
}

/// An output, parameter, condition, mapping, rule or template-level key that changed.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemChange {
    pub section: Section,
    pub id: String,
    pub action: Action,
    pub property_changes: Vec<PropertyChange>,
    pub old: Option<Json>,
    pub new: Option<Json>,
}

/// An IAM statement, managed-policy attachment or security-group rule added or removed.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityChange {
    /// The resource holding the statement or rule.
    pub logical_id: String,
    pub resource_type: String,
    pub path: Option<String>,
    /// Add or Remove (a modified statement is one removed and one added).
    pub action: Action,
    pub broadening: bool,
    pub detail: SecurityDetail,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SecurityDetail {
    Statement(security::Statement),
    ManagedPolicy(security::ManagedPolicy),
    Rule(security::SgRule),
}

/// Everything that differs between two templates of one stack.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateDiff {
    /// In template order: new template's resources first, then removed ones.
    pub resources: Vec<ResourceChange>,
    /// IAM changes first, then security-group rules.
    pub security: Vec<SecurityChange>,
    pub other: Vec<ItemChange>,
    /// Changes the deploy would fail on, or that need a decision (see [`warnings`]).
    pub warnings: Vec<Warning>,
}

impl TemplateDiff {
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.security.is_empty() && self.other.is_empty()
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for r in &self.resources {
            match r.action {
                Action::Add => s.add += 1,
                Action::Remove => s.destroy += 1,
                Action::Modify => {
                    s.change += 1;
                    match r.replacement {
                        Replacement::Always => s.replace += 1,
                        Replacement::Conditional => s.may_replace += 1,
                        Replacement::Unknown => {
                            s.may_replace += 1;
                            s.unknown_replace += 1;
                        }
                        Replacement::None => {}
                    }
                }
            }
            if r.risk.as_ref().is_some_and(DataRisk::data_loss) {
                s.data_loss += 1;
            }
        }
        s.security = self.security.len();
        s.broadening = self.security.iter().filter(|c| c.broadening).count();
        s.other = self.other.len();
        s.warnings = self.warnings.len();
        s.blocking = self.warnings.iter().filter(|w| w.blocking).count();
        s
    }
}

/// Counts for a stack or a whole report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    /// Modified resources that require replacement.
    pub replace: usize,
    /// Modified resources that may require replacement, including `unknown_replace`.
    pub may_replace: usize,
    /// Modified resources of types cairn has no replacement facts for (counted in `may_replace`).
    pub unknown_replace: usize,
    pub destroy: usize,
    pub security: usize,
    pub broadening: usize,
    /// Stateful resources removed or replaced with nothing keeping their data.
    pub data_loss: usize,
    /// Output, parameter, condition, mapping and template-level changes.
    pub other: usize,
    /// Entries in the stacks' `warnings`.
    pub warnings: usize,
    /// Warnings about changes CloudFormation or the service refuses: the deploy would fail.
    pub blocking: usize,
}

impl Summary {
    pub fn add_up(&mut self, o: &Summary) {
        self.add += o.add;
        self.change += o.change;
        self.replace += o.replace;
        self.may_replace += o.may_replace;
        self.unknown_replace += o.unknown_replace;
        self.destroy += o.destroy;
        self.security += o.security;
        self.broadening += o.broadening;
        self.data_loss += o.data_loss;
        self.other += o.other;
        self.warnings += o.warnings;
        self.blocking += o.blocking;
    }

    pub fn is_empty(&self) -> bool {
        *self == Summary::default()
    }

    /// `1 to add, 2 to change (1 replacement, 1 possible replacement), 0 to destroy`.
    pub fn line(&self) -> String {
        let mut change = format!("{} replacement{}", self.replace, plural(self.replace));
        if self.may_replace > 0 {
            change.push_str(&format!(", {} possible replacement{}", self.may_replace, plural(self.may_replace)));
        }
        if self.unknown_replace > 0 {
            change.push_str(&format!(": {} of a type cairn has no replacement facts for", self.unknown_replace));
        }
        let mut s = format!(
            "{} to add, {} to change ({change}), {} to destroy",
            self.add, self.change, self.destroy
        );
        if self.other > 0 {
            s.push_str(&format!("; {} output/parameter/condition change{}", self.other, plural(self.other)));
        }
        if self.warnings > 0 {
            s.push_str(&format!("; {} warning{}", self.warnings, plural(self.warnings)));
            if self.blocking > 0 {
                s.push_str(&format!(" ({} would fail the deploy)", self.blocking));
            }
        }
        s
    }
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Whether a stack exists on each side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackStatus {
    /// Only in the new version (not deployed, or new in the head synthesis).
    Added,
    /// Only in the old version.
    Removed,
    Modified,
    Unchanged,
}

impl StackStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StackStatus::Added => "added",
            StackStatus::Removed => "removed",
            StackStatus::Modified => "modified",
            StackStatus::Unchanged => "unchanged",
        }
    }
}

/// One stack's diff.
#[derive(Debug, Clone, PartialEq)]
pub struct StackDiff {
    pub environment: String,
    /// CloudFormation stack name.
    pub stack: String,
    /// Short id inside the environment, when known.
    pub stack_id: Option<String>,
    pub status: StackStatus,
    pub diff: TemplateDiff,
}

impl StackDiff {
    /// Compares two versions of a stack; `None` means the stack does not exist on that side.
    pub fn new(environment: &str, stack: &str, stack_id: Option<&str>, old: Option<&Json>, new: Option<&Json>) -> StackDiff {
        let empty = Json::Object(Map::new());
        let diff = compare(old.unwrap_or(&empty), new.unwrap_or(&empty));
        let status = match (old, new) {
            (None, Some(_)) => StackStatus::Added,
            (Some(_), None) => StackStatus::Removed,
            _ if diff.is_empty() => StackStatus::Unchanged,
            _ => StackStatus::Modified,
        };
        StackDiff {
            environment: environment.to_string(),
            stack: stack.to_string(),
            stack_id: stack_id.map(str::to_string),
            status,
            diff,
        }
    }

    /// `prod/shop-prod-data`.
    pub fn title(&self) -> String {
        format!("{}/{}", self.environment, self.stack)
    }
}

/// The result of one comparison: every stack of every environment involved.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffReport {
    /// What the old side is (`deployed stacks`, `out-base/`).
    pub old_label: String,
    /// What the new side is (`fresh synthesis`, `out/`).
    pub new_label: String,
    pub stacks: Vec<StackDiff>,
    /// Remarks shown before the changes (`environment qa: not in base …`).
    pub notes: Vec<String>,
}

impl DiffReport {
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for st in &self.stacks {
            s.add_up(&st.diff.summary());
        }
        s
    }

    pub fn is_empty(&self) -> bool {
        self.stacks.iter().all(|s| s.diff.is_empty())
    }

    /// Stacks with differences.
    pub fn changed(&self) -> impl Iterator<Item = &StackDiff> {
        self.stacks.iter().filter(|s| !s.diff.is_empty())
    }

    /// Whether the report trips the `--fail-on` gate.
    pub fn fails(&self, gate: FailOn) -> bool {
        let s = self.summary();
        // A change the deploy would fail on trips every gate: an override label that
        // accepts replacements or data loss must not let through a deploy that cannot succeed.
        if gate != FailOn::None && s.blocking > 0 {
            return true;
        }
        match gate {
            FailOn::None | FailOn::Blocking => false,
            FailOn::Any => !self.is_empty(),
            FailOn::Replacement => s.replace + s.may_replace > 0 || s.data_loss > 0,
            FailOn::Security => s.broadening > 0,
            FailOn::DataLoss => self.data_risks() > 0,
        }
    }

    /// Stateful resources removed or (possibly) replaced, whether or not a policy keeps
    /// their data: kept by `Retain` or `Snapshot`, it is still gone from the stack.
    pub fn data_risks(&self) -> usize {
        self.stacks
            .iter()
            .flat_map(|s| &s.diff.resources)
            .filter(|r| r.risk.is_some())
            .count()
    }
}

/// A CI gate on a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailOn {
    /// Never fail because of differences.
    #[default]
    None,
    /// Fail only when the deploy would fail (a blocking warning). Every other gate
    /// but `None` fails on these too.
    Blocking,
    /// Fail on any difference.
    Any,
    /// Fail when a resource requires or may require replacement (or cairn cannot tell),
    /// or data would be lost.
    Replacement,
    /// Fail when access is broadened (Allow statement, managed policy or network rule added).
    Security,
    /// Fail when a stateful resource is removed or replaced (see [`DiffReport::data_risks`]).
    DataLoss,
}

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
    resource.get("Metadata")?.get(PATH_METADATA_KEY)?.as_str().map(str::to_string)
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
                meta.shift_remove(PATH_METADATA_KEY);
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
