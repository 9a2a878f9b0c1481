//! The bridge between an application's code and cairn's commands: how to read its
//! environment files and how to build its stacks for one environment.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::config::{self, ConfigError, Validate};
use crate::error::{Error, Errors};
use crate::synth::{Assembly, Render};
use crate::tree::{App, EnvSettings, Environment, RenderOnly};
use crate::ModelForms;
use std::sync::Arc;

/// What every environment file provides, whatever else the application adds.
pub trait EnvironmentConfig {
    /// The tree's view of the environment (account, region, data retention, tags…).
    fn settings(&self, name: &str) -> EnvSettings;
    /// Where the environment sits in the promotion order (dev before staging before prod).
    fn promotion_order(&self) -> u32 {
        0
    }
}

/// A declared difference between environments: a key of the environment files
/// whose value may differ and change templates (a "sizing knob").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Knob {
    /// Dotted key in the environment file (`database.instance_class`).
    pub key: String,
    /// If set, environments in this list must use the same value (e.g. staging and prod).
    pub must_match: Vec<String>,
    /// An artifact version (the service's container image): promoted from one environment
    /// to the next, so a differing value is promotion skew ("prod runs X, staging runs Y"),
    /// reported apart and never failing `parity`; the promotion gate compares it.
    pub artifact: bool,
}

impl Knob {
    /// A knob that may differ freely between environments.
    pub fn new(key: &str) -> Self {
        Knob {
            key: key.to_string(),
            must_match: Vec::new(),
            artifact: false,
        }
    }

    /// The key must have the same value in these environments.
    pub fn matching(key: &str, envs: &[&str]) -> Self {
        Knob {
            key: key.to_string(),
            must_match: envs.iter().map(|e| e.to_string()).collect(),
            artifact: false,
        }
    }

    /// An artifact version (`service.image`): its value is promoted through the
    /// environments, so parity reports a difference as promotion skew, not as a
    /// difference between the environments.
    pub fn artifact(key: &str) -> Self {
        Knob {
            key: key.to_string(),
            must_match: Vec::new(),
            artifact: true,
        }
    }
}

/// An application described with cairn.
pub trait Application {
    /// The typed contents of an environment file.
    type Config: DeserializeOwned + Validate + EnvironmentConfig;

    /// Application name: the first part of every stack name.
    fn name(&self) -> &str;

    /// Folder with one `<env>.toml` per environment.
    fn environments_dir(&self) -> PathBuf;

    /// Builds the stacks of one environment.
    fn build(&self, env: &Environment, config: &Self::Config) -> crate::Result<()>;

    /// The project's folder of CloudFormation Guard rules that `cairn check` always
    /// applies. None (the default): `rules/` of the working folder.
    fn rules_dir(&self) -> Option<PathBuf> {
        None
    }

    /// Environment-file keys that may differ between environments.
    fn knobs(&self) -> Vec<Knob> {
        Vec::new()
    }
}

/// One environment file, read and validated.
#[derive(Debug, Clone)]
pub struct LoadedEnv<C> {
    /// The environment's name (the file's stem).
    pub name: String,
    /// The environment file.
    pub file: PathBuf,
    /// The file as parsed, before typing (parity substitutes keys in it).
    pub table: toml::Table,
    /// The file, typed and validated.
    pub config: C,
    /// The file's `[delivery]` table: how commits reach the environment.
    pub delivery: config::Delivery,
}

/// Names of the environments in `dir` (one `<name>.toml` each), in promotion order
/// once loaded; here sorted by name.
pub fn environment_names(dir: &Path) -> Result<Vec<String>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|e| ConfigError {
        file: dir.to_path_buf(),
        key: None,
        message: format!("cannot read the environments folder: {e}"),
    })?;
    let mut names = Vec::new();
    for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        // Not skipped silently: a file cairn cannot name would be an environment left out.
        let name = path.file_stem().and_then(|s| s.to_str()).ok_or_else(|| ConfigError {
            file: path.clone(),
            key: None,
            message: "the file name is not UTF-8 text; rename it to `<environment>.toml`, e.g. `qa.toml`".to_string(),
        })?;
        names.push(name.to_string());
    }
    names.sort();
    Ok(names)
}

