//! `cairn pipeline`: the GitHub Actions workflow generated from the environment files'
//! `[delivery]` tables ([`workflow`]), and the `gh api` commands that create the GitHub
//! environments with their reviewers and wait timers ([`github_setup`]).
//!
//! [`Pipeline::new`] reads every environment in promotion order and refuses (bad input,
//! exit 2, nothing written) what would make a wrong or unsafe workflow; the renderers
//! then only format. Their output depends on nothing but the environment files, the
//! application's name, the binary's name and the paths relative to the current
//! folder, so `--check` can compare it with the committed file byte for byte.

pub mod actions;
pub mod github_setup;
pub mod workflow;

use std::path::{Path, PathBuf};

use cairn_core::config::{Delivery, Trigger};
use cairn_core::{EnvironmentConfig, LoadedEnv};

use crate::error::{CliError, CliResult};

/// Where the workflow goes, relative to the repository root (the current folder).
pub fn default_workflow_path(app: &str) -> PathBuf {
    PathBuf::from(format!(".github/workflows/cairn-{app}.yml"))
}

/// The artifact the test job uploads and every deploy job deploys.
pub const ARTIFACT: &str = "cairn-synthesis";

/// The scripts of the pull-request review gate, relative to the repository root.
pub const REVIEW_GATE: [&str; 2] = ["scripts/review-gate.sh", "scripts/pr-diff.sh"];

/// One environment as the pipeline deploys it.
#[derive(Debug, Clone)]
pub struct Stage {
    /// The environment's name (`prod`).
    pub name: String,
    /// Its file, as the workflow's messages name it (relative to the repository root).
    pub file: String,
    /// The region its deploy job's credentials are for.
    pub region: String,
    /// Its `[delivery]` table.
    pub delivery: Delivery,
}

impl Stage {
    /// The GitHub environment its deploy job runs in.
    pub fn github_environment(&self) -> &str {
        self.delivery.github_environment_of(&self.name)
    }

    /// The id of its deploy job.
    pub fn job_id(&self) -> String {
        format!("deploy-{}", self.name)
    }

    /// Deployed on every push to main (rather than on a manual dispatch).
    pub fn automatic(&self) -> bool {
        self.delivery.trigger == Trigger::Automatic
    }
}

/// Everything the workflow and the setup commands are made from.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The application's name (`shop`).
    pub app: String,
    /// The workflow file, relative to the repository root.
    pub workflow_path: String,
    /// The environments folder relative to the repository root, passed to the binary as
    /// `--environments` (the deploy jobs check out the tested commit there).
    pub environments_dir: String,
    /// The name of the application's binary (`cairn`), as `cargo build` leaves it in `target/debug/`.
    pub binary: String,
    /// Every environment, in promotion order.
    pub stages: Vec<Stage>,
    /// The repository has the review gate's scripts (`scripts/review-gate.sh` and
    /// `scripts/pr-diff.sh`, as cairn's own does): pull requests run it.
    pub review_gate: bool,
}

