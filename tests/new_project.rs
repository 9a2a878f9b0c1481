//! `cairn new`: what it writes (the embedded example with the project's name, a
//! standalone Cargo.toml, the checkout's lock file) and what it refuses (a folder that is
//! not empty, a name that cannot start a stack name: exit 2, nothing written).
//! `scripts/new-project-test.sh` builds and tests a written project end to end.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

mod support;
use support::{cairn, TempDir};

const EXAMPLE: &str = "examples/queue-worker";
const CAIRN_CRATES: [&str; 5] = ["cairn-assertions", "cairn-cfn", "cairn-constructs", "cairn-core", "cairn-toolkit"];

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Every file under `dir`, relative, skipping what the example's .gitignore ignores.
fn files_under(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("a folder entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
            if path.is_dir() {
                if !["target", "out", ".venv"].contains(&name.as_str()) {
                    walk(root, &path, out);
                }
            } else if !name.ends_with(".snap.new") && !name.ends_with(".pending-snap") {
                out.insert(path.strip_prefix(root).expect("under root").to_string_lossy().into_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn manifest(project: &Path) -> toml::Table {
    read(&project.join("Cargo.toml")).parse().expect("Cargo.toml is TOML")
}

/// The cairn crates among the dependencies and dev-dependencies: (name, spec).
fn cairn_deps(manifest: &toml::Table) -> Vec<(String, toml::Table)> {
    let mut deps = Vec::new();
    for section in ["dependencies", "dev-dependencies"] {
        for (name, spec) in manifest[section].as_table().expect("a table") {
            if name.starts_with("cairn-") {
                deps.push((name.clone(), spec.as_table().expect("a table spec").clone()));
            }
        }
    }
    deps.sort_by(|a, b| a.0.cmp(&b.0));
    deps
}

#[test]
fn writes_every_file_of_the_example_with_the_name_put_in() {
    let tmp = TempDir::new("new-files");
    let dir = tmp.join("billing-infra");
    let out = cairn(&["new", dir.to_str().expect("UTF-8")], &repo());
    assert!(out.status.success(), "{}", stderr(&out));

    // The same files as the example (one source), plus the checkout's lock file.
    let mut expected = files_under(&repo().join(EXAMPLE));
    expected.insert("Cargo.lock".into());
    assert_eq!(files_under(&dir), expected);
    assert_eq!(read(&dir.join("Cargo.lock")), read(&repo().join("Cargo.lock")));

    // The name is the package's, the binary's and the stacks'; the example's name is gone.
    let m = manifest(&dir);
    assert_eq!(m["package"]["name"].as_str(), Some("billing-infra"));
    assert_eq!(m["bin"][0]["name"].as_str(), Some("billing-infra"));
    assert!(m.contains_key("workspace"), "a workspace of its own");
    for file in files_under(&dir).iter().filter(|f| *f != "Cargo.lock") {
        let text = read(&dir.join(file));
        assert!(!text.contains("queue-worker"), "{file} still names the example: queue-worker");
        assert!(!text.contains("../../crates"), "{file} points into the example's checkout folder");
    }
    let snapshot = read(&dir.join("tests/snapshots/prod__data.snap"));
    assert!(snapshot.contains(r#""Value": "billing-infra""#), "Application tag");
    assert!(snapshot.contains("billing-infra-prod-network:"), "imports name the stacks");

    let readme = read(&dir.join("README.md"));
    assert!(
        readme.starts_with("# billing-infra\n\n```sh\ncargo run -- synth prod ") && readme.contains("\nmake test "),
        "the README opens with its two commands:\n{readme}"
    );
    assert!(read(&dir.join("Makefile")).contains("\ntest: "));
    assert!(read(&dir.join(".github/workflows/ci.yml")).contains("run: make test"));
    assert!(read(&dir.join(".gitignore")).contains("/target/"));

    let printed = stdout(&out);
    for line in ["Cargo.toml", "stacks/lib.rs", "cargo run -- synth prod", "make test"] {
        assert!(printed.contains(line), "prints {line}:\n{printed}");
    }
}

#[test]
fn depends_on_this_checkout_by_absolute_path() {
    let tmp = TempDir::new("new-path");
    let dir = tmp.join("jobs");
    let out = cairn(&["new", dir.to_str().expect("UTF-8"), "--name", "jobs-infra"], &repo());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        manifest(&dir)["package"]["name"].as_str(),
        Some("jobs-infra"),
        "--name wins over the folder's"
    );
    let deps = cairn_deps(&manifest(&dir));
    assert_eq!(deps.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), CAIRN_CRATES);
    for (name, spec) in deps {
        let path = PathBuf::from(spec["path"].as_str().unwrap_or_else(|| panic!("{name}: a path dependency")));
        assert!(path.is_absolute(), "{name}: {}", path.display());
        let crate_manifest: toml::Table = read(&path.join("Cargo.toml")).parse().expect("TOML");
        assert_eq!(
            crate_manifest["package"]["name"].as_str(),
            Some(name.as_str()),
            "{}",
            path.display()
        );
        assert_eq!(
            path.canonicalize().expect("exists").parent().and_then(Path::parent),
            Some(repo().canonicalize().expect("repo").as_path()),
            "{name} is a crate of this checkout"
        );
    }
}

#[test]
fn depends_on_a_git_repository_with_git() {
    let tmp = TempDir::new("new-git");
    let dir = tmp.join("billing");
    let url = "https://github.com/example/cairn";
    let out = cairn(&["new", dir.to_str().expect("UTF-8"), "--git", url], &repo());
    assert!(out.status.success(), "{}", stderr(&out));
    let deps = cairn_deps(&manifest(&dir));
    assert_eq!(deps.len(), CAIRN_CRATES.len());
    for (name, spec) in deps {
        assert_eq!(spec.get("git").and_then(|g| g.as_str()), Some(url), "{name}");
        assert!(!spec.contains_key("path"), "{name}: no path with --git");
    }
    assert!(stdout(&out).contains(url));
}

#[test]
fn refuses_a_folder_that_is_not_empty_and_changes_nothing() {
    let tmp = TempDir::new("new-not-empty");
    let dir = tmp.join("taken");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::write(dir.join("notes.txt"), "mine").expect("write");
    let out = cairn(&["new", dir.to_str().expect("UTF-8")], &repo());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("{} is not empty", dir.display())), "{err}");
    assert!(err.contains("fix: choose a folder that does not exist yet or is empty"), "{err}");
    assert_eq!(files_under(&dir), BTreeSet::from(["notes.txt".to_string()]));
    assert_eq!(read(&dir.join("notes.txt")), "mine");
    assert_eq!(files_under(&tmp).len(), 1, "nothing written beside it either");
}

#[test]
fn accepts_an_empty_folder() {
    let tmp = TempDir::new("new-empty");
    let dir = tmp.join("empty");
    std::fs::create_dir(&dir).expect("mkdir");
    let out = cairn(&["new", dir.to_str().expect("UTF-8")], &repo());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.join("stacks/lib.rs").is_file());
}

#[test]
fn refuses_a_name_that_cannot_start_a_stack_name_and_writes_nothing() {
    let tmp = TempDir::new("new-bad-name");
    let long = "a".repeat(65);
    // `build`: a stack name, but not a name Cargo takes for the project's binary.
    for name in ["1jobs", "jobs_infra", "jobs infra", "jobs.infra", "", long.as_str(), "build"] {
        let dir = tmp.join("project");
        let out = cairn(&["new", dir.to_str().expect("UTF-8"), "--name", name], &repo());
        assert_eq!(out.status.code(), Some(2), "{name:?}: {}", stderr(&out));
        let err = stderr(&out);
        let shown = if name.len() > 60 {
            format!("{}… ({} characters)", &name[..40], name.len())
        } else {
            name.to_string()
        };
        assert!(err.contains(&format!("`{shown}` cannot be the project's name")), "{err}");
        assert!(err.contains("fix: pass --name with up to 64 letters, digits and hyphens"), "{err}");
        assert!(files_under(&tmp).is_empty() && !dir.exists(), "{name:?}: nothing written");
    }
    // The default name is the folder's: a folder name that cannot be one is refused too.
    let out = cairn(&["new", tmp.join("my_infra").to_str().expect("UTF-8")], &repo());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("`my_infra` cannot be the project's name"), "{}", stderr(&out));
    assert!(!tmp.join("my_infra").exists());
}
