//! Synthesis for tests: an application's environments from their files, or a tree built
//! in the test, turned into an [`Assembly`] or failing the test with cairn's own messages.

use cairn_core::application::{load_all, load_env, synthesize};
use cairn_core::{Application, Assembly, Stack};

use crate::Template;

/// Synthesizes environment `env` of `app` from its environment file
/// (`<environments_dir>/<env>.toml`). Panics with the file's or the synthesis' errors.
pub fn synth_env<A: Application>(app: &A, env: &str) -> Assembly {
    let loaded = load_env(app, env).unwrap_or_else(|e| panic!("environment `{env}` does not load:\n{e}"));
    synthesize(app, &[(env, &loaded.config)]).unwrap_or_else(|e| panic!("environment `{env}` does not synthesize:\n{e}"))
}

/// Synthesizes every environment file of `app`, in promotion order.
pub fn synth_app<A: Application>(app: &A) -> Assembly {
    let envs = load_all(app).unwrap_or_else(|e| panic!("the environment files do not load:\n{e}"));
    let pairs: Vec<(&str, &A::Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
    synthesize(app, &pairs).unwrap_or_else(|e| panic!("synthesis failed:\n{e}"))
}

impl Template {
    /// Synthesizes the tree `stack` belongs to and returns `stack`'s template: the CDK's
    /// `Template.fromStack`, for tests that build constructs in a stack of their own.
    /// Panics with the synthesis errors.
    pub fn from_tree_stack(stack: &Stack) -> Template {
        let assembly = stack
            .app()
            .synth()
            .unwrap_or_else(|e| panic!("synthesis of `{}` failed:\n{e}", stack.name()));
        Template::from_assembly(&assembly, &stack.env_settings().name, &stack.id())
    }
}