/// Loads one environment by name. An unknown name lists the known ones.
pub fn load_env<A: Application>(app: &A, name: &str) -> Result<LoadedEnv<A::Config>, ConfigError> {
    let dir = app.environments_dir();
    let file = dir.join(format!("{name}.toml"));
    // The name goes into stack names (`shop-<env>-data`) and paths: check it before anything else.
    if crate::tree::validate_name_fragment(name).is_err() {
        return Err(ConfigError {
            file,
            key: None,
            message: format!(
                "`{name}` is not a valid environment name: it becomes part of stack names, so use a letter \
                 followed by letters, digits and hyphens (e.g. `qa.toml`)"
            ),
        });
    }
    // A broken link is not "unknown": reading it says why it cannot be read.
    if std::fs::symlink_metadata(&file).is_err() {
        let known = environment_names(&dir)?;
        return Err(ConfigError {
            file,
            key: None,
            message: format!(
                "unknown environment `{name}`; known environments: {}",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ),
        });
    }
    let table = config::read_table(&file)?;
    let config = config::from_table(&file, table.clone())?;
    let delivery = config::delivery_from_table(&file, &table)?;
    Ok(LoadedEnv {
        name: name.to_string(),
        file,
        table,
        config,
        delivery,
    })
}

/// Loads every environment, in promotion order.
pub fn load_all<A: Application>(app: &A) -> Result<Vec<LoadedEnv<A::Config>>, ConfigError> {
    let envs = environment_names(&app.environments_dir())?
        .iter()
        .map(|n| load_env(app, n))
        .collect::<Result<Vec<_>, _>>()?;
    in_promotion_order(envs)
}

/// Loads the named environments, in the order given. The other files are loaded too:
/// a place in the promotion order shared with any of them is refused here as well, not
/// only when every environment is asked for.
pub fn load_named<A: Application>(app: &A, names: &[String]) -> Result<Vec<LoadedEnv<A::Config>>, ConfigError> {
    // Each named file first: an unknown or broken one is the error to report.
    let named = names.iter().map(|n| load_env(app, n)).collect::<Result<Vec<_>, _>>()?;
    load_all(app)?;
    Ok(named)
}

/// Sorts environments by `promotion_order`. Two in the same place (a `qa.toml` copied
/// from `staging.toml` and not renumbered) are refused: which one comes first decides
/// the parity reference and the deploy order, so cairn does not guess.
pub fn in_promotion_order<C: EnvironmentConfig>(mut envs: Vec<LoadedEnv<C>>) -> Result<Vec<LoadedEnv<C>>, ConfigError> {
    envs.sort_by(|a, b| (a.config.promotion_order(), &a.name).cmp(&(b.config.promotion_order(), &b.name)));
    let shared = envs
        .windows(2)
        .find(|p| p[0].config.promotion_order() == p[1].config.promotion_order() && p[0].name != p[1].name)
        .map(|p| p[0].config.promotion_order());
    if let Some(order) = shared {
        // Every file in that place, not just the first two: the user renumbers all but one.
        let sharing: Vec<&LoadedEnv<C>> = envs.iter().filter(|e| e.config.promotion_order() == order).collect();
        let (last, others) = sharing.split_last().expect("a shared place has at least two environments");
        let others: Vec<String> = others.iter().map(|e| format!("{}", e.file.display())).collect();
        let taken: Vec<u32> = envs.iter().map(|e| e.config.promotion_order()).collect();
        return Err(ConfigError {
            file: last.file.clone(),
            key: Some("promotion_order".to_string()),
            message: format!(
                "{order} is also the promotion_order of {}; two environments cannot share a place in the promotion \
                 order (it decides the deploy order and which environment parity compares with): give all but one of \
                 them its own promotion_order{}",
                others.join(", "),
                free_place_hint(order, &taken)
            ),
        });
    }
    Ok(envs)
}

/// A suggestion for a free promotion_order right after `order`, if there is one.
fn free_place_hint(order: u32, taken: &[u32]) -> String {
    let next = taken.iter().copied().filter(|t| *t > order).min();
    match next {
        Some(next) if next - order >= 2 => format!(", e.g. {} (between {order} and {next})", order + (next - order) / 2),
        Some(next) => format!(" (renumber the files to make room between {order} and {next}, e.g. 10, 20, 30)"),
        None => format!(", e.g. {} (after {order}) or a free number below it", order.saturating_add(1)),
    }
}

/// Builds and synthesizes the given environments in one tree.
pub fn synthesize<A: Application>(app: &A, envs: &[(&str, &A::Config)]) -> Result<Assembly, Errors> {
    synthesize_as(app, envs, Render::Files)
}

/// [`synthesize`], rendering only what `render` asks for.
pub fn synthesize_as<A: Application>(app: &A, envs: &[(&str, &A::Config)], render: Render) -> Result<Assembly, Errors> {
    // A model-only synthesis is compared and dropped, never written: its constructs were
    // already checked by the environments' own syntheses.
    let tree = match render {
        Render::Files => App::new(app.name())?,
        Render::ModelOnly => App::for_comparison(app.name())?,
    };
    build_and_synth(app, envs, tree, render)
}

