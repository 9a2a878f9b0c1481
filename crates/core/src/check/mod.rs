//! Policy checks: a built-in rule pack run on every synthesized environment.
//!
//! Rules are pure functions over the synthesized JSON templates of one environment
//! (so cross-stack references, e.g. a flow log in another stack than its VPC, are
//! followed through exports). Each rule has a stable ID, a title, a severity, the
//! environments it applies to and a fix. A finding on a construct that suppressed
//! the rule (`Scope::suppress`) is kept in the report with its reason but does not
//! count. Errors fail `synth`; warnings are printed and recorded in the manifest.

mod dynamodb;
mod ec2;
mod ecs;
mod elb;
mod iam;
mod logs;
mod model;
mod rds;
pub mod render;
mod s3;
mod sqs;
#[cfg(test)]
mod testing;

use std::fmt;

use crate::error::{Error, Errors};
use crate::synth::EnvArtifact;

pub use iam::ACTIONS_REQUIRING_STAR;
use model::{Cx, Res};

/// How bad a violation is: errors fail `synth` and `check`, warnings are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
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
    Always,
    /// Only where the environment keeps data (`retain_data = true`).
    RetainDataOnly,
}

/// A built-in rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Stable ID (`S3-ENCRYPTION`), used in suppressions and reports.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub applies_to: AppliesTo,
    pub fix: &'static str,
}

impl Rule {
    pub fn applies(&self, retain_data: bool) -> bool {
        match self.applies_to {
            AppliesTo::Always => true,
            AppliesTo::RetainDataOnly => retain_data,
        }
    }
}

/// Every built-in rule, grouped by service.
pub fn rules() -> Vec<&'static Rule> {
    [
        s3::RULES,
        sqs::RULES,
        dynamodb::RULES,
        rds::RULES,
        ecs::RULES,
        ec2::RULES,
        elb::RULES,
        iam::RULES,
        logs::RULES,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The built-in rule with this ID.
pub fn rule(id: &str) -> Option<&'static Rule> {
    rules().into_iter().find(|r| r.id == id)
}

/// Where a rule comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
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
    pub source: Source,
    pub severity: Severity,
    /// CloudFormation stack name (`shop-prod-data`).
    pub stack: String,
    pub logical_id: String,
    /// Construct path `<stack id>/<path>` (from the resource's `cairn:path` metadata).
    pub path: String,
    pub message: String,
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
    Passed,
    Failed,
    /// Every violation is suppressed.
    Suppressed,
    /// The rule does not apply to this environment (or, for Guard, to any template).
    NotApplicable,
}

impl Status {
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
    pub rule: String,
    pub source: Source,
    pub severity: Severity,
    pub status: Status,
}

/// A suppression as reviewers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionNote {
    pub rule: String,
    /// `<stack id>/<path>`.
    pub path: String,
    pub reason: String,
    /// Findings it silenced in this environment.
    pub silenced: usize,
}

/// The policy-check result of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub environment: String,
    pub retain_data: bool,
    /// Every finding, suppressed ones included, ordered by severity, rule, path.
    pub findings: Vec<Finding>,
    /// Every rule evaluated, built-in first.
    pub outcomes: Vec<Outcome>,
    pub suppressions: Vec<SuppressionNote>,
    pub resources_checked: usize,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

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

    /// The manifest's `"checks"` section: counts, active warnings and suppressions.
    pub fn manifest_section(&self) -> serde_json::Value {
        render::manifest_section(self)
    }
}

