//! Parity between environments: they differ only through their declared knobs.
//! Environments are compared as synthesized now, as an earlier `cairn synth`
//! wrote them (`--out DIR`), or as deployed ([`deployed`]); [`gate`] is the check
//! `deploy` runs first.

pub mod deployed;
pub mod gate;

use std::path::Path;

use cairn_assembly::{ParityRecord, MANIFEST_FILE};
use cairn_core::application::LoadedEnv;
use cairn_core::{Application, Assembly};
use cairn_parity::{self as parity, record, Parallel, Source};

use super::environment::load_envs;
use crate::error::{CliError, CliResult};
use crate::project::Project;

/// The parity types and renderers the commands use, named in one place.
pub use cairn_parity::{render, Report};

/// The named environments (all when none is named) synthesized now and compared.
pub fn compare_synthesized<A: Application + Sync>(project: &Project<A>, names: &[String]) -> CliResult<Report> {
    let envs = load_envs(project, names)?;
    at_least_two(&envs.iter().map(|e| e.name.clone()).collect::<Vec<_>>())?;
    // Syntheses run on every core: the per-knob variants are independent.
    let (_, inputs) = parity::analyze_with(project, &envs, true, &Parallel(project))?;
    Ok(parity::compare(project.name(), Source::Synthesis, &inputs, &project.knobs()))
}

/// The synthesis in `dir` (the named environments, or all) compared, with the knobs
/// its manifests recorded.
pub fn compare_out_dir<A: Application>(project: &Project<A>, dir: &Path, names: &[String]) -> CliResult<Report> {
    let (app, inputs, knobs) = read_out(project, dir, names)?;
    Ok(parity::compare(&app, Source::OutDir(dir.display().to_string()), &inputs, &knobs))
}

/// Exit 2 unless at least two environments are compared: one alone has nothing to
/// differ from, and "OK" would say nothing.
pub fn at_least_two(names: &[String]) -> CliResult {
    let mut distinct = names.to_vec();
    distinct.sort();
    distinct.dedup();
    if distinct.len() >= 2 {
        return Ok(());
    }
    Err(CliError::BadInput(format!(
        "parity compares at least two environments, but {}; e.g. `cairn parity` (all of them) or `cairn parity staging prod`",
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
    dir: &Path,
    names: &[String],
) -> CliResult<(String, Vec<parity::EnvInput>, Vec<cairn_core::Knob>)> {
    fn bad(e: impl std::fmt::Display) -> CliError {
        CliError::BadInput(e.to_string())
    }
    if names.is_empty() {
        let envs_dir = project.environments_dir();
        let required =
            cairn_core::application::environment_names(&envs_dir).map_err(|e| bad(format!("{}: {}", envs_dir.display(), e.message)))?;
        let present = record::environments_in(dir).map_err(bad)?;
        let missing: Vec<&String> = required.iter().filter(|n| !present.contains(n)).collect();
        if !missing.is_empty() {
            let shown: Vec<String> = missing
                .iter()
                .map(|n| dir.join(n).join(MANIFEST_FILE).display().to_string())
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
    let read = record::read_out_dir(dir, names).map_err(bad)?;
    at_least_two(&read.1.iter().map(|e| e.name.clone()).collect::<Vec<_>>())?;
    Ok(read)
}

/// The `parity` sections of the manifests of `assembly`'s environments (same order
/// as `envs`): which environment-file field drives which property, for `parity --out`.
/// `all` is every environment file in promotion order (`envs` itself when those are
/// all of them; empty when some file does not load: the latest synthesized environment
/// is then the reference). `digests` are each environment's template digests
/// ([`cairn_assembly::template_digests`]). The record compares the templates as JSON:
/// they are taken from `assembly` (left as `null`; the file text stays for writing).
pub fn manifest_sections<A: Application + Sync>(
    project: &Project<A>,
    envs: &[LoadedEnv<A::Config>],
    all: &[LoadedEnv<A::Config>],
    assembly: &mut Assembly,
    digests: &[Vec<String>],
) -> Vec<ParityRecord> {
    let flats = assembly.environments.iter_mut().map(parity::flatten_taking).collect();
    let synthesized: Vec<_> = envs.iter().zip(&assembly.environments).collect();
    record::records_with_flats(project, &synthesized, flats, all, &Parallel(project), digests)
}
