//! The outcome of a parity check: differences per stack, each declared (driven by
//! knobs) or undeclared, with notes and, for deployed templates, the skew.

use serde_json::Value as Json;

use crate::PathKey;

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