/// [`synthesize`] without the file text (`body` left empty, so the template size limit
/// is not checked): for callers that compare the templates and write nothing. Unlike a
/// comparison synthesis, every check of the constructs runs.
pub fn synthesize_model<A: Application>(app: &A, envs: &[(&str, &A::Config)]) -> Result<Assembly, Errors> {
    build_and_synth(app, envs, App::new(app.name())?, Render::ModelOnly)
}

/// A comparison synthesis (model only, see [`App::for_comparison_of`]) that renders only
/// the resources in `only`: for comparisons that look at a few items. Its stacks'
/// `paths` are empty: each rendered resource carries its construct path in its metadata.
pub fn synthesize_only<A: Application>(app: &A, envs: &[(&str, &A::Config)], only: impl Into<Arc<RenderOnly>>) -> Result<Assembly, Errors> {
    build_and_synth(app, envs, App::for_comparison_of(app.name(), only)?, Render::ModelOnly)
}

/// The forms of the resources in `only` of environment `name` built from `config`,
/// without rendering anything: the baseline of [`synthesize_changed`].
pub fn model_forms<A: Application>(
    app: &A,
    name: &str,
    config: &A::Config,
    only: impl Into<Arc<RenderOnly>>,
) -> Result<ModelForms, Errors> {
    let tree = App::for_comparison_of(app.name(), only)?;
    let built = tree
        .environment(config.settings(name))
        .and_then(|environment| app.build(&environment, config))
        .map(|()| tree.model_forms());
    tree.clear();
    built.map_err(|e| Errors(vec![e]))
}

/// [`synthesize_only`] of one environment that does not render the resources whose form
/// is the same as in `baseline` ([`model_forms`] of another configuration): they would
/// render the same. Returns those (stack id, logical ID) too.
pub fn synthesize_changed<A: Application>(
    app: &A,
    name: &str,
    config: &A::Config,
    only: impl Into<Arc<RenderOnly>>,
    baseline: Arc<ModelForms>,
) -> Result<(Assembly, Vec<(String, String)>), Errors> {
    let tree = App::for_comparison_with(app.name(), only, baseline)?;
    let assembly = build_and_synth(app, &[(name, config)], tree.clone(), Render::ModelOnly)?;
    Ok((assembly, tree.unchanged()))
}

/// Builds and synthesizes `envs` in `tree`, then empties the tree (see [`App::clear`]).
fn build_and_synth<A: Application>(app: &A, envs: &[(&str, &A::Config)], tree: App, render: Render) -> Result<Assembly, Errors> {
    let synthesized = build_then_synth(app, envs, &tree, render);
    tree.clear();
    synthesized
}

