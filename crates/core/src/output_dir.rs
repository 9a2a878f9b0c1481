//! Reading a synthesis output back: `<dir>/<env>/manifest.json` plus the
//! templates it lists (as written by [`crate::assembly::write_environments`]).
//!
//! Used wherever cairn compares or checks output written earlier (`diff --base`,
//! `parity --out`). Every problem is an [`Error`] naming the file and the fix;
//! nothing here panics on what it reads.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::assembly::{MANIFEST_FILE, MANIFEST_VERSION};
use crate::error::Error;

/// One environment of a synthesis output.
#[derive(Debug, Clone)]
pub struct SynthesizedEnv {
    /// Environment name (from the manifest, which must match the folder name).
    pub name: String,
    /// The folder it was read from.
    pub dir: PathBuf,
    /// The manifest as written.
    pub manifest: Json,
    /// Stacks in the manifest's (deploy) order.
    pub stacks: Vec<SynthesizedStack>,
}

/// One stack of a synthesis output.
#[derive(Debug, Clone)]
pub struct SynthesizedStack {
    /// CloudFormation stack name (`shop-prod-data`).
    pub name: String,
    /// Short id inside the environment (`data`).
    pub id: String,
    /// The template file.
    pub file: PathBuf,
    pub template: Json,
}

impl SynthesizedEnv {
    pub fn stack(&self, name_or_id: &str) -> Option<&SynthesizedStack> {
        self.stacks.iter().find(|s| s.name == name_or_id || s.id == name_or_id)
    }
}

const FIX_WRITE: &str = "point at a folder written by `cairn synth` (e.g. `cairn synth --all --out DIR`)";

/// Reads every environment under `dir` (folders holding a `manifest.json`), sorted
/// by name. `dir` may also be one environment's folder itself.
pub fn read_synthesis(dir: &Path) -> Result<Vec<SynthesizedEnv>, Error> {
    let shown = dir.display().to_string();
    let meta = std::fs::metadata(dir).map_err(|e| {
        Error::new(format!("cannot read the synthesis output: {e}"))
            .at(&shown)
            .fix(FIX_WRITE)
    })?;
    if !meta.is_dir() {
        return Err(Error::new("is not a folder; expected a synthesis output folder")
            .at(&shown)
            .fix(FIX_WRITE));
    }
    if dir.join(MANIFEST_FILE).is_file() {
        return Ok(vec![read_env(dir)?]);
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::new(format!("cannot list the folder: {e}")).at(&shown))?;
    let mut env_dirs = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::new(format!("cannot list the folder: {e}")).at(&shown))?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        // `.tmp-*` / `.old-*` are the writer's staging folders.
        if !hidden && path.is_dir() && path.join(MANIFEST_FILE).is_file() {
            env_dirs.push(path);
        }
    }
    if env_dirs.is_empty() {
        return Err(
            Error::new(format!("is not a synthesis output: no <environment>/{MANIFEST_FILE} in it"))
                .at(&shown)
                .fix(FIX_WRITE),
        );
    }
    env_dirs.sort();
    env_dirs.iter().map(|d| read_env(d)).collect()
}