/// Runs every built-in rule on one environment. A suppression naming an unknown rule,
/// or placed on a whole stack instead of a construct, is an error.
pub fn check_env(env: &EnvArtifact) -> Result<Report, Errors> {
    let known = rules();
    let mut errors = Vec::new();
    for stack in &env.stacks {
        for s in &stack.suppressions {
            let at = format!("{}/{}/{}", env.name(), stack.id, s.path);
            if !known.iter().any(|r| r.id == s.rule) {
                errors.push(
                    Error::new(format!("suppression names `{}`, which is not a built-in rule", s.rule))
                        .at(at.trim_end_matches('/'))
                        .property("suppress")
                        .fix(format!("use a rule ID from `cairn check --list-rules`{}", similar(&s.rule, &known))),
                );
            } else if s.path.is_empty() {
                errors.push(
                    Error::new(format!("`{}` is suppressed on the whole stack", s.rule))
                        .at(at.trim_end_matches('/'))
                        .property("suppress")
                        .fix("suppress the rule on the construct it does not apply to (e.g. bucket.suppress(..))"),
                );
            }
        }
    }
    if !errors.is_empty() {
        return Err(Errors(errors));
    }

    let cx = Cx::new(env);
    let mut out = Out::default();
    s3::check(&cx, &mut out);
    sqs::check(&cx, &mut out);
    dynamodb::check(&cx, &mut out);
    rds::check(&cx, &mut out);
    ecs::check(&cx, &mut out);
    ec2::check(&cx, &mut out);
    elb::check(&cx, &mut out);
    iam::check(&cx, &mut out);
    logs::check(&cx, &mut out);

    let retain = env.settings.retain_data;
    let mut findings: Vec<Finding> = out.0.into_iter().filter(|(rule, _)| rule.applies(retain)).map(|(_, f)| f).collect();
    findings.dedup();
    let mut suppressions = Vec::new();
    for stack in &env.stacks {
        for s in &stack.suppressions {
            let mut silenced = 0;
            for f in findings.iter_mut().filter(|f| f.stack == stack.name && f.rule == s.rule) {
                let inner = f.path.strip_prefix(&format!("{}/", stack.id)).unwrap_or(&f.path);
                if inner == s.path || inner.starts_with(&format!("{}/", s.path)) {
                    f.suppressed.get_or_insert_with(|| s.reason.clone());
                    silenced += 1;
                }
            }
            suppressions.push(SuppressionNote {
                rule: s.rule.clone(),
                path: format!("{}/{}", stack.id, s.path),
                reason: s.reason.clone(),
                silenced,
            });
        }
    }
    sort_findings(&mut findings);
    let outcomes = known
        .iter()
        .map(|r| {
            let mine = findings.iter().filter(|f| f.rule == r.id);
            let (mut any, mut active) = (false, false);
            for f in mine {
                any = true;
                active |= f.is_active();
            }
            let status = if !r.applies(retain) {
                Status::NotApplicable
            } else if active {
                Status::Failed
            } else if any {
                Status::Suppressed
            } else {
                Status::Passed
            };
            Outcome {
                rule: r.id.to_string(),
                source: Source::BuiltIn,
                severity: r.severity,
                status,
            }
        })
        .collect();
    Ok(Report {
        environment: env.name().to_string(),
        retain_data: retain,
        findings,
        outcomes,
        suppressions,
        resources_checked: cx.resources.len(),
    })
}

fn sort_findings(findings: &mut [Finding]) {
    findings
        .sort_by(|a, b| (a.severity, &a.rule, &a.stack, &a.path, &a.message).cmp(&(b.severity, &b.rule, &b.stack, &b.path, &b.message)));
}

