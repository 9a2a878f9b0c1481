//! Helpers of the shop's tests: synthesize the shop, run `cairn` in a sandbox, and the
//! template assertions of `cairn-assertions` (the AWS CDK's `Template`: object-like
//! matching, [`Match`]ers), with the few shop-specific additions of [`ShopTemplate`].
#![allow(dead_code)]

/// A moto server for tests that deploy (see `tests/deploy/`).
pub mod moto;

use std::collections::BTreeSet;

use cairn_app::{Config, Shop};
use cairn_core::application::{load_all, synthesize, LoadedEnv};
use cairn_core::{Assembly, Errors, StackArtifact};
use serde_json::{json, Value as Json};

/// A fresh folder under the system's temp dir, removed when dropped (also when
/// the test fails), so test runs leave nothing behind.
pub struct TempDir(std::path::PathBuf);

impl TempDir {
    /// `<tmp>/cairn-<name>-<pid>`, emptied first.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("cairn-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TempDir(dir)
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl std::ops::Deref for TempDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for TempDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for TempDir {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the `cairn` binary in `cwd`, without colors and without a `CAIRN_ENVIRONMENTS`
/// override from the caller's environment.
pub fn cairn(args: &[&str], cwd: &std::path::Path) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("CAIRN_ENVIRONMENTS")
        .output()
        .expect("cairn runs")
}

/// A temporary folder holding copies of the shipped environment files (`envs/`)
/// and room for synthesis output (`out/`); removed when dropped.
pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    pub fn new(name: &str) -> Sandbox {
        let root = TempDir::new(&format!("sandbox-{name}"));
        let envs = root.join("envs");
        std::fs::create_dir_all(&envs).expect("envs folder");
        let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/environments");
        for entry in std::fs::read_dir(shipped).expect("the shipped environment files") {
            let path = entry.expect("a directory entry").path();
            std::fs::copy(&path, envs.join(path.file_name().expect("a file name"))).expect("copy");
        }
        Sandbox { root }
    }

    pub fn envs(&self) -> std::path::PathBuf {
        self.root.join("envs")
    }

    pub fn out(&self) -> std::path::PathBuf {
        self.root.join("out")
    }

    /// Replaces the first `from` in `<env>.toml` with `to` (which must be there).
    pub fn edit(&self, env: &str, from: &str, to: &str) {
        let file = self.envs().join(format!("{env}.toml"));
        let text = std::fs::read_to_string(&file).expect("the environment file");
        assert!(text.contains(from), "{from} not in {env}.toml");
        std::fs::write(&file, text.replacen(from, to, 1)).expect("write");
    }

    /// Runs `cairn ARGS --environments <envs>` without colors.
    pub fn cairn(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(args)
            .arg("--environments")
            .arg(self.envs())
            .env_remove("CAIRN_ENVIRONMENTS")
            .env("NO_COLOR", "1")
            .output()
            .expect("cairn runs")
    }

    /// `cairn synth <env> --out <out>`.
    pub fn synth(&self, env: &str) -> std::process::Output {
        let out = self.out();
        self.cairn(&["synth", env, "--out", out.to_str().expect("a UTF-8 path")])
    }
}

/// The shipped environments the suite knows facts about (`tests/app/`'s table…).
pub const SHIPPED: [&str; 3] = ["dev", "staging", "prod"];

