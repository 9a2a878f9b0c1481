//! Choosing and synthesizing environments: one environment for the commands that
//! act on a deployment, several in promotion order for `parity`.

use cairn_core::application::LoadedEnv;
use cairn_core::{Application, EnvArtifact, StackArtifact};

use crate::error::{CliError, CliResult};
use crate::project::Project;

/// Synthesizes one environment; fails (writing nothing) if synthesis fails.
pub fn synth_env<A: Application>(project: &Project<A>, env: &str) -> CliResult<EnvArtifact> {
    let envs = project.select_envs(&[env.to_string()], false)?;
    let mut assembly = project.synth(&envs)?;
    if assembly.environments.is_empty() {
        return Err(CliError::BadInput(format!("unknown environment `{env}`")));
    }
    Ok(assembly.environments.remove(0))
}

/// The named stacks (by name or id) in deploy order; all when none is named.
pub fn select_stacks<'a>(env: &'a EnvArtifact, names: &[String]) -> CliResult<Vec<&'a StackArtifact>> {
    if names.is_empty() {
        return Ok(env.stacks.iter().collect());
    }
    for n in names {
        if env.stack(n).is_none() {
            let known: Vec<String> = env.stacks.iter().map(|s| format!("{} ({})", s.id, s.name)).collect();
            return Err(CliError::BadInput(format!(
                "environment `{}` has no stack `{n}`; its stacks: {}",
                env.name(),
                known.join(", ")
            )));
        }
    }
    Ok(env
        .stacks
        .iter()
        .filter(|s| names.iter().any(|n| *n == s.id || *n == s.name))
        .collect())
}

/// Loads the named environments (all when none is named), in promotion order.
pub fn load_envs<A: Application>(project: &Project<A>, names: &[String]) -> CliResult<Vec<LoadedEnv<A::Config>>> {
    let mut envs = project.select_envs(names, names.is_empty())?;
    envs.sort_by(|a, b| a.name.cmp(&b.name));
    envs.dedup_by(|a, b| a.name == b.name);
    Ok(cairn_core::application::in_promotion_order(envs)?)
}