/// Reads one environment folder (`<dir>/manifest.json` and its templates).
pub fn read_env(dir: &Path) -> Result<SynthesizedEnv, Error> {
    let manifest_path = dir.join(MANIFEST_FILE);
    let manifest = read_json(&manifest_path)?;
    let at = manifest_path.display().to_string();
    let version = manifest.get("version").and_then(Json::as_u64);
    match version {
        Some(v) if v <= u64::from(MANIFEST_VERSION) => {}
        Some(v) => {
            return Err(Error::new(format!(
                "manifest version {v} is newer than this cairn understands ({MANIFEST_VERSION})"
            ))
            .at(at)
            .fix("use the cairn version that wrote it, or synthesize again"))
        }
        None => return Err(Error::new("not a cairn manifest: no numeric \"version\"").at(at).fix(FIX_WRITE)),
    }
    let name = manifest
        .get("environment")
        .and_then(Json::as_str)
        .ok_or_else(|| Error::new("not a cairn manifest: no \"environment\" name").at(&at).fix(FIX_WRITE))?
        .to_string();
    let stacks_json = manifest
        .get("stacks")
        .and_then(Json::as_array)
        .ok_or_else(|| Error::new("not a cairn manifest: no \"stacks\" list").at(&at).fix(FIX_WRITE))?;
    let mut stacks = Vec::new();
    for (i, s) in stacks_json.iter().enumerate() {
        let field = |key: &str| -> Result<String, Error> {
            s.get(key)
                .and_then(Json::as_str)
                .map(str::to_string)
                .ok_or_else(|| Error::new(format!("stacks[{i}] has no \"{key}\" string")).at(&at).fix(FIX_WRITE))
        };
        let (stack_name, id, file_name) = (field("name")?, field("id")?, field("template")?);
        // The manifest names files next to it; never follow a path out of the folder.
        if file_name.contains(['/', '\\']) || file_name.starts_with('.') {
            return Err(
                Error::new(format!("stacks[{i}].template `{file_name}` is not a file name in this folder"))
                    .at(&at)
                    .fix(FIX_WRITE),
            );
        }
        let file = dir.join(&file_name);
        let template = read_json(&file)?;
        check_template(&template, &file)?;
        stacks.push(SynthesizedStack {
            name: stack_name,
            id,
            file,
            template,
        });
    }
    Ok(SynthesizedEnv {
        name,
        dir: dir.to_path_buf(),
        manifest,
        stacks,
    })
}

/// A template must be a JSON object whose `Resources` (if any) is an object.
pub fn check_template(template: &Json, file: &Path) -> Result<(), Error> {
    let at = file.display().to_string();
    let Some(obj) = template.as_object() else {
        return Err(Error::new("is not a CloudFormation template: not a JSON object")
            .at(at)
            .fix(FIX_WRITE));
    };
    for section in ["Resources", "Outputs", "Parameters", "Conditions", "Mappings"] {
        if let Some(v) = obj.get(section) {
            if !v.is_object() {
                return Err(Error::new(format!("is not a valid template: \"{section}\" is not an object"))
                    .at(at)
                    .fix(FIX_WRITE));
            }
        }
    }
    let Some(resources) = obj.get("Resources").and_then(Json::as_object) else {
        return Err(Error::new("is not a CloudFormation template: no \"Resources\"")
            .at(at)
            .fix(FIX_WRITE));
    };
    // Without a type, nothing about the resource (replacement, data) can be judged.
    for (id, resource) in resources {
        if resource.get("Type").and_then(Json::as_str).is_none_or(str::is_empty) {
            return Err(Error::new(format!("resource `{id}` has no \"Type\" string"))
                .at(at)
                .property(format!("Resources.{id}.Type"))
                .fix("give every resource its CloudFormation type (e.g. \"Type\": \"AWS::SQS::Queue\"), or synthesize again"));
        }
    }
    Ok(())
}

