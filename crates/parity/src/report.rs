//! The outcome of a parity check: differences per stack, each declared (driven by
//! knobs) or undeclared, with notes and, for deployed templates, the skew.

use serde_json::Value as Json;

use crate::PathKey;

/// A remark about the check; `undeclared` ones count as undeclared differences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The environment it is about.
    pub environment: String,
    /// The remark.
    pub message: String,
    /// Whether it counts as an undeclared difference (fails the check).
    pub undeclared: bool,
}

/// How a difference is explained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Driven by these knobs.
    Declared(Vec<String>),
    /// Driven only by artifact versions (`Knob::artifact`, e.g. `service.image`) being
    /// promoted through the environments: promotion skew, not a difference.
    Promotion(Vec<String>),
    /// Not explained by any knob, in these environments (compared with the reference).
    Undeclared {
        /// The environments that differ from the reference.
        envs: Vec<String>,
        /// What causes it, when known (an environment-file field that is not a knob).
        reasons: Vec<String>,
    },
}

impl Status {
    /// Whether no knob explains it.
    pub fn is_undeclared(&self) -> bool {
        matches!(self, Status::Undeclared { .. })
    }
}

/// One difference: a leaf (or a whole resource/stack) whose values differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The leaf.
    pub key: PathKey,
    /// Construct path of the resource, or `Outputs/<id>` and the like.
    pub resource: String,
    /// Property as shown (`VersioningConfiguration.Status`, `(resource)`).
    pub property: String,
    /// Value per environment of the report (None: absent).
    pub values: Vec<Option<Json>>,
    /// Declared or not.
    pub status: Status,
}

/// The differences of one stack.
#[derive(Debug, Clone, PartialEq)]
pub struct StackReport {
    /// Stack id inside the environments (`data`).
    pub id: String,
    /// Stack name per environment (None: the environment has no such stack).
    pub names: Vec<Option<String>>,
    /// Undeclared first, then declared grouped by field.
    pub rows: Vec<Row>,
}

/// A declared knob whose value differs between the environments.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSummary {
    /// The knob's key.
    pub field: String,
    /// Its value per environment of the report (None: unset).
    pub values: Vec<Option<Json>>,
    /// The environments it must be equal in.
    pub must_match: Vec<String>,
    /// Differences (rows) this field explains.
    pub differences: usize,
}

/// A knob declared to match between some environments, set differently.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The knob's key.
    pub field: String,
    /// The environments it must be equal in.
    pub must_match: Vec<String>,
    /// Its value per environment of the report.
    pub values: Vec<Option<Json>>,
}

/// Where the compared templates came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A fresh synthesis of every environment.
    Synthesis,
    /// A synthesis output folder (`parity --out DIR`).
    OutDir(String),
    /// The deployed stacks' templates.
    Deployed,
}

/// Per environment: are the deployed templates the current synthesis?
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skew {
    /// The environment.
    pub environment: String,
    /// Per stack (deploy order): its name and the number of changed items
    /// (resources, outputs…) between deployed and synthesized; None: not deployed.
    pub stacks: Vec<(String, Option<usize>)>,
    /// Why the deployed templates could not be read (credentials of another account…).
    pub unreadable: Option<String>,
}

impl Skew {
    /// Whether any of its stacks is deployed.
    pub fn deployed(&self) -> bool {
        self.stacks.iter().any(|(_, c)| c.is_some())
    }
    /// Items changed between deployed and synthesized, over every stack.
    pub fn changes(&self) -> usize {
        self.stacks.iter().map(|(_, c)| c.unwrap_or(0)).sum()
    }
    /// Stacks not deployed.
    pub fn missing(&self) -> usize {
        self.stacks.iter().filter(|(_, c)| c.is_none()).count()
    }
}

/// The outcome of a parity check.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The application's name.
    pub app: String,
    /// Where the templates came from.
    pub source: Source,
    /// The compared environments, in promotion order.
    pub envs: Vec<String>,
    /// The environment the others are compared with (the last in promotion order).
    pub reference: String,
    /// Knobs whose values differ (artifact versions left out).
    pub fields: Vec<FieldSummary>,
    /// Artifact versions (`Knob::artifact`) whose values differ: promotion skew, which
    /// never fails the check.
    pub promotion: Vec<FieldSummary>,
    /// Knobs that must match and do not.
    pub violations: Vec<Violation>,
    /// Differences per stack, in deploy order.
    pub stacks: Vec<StackReport>,
    /// Remarks; undeclared ones fail the check.
    pub notes: Vec<Note>,
    /// Deployed mode only.
    pub skew: Vec<Skew>,
    /// What the deployed templates are compared with, as reports name it: `this commit`,
    /// or `this commit plus uncommitted changes` when the working tree is dirty.
    pub skew_against: String,
}

impl Report {
    /// Every undeclared difference, with its stack.
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

    /// Differences knobs explain (promotion skew left out).
    pub fn declared_count(&self) -> usize {
        self.stacks
            .iter()
            .flat_map(|s| &s.rows)
            .filter(|r| matches!(r.status, Status::Declared(_)))
            .count()
    }

    /// Template differences that artifact versions being promoted explain.
    pub fn promotion_count(&self) -> usize {
        self.stacks
            .iter()
            .flat_map(|s| &s.rows)
            .filter(|r| matches!(r.status, Status::Promotion(_)))
            .count()
    }

    /// Whether the check passes: no undeclared difference.
    pub fn ok(&self) -> bool {
        self.undeclared_count() == 0
    }

    /// Whether `env` takes part in an undeclared difference.
    pub fn undeclared_involving(&self, env: &str) -> bool {
        let is_ref = env == self.reference;
        self.undeclared_rows().any(|(_, r)| match &r.status {
            Status::Undeclared { envs, .. } => is_ref || envs.iter().any(|e| e == env),
            Status::Declared(_) | Status::Promotion(_) => false,
        }) || self.violations.iter().any(|v| v.must_match.iter().any(|e| e == env))
            || self.notes.iter().any(|n| n.undeclared && (is_ref || n.environment == env))
    }
}
