//! Parity: environments may differ only through their environment files, and only
//! in the fields the application declares as knobs ([`cairn_core::Knob`]).
//!
//! The engine compares the environments' synthesized templates resource by resource
//! and property by property, after normalizing environment names, account ids and
//! regions away ([`flatten`]). Every difference is attributed to the knob that drives
//! it: re-synthesizing an environment with the reference environment's value for a
//! knob shows which properties that knob drives, and once every knob is swapped,
//! whatever still differs is undeclared ([`attribute`]). [`compare`](mod@compare) builds the
//! [`Report`], [`render`] prints it, [`record`] stores what `parity --out` needs in
//! the manifest and reads it back.

pub mod attribute;
pub mod compare;
pub mod flatten;
pub mod record;
pub mod render;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

pub use attribute::{analyze, analyze_with, Parallel, Sequential, Synthesizer};
pub use compare::{changes, compare};
pub use flatten::{flatten_env, flatten_stack, Normalizer};

/// Where a leaf sits in a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Section {
    /// The stack itself (present or not).
    Stack,
    /// Top-level template keys (`Description`, `Transform`…).
    Template,
    Parameters,
    Conditions,
    Resources,
    Outputs,
}

impl Section {
    pub fn as_str(self) -> &'static str {
        match self {
            Section::Stack => "Stack",
            Section::Template => "Template",
            Section::Parameters => "Parameters",
            Section::Conditions => "Conditions",
            Section::Resources => "Resources",
            Section::Outputs => "Outputs",
        }
    }

    pub fn parse(s: &str) -> Option<Section> {
        Some(match s {
            "Stack" => Section::Stack,
            "Template" => Section::Template,
            "Parameters" => Section::Parameters,
            "Conditions" => Section::Conditions,
            "Resources" => Section::Resources,
            "Outputs" => Section::Outputs,
            _ => return None,
        })
    }
}

/// One leaf of a stack's template, the same in every environment (stack ids and
/// logical IDs do not depend on the environment).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PathKey {
    /// Stack id inside the environment (`data`).
    pub stack: String,
    pub section: Section,
    /// Logical ID, output or parameter name; empty for the stack itself.
    pub id: String,
    /// Path inside the item (`Properties.VersioningConfiguration.Status`,
    /// `Properties.Tags[Team]`, `DeletionPolicy`); empty for the item itself.
    pub property: String,
}

impl PathKey {
    pub fn new(stack: &str, section: Section, id: &str, property: &str) -> Self {
        PathKey {
            stack: stack.to_string(),
            section,
            id: id.to_string(),
            property: property.to_string(),
        }
    }

    /// The key of the item (resource, output…) this leaf belongs to.
    pub fn item(&self) -> PathKey {
        PathKey::new(&self.stack, self.section, &self.id, "")
    }
}

/// A leaf value: normalized (compared) and as written (shown).
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    pub norm: Json,
    pub raw: Json,
}

/// An environment's templates, item by item (resource, output…); an item's leaves
/// are computed when needed: most items are equal in every environment.
#[derive(Debug, Clone, Default)]
pub struct Flat {
    /// Item key (property empty) → the item as written (a stack's own key: its name).
    pub items: BTreeMap<PathKey, Json>,
    /// The environment's identity, replaced inside strings.
    pub normalizer: Normalizer,
    /// Stack ids in deploy order.
    pub stacks: Vec<String>,
    /// Stack id → CloudFormation stack name.
    pub stack_names: BTreeMap<String, String>,
    /// (stack id, logical ID) → construct path (`data/Orders/Resource`).
    pub paths: BTreeMap<(String, String), String>,
}

impl Flat {
    /// The leaves of one item (normalized and as written).
    pub fn leaves_of(&self, item: &PathKey) -> BTreeMap<PathKey, Leaf> {
        let mut out = BTreeMap::new();
        if let Some(value) = self.items.get(item) {
            flatten::item_leaves(&self.normalizer, item, value, &mut |k, raw| {
                out.insert(
                    k,
                    Leaf {
                        norm: self.normalizer.json(raw),
                        raw: raw.clone(),
                    },
                );
            });
        }
        out
    }

