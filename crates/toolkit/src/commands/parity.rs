//! `cairn parity`: environments differ only through their declared knobs.
//!
//! Synthesizes the environments (or reads `--out DIR`, or the deployed templates
//! with `--deployed`), compares them property by property and attributes every
//! difference to the environment-file field that drives it. Exit 1 when a
//! difference is undeclared. `deploy` calls [`gate`] first.

use std::path::PathBuf;

use cairn_core::application::LoadedEnv;
use cairn_core::{Application, Assembly, EnvArtifact};
use cairn_parity::{self as parity, record, render, Flat, Normalizer, Parallel, Report, Skew, Source};
use clap::{Args, ValueEnum};
use serde_json::Value as Json;

use crate::aws::{self, EndpointArgs};
use crate::checkout;
use crate::error::{CliError, CliResult};
use crate::project::Project;
use crate::ui::Style;

/// Output format of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Args)]
#[command(
    about = "Check that environments differ only in their declared knobs",
    long_about = "Check that environments differ only in their declared knobs.\n\n\
Compares the environments' templates stack by stack, resource by resource and property by\n\
property (environment names, account ids and regions inside names and ARNs are normalized\n\
away). Each difference is attributed to the environment-file field (knob) that drives it:\n\
the reference environment (the last in promotion order) is synthesized again with the\n\
environment's value for each knob, and the environment with every knob at the reference's\n\
value; whatever still differs then is UNDECLARED. Knobs declared to match between some environments are checked too.\n\n\
With --out DIR the templates of an earlier `cairn synth` are checked (synth records which\n\
field drives which property in each manifest); with --deployed the templates deployed in\n\
each environment are compared, and each environment is compared with this commit's synthesis\n\
(\"this commit plus uncommitted changes\" when the git checkout is dirty, \"this synthesis\" outside one).",
    after_help = "Examples:\n  cairn parity\n  cairn parity staging prod --format markdown\n  cairn parity --out out --format json\n  cairn parity --deployed\n\n\
Exit codes: 0 every difference is declared, 1 undeclared differences (listed first), 2 bad input."
)]
pub struct ParityArgs {
    /// Environments to compare (default: all); compared in promotion order.
    pub envs: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Check the templates of an existing synthesis output folder instead of synthesizing.
    #[arg(long, value_name = "DIR", conflicts_with = "deployed")]
    pub out: Option<PathBuf>,
    /// Compare the templates deployed in each environment (GetTemplate), and each with this commit.
    #[arg(long)]
    pub deployed: bool,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

/// Loads the named environments (all when none is named), in promotion order.
pub fn load_envs<A: Application>(project: &Project<A>, names: &[String]) -> CliResult<Vec<LoadedEnv<A::Config>>> {
    let mut envs = project.select_envs(names, names.is_empty())?;
    envs.sort_by(|a, b| a.name.cmp(&b.name));
    envs.dedup_by(|a, b| a.name == b.name);
    Ok(cairn_core::application::in_promotion_order(envs)?)
}

/// Synthesizes `envs` and compares them; also returns the synthesis.
pub fn check<A: Application + Sync>(
    project: &Project<A>,
    envs: &[LoadedEnv<A::Config>],
) -> CliResult<(Assembly, Vec<parity::EnvInput>, Report)> {
    // Syntheses run on every core: the per-knob variants are independent.
    let (assembly, inputs) = parity::analyze_with(project, envs, true, &Parallel(project))?;
    let report = parity::compare(project.name(), Source::Synthesis, &inputs, &project.knobs());
    Ok((assembly, inputs, report))
}

pub fn print(report: &Report, format: Format, style: Style) -> CliResult {
    let text = match format {
        Format::Text => render::text(report, style.enabled),
        Format::Markdown => render::markdown(report),
        Format::Json => serde_json::to_string_pretty(&render::json(report)).map_err(|e| CliError::failure(e.to_string()))? + "\n",
    };
    print!("{text}");
    Ok(())
}

fn outcome(report: &Report) -> CliResult {
    if report.ok() {
        return Ok(());
    }
    let n = report.undeclared_count();
    Err(CliError::with_code(
        1,
        format!(
            "error: {n} undeclared difference{} between {}; make the code depend on an environment-file field \
             declared as a knob (Application::knobs), or remove the difference",
            if n == 1 { "" } else { "s" },
            report.envs.join(", ")
        ),
    ))
}

/// Exit 2 unless at least two environments are compared: one alone has nothing to
/// differ from, and "OK" would say nothing.
fn at_least_two(names: &[String]) -> CliResult {
    let mut distinct = names.to_vec();
    distinct.sort();
    distinct.dedup();
    if distinct.len() >= 2 {
        return Ok(());
    }
    Err(CliError::bad_input(format!(
        "error: parity compares at least two environments, but {}; e.g. `cairn parity` (all of them) or `cairn parity staging prod`",
        match distinct.first() {
            Some(one) => format!("only `{one}` was given"),
            None => "there is none".to_string(),
        }
    )))
}

/// `--out DIR`: reads the synthesis. Without names, every environment that has an
/// environment file must be in DIR (a missing one is not silently skipped); with
/// names, those.
fn read_out<A: Application>(
    project: &Project<A>,
    dir: &std::path::Path,
    names: &[String],
) -> CliResult<(String, Vec<parity::EnvInput>, Vec<cairn_core::Knob>)> {
    let bad = |e: String| CliError::bad_input(format!("error: {e}"));
    if names.is_empty() {
        let envs_dir = project.environments_dir();
        let required =
            cairn_core::application::environment_names(&envs_dir).map_err(|e| bad(format!("{}: {}", envs_dir.display(), e.message)))?;
        let present = record::environments_in(dir).map_err(|e| bad(e.to_string()))?;
        let missing: Vec<&String> = required.iter().filter(|n| !present.contains(n)).collect();
        if !missing.is_empty() {
            let shown: Vec<String> = missing
                .iter()
                .map(|n| dir.join(n).join(cairn_core::assembly::MANIFEST_FILE).display().to_string())
                .collect();
            return Err(bad(format!(
                "the synthesis in {dir} lacks {} (missing: {}); every environment with an environment file in {} \
                 must be checked. Synthesize them all: cairn synth --all --out {dir} (or name the environments to \
                 compare: cairn parity --out {dir} ENV ENV)",
                missing.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", "),
                shown.join(", "),
                envs_dir.display(),
                dir = dir.display()
            )));
        }
    }
    let read = record::read_out_dir(dir, names).map_err(|e| bad(e.to_string()))?;
    at_least_two(&read.1.iter().map(|e| e.name.clone()).collect::<Vec<_>>())?;
    Ok(read)
}

