//! `deploy --from DIR`: an environment of a synthesis output folder, deployed as it
//! was tested, without synthesizing. Refused (bad input, nothing changed) when the
//! folder is not what this application's `cairn synth` wrote for that environment:
//! another application, another environment, a template edited after synthesis, or
//! an environment file that no longer says the same account and region.

use std::path::Path;

use cairn_assembly::{read_synthesis, Manifest, SynthesisSection, SynthesizedEnv};
use cairn_core::application::LoadedEnv;
use cairn_core::{Application, EnvArtifact, EnvironmentConfig, StackArtifact, Suppression};

use crate::error::{CliError, CliResult};
use crate::project::Project;

/// One environment of a synthesis folder, checked, as the deploy engine takes it.
#[derive(Debug, Clone)]
pub struct FromDir {
    /// The environment, its templates byte for byte as synthesized.
    pub artifact: EnvArtifact,
    /// Its manifest.
    pub manifest: Manifest,
    /// The commit synthesized and the templates' digests (verified).
    pub synthesis: SynthesisSection,
}

/// Reads environment `env` of the synthesis under `dir` (the output root or that
/// environment's folder) and checks it belongs to this application and environment
/// and was not edited. `loaded` is the environment's file, for the settings.
pub fn read_env<A: Application>(project: &Project<A>, dir: &Path, loaded: &LoadedEnv<A::Config>) -> CliResult<FromDir> {
    let env = loaded.name.as_str();
    let bad = |e: cairn_assembly::AssemblyError| CliError::BadInput(format!("--from {}: {e}", dir.display()));
    let all = read_synthesis(dir).map_err(bad)?;
    let Some(found) = all.iter().find(|e| e.name == env) else {
        let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
        return Err(CliError::BadInput(format!(
            "--from {}: holds the synthesis of {}, not of environment `{env}` (a synthesis of another environment cannot be deployed to {env})\n  \
             fix: point at the synthesis output root that holds {env}/ (e.g. `cairn synth --all --out DIR`), or deploy the environment it was made for",
            dir.display(),
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        )));
    };
    let app = project.app.name();
    if found.manifest.app != app {
        return Err(CliError::BadInput(format!(
            "--from {}: was synthesized by application `{}`, not `{app}` ({})\n  \
             fix: deploy it with the cairn binary of `{}`, or synthesize this application (`cairn synth {env} --out DIR`)",
            dir.display(),
            found.manifest.app,
            found.dir.join(cairn_assembly::MANIFEST_FILE).display(),
            found.manifest.app
        )));
    }
    let synthesis = found.verify_digests().map_err(bad)?.clone();
    let settings = loaded.config.settings(env);
    for (what, recorded, now) in [
        ("account", &found.manifest.account, &settings.account),
        ("region", &found.manifest.region, &settings.region),
    ] {
        if recorded != now {
            return Err(CliError::BadInput(format!(
                "--from {}: was synthesized for {what} {recorded}, but {} now says {what} = \"{now}\"\n  \
                 fix: synthesize again from this environment file, or deploy from the commit the synthesis was made from",
                found.dir.display(),
                loaded.file.display()
            )));
        }
    }
    Ok(FromDir {
        artifact: to_artifact(found, app, settings, &synthesis)?,
        manifest: found.manifest.clone(),
        synthesis,
    })
}

/// The deploy engine's view of a synthesized environment: the files' exact bytes.
fn to_artifact(env: &SynthesizedEnv, app: &str, settings: cairn_core::EnvSettings, synthesis: &SynthesisSection) -> CliResult<EnvArtifact> {
    let mut stacks = Vec::new();
    for (stack, listed) in env.stacks.iter().zip(&env.manifest.stacks) {
        let body = std::fs::read_to_string(&stack.file)
            .map_err(|e| CliError::BadInput(format!("{}: cannot read the template: {e}", stack.file.display())))?;
        // Read again for deploying: it must still be the bytes whose digest was checked.
        if synthesis.templates.get(&listed.template) != Some(&cairn_assembly::sha256_hex(body.as_bytes())) {
            return Err(CliError::BadInput(format!(
                "{}: changed while cairn read it; deploy a synthesis folder nothing else writes to",
                stack.file.display()
            )));
        }
        let prefix = format!("{}/", stack.id);
        stacks.push(StackArtifact {
            id: stack.id.clone(),
            name: stack.name.clone(),
            template: stack.template.clone(),
            body,
            depends_on: listed.depends_on.clone(),
            paths: listed.construct_paths.clone(),
            suppressions: listed
                .suppressions
                .iter()
                .map(|s| Suppression {
                    rule: s.rule.clone(),
                    reason: s.reason.clone(),
                    path: s.path.strip_prefix(&prefix).unwrap_or(&s.path).to_string(),
                })
                .collect(),
        });
    }
    Ok(EnvArtifact {
        app: app.to_string(),
        settings,
        stacks,
    })
}