    /// One leaf.
    pub fn get(&self, key: &PathKey) -> Option<Leaf> {
        self.leaves_of(&key.item()).remove(key)
    }

    /// Leaves of one item as written (compare them with [`flatten::normalized_eq`]).
    fn raw_leaves(&self, key: &PathKey) -> BTreeMap<PathKey, &Json> {
        let mut out = BTreeMap::new();
        if let Some(item) = self.items.get(key) {
            flatten::item_leaves(&self.normalizer, key, item, &mut |k, raw| {
                out.insert(k, raw);
            });
        }
        out
    }

    /// Whether an item is equal in both, once normalized (absent in both counts as equal).
    pub fn same_item(&self, other: &Flat, key: &PathKey) -> bool {
        match (self.items.get(key), other.items.get(key)) {
            (None, None) => true,
            (Some(a), Some(b)) if self.normalizer == other.normalizer => a == b,
            (Some(a), Some(b)) => flatten::normalized_eq(a, &self.normalizer, b, &other.normalizer),
            _ => false,
        }
    }

    /// Keys whose normalized values differ between `self` and `other` (or exist in one only).
    pub fn diff_keys(&self, other: &Flat) -> BTreeSet<PathKey> {
        self.diff_keys_in(other, None)
    }

    /// [`Flat::diff_keys`], looking only at the items in `only` (item keys) when given.
    pub fn diff_keys_in(&self, other: &Flat, only: Option<&BTreeSet<PathKey>>) -> BTreeSet<PathKey> {
        let mut out = BTreeSet::new();
        let keys: BTreeSet<&PathKey> = match only {
            Some(only) => only.iter().collect(),
            None => self.items.keys().chain(other.items.keys()).collect(),
        };
        for key in keys {
            flatten::differing_leaves(
                key,
                self.items.get(key),
                &self.normalizer,
                other.items.get(key),
                &other.normalizer,
                &mut out,
            );
        }
        out
    }

    /// [`Flat::diff_keys_in`] the slow, obvious way: every leaf of both sides, compared
    /// one by one. The reference the tree walk is tested against.
    pub fn diff_keys_by_leaves(&self, other: &Flat, only: Option<&BTreeSet<PathKey>>) -> BTreeSet<PathKey> {
        let mut out = BTreeSet::new();
        let keys: BTreeSet<&PathKey> = match only {
            Some(only) => only.iter().collect(),
            None => self.items.keys().chain(other.items.keys()).collect(),
        };
        for key in keys {
            let a = self.raw_leaves(key);
            let b = other.raw_leaves(key);
            for (k, v) in &a {
                let same = b
                    .get(k)
                    .is_some_and(|w| flatten::normalized_eq(v, &self.normalizer, w, &other.normalizer));
                if !same {
                    out.insert(k.clone());
                }
            }
            for k in b.keys() {
                if !a.contains_key(k) {
                    out.insert(k.clone());
                }
            }
        }
        out
    }
}

/// What the comparison knows about one environment.
#[derive(Debug, Clone, Default)]
pub struct EnvInput {
    pub name: String,
    pub flat: Flat,
    /// Knob key → the environment file's value (None: the file lacks the key).
    pub knob_values: BTreeMap<String, Option<Json>>,
    /// Knob key → leaves that change when the knob takes another environment's value.
    pub drives: BTreeMap<String, BTreeSet<PathKey>>,
    /// Leaves that still differ from the reference once every knob has the reference's
    /// value; `None` when unknown (checking `out/` or deployed templates), `Err` when
    /// that synthesis failed.
    pub residual: Option<Result<BTreeSet<PathKey>, String>>,
    /// Knobs whose effect could not be isolated (swapping them alone failed validation).
    pub unisolated: Vec<String>,
    /// Leaf → the undeclared environment-file field that causes it.
    pub hints: BTreeMap<PathKey, String>,
    /// Problems found while gathering the input (an edited template…).
    pub notes: Vec<Note>,
}

/// A remark about the check; `undeclared` ones count as undeclared differences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub environment: String,
    pub message: String,
    pub undeclared: bool,
}

/// How a difference is explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Driven by these knobs.
    Declared(Vec<String>),
    /// Not explained by any knob, in these environments (compared with the reference).
    Undeclared { envs: Vec<String>, reasons: Vec<String> },
}