pub fn run<A: Application + Sync>(project: &Project<A>, args: &ParityArgs, style: Style) -> CliResult {
    if !args.envs.is_empty() {
        at_least_two(&args.envs)?;
    }
    if args.deployed {
        return deployed(project, args, style);
    }
    let report = match &args.out {
        Some(dir) => {
            let (app, inputs, knobs) = read_out(project, dir, &args.envs)?;
            parity::compare(&app, Source::OutDir(dir.display().to_string()), &inputs, &knobs)
        }
        None => {
            let envs = load_envs(project, &args.envs)?;
            at_least_two(&envs.iter().map(|e| e.name.clone()).collect::<Vec<_>>())?;
            check(project, &envs)?.2
        }
    };
    print(&report, args.format, style)?;
    outcome(&report)
}

/// `--deployed`: the templates deployed in each environment, compared like a
/// synthesis (attributed with this commit's knobs), and each against this commit.
fn deployed<A: Application + Sync>(project: &Project<A>, args: &ParityArgs, style: Style) -> CliResult {
    let envs = load_envs(project, &args.envs)?;
    at_least_two(&envs.iter().map(|e| e.name.clone()).collect::<Vec<_>>())?;
    let assembly = project.synth(&envs)?;
    let mut skew = Vec::new();
    let mut flats: Vec<Option<Flat>> = Vec::new();
    for artifact in &assembly.environments {
        let (s, flat) = deployed_env(artifact, args.endpoint.endpoint_url.as_deref())?;
        skew.push(s);
        flats.push(flat);
    }
    // Attribute with the knobs of the deployed environments only (the last is the reference).
    let deployed_names: Vec<&str> = envs
        .iter()
        .zip(&flats)
        .filter(|(_, f)| f.is_some())
        .map(|(e, _)| e.name.as_str())
        .collect();
    let deployed_envs: Vec<LoadedEnv<A::Config>> = load_envs(project, &deployed_names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .map(|v| v.into_iter().filter(|e| deployed_names.contains(&e.name.as_str())).collect())
        .unwrap_or_default();
    let mut inputs = Vec::new();
    if !deployed_envs.is_empty() {
        let (_, synthesized) = parity::analyze_with(project, &deployed_envs, true, &Parallel(project))?;
        for mut input in synthesized {
            let Some(flat) = envs.iter().position(|e| e.name == input.name).and_then(|i| flats[i].take()) else {
                continue;
            };
            // What the deployed templates show is judged by what the knobs drive; the
            // all-knobs synthesis says nothing about them.
            input.flat = flat;
            input.residual = None;
            input.hints.clear();
            inputs.push(input);
        }
    }
    let notes = drop_partly_deployed_stacks(&mut inputs, &assembly);
    let mut report = parity::compare(project.name(), Source::Deployed, &inputs, &project.knobs());
    report.notes.extend(notes);
    if inputs.is_empty() {
        report.envs = Vec::new();
    }
    report.skew = skew;
    report.skew_against = checkout::synthesis_label(&project.environments_dir()).to_string();
    print(&report, args.format, style)?;
    outcome(&report)
}

/// Stacks that some compared environment has not deployed are not compared at all:
/// a stack missing from one environment's account says nothing about its code. They
/// are removed from every input; returns a note per environment that lacks them.
fn drop_partly_deployed_stacks(inputs: &mut [parity::EnvInput], assembly: &Assembly) -> Vec<parity::Note> {
    let mut notes = Vec::new();
    if inputs.len() < 2 {
        return notes;
    }
    // Stack ids in deploy order, over the compared environments.
    let mut ids: Vec<String> = Vec::new();
    for artifact in &assembly.environments {
        if inputs.iter().any(|i| i.name == artifact.name()) {
            for s in &artifact.stacks {
                if !ids.contains(&s.id) {
                    ids.push(s.id.clone());
                }
            }
        }
    }
    let skipped: Vec<String> = ids
        .into_iter()
        .filter(|id| inputs.iter().any(|i| !i.flat.stack_names.contains_key(id)))
        .collect();
    if skipped.is_empty() {
        return notes;
    }
    for input in inputs.iter() {
        let missing: Vec<&str> = skipped
            .iter()
            .filter(|id| !input.flat.stack_names.contains_key(*id))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            notes.push(parity::Note {
                environment: input.name.clone(),
                message: format!(
                    "partly deployed: stack{} {} not deployed, so not compared in any environment",
                    if missing.len() == 1 { "" } else { "s" },
                    missing.join(", ")
                ),
                undeclared: false,
            });
        }
    }
    for input in inputs.iter_mut() {
        let flat = &mut input.flat;
        flat.items.retain(|k, _| !skipped.contains(&k.stack));
        flat.stacks.retain(|s| !skipped.contains(s));
        flat.stack_names.retain(|s, _| !skipped.contains(s));
        flat.paths.retain(|(s, _), _| !skipped.contains(s));
        for d in input.drives.values_mut() {
            d.retain(|k| !skipped.contains(&k.stack));
        }
    }
    notes
}

