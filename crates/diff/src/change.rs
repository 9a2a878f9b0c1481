//! What one change is: a resource, output or other item added, removed or modified,
//! the property paths inside it, whether it replaces the resource, what it does to
//! data and to access.

use serde_json::Value as Json;

use crate::security;

/// What happens to a resource, an output, a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Action {
    /// Added.
    Add,
    /// Removed.
    Remove,
    /// Modified.
    Modify,
}

impl Action {
    /// `add`, `remove`, `modify` (as in the JSON rendering).
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
    /// Updated in place.
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
    /// `none`, `unknown`, `conditional`, `always` (as in the JSON rendering).
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
    /// An object key.
    Key(String),
    /// An array index.
    Index(usize),
}

/// Renders a path as `KeySchema[0].AttributeName`.
pub(crate) fn path_string(path: &[PathSegment]) -> String {
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
    /// Added, removed or modified.
    pub action: Action,
    /// The value before (None: absent).
    pub old: Option<Json>,
    /// The value after (None: absent).
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
    /// No change to permissions or rules.
    #[default]
    None,
    /// Permissions or rules changed without widening access.
    Changed,
    /// Access widened: an Allow statement, a managed policy or a network rule was added.
    Broadening,
}

impl SecurityImpact {
    /// `none`, `changed`, `broadening` (as in the JSON rendering).
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

/// Why data is at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskCause {
    /// The resource is removed.
    Remove,
    /// The resource is replaced.
    Replace,
    /// The resource may be replaced (conditional or unknown replacement).
    MayReplace,
}

impl RiskCause {
    /// `remove`, `replace`, `may-replace` (as in the JSON rendering).
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
    /// The resource's logical ID.
    pub logical_id: String,
    /// The resource's type (the new one when it changed).
    pub resource_type: String,
    /// Construct path from `Metadata["cairn:path"]` (`data/Orders/Resource`), if recorded.
    pub path: Option<String>,
    /// Added, removed or modified.
    pub action: Action,
    /// For modifications: what changed, in template order.
    pub property_changes: Vec<PropertyChange>,
    /// The strongest replacement among the changes, or one caused by a replaced dependency.
    pub replacement: Replacement,
    /// Why a resource is replaced when no property of its own explains it.
    pub replacement_reasons: Vec<String>,
    /// What the change does to access.
    pub security_impact: SecurityImpact,
    /// Set when a stateful resource is removed or replaced.
    pub risk: Option<DataRisk>,
    /// The whole resource before and after (without `cairn:path` metadata).
    pub old: Option<Json>,
    /// See `old`.
    pub new: Option<Json>,
}

/// Part of the template besides resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// `Outputs`.
    Outputs,
    /// `Parameters`.
    Parameters,
    /// `Conditions`.
    Conditions,
    /// `Mappings`.
    Mappings,
    /// `Rules`.
    Rules,
    /// Template-level keys: `Description`, `Transform`, `Metadata`, `AWSTemplateFormatVersion`.
    Template,
}

impl Section {
    /// The section's name as in a template (`Outputs`).
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
    /// Where the item is.
    pub section: Section,
    /// The item's name (output id, parameter name, ...).
    pub id: String,
    /// Added, removed or modified.
    pub action: Action,
    /// For modifications: what changed.
    pub property_changes: Vec<PropertyChange>,
    /// The whole item before.
    pub old: Option<Json>,
    /// The whole item after.
    pub new: Option<Json>,
}

/// An IAM statement, managed-policy attachment or security-group rule added or removed.
#[derive(Debug, Clone, PartialEq)]
pub struct SecurityChange {
    /// The resource holding the statement or rule.
    pub logical_id: String,
    /// That resource's type.
    pub resource_type: String,
    /// That resource's construct path, if recorded.
    pub path: Option<String>,
    /// Add or Remove (a modified statement is one removed and one added).
    pub action: Action,
    /// Whether it widens access.
    pub broadening: bool,
    /// The statement, policy or rule.
    pub detail: SecurityDetail,
}

/// What a [`SecurityChange`] added or removed.
#[derive(Debug, Clone, PartialEq)]
pub enum SecurityDetail {
    /// An IAM policy statement.
    Statement(security::Statement),
    /// A managed policy attached to a role, user or group.
    ManagedPolicy(security::ManagedPolicy),
    /// A security-group rule.
    Rule(security::SgRule),
}