impl Status {
    pub fn is_undeclared(&self) -> bool {
        matches!(self, Status::Undeclared { .. })
    }
}

/// One difference: a leaf (or a whole resource/stack) whose values differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub key: PathKey,
    /// Construct path of the resource, or `Outputs/<id>` and the like.
    pub resource: String,
    /// Property as shown (`VersioningConfiguration.Status`, `(resource)`).
    pub property: String,
    /// Value per environment of the report (None: absent).
    pub values: Vec<Option<Json>>,
    pub status: Status,
}

/// The differences of one stack.
#[derive(Debug, Clone, PartialEq)]
pub struct StackReport {
    pub id: String,
    /// Stack name per environment (None: the environment has no such stack).
    pub names: Vec<Option<String>>,
    /// Undeclared first, then declared grouped by field.
    pub rows: Vec<Row>,
}

/// A declared knob whose value differs between the environments.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSummary {
    pub field: String,
    pub values: Vec<Option<Json>>,
    pub must_match: Vec<String>,
    /// Differences (rows) this field explains.
    pub differences: usize,
}

/// A knob declared to match between some environments, set differently.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub field: String,
    pub must_match: Vec<String>,
    pub values: Vec<Option<Json>>,
}

/// Where the compared templates came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Synthesis,
    OutDir(String),
    Deployed,
}

/// Per environment: are the deployed templates the current synthesis?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skew {
    pub environment: String,
    /// Per stack (deploy order): its name and the number of changed items
    /// (resources, outputs…) between deployed and synthesized; None: not deployed.
    pub stacks: Vec<(String, Option<usize>)>,
    /// Why the deployed templates could not be read (credentials of another account…).
    pub unreadable: Option<String>,
}

impl Skew {
    pub fn deployed(&self) -> bool {
        self.stacks.iter().any(|(_, c)| c.is_some())
    }
    pub fn changes(&self) -> usize {
        self.stacks.iter().map(|(_, c)| c.unwrap_or(0)).sum()
    }
    pub fn missing(&self) -> usize {
        self.stacks.iter().filter(|(_, c)| c.is_none()).count()
    }
}

/// The outcome of a parity check.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub app: String,
    pub source: Source,
    pub envs: Vec<String>,
    pub reference: String,
    pub fields: Vec<FieldSummary>,
    pub violations: Vec<Violation>,
    pub stacks: Vec<StackReport>,
    pub notes: Vec<Note>,
    /// Deployed mode only.
    pub skew: Vec<Skew>,
    /// What the deployed templates are compared with, as reports name it: `this commit`,
    /// or `this commit plus uncommitted changes` when the working tree is dirty.
    pub skew_against: String,
}

impl Report {
    pub fn undeclared_rows(&self) -> impl Iterator<Item = (&StackReport, &Row)> {
        self.stacks
            .iter()
            .flat_map(|s| s.rows.iter().map(move |r| (s, r)))
            .filter(|(_, r)| r.status.is_undeclared())
    }

    /// Undeclared differences: rows, must-match violations and undeclared notes.
    pub fn undeclared_count(&self) -> usize {
        self.undeclared_rows().count() + self.violations.len() + self.notes.iter().filter(|n| n.undeclared).count()
    }

    pub fn declared_count(&self) -> usize {
        self.stacks
            .iter()
            .flat_map(|s| &s.rows)
            .filter(|r| !r.status.is_undeclared())
            .count()
    }

    pub fn ok(&self) -> bool {
        self.undeclared_count() == 0
    }

    /// Whether `env` takes part in an undeclared difference.
    pub fn undeclared_involving(&self, env: &str) -> bool {
        let is_ref = env == self.reference;
        self.undeclared_rows().any(|(_, r)| match &r.status {
            Status::Undeclared { envs, .. } => is_ref || envs.iter().any(|e| e == env),
            Status::Declared(_) => false,
        }) || self.violations.iter().any(|v| v.must_match.iter().any(|e| e == env))
            || self.notes.iter().any(|n| n.undeclared && (is_ref || n.environment == env))
    }
}