/// One environment's deployed templates (flattened; None when no stack is deployed)
/// and how far they are from this commit's synthesis.
fn deployed_env(artifact: &EnvArtifact, endpoint: Option<&str>) -> CliResult<(Skew, Option<Flat>)> {
    let settings = &artifact.settings;
    let mut skew = Skew {
        environment: settings.name.clone(),
        stacks: Vec::new(),
        unreadable: None,
    };
    let clients = aws::connect(settings, endpoint)?;
    match clients.caller_account() {
        Ok(account) if account != settings.account => {
            skew.unreadable = Some(format!(
                "the credentials in use belong to account {account}, not {} (switch AWS_PROFILE to compare it)",
                settings.account
            ));
            return Ok((skew, None));
        }
        Ok(_) => {}
        Err(e) => return Err(e.into()),
    }
    let norm = Normalizer::new(&settings.name, &settings.account, &settings.region);
    let mut flat = Flat::default();
    let mut any = false;
    for stack in &artifact.stacks {
        if let Some(template) = crate::commands::diff::deployed_template(&clients.cloudformation, &stack.name)? {
            parity::flatten_stack(&mut flat, &norm, &stack.id, &stack.name, &template);
            any = true;
        }
    }
    let synthesized = parity::flatten_env(artifact);
    let changes = parity::changes(&flat, &synthesized);
    // Stacks in deploy order; a deployed one gets its number of changed items.
    skew.stacks = artifact
        .stacks
        .iter()
        .map(|s| {
            let deployed = flat.stack_names.contains_key(&s.id);
            (s.name.clone(), deployed.then(|| changes.get(&s.id).copied().unwrap_or(0)))
        })
        .collect();
    Ok((skew, any.then_some(flat)))
}

