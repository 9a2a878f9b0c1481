//! Reading a synthesis output back: `<dir>/<env>/manifest.json` plus the
//! templates it lists (as written by [`crate::write_environments`]).
//!
//! Used wherever cairn compares or checks output written earlier (`diff --base`,
//! `parity --out`). Every problem is an [`AssemblyError`] naming the file and the
//! fix; nothing here panics on what it reads.

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::error::AssemblyError;
use crate::manifest::{read_json, Manifest, MANIFEST_FILE};

/// One environment of a synthesis output.
#[derive(Debug, Clone)]
pub struct SynthesizedEnv {
    /// Environment name (from the manifest).
    pub name: String,
    /// The folder it was read from.
    pub dir: PathBuf,
    /// The manifest as written.
    pub manifest: Manifest,
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
    /// The template as read.
    pub template: Json,
}

impl SynthesizedEnv {
    /// The stack with this CloudFormation name or short id.
    pub fn stack(&self, name_or_id: &str) -> Option<&SynthesizedStack> {
        self.stacks.iter().find(|s| s.name == name_or_id || s.id == name_or_id)
    }
}

/// Reads every environment under `dir` (folders holding a `manifest.json`), sorted
/// by name. `dir` may also be one environment's folder itself.
pub fn read_synthesis(dir: &Path) -> Result<Vec<SynthesizedEnv>, AssemblyError> {
    let meta =
        std::fs::metadata(dir).map_err(|e| AssemblyError::not_written_by_synth(dir, format!("cannot read the synthesis output: {e}")))?;
    if !meta.is_dir() {
        return Err(AssemblyError::not_written_by_synth(
            dir,
            "is not a folder; expected a synthesis output folder",
        ));
    }
    if dir.join(MANIFEST_FILE).is_file() {
        return Ok(vec![read_env(dir)?]);
    }
    let cannot_list = |e: std::io::Error| {
        AssemblyError::new(
            dir,
            format!("cannot list the folder: {e}"),
            "make the folder readable, or point at another one",
        )
    };
    let mut env_dirs = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(cannot_list)? {
        let entry = entry.map_err(cannot_list)?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        // `.tmp-*` / `.old-*` are the writer's staging folders.
        if !hidden && path.is_dir() && path.join(MANIFEST_FILE).is_file() {
            env_dirs.push(path);
        }
    }
    if env_dirs.is_empty() {
        return Err(AssemblyError::not_written_by_synth(
            dir,
            format!("is not a synthesis output: no <environment>/{MANIFEST_FILE} in it"),
        ));
    }
    env_dirs.sort();
    env_dirs.iter().map(|d| read_env(d)).collect()
}

/// Reads one environment folder (`<dir>/manifest.json` and its templates).
pub(crate) fn read_env(dir: &Path) -> Result<SynthesizedEnv, AssemblyError> {
    let manifest = Manifest::read(&dir.join(MANIFEST_FILE))?;
    let mut stacks = Vec::new();
    for stack in &manifest.stacks {
        let file = dir.join(&stack.template);
        let template = read_json(&file)?;
        check_template(&template, &file)?;
        stacks.push(SynthesizedStack {
            name: stack.name.clone(),
            id: stack.id.clone(),
            file,
            template,
        });
    }
    Ok(SynthesizedEnv {
        name: manifest.environment.clone(),
        dir: dir.to_path_buf(),
        manifest,
        stacks,
    })
}

/// Folders under the synthesis root `dir` that hold templates (`*.template.json`)
/// but no manifest: an interrupted or partly deleted synthesis, not an absent
/// environment. Empty when `dir` is itself one environment's folder.
pub fn malformed_env_folders(dir: &Path) -> Vec<PathBuf> {
    if dir.join(MANIFEST_FILE).is_file() {
        return Vec::new();
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.is_dir() && !p.join(MANIFEST_FILE).exists())
        .filter(|p| {
            std::fs::read_dir(p).is_ok_and(|files| {
                files
                    .filter_map(|f| f.ok())
                    .any(|f| f.file_name().to_string_lossy().ends_with(".template.json"))
            })
        })
        .collect();
    out.sort();
    out
}

/// A template must be a JSON object whose `Resources` (if any) is an object.
pub(crate) fn check_template(template: &Json, file: &Path) -> Result<(), AssemblyError> {
    let bad = |message: String| AssemblyError::not_written_by_synth(file, message);
    let Some(obj) = template.as_object() else {
        return Err(bad("is not a CloudFormation template: not a JSON object".into()));
    };
    for section in ["Resources", "Outputs", "Parameters", "Conditions", "Mappings"] {
        if let Some(v) = obj.get(section) {
            if !v.is_object() {
                return Err(bad(format!("is not a valid template: \"{section}\" is not an object")));
            }
        }
    }
    let Some(resources) = obj.get("Resources").and_then(Json::as_object) else {
        return Err(bad("is not a CloudFormation template: no \"Resources\"".into()));
    };
    // Without a type, nothing about the resource (replacement, data) can be judged.
    for (id, resource) in resources {
        if resource.get("Type").and_then(Json::as_str).is_none_or(str::is_empty) {
            return Err(AssemblyError::new(
                file,
                format!("resource `{id}` has no \"Type\" string"),
                "give every resource its CloudFormation type (e.g. \"Type\": \"AWS::SQS::Queue\"), or synthesize again",
            )
            .property(format!("Resources.{id}.Type")));
        }
    }
    Ok(())
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
        assert!(e.fix.contains("cairn synth"));
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
        assert!(e.path.ends_with("app-prod-data.template.json"), "{e}");

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
        assert!(e.path.ends_with("x.json"), "{e}");
        assert_eq!(e.property.as_deref(), Some("Resources.Queue.Type"));
        let _ = std::fs::remove_dir_all(&root);
    }
}
