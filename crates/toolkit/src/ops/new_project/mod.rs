//! `cairn new`: a standalone Cargo project, written from the embedded example
//! ([`files`]) with the project's name and the cairn crates' source put in.
//!
//! Nothing is written unless everything can be: the files go to a fresh folder beside
//! the target, which is renamed into place at the end.

pub mod files;

use std::fs;
use std::path::{Path, PathBuf};

use files::{CAIRN_CRATES, CARGO_LOCK, EXAMPLE_NAME, FILES};

/// Longest project name: it starts every stack name (`<name>-<env>-<stack>`, at most 128
/// characters for CloudFormation), leaving room for long environment and stack ids.
pub const MAX_NAME_CHARS: usize = 64;

/// Names Cargo refuses for a binary target (they are folders of its target directory).
const CARGO_RESERVED_BIN_NAMES: [&str; 4] = ["build", "deps", "examples", "incremental"];

/// Where the new project takes the cairn crates from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CairnSource {
    /// Path dependencies on this checkout (an absolute path).
    Path(PathBuf),
    /// Git dependencies on this repository URL.
    Git(String),
}

/// Why `cairn new` refused or failed; [`NewError::BadInput`] means nothing was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewError {
    /// The folder or name cannot be used (exit 2; nothing written).
    BadInput(String),
    /// Writing failed (exit 1; nothing left behind).
    Write(String),
}

/// The checkout this binary was built from (its absolute path).
pub fn this_checkout() -> PathBuf {
    let toolkit = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = toolkit.join("../..");
    root.canonicalize().unwrap_or(root)
}

/// The project name for `dir` when none is given: its last component.
pub fn default_name(dir: &Path) -> Option<String> {
    // `..`, `.` or `/` have no name of their own: resolve them first.
    let resolved = if dir.file_name().is_some() {
        dir.to_path_buf()
    } else {
        std::path::absolute(dir).ok()?.components().collect()
    };
    resolved.file_name().and_then(|n| n.to_str()).map(str::to_string)
}

/// Checks that `name` can start stack names (and be a package name).
pub fn check_name(name: &str) -> Result<(), NewError> {
    let refuse = |why: &str| {
        Err(NewError::BadInput(format!(
            "`{}` cannot be the project's name: {why}; it starts every stack name (`<name>-<env>-<stack>`)\n  \
             fix: pass --name with up to {MAX_NAME_CHARS} letters, digits and hyphens, starting with a letter, e.g. --name billing-infra",
            cairn_core::config::shown(name),
        )))
    };
    if cairn_core::validate_name_fragment(name).is_err() {
        return refuse("a stack name takes only letters, digits and hyphens, starting with a letter");
    }
    if name.len() > MAX_NAME_CHARS {
        return refuse(&format!("it is longer than {MAX_NAME_CHARS} characters"));
    }
    if CARGO_RESERVED_BIN_NAMES.contains(&name) {
        return refuse("Cargo refuses it as the name of the project's binary");
    }
    Ok(())
}

/// The contents of every file of the new project, by path: the example's files with
/// `name` in place of the example's, `Cargo.toml` made standalone, and the lock file.
pub fn render(name: &str, source: &CairnSource) -> Result<Vec<(String, String)>, NewError> {
    let mut out = Vec::new();
    for (path, text) in FILES {
        let mut text = text.replace(EXAMPLE_NAME, name);
        if *path == "Cargo.toml" {
            text = standalone_manifest(&text, source)?;
        }
        out.push((path.to_string(), text));
    }
    out.push(("Cargo.lock".to_string(), CARGO_LOCK.to_string()));
    Ok(out)
}

