//! What a check run produces for one environment: findings (suppressed ones
//! included), each rule's outcome and the suppressions reviewers see.

use std::fmt;

use crate::model::Res;
use crate::rule::{Rule, Severity};

/// Where a rule comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// One of cairn's built-in rules (`cairn check --list`).
    BuiltIn,
    /// A CloudFormation Guard rule file (its file name).
    Guard(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::BuiltIn => f.write_str("built-in"),
            Source::Guard(file) => write!(f, "guard:{file}"),
        }
    }
}

/// One violation of a rule by one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Rule ID (built-in) or Guard rule name.
    pub rule: String,
    /// Where the rule comes from.
    pub source: Source,
    /// The rule's severity.
    pub severity: Severity,
    /// CloudFormation stack name (`shop-prod-data`).
    pub stack: String,
    /// The resource's logical ID in its stack.
    pub logical_id: String,
    /// Construct path `<stack id>/<path>` (from the resource's `cairn:path` metadata).
    pub path: String,
    /// What is wrong with the resource.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The reason, when the construct (or a parent) suppressed the rule.
    pub suppressed: Option<String>,
}

impl Finding {
    /// Counts towards failure: not suppressed.
    pub fn is_active(&self) -> bool {
        self.suppressed.is_none()
    }
}

/// Whether a rule held in an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No resource violates the rule.
    Passed,
    /// At least one violation is not suppressed.
    Failed,
    /// Every violation is suppressed.
    Suppressed,
    /// The rule does not apply to this environment (or, for Guard, to any template).
    NotApplicable,
}

impl Status {
    /// The status as reports write it (`passed`, `not applicable`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Suppressed => "suppressed",
            Status::NotApplicable => "not applicable",
        }
    }
}

/// One rule's outcome in an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Rule ID (built-in) or Guard rule name.
    pub rule: String,
    /// Where the rule comes from.
    pub source: Source,
    /// The rule's severity.
    pub severity: Severity,
    /// Whether it held.
    pub status: Status,
}

/// A suppression as reviewers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionNote {
    /// The suppressed rule's ID.
    pub rule: String,
    /// `<stack id>/<path>`.
    pub path: String,
    /// Why the construct suppressed it.
    pub reason: String,
    /// Findings it silenced in this environment.
    pub silenced: usize,
}

/// The policy-check result of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The environment's name.
    pub environment: String,
    /// Whether the environment keeps data (rules that apply only there ran).
    pub retain_data: bool,
    /// Every finding, suppressed ones included, ordered by severity, rule, path.
    pub findings: Vec<Finding>,
    /// Every rule evaluated, built-in first.
    pub outcomes: Vec<Outcome>,
    /// The suppressions declared by constructs, with what each silenced.
    pub suppressions: Vec<SuppressionNote>,
    /// How many resources the rules looked at.
    pub resources_checked: usize,
}

impl Report {
    /// Errors that are not suppressed: any fails the run.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    /// Warnings that are not suppressed.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    /// Findings silenced by a suppression.
    pub fn suppressed(&self) -> usize {
        self.findings.iter().filter(|f| !f.is_active()).count()
    }

    fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.is_active() && f.severity == severity).count()
    }

    /// Adds findings and outcomes of rules evaluated elsewhere (CloudFormation Guard).
    pub fn merge(&mut self, findings: Vec<Finding>, outcomes: Vec<Outcome>) {
        self.findings.extend(findings);
        self.outcomes.extend(outcomes);
        sort_findings(&mut self.findings);
    }
}

/// Orders findings by severity, rule, stack, path and message.
pub(crate) fn sort_findings(findings: &mut [Finding]) {
    findings
        .sort_by(|a, b| (a.severity, &a.rule, &a.stack, &a.path, &a.message).cmp(&(b.severity, &b.rule, &b.stack, &b.path, &b.message)));
}

/// Collects findings while rules run.
#[derive(Default)]
pub(crate) struct Out(Vec<(&'static Rule, Finding)>);

impl Out {
    pub(crate) fn add(&mut self, rule: &'static Rule, res: &Res, message: impl Into<String>) {
        self.0.push((
            rule,
            Finding {
                rule: rule.id.to_string(),
                source: Source::BuiltIn,
                severity: rule.severity,
                stack: res.stack.name.clone(),
                logical_id: res.id.to_string(),
                path: res.path(),
                message: message.into(),
                fix: rule.fix.to_string(),
                suppressed: None,
            },
        ));
    }

    /// The findings of the rules that apply to an environment that keeps data, or not.
    pub(crate) fn applicable(self, retain_data: bool) -> Vec<Finding> {
        self.0
            .into_iter()
            .filter(|(rule, _)| rule.applies(retain_data))
            .map(|(_, f)| f)
            .collect()
    }
}
