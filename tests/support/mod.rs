//! Template assertions in the spirit of the AWS CDK's `Template` (`hasResourceProperties`,
//! `resourceCountIs`), plus helpers to synthesize the shop.
//!
//! Matching is "object-like": every key of the expected object must be present and
//! match (recursively); other keys are ignored. Arrays match element by element and
//! must have the same length, unless written with [`array_with`]. [`absent`] matches a
//! key that must not be there.
#![allow(dead_code)]

/// A moto server for tests that deploy (see `tests/deploy/`).
pub mod moto;

use std::collections::BTreeSet;

use cairn_app::{Config, Shop};
use cairn_core::application::{load_all, synthesize, LoadedEnv};
use cairn_core::{Assembly, Errors, StackArtifact};
use serde_json::{json, Map, Value as Json};

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

/// A synthesized template under test.
pub struct Template {
    pub name: String,
    pub json: Json,
}

impl Template {
    pub fn of(stack: &StackArtifact) -> Template {
        Template {
            name: stack.name.clone(),
            json: stack.template.clone(),
        }
    }

    /// The stack `<id>` of environment `env` in `assembly`.
    pub fn from(assembly: &Assembly, env: &str, stack: &str) -> Template {
        let env_artifact = assembly
            .environments
            .iter()
            .find(|e| e.settings.name == env)
            .unwrap_or_else(|| panic!("no environment `{env}` in the assembly"));
        let artifact = env_artifact
            .stack(stack)
            .unwrap_or_else(|| panic!("no stack `{stack}` in environment `{env}`"));
        Template::of(artifact)
    }

    fn resources(&self) -> &Map<String, Json> {
        self.json["Resources"].as_object().expect("a template has Resources")
    }

    /// Logical IDs of every resource.
    pub fn logical_ids(&self) -> BTreeSet<String> {
        self.resources().keys().cloned().collect()
    }

    /// `(logical ID, resource)` of every resource of `resource_type`.
    pub fn resources_of_type(&self, resource_type: &str) -> Vec<(String, Json)> {
        self.resources()
            .iter()
            .filter(|(_, r)| r["Type"] == resource_type)
            .map(|(id, r)| (id.clone(), r.clone()))
            .collect()
    }

    /// Resources of `resource_type` whose properties match `properties`.
    pub fn find_resources(&self, resource_type: &str, properties: &Json) -> Vec<(String, Json)> {
        self.resources_of_type(resource_type)
            .into_iter()
            .filter(|(_, r)| matches(properties, r.get("Properties").unwrap_or(&Json::Null)).is_ok())
            .collect()
    }

    /// Fails unless exactly `count` resources of `resource_type` exist.
    pub fn resource_count_is(&self, resource_type: &str, count: usize) {
        let found = self.resources_of_type(resource_type).len();
        assert_eq!(
            found, count,
            "{}: expected {count} resource(s) of type {resource_type}, found {found}",
            self.name
        );
    }

    /// Fails unless some resource of `resource_type` has properties matching `expected`.
    pub fn has_resource_properties(&self, resource_type: &str, expected: Json) {
        self.has_resource(resource_type, json!({ "Properties": expected }));
    }

    /// Like [`Template::has_resource_properties`] on the whole resource (`DeletionPolicy`…).
    pub fn has_resource(&self, resource_type: &str, expected: Json) {
        let candidates = self.resources_of_type(resource_type);
        if candidates.is_empty() {
            panic!("{}: no resource of type {resource_type}", self.name);
        }
        let mut reasons = Vec::new();
        for (id, r) in &candidates {
            match matches(&expected, r) {
                Ok(()) => return,
                Err(why) => reasons.push(format!("  {id}: {why}")),
            }
        }
        panic!(
            "{}: no {resource_type} matches {}\n{}",
            self.name,
            serde_json::to_string_pretty(&expected).unwrap_or_default(),
            reasons.join("\n")
        );
    }

    /// Every resource of `resource_type` matches `expected` (e.g. every SG rule has a description).
    pub fn all_resources_match(&self, resource_type: &str, expected: Json) {
        for (id, r) in self.resources_of_type(resource_type) {
            if let Err(why) = matches(&expected, &r) {
                panic!("{}: {id} ({resource_type}): {why}", self.name);
            }
        }
    }

    /// Fails unless output `id` exists and matches `expected`.
    pub fn has_output(&self, id: &str, expected: Json) {
        let output = self.json["Outputs"]
            .get(id)
            .unwrap_or_else(|| panic!("{}: no output `{id}`", self.name));
        if let Err(why) = matches(&expected, output) {
            panic!("{}: output `{id}`: {why}", self.name);
        }
    }

    /// Every `Fn::ImportValue` name used in the template.
    pub fn imports(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        collect_imports(&self.json["Resources"], &mut out);
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

const ARRAY_WITH: &str = "$arrayWith";
const ABSENT: &str = "$absent";

/// Matches an array that contains elements matching each of `items` (in any order).
pub fn array_with(items: Json) -> Json {
    json!({ (ARRAY_WITH): items })
}

/// Matches a key that must not be present.
pub fn absent() -> Json {
    json!({ (ABSENT): true })
}

fn is_absent(v: &Json) -> bool {
    v.get(ABSENT).is_some() && v.as_object().is_some_and(|m| m.len() == 1)
}

/// Object-like deep match of `actual` against `expected`.
pub fn matches(expected: &Json, actual: &Json) -> Result<(), String> {
    match expected {
        Json::Object(e) if e.len() == 1 && e.contains_key(ARRAY_WITH) => {
            let wanted = e[ARRAY_WITH].as_array().cloned().unwrap_or_default();
            let items = actual.as_array().ok_or_else(|| format!("expected an array, found {actual}"))?;
            for w in &wanted {
                if !items.iter().any(|i| matches(w, i).is_ok()) {
                    return Err(format!("no element matches {w}"));
                }
            }
            Ok(())
        }
        Json::Object(e) => {
            let a = actual.as_object().ok_or_else(|| format!("expected an object, found {actual}"))?;
            for (k, ev) in e {
                match a.get(k) {
                    None if is_absent(ev) => {}
                    None => return Err(format!("missing key `{k}`")),
                    Some(av) if is_absent(ev) => return Err(format!("key `{k}` should be absent but is {av}")),
                    Some(av) => matches(ev, av).map_err(|why| format!("{k}: {why}"))?,
                }
            }
            Ok(())
        }
        Json::Array(e) => {
            let a = actual.as_array().ok_or_else(|| format!("expected an array, found {actual}"))?;
            if a.len() != e.len() {
                return Err(format!("expected {} element(s), found {}: {actual}", e.len(), a.len()));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                matches(ev, av).map_err(|why| format!("[{i}]: {why}"))?;
            }
            Ok(())
        }
        _ if expected == actual => Ok(()),
        _ => Err(format!("expected {expected}, found {actual}")),
    }
}