fn build_then_synth<A: Application>(app: &A, envs: &[(&str, &A::Config)], tree: &App, render: Render) -> Result<Assembly, Errors> {
    let mut errors = Vec::new();
    for (name, config) in envs {
        let environment = tree.environment(config.settings(name))?;
        if let Err(e) = app.build(&environment, config) {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(Errors(errors));
    }
    tree.synth_as(render)
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::new(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ordered(u32);

    impl EnvironmentConfig for Ordered {
        fn settings(&self, name: &str) -> EnvSettings {
            EnvSettings {
                name: name.to_string(),
                account: "123456789012".to_string(),
                region: "eu-west-1".to_string(),
                retain_data: false,
                require_approval: false,
                tags: Default::default(),
            }
        }
        fn promotion_order(&self) -> u32 {
            self.0
        }
    }

    fn env(name: &str, order: u32) -> LoadedEnv<Ordered> {
        LoadedEnv {
            name: name.to_string(),
            file: PathBuf::from(format!("envs/{name}.toml")),
            table: toml::Table::new(),
            config: Ordered(order),
            delivery: Default::default(),
        }
    }

    /// An environment file with nothing in it.
    #[derive(serde::Deserialize)]
    struct Empty;

    impl Validate for Empty {
        fn validate(&self) -> Vec<config::FieldError> {
            Vec::new()
        }
    }

    impl EnvironmentConfig for Empty {
        fn settings(&self, name: &str) -> EnvSettings {
            Ordered(10).settings(name)
        }
    }

    /// One queue whose name is computed at synthesis by a closure that keeps a scope (and
    /// so the tree) and a marker: the marker outlives the synthesis only if the tree does.
    struct Holding(std::cell::RefCell<Option<std::rc::Weak<()>>>);

    impl Application for Holding {
        type Config = Empty;
        fn name(&self) -> &str {
            "holding"
        }
        fn environments_dir(&self) -> PathBuf {
            PathBuf::from("envs")
        }
        fn build(&self, env: &Environment, _: &Empty) -> crate::Result<()> {
            let stack = env.stack("data")?;
            let marker = std::rc::Rc::new(());
            *self.0.borrow_mut() = Some(std::rc::Rc::downgrade(&marker));
            let held = stack.scope();
            let name = crate::Lazy::new(move || {
                let _kept = (&held, &marker);
                Ok(crate::Value::from("jobs"))
            });
            let queue = crate::template::Resource::new("AWS::SQS::Queue").prop("QueueName", name);
            stack.scope().child("Jobs")?.add_resource("Resource", queue)?;
            Ok(())
        }
    }

    #[test]
    fn a_synthesis_frees_its_tree_though_lazy_values_hold_scopes_of_it() {
        let app = Holding(Default::default());
        let assembly = synthesize(&app, &[("dev", &Empty)]).unwrap();
        let queue = &assembly.environments[0].stacks[0].template["Resources"];
        assert!(queue.to_string().contains("\"QueueName\":\"jobs\""), "{queue}");
        let marker = app.0.borrow().clone().expect("built");
        assert!(marker.upgrade().is_none(), "the tree outlived its synthesis");
        // The same for a comparison synthesis and for the resource forms parity builds.
        model_forms(&app, "dev", &Empty, RenderOnly::new()).unwrap();
        assert!(app.0.borrow().clone().expect("built").upgrade().is_none());
    }

    /// Keeps the queue of its first build and uses it in every later one: a reference
    /// from another tree, which no synthesis may take for one of its own.
    struct Smuggling(std::sync::Mutex<Option<crate::ResourceRef>>);

    impl Application for Smuggling {
        type Config = Empty;
        fn name(&self) -> &str {
            "smuggling"
        }
        fn environments_dir(&self) -> PathBuf {
            PathBuf::from("envs")
        }
        fn build(&self, env: &Environment, _: &Empty) -> crate::Result<()> {
            let stack = env.stack("data")?;
            let queue = stack
                .scope()
                .child("Jobs")?
                .add_resource("Resource", crate::template::Resource::new("AWS::SQS::Queue"))?;
            let kept = self.0.lock().unwrap().get_or_insert(queue).clone();
            let policy = crate::template::Resource::new("AWS::SQS::QueuePolicy").prop("Queues", vec![kept.as_ref()]);
            stack.scope().child("Policy")?.add_resource("Resource", policy)?;
            Ok(())
        }
    }

    #[test]
    fn a_reference_kept_from_another_build_is_an_error_not_another_resource() {
        // Parity synthesizes the application again and again, each time in a new tree.
        let app = Smuggling(Default::default());
        synthesize(&app, &[("prod", &Empty)]).unwrap();
        let errors = synthesize(&app, &[("prod", &Empty)]).unwrap_err().to_string();
        assert!(errors.contains("a construct of another synthesis"), "{errors}");
        assert!(errors.contains("Jobs/Resource"), "names what it refers to: {errors}");
        // Within one tree it is a reference to another environment, refused as before.
        let app = Smuggling(Default::default());
        let errors = synthesize(&app, &[("dev", &Empty), ("prod", &Empty)]).unwrap_err().to_string();
        assert!(errors.contains("belongs to environment `dev`"), "{errors}");
    }

    #[test]
    fn a_cleared_tree_keeps_its_stacks_usable() {
        let tree = App::new("cleared").unwrap();
        let env = tree.environment(Empty.settings("dev")).unwrap();
        let stack = env.stack("data").unwrap();
        let queue = crate::template::Resource::new("AWS::SQS::Queue");
        stack
            .scope()
            .child("Jobs")
            .unwrap()
            .add_resource("Resource", queue.clone())
            .unwrap();
        tree.clear();
        // No panic: the stack is there, empty, and says so when synthesized.
        let errors = tree.synth().unwrap_err().to_string();
        assert!(errors.contains("stack has no resources"), "{errors}");
        stack.scope().child("Again").unwrap().add_resource("Resource", queue).unwrap();
        assert!(tree.synth().is_ok());
    }

    #[test]
    fn a_shared_promotion_order_names_every_file_in_that_place() {
        let envs = vec![env("qa", 20), env("dev", 10), env("staging", 20), env("uat", 20), env("prod", 30)];
        let err = in_promotion_order(envs).err().expect("a shared place is refused");
        let text = err.to_string();
        for file in ["envs/qa.toml", "envs/staging.toml", "envs/uat.toml"] {
            assert!(text.contains(file), "`{file}` not named: {text}");
        }
        assert!(!text.contains("dev.toml") && !text.contains("prod.toml"), "{text}");
        let ordered = in_promotion_order(vec![env("prod", 30), env("dev", 10)]).unwrap();
        assert_eq!(ordered.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["dev", "prod"]);
    }
}
