//! Running the rule pack on one environment: suppressions validated, findings
//! collected, suppressions applied, and each rule's outcome.

use cairn_core::EnvArtifact;
use cairn_core::{Error, Errors};

use crate::model::Cx;
use crate::pack::{self, rules};
use crate::report::{sort_findings, Out, Outcome, Report, Source, Status, SuppressionNote};
use crate::rule::Rule;

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
    pack::run(&cx, &mut out);

    let retain = env.settings.retain_data;
    let mut findings = out.applicable(retain);
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

/// `; did you mean X?` for a near-miss rule ID.
fn similar(id: &str, known: &[&Rule]) -> String {
    let upper = id.to_ascii_uppercase().replace('_', "-");
    known
        .iter()
        .find(|r| r.id == upper || r.id.contains(&upper) || upper.contains(r.id))
        .map(|r| format!("; did you mean `{}`?", r.id))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::testing::{env_of, hits, r, stack, suppression};
    use crate::{render, sqs};

    fn unencrypted_queue_env(suppressions: Vec<cairn_core::Suppression>) -> EnvArtifact {
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
        assert_eq!(status("DDB-DELETION-PROTECTION"), Status::NotApplicable);
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
        assert_eq!(manifest.suppressed, 1);
        assert_eq!(manifest.suppressions[0].path, "data/Jobs");
    }
}
