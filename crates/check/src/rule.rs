//! What a built-in rule is: a stable ID, a title, a severity, the environments it
//! applies to and a fix.

use std::fmt;

/// How bad a violation is: errors fail `synth` and `check`, warnings are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Fails `synth` and `check`.
    Error,
    /// Reported, does not fail.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The environments a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppliesTo {
    /// In every environment.
    Always,
    /// Only where the environment keeps data (`retain_data = true`).
    RetainDataOnly,
}

/// A built-in rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable ID (`S3-ENCRYPTION`), used in suppressions and reports.
    pub id: &'static str,
    /// What the rule requires, in a line.
    pub title: &'static str,
    /// How bad a violation is.
    pub severity: Severity,
    /// The environments it applies to.
    pub applies_to: AppliesTo,
    /// How to fix a violation.
    pub fix: &'static str,
}

impl Rule {
    /// Whether the rule applies to an environment that does (or does not) keep data.
    pub fn applies(&self, retain_data: bool) -> bool {
        match self.applies_to {
            AppliesTo::Always => true,
            AppliesTo::RetainDataOnly => retain_data,
        }
    }
}
