//! `parity --deployed`: the templates deployed in each environment, compared like a
//! synthesis, and each environment against this commit's synthesis (skew).

use cairn_core::application::LoadedEnv;
use cairn_core::{Application, Assembly, EnvArtifact};
use cairn_parity::{self as parity, Flat, Normalizer, Parallel, Report, Skew, Source};

use super::at_least_two;
use crate::aws;
use crate::checkout;
use crate::error::CliResult;
use crate::ops::deployed::deployed_template;
use crate::ops::environment::load_envs;
use crate::project::Project;

/// The templates deployed in each named environment (all when none is named; through
/// `endpoint` when given), compared like a synthesis (attributed with this commit's
/// knobs), and each against this commit.
pub fn compare_deployed<A: Application + Sync>(project: &Project<A>, names: &[String], endpoint: Option<&str>) -> CliResult<Report> {
    let envs = load_envs(project, names)?;
    at_least_two(&envs.iter().map(|e| e.name.clone()).collect::<Vec<_>>())?;
    let assembly = project.synth(&envs)?;
    let mut skew = Vec::new();
    let mut flats: Vec<Option<Flat>> = Vec::new();
    for artifact in &assembly.environments {
        let (s, flat) = deployed_env(artifact, endpoint)?;
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
            // all-knobs synthesis says nothing about them, nor does the comparison of the
            // synthesized templates (which items differ).
            input.flat = flat;
            input.residual = None;
            input.hints.clear();
            input.differing_items = None;
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
    Ok(report)
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
        if let Some(template) = deployed_template(&clients.cloudformation, &stack.name)? {
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
