//! The application as the commands see it: environment files (from the app's
//! folder or `--environments DIR`) and synthesis of chosen environments.

use std::path::PathBuf;

use cairn_core::application::{self, LoadedEnv};
use cairn_core::{Application, Assembly, Environment, Knob};

use crate::error::{CliError, CliResult};

/// An application whose environment files may come from another folder.
pub struct Project<A: Application> {
    pub app: A,
    environments_dir: Option<PathBuf>,
}

impl<A: Application> Application for Project<A> {
    type Config = A::Config;

    fn name(&self) -> &str {
        self.app.name()
    }

    fn environments_dir(&self) -> PathBuf {
        self.environments_dir.clone().unwrap_or_else(|| self.app.environments_dir())
    }

    fn build(&self, env: &Environment, config: &Self::Config) -> cairn_core::Result<()> {
        self.app.build(env, config)
    }

    fn rules_dir(&self) -> Option<PathBuf> {
        self.app.rules_dir()
    }

    fn knobs(&self) -> Vec<Knob> {
        self.app.knobs()
    }
}

impl<A: Application> Project<A> {
    pub fn new(app: A, environments_dir: Option<PathBuf>) -> Self {
        Project { app, environments_dir }
    }

    /// The folder given with `--environments` (or CAIRN_ENVIRONMENTS), if any.
    pub fn environments_flag(&self) -> Option<&std::path::Path> {
        self.environments_dir.as_deref()
    }

    /// Every environment, in promotion order.
    pub fn all_envs(&self) -> CliResult<Vec<LoadedEnv<A::Config>>> {
        let envs = application::load_all(self)?;
        if envs.is_empty() {
            return Err(CliError::BadInput(format!(
                "no environment files (*.toml) in {}",
                self.environments_dir().display()
            )));
        }
        Ok(envs)
    }

    /// The named environments, or all of them when `names` is empty and `all` is set.
    pub fn select_envs(&self, names: &[String], all: bool) -> CliResult<Vec<LoadedEnv<A::Config>>> {
        if all || names.is_empty() {
            if !all && names.is_empty() {
                return Err(CliError::BadInput("name an environment (e.g. `prod`) or pass --all".into()));
            }
            return self.all_envs();
        }
        if let Some(twice) = names.iter().enumerate().find(|(i, n)| names[..*i].contains(n)).map(|(_, n)| n) {
            return Err(CliError::BadInput(format!(
                "environment `{twice}` is named twice on the command line; name each environment once"
            )));
        }
        Ok(application::load_named(self, names)?)
    }

    /// Synthesizes the given environments.
    pub fn synth(&self, envs: &[LoadedEnv<A::Config>]) -> CliResult<Assembly> {
        let pairs: Vec<(&str, &A::Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
        Ok(application::synthesize(self, &pairs)?)
    }
}