fn read_json(path: &Path) -> Result<Json, Error> {
    let at = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::new(format!("cannot read: {e}")).at(&at).fix(FIX_WRITE))?;
    serde_json::from_str(&text).map_err(|e| {
        let what = if e.is_eof() { "is truncated" } else { "is not valid JSON" };
        Error::new(format!("{what} (line {}, column {}): {e}", e.line(), e.column()))
            .at(at)
            .fix("synthesize again; the file was cut short or edited by hand")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A temporary folder, removed when dropped (also when the test fails).
    struct Scratch(PathBuf);

    impl std::ops::Deref for Scratch {
        type Target = Path;
        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl AsRef<Path> for Scratch {
        fn as_ref(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn scratch(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("cairn-output-dir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Scratch(dir)
    }

    fn write_env(root: &Path, env: &str, template: &str) {
        let dir = root.join(env);
        std::fs::create_dir_all(&dir).expect("env dir");
        let manifest = json!({"version": 1, "environment": env, "stacks": [{"id": "data", "name": format!("app-{env}-data"), "template": format!("app-{env}-data.template.json")}]});
        std::fs::write(dir.join("manifest.json"), manifest.to_string()).expect("manifest");
        std::fs::write(dir.join(format!("app-{env}-data.template.json")), template).expect("template");
    }

    #[test]
    fn reads_every_environment_sorted_and_a_single_env_folder() {
        let root = scratch("ok");
        write_env(&root, "prod", r#"{"Resources": {"A": {"Type": "AWS::SQS::Queue"}}}"#);
        write_env(&root, "dev", r#"{"Resources": {}}"#);
        std::fs::create_dir_all(root.join(".tmp-prod-1")).expect("staging dir");
        let envs = read_synthesis(&root).expect("reads");
        assert_eq!(envs.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(), ["dev", "prod"]);
        assert_eq!(envs[1].stacks[0].name, "app-prod-data");
        assert_eq!(
            envs[1].stack("data").map(|s| s.template["Resources"]["A"]["Type"].clone()),
            Some(json!("AWS::SQS::Queue"))
        );
        let single = read_synthesis(&root.join("prod")).expect("reads one env");
        assert_eq!(single.len(), 1);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn a_folder_without_manifests_is_not_a_synthesis_output() {
        let root = scratch("empty");
        std::fs::write(root.join("notes.txt"), "hello").expect("file");
        let e = read_synthesis(&root).expect_err("not an output");
        assert!(e.message.contains("not a synthesis output"), "{e}");
        assert!(e.fix.as_deref().unwrap_or("").contains("cairn synth"));
        let e = read_synthesis(&root.join("missing")).expect_err("missing");
        assert!(e.message.contains("cannot read"), "{e}");
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn truncated_template_and_bad_manifest_name_the_file() {
        let root = scratch("truncated");
        write_env(&root, "prod", r#"{"Resources": {"A": {"Type": "#);
        let e = read_synthesis(&root).expect_err("truncated");
        assert!(e.message.contains("truncated"), "{e}");
        assert!(e.path.as_deref().unwrap_or("").ends_with("app-prod-data.template.json"), "{e}");

        let root = scratch("escape");
        let dir = root.join("prod");
        std::fs::create_dir_all(&dir).expect("dir");
        let manifest = json!({"version": 1, "environment": "prod", "stacks": [{"id": "x", "name": "x", "template": "../secret.json"}]});
        std::fs::write(dir.join("manifest.json"), manifest.to_string()).expect("manifest");
        let e = read_synthesis(&root).expect_err("path escape");
        assert!(e.message.contains("not a file name"), "{e}");

        std::fs::write(dir.join("manifest.json"), r#"{"version": 1, "environment": "prod"}"#).expect("manifest");
        let e = read_synthesis(&root).expect_err("no stacks");
        assert!(e.message.contains("\"stacks\""), "{e}");

        std::fs::write(
            dir.join("manifest.json"),
            r#"{"version": 1, "environment": "prod", "stacks": [{"id": "x", "name": "x", "template": "x.json"}]}"#,
        )
        .expect("manifest");
        std::fs::write(dir.join("x.json"), r#"[1, 2]"#).expect("template");
        let e = read_synthesis(&root).expect_err("not an object");
        assert!(e.message.contains("not a JSON object"), "{e}");

        std::fs::write(dir.join("x.json"), r#"{"Resources": {"Queue": {"Properties": {}}}}"#).expect("template");
        let e = read_synthesis(&root).expect_err("a resource without Type");
        assert!(e.message.contains("resource `Queue` has no \"Type\""), "{e}");
        assert!(e.path.as_deref().unwrap_or("").ends_with("x.json"), "{e}");
        assert_eq!(e.property.as_deref(), Some("Resources.Queue.Type"));
        let _ = std::fs::remove_dir_all(&root);
    }
}
