//! A stack's diff and a whole comparison's report: counts, stack status, and the
//! `--fail-on` gate.

use serde_json::{Map, Value as Json};

use crate::{compare, Action, DataRisk, ItemChange, Replacement, ResourceChange, SecurityChange, Warning};

/// Everything that differs between two templates of one stack.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TemplateDiff {
    /// In template order: new template's resources first, then removed ones.
    pub resources: Vec<ResourceChange>,
    /// IAM changes first, then security-group rules.
    pub security: Vec<SecurityChange>,
    /// Outputs, parameters, conditions and other items that changed.
    pub other: Vec<ItemChange>,
    /// Changes the deploy would fail on, or that need a decision (see [`Warning`](crate::Warning)).
    pub warnings: Vec<Warning>,
}

impl TemplateDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty() && self.security.is_empty() && self.other.is_empty()
    }

    /// Counts of what changed.
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
    /// Resources added.
    pub add: usize,
    /// Resources modified.
    pub change: usize,
    /// Modified resources that require replacement.
    pub replace: usize,
    /// Modified resources that may require replacement, including `unknown_replace`.
    pub may_replace: usize,
    /// Modified resources of types cairn has no replacement facts for (counted in `may_replace`).
    pub unknown_replace: usize,
    /// Resources removed.
    pub destroy: usize,
    /// IAM and security-group changes.
    pub security: usize,
    /// Of those, the ones that widen access.
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
    /// Adds `o`'s counts to these.
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

    /// Whether nothing changed.
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
    /// The stack exists on both sides and its template changed.
    Modified,
    /// The stack exists on both sides with the same template.
    Unchanged,
}

impl StackStatus {
    /// `added`, `removed`, `modified`, `unchanged` (as in the JSON rendering).
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
    /// The environment's name.
    pub environment: String,
    /// CloudFormation stack name.
    pub stack: String,
    /// Short id inside the environment, when known.
    pub stack_id: Option<String>,
    /// New, removed, modified or unchanged.
    pub status: StackStatus,
    /// The template diff.
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
    /// The stacks compared.
    pub stacks: Vec<StackDiff>,
    /// Remarks shown before the changes (`environment qa: not in base …`).
    pub notes: Vec<String>,
}

impl DiffReport {
    /// Counts over every stack.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for st in &self.stacks {
            s.add_up(&st.diff.summary());
        }
        s
    }

    /// Whether no stack changed.
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
