//! `cairn check`: policy checks on synthesized environments, built-in rules plus
//! CloudFormation Guard rule files, as a table, Markdown or JSON.

use std::path::{Path, PathBuf};

use cairn_core::Application;
use clap::{Args, ValueEnum};

use crate::error::{CliError, CliResult};
use crate::guard::{self, DEFAULT_RULES_DIR};
use crate::ops::checks::{self, render, Report, Source};
use crate::project::Project;
use crate::ui::Style;

/// Report format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
#[command(
    about = "Check synthesized templates against the built-in policy rules and Guard rule files",
    long_about = "Check synthesized templates against the built-in policy rules and CloudFormation Guard rules.\n\n\
Synthesizes the environments (nothing is written), runs cairn's built-in rules (security,\n\
compliance, configuration; `--list-rules` lists them) and every Guard rule file given with\n\
--rules or found in the project's rules/ folder, and prints one report per environment: rule, severity,\n\
resource path, message and fix. Suppressions made in code (`construct.suppress(RULE, reason)`)\n\
are shown with their reasons. Exits 1 when any error-severity finding is not suppressed.",
    after_help = "Examples:\n  cairn check                          every environment\n  cairn check prod --format markdown\n  cairn check staging --rules team.guard more-rules/\n  cairn check --list-rules"
)]
pub struct CheckArgs {
    /// Environments to check (default: all).
    pub envs: Vec<String>,
    /// Check every environment.
    #[arg(long)]
    pub all: bool,
    /// CloudFormation Guard rule files or folders of *.guard files (the project's rules/ folder is always included when it exists).
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// Do not pick up the project's rules/ folder.
    #[arg(long)]
    pub no_default_rules: bool,
    /// Report format: a table for people, Markdown for PR comments, JSON for scripts.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// List the built-in rules and exit.
    #[arg(long)]
    pub list_rules: bool,
}

pub fn run<A: Application>(project: &Project<A>, args: &CheckArgs, style: Style) -> CliResult {
    if args.list_rules {
        match args.format {
            CheckFormat::Json => println!("{}", pretty(&render::rule_list_json())?),
            _ => print!("{}", render::rule_list()),
        }
        return Ok(());
    }
    if args.all && !args.envs.is_empty() {
        return Err(CliError::BadInput("pass environment names or --all, not both".into()));
    }
    let project_rules = project.rules_dir().unwrap_or_else(|| Path::new(DEFAULT_RULES_DIR).to_path_buf());
    let default_dir = (!args.no_default_rules).then_some(project_rules.as_path());
    let guard::Loaded {
        files: guard_files,
        warnings,
    } = guard::load(&args.rules, default_dir)?;
    for warning in &warnings {
        eprintln!("{warning}");
    }
    let envs = project.select_envs(&args.envs, args.all || args.envs.is_empty())?;
    let assembly = project.synth(&envs)?;

    let reports = checks::check_environments(&assembly, &guard_files)?;

    match args.format {
        CheckFormat::Json => {
            let list: Vec<_> = reports.iter().map(render::json).collect();
            println!("{}", pretty(&serde_json::Value::Array(list))?);
        }
        CheckFormat::Markdown => {
            for r in &reports {
                println!("{}", render::markdown(r));
                print!("{}", guard_lines(r, "- "));
            }
        }
        CheckFormat::Text => {
            for r in &reports {
                let text = render::text(r);
                let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
                let head = if r.errors() > 0 {
                    style.red(first)
                } else if r.warnings() > 0 {
                    style.yellow(first)
                } else {
                    style.green(first)
                };
                println!("{}", style.bold(&head));
                print!("{rest}");
                print!("{}", guard_lines(r, "  "));
            }
        }
    }

    let errors: usize = reports.iter().map(Report::errors).sum();
    if errors > 0 {
        let envs: Vec<&str> = reports.iter().filter(|r| r.errors() > 0).map(|r| r.environment.as_str()).collect();
        return Err(CliError::ChecksFailed(format!(
            "policy checks failed: {errors} error(s) in {}",
            envs.join(", ")
        )));
    }
    Ok(())
}

/// `guard shop.guard: rule_a passed, rule_b failed` lines, one per Guard file.
fn guard_lines(report: &Report, prefix: &str) -> String {
    let mut by_file: Vec<(String, Vec<String>)> = Vec::new();
    for o in report.outcomes.iter().filter(|o| o.source != Source::BuiltIn) {
        let file = o.source.to_string();
        let entry = format!("{} {}", o.rule, o.status.as_str());
        match by_file.iter_mut().find(|(f, _)| *f == file) {
            Some((_, v)) => v.push(entry),
            None => by_file.push((file, vec![entry])),
        }
    }
    by_file
        .into_iter()
        .map(|(file, rules)| format!("{prefix}{file}: {}\n", rules.join(", ")))
        .collect()
}

fn pretty(v: &serde_json::Value) -> CliResult<String> {
    serde_json::to_string_pretty(v).map_err(CliError::Json)
}