impl Pipeline {
    /// Reads `envs` (in promotion order) for the application `app`; `environments_dir`
    /// and `workflow_path` as given or found, made relative to `root` (the current folder).
    pub fn new<C: EnvironmentConfig>(
        app: &str,
        binary: &str,
        root: &Path,
        environments_dir: &Path,
        workflow_path: &Path,
        envs: &[LoadedEnv<C>],
    ) -> CliResult<Pipeline> {
        let environments = relative_path(root, environments_dir, "the environments folder")?;
        let workflow = relative_path(root, workflow_path, "the workflow file (--out)")?;
        let mut stages: Vec<Stage> = Vec::new();
        for env in envs {
            let file = format!("{environments}/{}.toml", env.name);
            let bad = |key: &str, message: String| CliError::BadInput(format!("{file}: key `delivery.{key}`: {message}"));
            // A job id and a shell word: letters, digits, `-` and `_` (stack names allow fewer).
            let name_ok = env.name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && env.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !name_ok {
                return Err(CliError::BadInput(format!(
                    "{file}: the environment name `{}` cannot name a GitHub Actions job; rename the file to letters, digits and hyphens, starting with a letter",
                    env.name
                )));
            }
            let settings = env.config.settings(&env.name);
            let stage = Stage {
                name: env.name.clone(),
                file: file.clone(),
                region: settings.region.clone(),
                delivery: env.delivery.clone(),
            };
            let github = stage.github_environment();
            // GitHub evaluates `${{ }}` in `environment:`; a name is never an expression.
            if github.contains("${{") || github.contains('\\') {
                return Err(bad(
                    "github_environment",
                    format!("`{github}` contains `${{{{` or `\\`; use a plain name such as `production`"),
                ));
            }
            if let Some(other) = stages.iter().find(|s| s.github_environment().eq_ignore_ascii_case(github)) {
                // The deploy role trusts the GitHub environment: sharing one would let either job assume both roles.
                return Err(bad(
                    "github_environment",
                    format!(
                        "`{github}` is also the GitHub environment of `{}` (GitHub ignores case); each environment needs its own, since its deploy role trusts exactly that one",
                        other.name
                    ),
                ));
            }
            for (key, arn) in [
                ("role_arn", &stage.delivery.role_arn),
                ("diff_role_arn", &stage.delivery.diff_role_arn),
            ] {
                let Some(arn) = arn else { continue };
                let account = arn.split(':').nth(4).unwrap_or_default();
                if account != settings.account {
                    return Err(bad(
                        key,
                        format!(
                            "the role is in account {account}, but the environment deploys to account {}; use the role `cairn bootstrap {} --github-repo OWNER/REPO` made in that account",
                            settings.account, env.name
                        ),
                    ));
                }
            }
            stages.push(stage);
        }
        Ok(Pipeline {
            app: app.to_string(),
            workflow_path: workflow,
            environments_dir: environments,
            binary: binary.to_string(),
            stages,
            review_gate: REVIEW_GATE.iter().all(|f| root.join(f).is_file()),
        })
    }

    /// The environments deployed on every push to main, in promotion order.
    pub fn automatic(&self) -> impl Iterator<Item = &Stage> {
        self.stages.iter().filter(|s| s.automatic())
    }

    /// The environments deployed only on a manual dispatch, in promotion order.
    pub fn manual(&self) -> impl Iterator<Item = &Stage> {
        self.stages.iter().filter(|s| !s.automatic())
    }

    /// Environments whose deploy job can only fail (no `role_arn`).
    pub fn without_role(&self) -> impl Iterator<Item = &Stage> {
        self.stages.iter().filter(|s| s.delivery.role_arn.is_none())
    }
}

/// `path` relative to `root`, with `/` separators; refused when outside `root` or when it
/// holds characters a workflow would have to quote for YAML and the shell.
fn relative_path(root: &Path, path: &Path, what: &str) -> CliResult<String> {
    let absolute = if path.is_absolute() { path.to_path_buf() } else { root.join(path) };
    let normalized = normalize(&absolute);
    let Ok(relative) = normalized.strip_prefix(normalize(root)) else {
        return Err(CliError::BadInput(format!(
            "{what} ({}) is not inside the current folder {}: run `cairn pipeline` from the repository's root",
            path.display(),
            root.display()
        )));
    };
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let text = parts.join("/");
    let ok = !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
    if !ok {
        return Err(CliError::BadInput(format!(
            "{what} ({text}): the path may hold only letters, digits, `.`, `_`, `-` and `/` (the workflow names it in shell commands)"
        )));
    }
    Ok(text)
}

/// `a/./b/../c` → `a/c`, without touching the disk (the workflow file may not exist yet).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_relative_to_the_root_and_plain() {
        let root = Path::new("/repo");
        assert_eq!(
            relative_path(root, Path::new("/repo/stacks/environments"), "x").unwrap(),
            "stacks/environments"
        );
        assert_eq!(relative_path(root, Path::new("./a/../envs"), "x").unwrap(), "envs");
        assert!(relative_path(root, Path::new("/elsewhere/envs"), "x").is_err());
        assert!(relative_path(root, Path::new("/repo/my envs"), "x").is_err());
        assert!(relative_path(root, Path::new("/repo"), "x").is_err());
    }
}