/// The `parity` sections of the manifests of `assembly`'s environments (same order
/// as `envs`): which environment-file field drives which property, for `parity --out`.
pub fn manifest_sections<A: Application + Sync>(project: &Project<A>, envs: &[LoadedEnv<A::Config>], assembly: &Assembly) -> Vec<Json> {
    // Every environment file gives the reference; when some other file does not load,
    // synthesizing one environment still works (the latest synthesized one is used).
    let all = project.all_envs().unwrap_or_default();
    let synthesized: Vec<_> = envs.iter().zip(&assembly.environments).collect();
    record::records_with(project, &synthesized, &all, &Parallel(project))
}

/// Before deploying `target`: its parity with the reference environment (the last in
/// promotion order; for the reference itself, the one before it). Undeclared
/// differences stop the deployment unless `allow` (`--allow-parity-drift`).
pub fn gate<A: Application + Sync>(project: &Project<A>, target: &str, allow: bool, style: Style) -> CliResult {
    let all = load_envs(project, &[])?;
    let Some(pos) = all.iter().position(|e| e.name == target) else {
        return Ok(());
    };
    if all.len() < 2 {
        return Ok(());
    }
    let last = all.len() - 1;
    let pair = if pos == last { [last - 1, last] } else { [pos, last] };
    let other = if pos == last {
        all[last - 1].name.clone()
    } else {
        all[last].name.clone()
    };
    let envs: Vec<LoadedEnv<A::Config>> = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| pair.contains(i))
        .map(|(_, e)| e)
        .collect();
    // Declared or not is all the gate needs; naming each difference's knob is not.
    let (_, inputs) = parity::analyze_with(project, &envs, false, &Parallel(project))?;
    let report = parity::compare(project.name(), Source::Synthesis, &inputs, &project.knobs());
    if report.ok() {
        return Ok(());
    }
    let n = report.undeclared_count();
    eprint!("{}", undeclared_list(&report, style));
    if allow {
        eprintln!(
            "{}",
            style.yellow(&format!(
                "warning: {target} has {n} undeclared difference{} from {other}; deploying anyway (--allow-parity-drift)",
                if n == 1 { "" } else { "s" }
            ))
        );
        return Ok(());
    }
    Err(CliError::failure(format!(
        "error: {target} has {n} undeclared difference{} from {other} (listed above; `cairn parity {} {}` shows them all); \
         refusing to deploy. Fix them, or pass --allow-parity-drift to deploy anyway",
        if n == 1 { "" } else { "s" },
        envs[0].name,
        envs[1].name
    )))
}

/// The undeclared differences, one per line.
fn undeclared_list(report: &Report, style: Style) -> String {
    let text = render::text(report, style.enabled);
    // The text report lists them in its first section; print just that section.
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.contains("Undeclared differences") {
            inside = true;
        } else if inside && line.trim().is_empty() {
            break;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