/// The example's manifest as a project of its own: the relative paths to the cairn crates
/// replaced by `source`, and an empty `[workspace]` (no surrounding workspace claims it).
fn standalone_manifest(manifest: &str, source: &CairnSource) -> Result<String, NewError> {
    let mut text = manifest.to_string();
    for (dir, package) in CAIRN_CRATES {
        let relative = format!("path = \"../../crates/{dir}\"");
        let replacement = match source {
            CairnSource::Path(root) => {
                let path = root.join("crates").join(dir);
                let path = path.to_str().ok_or_else(|| {
                    NewError::BadInput(format!(
                        "the checkout's path {} is not UTF-8: Cargo.toml cannot name it\n  fix: use --git URL",
                        root.display()
                    ))
                })?;
                format!("path = {}", toml::Value::String(path.to_string()))
            }
            CairnSource::Git(url) => format!("git = {}", toml::Value::String(url.clone())),
        };
        if text.contains(&relative) {
            text = text.replace(&relative, &replacement);
        } else if text.contains(&format!("{package} =")) {
            // A dependency written another way would keep pointing into the example's folder.
            return Err(NewError::Write(format!(
                "the embedded Cargo.toml names {package} without `{relative}`: cairn's example and `cairn new` disagree"
            )));
        }
    }
    text.push_str("\n# A project of its own, not a member of any workspace around it.\n[workspace]\n");
    Ok(text)
}

/// Writes the project into `dir`, which must not exist or be empty. Returns the paths
/// written, relative to `dir`.
pub fn write_project(dir: &Path, name: &str, source: &CairnSource) -> Result<Vec<String>, NewError> {
    check_name(name)?;
    check_folder(dir)?;
    let files = render(name, source)?;
    let absolute = std::path::absolute(dir).map_err(|e| NewError::Write(format!("{}: {e}", dir.display())))?;
    let parent = absolute
        .parent()
        .ok_or_else(|| NewError::BadInput(format!("{} has no parent folder", dir.display())))?;
    fs::create_dir_all(parent).map_err(|e| NewError::Write(format!("cannot create {}: {e}", parent.display())))?;
    let staging = parent.join(format!(
        ".{}.cairn-new-{}",
        absolute.file_name().and_then(|n| n.to_str()).unwrap_or("project"),
        std::process::id()
    ));
    let result = write_all(&staging, &files).and_then(|()| {
        // An empty target folder is replaced by the rename (POSIX allows it).
        fs::rename(&staging, &absolute).map_err(|e| NewError::Write(format!("cannot move the project into {}: {e}", dir.display())))
    });
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result?;
    Ok(files.into_iter().map(|(path, _)| path).collect())
}

/// `dir` may not exist yet or be an empty folder; anything else is refused.
fn check_folder(dir: &Path) -> Result<(), NewError> {
    match fs::symlink_metadata(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(NewError::BadInput(format!("cannot use {}: {e}", dir.display()))),
        Ok(meta) if !meta.is_dir() => Err(NewError::BadInput(format!(
            "{} exists and is not a folder\n  fix: choose a folder that does not exist yet, e.g. `cairn new ../billing-infra`",
            dir.display()
        ))),
        Ok(_) => {
            let mut entries = fs::read_dir(dir).map_err(|e| NewError::BadInput(format!("cannot read {}: {e}", dir.display())))?;
            if entries.next().is_some() {
                return Err(NewError::BadInput(format!(
                    "{} is not empty: cairn new writes a whole project and overwrites nothing\n  fix: choose a folder that does not exist yet or is empty",
                    dir.display()
                )));
            }
            Ok(())
        }
    }
}

fn write_all(root: &Path, files: &[(String, String)]) -> Result<(), NewError> {
    let failed = |path: &Path, e: std::io::Error| NewError::Write(format!("cannot write {}: {e}", path.display()));
    fs::create_dir(root).map_err(|e| failed(root, e))?;
    for (path, text) in files {
        let file = root.join(path);
        if let Some(folder) = file.parent() {
            fs::create_dir_all(folder).map_err(|e| failed(folder, e))?;
        }
        fs::write(&file, text).map_err(|e| failed(&file, e))?;
    }
    Ok(())
}
