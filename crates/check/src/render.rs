//! Reports as text (a table per environment), Markdown (for pull requests) and JSON.

use cairn_assembly::{CheckFinding, CheckSuppression, ChecksSection};
use cairn_core::ui::Columns;
use serde_json::{json, Value as Json};

use crate::pack::rules;
use crate::report::{Finding, Report, Status};
use crate::rule::AppliesTo;

impl Report {
    /// The manifest's `"checks"` section: counts, active warnings and suppressions.
    pub fn manifest_section(&self) -> ChecksSection {
        manifest_section(self)
    }
}

/// One finding as the manifest records it (and the JSON report shows it).
pub(crate) fn finding_record(f: &Finding) -> CheckFinding {
    CheckFinding {
        rule: f.rule.clone(),
        source: f.source.to_string(),
        severity: f.severity.as_str().to_string(),
        stack: f.stack.clone(),
        logical_id: f.logical_id.clone(),
        path: f.path.clone(),
        message: f.message.clone(),
        fix: f.fix.clone(),
        suppressed: f.suppressed.clone(),
    }
}

/// One finding as JSON.
pub(crate) fn finding_json(f: &Finding) -> Json {
    json!(finding_record(f))
}

/// A report as JSON.
pub fn json(report: &Report) -> Json {
    json!({
        "environment": report.environment,
        "retainData": report.retain_data,
        "summary": summary_json(report),
        "findings": report.findings.iter().map(finding_json).collect::<Vec<_>>(),
        "rules": report.outcomes.iter().map(|o| json!({
            "rule": o.rule,
            "source": o.source.to_string(),
            "severity": o.severity.as_str(),
            "status": o.status.as_str(),
        })).collect::<Vec<_>>(),
        "suppressions": suppressions_json(report),
    })
}

fn summary_json(report: &Report) -> Json {
    json!({
        "errors": report.errors(),
        "warnings": report.warnings(),
        "suppressed": report.suppressed(),
        "rulesChecked": rules_checked(report),
        "resourcesChecked": report.resources_checked,
    })
}

fn suppression_records(report: &Report) -> Vec<CheckSuppression> {
    report
        .suppressions
        .iter()
        .map(|s| CheckSuppression {
            rule: s.rule.clone(),
            path: s.path.clone(),
            reason: s.reason.clone(),
            silenced: s.silenced,
        })
        .collect()
}

fn suppressions_json(report: &Report) -> Json {
    json!(suppression_records(report))
}

/// The manifest's `"checks"` section: what reviewers need without re-running checks
/// (synthesis fails on errors, so findings here are warnings and suppressed ones).
pub fn manifest_section(report: &Report) -> ChecksSection {
    ChecksSection {
        errors: report.errors(),
        warnings: report.warnings(),
        suppressed: report.suppressed(),
        rules_checked: rules_checked(report),
        resources_checked: report.resources_checked,
        findings: report.findings.iter().map(finding_record).collect(),
        suppressions: suppression_records(report),
    }
}

fn rules_checked(report: &Report) -> usize {
    report.outcomes.iter().filter(|o| o.status != Status::NotApplicable).count()
}

/// One line: `prod: 0 errors, 1 warning, 2 suppressed (37 rules, 112 resources)`.
pub fn summary_line(report: &Report) -> String {
    let rules = rules_checked(report);
    format!(
        "{}: {}, {}, {} suppressed ({rules} rules, {} resources)",
        report.environment,
        plural(report.errors(), "error"),
        plural(report.warnings(), "warning"),
        report.suppressed(),
        report.resources_checked
    )
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A table of findings with the fix under each, then the suppressions.
pub fn text(report: &Report) -> String {
    let mut s = summary_line(report) + "\n";
    if !report.findings.is_empty() {
        let rows: Vec<[String; 4]> = report
            .findings
            .iter()
            .map(|f| {
                let severity = if f.is_active() {
                    f.severity.as_str().to_string()
                } else {
                    "suppressed".into()
                };
                [f.rule.clone(), severity, f.path.clone(), f.message.clone()]
            })
            .collect();
        let header = ["RULE".to_string(), "SEVERITY".into(), "RESOURCE".into(), "MESSAGE".into()];
        let columns = Columns::fit("  ", rows.iter().chain([&header]).map(|r| r.as_slice()));
        let line = |r: &[String; 4]| columns.line(r, &|_, c| c.to_string()) + "\n";
        s += &line(&header);
        // The fix (or the suppression's reason) goes under the message.
        let indent = columns.offset_of_column(3);
        for (row, f) in rows.iter().zip(&report.findings) {
            s += &line(row);
            match &f.suppressed {
                Some(reason) => s += &format!("{:indent$}suppressed: {reason}\n", ""),
                None => s += &format!("{:indent$}fix: {}\n", "", f.fix),
            }
        }
    }
    if !report.suppressions.is_empty() {
        s += "  suppressions:\n";
        for x in &report.suppressions {
            s += &format!("    {} on {} ({} silenced): {}\n", x.rule, x.path, x.silenced, x.reason);
        }
    }
    s
}

/// A Markdown section: summary, findings table, suppressions table.
pub fn markdown(report: &Report) -> String {
    let cell = |x: &str| x.replace('|', "\\|").replace('\n', " ");
    let mut s = format!("### Policy checks: {}\n\n", report.environment);
    s += &format!("{}\n\n", summary_line(report));
    if report.findings.is_empty() {
        s += "No findings.\n";
    } else {
        s += "| Rule | Severity | Resource | Message | Fix |\n|---|---|---|---|---|\n";
        for f in &report.findings {
            let severity = match &f.suppressed {
                None => f.severity.as_str().to_string(),
                Some(_) => format!("suppressed ({})", f.severity.as_str()),
            };
            let fix = f
                .suppressed
                .as_ref()
                .map(|r| format!("suppressed: {r}"))
                .unwrap_or_else(|| f.fix.clone());
            s += &format!(
                "| `{}` | {} | `{}` | {} | {} |\n",
                cell(&f.rule),
                severity,
                cell(&f.path),
                cell(&f.message),
                cell(&fix)
            );
        }
    }
    if !report.suppressions.is_empty() {
        s += "\n| Suppressed rule | Construct | Reason | Silenced |\n|---|---|---|---|\n";
        for x in &report.suppressions {
            s += &format!(
                "| `{}` | `{}` | {} | {} |\n",
                cell(&x.rule),
                cell(&x.path),
                cell(&x.reason),
                x.silenced
            );
        }
    }
    s
}

/// The built-in rules as a table (`cairn check --list-rules`).
pub fn rule_list() -> String {
    let all = rules();
    let w = all.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut s = String::new();
    for r in all {
        let scope = match r.applies_to {
            AppliesTo::Always => "all environments",
            AppliesTo::RetainDataOnly => "where data is kept",
        };
        s += &format!(
            "{:<w$}  {:<7}  {:<18}  {}\n{:w$}  fix: {}\n",
            r.id,
            r.severity.as_str(),
            scope,
            r.title,
            "",
            r.fix
        );
    }
    s
}

/// The built-in rules as JSON.
pub fn rule_list_json() -> Json {
    Json::Array(
        rules()
            .into_iter()
            .map(|r| {
                json!({
                    "id": r.id,
                    "title": r.title,
                    "severity": r.severity.as_str(),
                    "appliesTo": match r.applies_to { AppliesTo::Always => "always", AppliesTo::RetainDataOnly => "retain_data" },
                    "fix": r.fix,
                })
            })
            .collect(),
    )
}