/// `; did you mean X?` for a near-miss rule ID.
fn similar(id: &str, known: &[&Rule]) -> String {
    let upper = id.to_ascii_uppercase().replace('_', "-");
    known
        .iter()
        .find(|r| r.id == upper || r.id.contains(&upper) || upper.contains(r.id))
        .map(|r| format!("; did you mean `{}`?", r.id))
        .unwrap_or_default()
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
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::testing::{env_of, hits, r, stack, suppression};
    use super::*;

    fn unencrypted_queue_env(suppressions: Vec<crate::tree::Suppression>) -> EnvArtifact {
        let mut s = stack(
            "data",
            vec![
                (
                    "Jobs",
                    r(
                        "AWS::SQS::Queue",
                        "data/Jobs/Resource",
                        json!({"RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}}),
                    ),
                ),
                (
                    "Other",
                    r(
                        "AWS::SQS::Queue",
                        "data/Other/Resource",
                        json!({"RedrivePolicy": {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq"}}),
                    ),
                ),
            ],
        );
        s.suppressions = suppressions;
        env_of(false, vec![s])
    }

    #[test]
    fn rule_ids_are_unique_and_well_formed() {
        let all = rules();
        let mut ids: Vec<&str> = all.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for r in all {
            assert!(
                r.id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.id
            );
            assert!(!r.title.is_empty() && !r.fix.is_empty(), "{}", r.id);
        }
    }

    /// Every rule has a test that asserts a violation is reported with its ID.
    #[test]
    fn every_rule_has_a_violation_test() {
        let sources = [
            include_str!("s3.rs"),
            include_str!("sqs.rs"),
            include_str!("dynamodb.rs"),
            include_str!("rds.rs"),
            include_str!("ecs.rs"),
            include_str!("ec2.rs"),
            include_str!("elb.rs"),
            include_str!("iam.rs"),
            include_str!("logs.rs"),
        ]
        .concat()
        .split_whitespace()
        .collect::<String>();
        for r in rules() {
            let asserted = sources.contains(&format!("\"{}\"),[\"", r.id));
            assert!(asserted, "no test asserts a finding of {}", r.id);
        }
    }

    #[test]
    fn suppression_silences_the_construct_and_its_children_only() {
        let report = check_env(&unencrypted_queue_env(vec![suppression("SQS-ENCRYPTION", "Jobs")])).unwrap();
        assert_eq!(hits(&report, "SQS-ENCRYPTION"), ["data/Other/Resource"]);
        let silenced: Vec<_> = report
            .findings
            .iter()
            .filter(|f| !f.is_active())
            .map(|f| (f.rule.as_str(), f.path.as_str()))
            .collect();
        assert_eq!(silenced, [("SQS-ENCRYPTION", "data/Jobs/Resource")]);
        assert_eq!(report.suppressions[0].silenced, 1);
        assert_eq!(report.suppressions[0].path, "data/Jobs");
        // Other rules on the same construct still count.
        assert_eq!(hits(&report, "SQS-TLS-ONLY"), ["data/Jobs/Resource", "data/Other/Resource"]);
        let status = |id: &str| report.outcomes.iter().find(|o| o.rule == id).unwrap().status;
        assert_eq!(status("SQS-ENCRYPTION"), Status::Failed);
        assert_eq!(status("S3-VERSIONING"), Status::NotApplicable);
        assert_eq!(status("LOGS-RETENTION"), Status::Passed);

        // A prefix of a name is not a parent: `Job` does not cover `Jobs`.
        let report = check_env(&unencrypted_queue_env(vec![suppression("SQS-ENCRYPTION", "Job")])).unwrap();
        assert_eq!(hits(&report, "SQS-ENCRYPTION").len(), 2);

        let both = vec![suppression("SQS-ENCRYPTION", "Jobs"), suppression("SQS-ENCRYPTION", "Other")];
        let report = check_env(&unencrypted_queue_env(both)).unwrap();
        assert!(hits(&report, "SQS-ENCRYPTION").is_empty());
        assert_eq!(
            report.outcomes.iter().find(|o| o.rule == "SQS-ENCRYPTION").unwrap().status,
            Status::Suppressed
        );
        assert_eq!(report.suppressed(), 2);
    }

    #[test]
    fn unknown_rule_or_whole_stack_suppression_is_an_error() {
        let errors = check_env(&unencrypted_queue_env(vec![suppression("SQS_ENCRYPTION", "Jobs")])).unwrap_err();
        let text = errors.to_string();
        assert!(
            text.contains("test/data/Jobs: suppress: suppression names `SQS_ENCRYPTION`, which is not a built-in rule"),
            "{text}"
        );
        assert!(text.contains("did you mean `SQS-ENCRYPTION`?"), "{text}");
        let errors = check_env(&unencrypted_queue_env(vec![suppression("SQS-ENCRYPTION", "")])).unwrap_err();
        assert!(
            errors
                .to_string()
                .contains("test/data: suppress: `SQS-ENCRYPTION` is suppressed on the whole stack"),
            "{errors}"
        );
    }

    #[test]
    fn renderings_name_rule_path_and_fix() {
        let report = check_env(&unencrypted_queue_env(vec![suppression("SQS-ENCRYPTION", "Jobs")])).unwrap();
        let text = render::text(&report);
        assert!(text.starts_with("test: 3 errors, 0 warnings, 1 suppressed ("), "{text}");
        assert!(text.contains("SQS-ENCRYPTION  suppressed  data/Jobs/Resource"), "{text}");
        assert!(text.contains("suppressed: reviewed: does not apply here"), "{text}");
        assert!(text.contains(&format!("fix: {}", sqs::TLS_ONLY.fix)), "{text}");
        let md = render::markdown(&report);
        assert!(md.contains("| `SQS-TLS-ONLY` | error | `data/Jobs/Resource` |"), "{md}");
        assert!(
            md.contains("| `SQS-ENCRYPTION` | `data/Jobs` | reviewed: does not apply here | 1 |"),
            "{md}"
        );
        let json = render::json(&report);
        assert_eq!(json["summary"]["errors"], 3);
        assert_eq!(json["findings"][0]["rule"], "SQS-ENCRYPTION");
        assert_eq!(json["findings"][0]["suppressed"], "reviewed: does not apply here");
        let manifest = report.manifest_section();
        assert_eq!(manifest["suppressed"], 1);
        assert_eq!(manifest["suppressions"][0]["path"], "data/Jobs");
    }
}