/// Names of the `*.toml` files in `dir`, sorted: read from the folder, so adding an
/// environment (a `qa.toml`) or removing one needs no change to the tests.
pub fn environment_files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().expect("a file name").to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// [`environment_files_in`] of the shipped folder, `stacks/environments`.
pub fn environment_files() -> Vec<String> {
    environment_files_in(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/environments"))
}

/// An environment the project has, for tests about any one of them: the first file
/// of the shipped folder, whichever environments the project keeps.
pub fn any_environment() -> String {
    environment_files()
        .into_iter()
        .next()
        .expect("stacks/environments holds at least one environment file")
}

/// The name tests give to a copy of [`any_environment`]'s config (stack names
/// `shop-probe-…`, paths `probe/…`): their expectations hold whichever file it is.
pub const PROBE: &str = "probe";

/// The config of [`any_environment`], to synthesize (changed) as [`PROBE`].
pub fn probe_config() -> Config {
    config(&any_environment())
}

/// The line `<key> = …` of the shipped `<env>.toml` (keys are unique across its tables).
pub fn line_of(env: &str, key: &str) -> String {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("stacks/environments/{env}.toml"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines()
        .find(|l| l.split('=').next().is_some_and(|k| k.trim() == key))
        .unwrap_or_else(|| panic!("no `{key} = …` line in {}", file.display()))
        .to_string()
}

/// Those of [`SHIPPED`] whose file is still there, in promotion order: facts about
/// an environment hold while its file exists.
pub fn shipped() -> Vec<&'static str> {
    let files = environment_files();
    SHIPPED.into_iter().filter(|e| files.iter().any(|f| f == e)).collect()
}

/// Whether the shipped environments a test is about all have their file: a test about
/// staging has nothing to check once `staging.toml` is removed (it says so on stderr).
pub fn requires(envs: &[&str]) -> bool {
    let files = environment_files();
    let missing: Vec<&str> = envs.iter().copied().filter(|e| !files.iter().any(|f| f == e)).collect();
    if !missing.is_empty() {
        eprintln!("skipped: no environment file for {}", missing.join(", "));
    }
    missing.is_empty()
}

/// Every environment of the shop, in promotion order.
pub fn environments() -> Vec<LoadedEnv<Config>> {
    load_all(&Shop::default()).expect("the environment files load")
}

/// Synthesizes every environment of the shop.
pub fn synth_all() -> Assembly {
    synth_all_of(&Shop::default())
}

/// Synthesizes every environment file of `dir` (a copy with a `qa.toml` added…).
pub fn synth_all_in(dir: &std::path::Path) -> Assembly {
    synth_all_of(&Shop::with_environments_dir(dir))
}

fn synth_all_of(shop: &Shop) -> Assembly {
    let envs = load_all(shop).unwrap_or_else(|e| panic!("the environment files do not load:\n{e}"));
    let pairs: Vec<(&str, &Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
    synthesize(shop, &pairs).unwrap_or_else(|e| panic!("synthesis failed:\n{e}"))
}

/// Synthesizes one environment built from `config` (e.g. a changed copy of dev's).
pub fn synth_with(name: &str, config: &Config) -> Result<Assembly, Errors> {
    synthesize(&Shop::default(), &[(name, config)])
}

/// The config of one environment file.
pub fn config(name: &str) -> Config {
    environments()
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("no environment `{name}`"))
        .config
}

/// The template assertions are cairn's public ones (`cairn-assertions`, the AWS CDK's
/// `Template`); what follows adds only what the shop's tests use beyond them.
pub use cairn_assertions::{Match, Template};

/// The shop tests' helpers on a [`Template`] beyond the public assertions.
pub trait ShopTemplate {
    /// The template of one synthesized stack (short for [`Template::from_stack`]).
    fn of(stack: &StackArtifact) -> Template;
    /// `(logical ID, resource)` of every resource of `resource_type`.
    fn resources_of_type(&self, resource_type: &str) -> Vec<(String, Json)>;
    /// Every `Fn::ImportValue` name used in the template's resources.
    fn imports(&self) -> BTreeSet<String>;
}

impl ShopTemplate for Template {
    fn of(stack: &StackArtifact) -> Template {
        Template::from_stack(stack)
    }

    fn resources_of_type(&self, resource_type: &str) -> Vec<(String, Json)> {
        self.find_resources(resource_type, json!({}))
    }

    fn imports(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        collect_imports(&self.json()["Resources"], &mut out);
        out
    }
}

fn collect_imports(v: &Json, out: &mut BTreeSet<String>) {
    match v {
        Json::Object(m) => {
            if let Some(Json::String(name)) = m.get("Fn::ImportValue") {
                out.insert(name.clone());
            }
            m.values().for_each(|x| collect_imports(x, out));
        }
        Json::Array(a) => a.iter().for_each(|x| collect_imports(x, out)),
        _ => {}
    }
}

/// [`Match::array_with`], as the shop's tests write it.
pub fn array_with(items: Json) -> Json {
    Match::array_with(items)
}

/// [`Match::absent`], as the shop's tests write it.
pub fn absent() -> Json {
    Match::absent()
}

/// [`Match::check`] with the differing paths as one message, for `assert!(…is_ok())`.
pub fn matches(expected: &Json, actual: &Json) -> Result<(), String> {
    Match::check(expected, actual).map_err(|diffs| diffs.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
}

/// An environment file's text for comparing with what moto holds: moto 5 cannot create an
/// `AWS::KMS::Key` with tags, so cairn sends keys to it without them, and `diff` would
/// show the key's tags as a change; these tests compare environments without their key.
pub fn for_moto(text: &str) -> String {
    text.replace("customer_managed_key = true", "customer_managed_key = false")
}
