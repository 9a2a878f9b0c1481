//! Policy checks on synthesized environments: the built-in rules `synth` and
//! `deploy` run, and the full report of `check` (built-in rules plus Guard files).

use cairn_assembly::ChecksSection;
use cairn_check::check_env;
use cairn_core::Assembly;

use crate::error::{CliError, CliResult};
use crate::guard::{self, GuardFile};

/// The check types and renderers the commands use, named in one place.
pub use cairn_check::{render, Report, Severity, Source};

/// Every environment of `assembly` checked against the built-in rules and the
/// `guard_files`, one report per environment.
pub fn check_environments(assembly: &Assembly, guard_files: &[GuardFile]) -> CliResult<Vec<Report>> {
    let mut reports: Vec<Report> = Vec::new();
    for env in &assembly.environments {
        let mut report = check_env(env).map_err(|e| CliError::ChecksBroken {
            errors: e,
            then: "policy checks failed",
        })?;
        if !guard_files.is_empty() {
            let (findings, outcomes) = guard::evaluate(env, guard_files)?;
            report.merge(findings, outcomes);
        }
        reports.push(report);
    }
    Ok(reports)
}

/// The checks `synth` runs: built-in rules on every environment. Returns each
/// environment's manifest section (`"checks"`); prints warnings to stderr unless
/// `quiet`; fails, naming every error, when any error is not suppressed.
pub fn synth_checks(assembly: &Assembly, skip: bool, quiet: bool) -> CliResult<Vec<(String, ChecksSection)>> {
    if skip {
        return Ok(Vec::new());
    }
    let mut sections = Vec::new();
    let mut problems = String::new();
    let mut errors = 0;
    for env in &assembly.environments {
        let report = check_env(env).map_err(|e| CliError::ChecksBroken {
            errors: e,
            then: "synthesis failed: nothing was written",
        })?;
        errors += report.errors();
        for f in report.findings.iter().filter(|f| f.is_active()) {
            let line = format!(
                "{} {} {}/{}: {}\n  fix: {}\n",
                f.severity, f.rule, report.environment, f.path, f.message, f.fix
            );
            if f.severity == Severity::Error {
                problems += &line;
            } else if !quiet {
                eprint!("{line}");
            }
        }
        sections.push((report.environment.clone(), report.manifest_section()));
    }
    if errors > 0 {
        return Err(CliError::ChecksFailed(format!(
            "{problems}policy checks failed: {errors} error(s); synthesis failed: nothing was written\n  \
             (suppress a rule on a construct only with a reason: construct.suppress(RULE, reason); `cairn check ENV` shows the report)"
        )));
    }
    Ok(sections)
}
