//! What a fresh synthesis stands for. `parity --deployed` compares the deployed templates
//! with it and may call it "this commit" only when the git checkout it comes from is clean.

use std::path::Path;
use std::process::Command;

/// How reports name a synthesis of the application whose environment files are in `dir`.
pub fn synthesis_label(dir: &Path) -> &'static str {
    match dirty(dir) {
        Some(false) => "this commit",
        Some(true) => "this commit plus uncommitted changes",
        // Not a git checkout (or git is missing): no commit to name.
        None => "this synthesis",
    }
}

/// The commit of the git checkout holding `dir` and whether its work tree is dirty;
/// no commit outside a checkout (or without git). Recorded in every manifest.
pub fn source(dir: &Path) -> cairn_assembly::Source {
    let commit = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| s.len() >= 40 && s.chars().all(|c| c.is_ascii_hexdigit()));
    match commit {
        Some(commit) => cairn_assembly::Source {
            // HEAD was just read: only the status is left to ask.
            dirty: has_changes(dir).unwrap_or(true),
            commit: Some(commit),
        },
        None => cairn_assembly::Source::default(),
    }
}

/// Whether the git work tree holding `dir` has changes (tracked or untracked, not
/// ignored) against HEAD; `None` outside a work tree with a commit, or when git fails.
fn dirty(dir: &Path) -> Option<bool> {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
    };
    git(&["rev-parse", "--verify", "--quiet", "HEAD"])?;
    has_changes(dir)
}

/// Whether `git status` lists anything, once HEAD is known to exist.
fn has_changes(dir: &Path) -> Option<bool> {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["status", "--porcelain"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    Some(!status.stdout.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=cairn",
                "-c",
                "user.email=cairn@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(ok, "git {args:?} in {}", dir.display());
    }

    #[test]
    fn a_dirty_checkout_is_not_called_this_commit() {
        let dir = std::env::temp_dir().join(format!("cairn-checkout-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let envs = dir.join("environments");
        std::fs::create_dir_all(&envs).unwrap();
        assert_eq!(synthesis_label(&envs), "this synthesis", "outside a git checkout");
        git(&dir, &["init", "--quiet"]);
        std::fs::write(envs.join("dev.toml"), "a = 1\n").unwrap();
        assert_eq!(synthesis_label(&envs), "this synthesis", "a repository without a commit");
        git(&dir, &["add", "."]);
        git(&dir, &["commit", "--quiet", "-m", "envs"]);
        assert_eq!(synthesis_label(&envs), "this commit");
        std::fs::write(envs.join("dev.toml"), "a = 2\n").unwrap();
        assert_eq!(synthesis_label(&envs), "this commit plus uncommitted changes", "a modified file");
        git(&dir, &["checkout", "--quiet", "--", "."]);
        std::fs::write(dir.join("new.rs"), "").unwrap();
        assert_eq!(synthesis_label(&envs), "this commit plus uncommitted changes", "an untracked file");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
