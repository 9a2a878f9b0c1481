//! What a fresh synthesis stands for. `parity --deployed` compares the deployed templates
//! with it and may call it "this commit" only when the git checkout it comes from is clean.

use std::path::Path;
use std::process::Command;

/// How reports name a synthesis of the application whose environment files are in `dir`.
pub fn synthesis_label(dir: &Path) -> &'static str {
    match status(dir) {
        Some(Status { commit: Some(_), dirty }) if !dirty => "this commit",
        Some(Status { commit: Some(_), .. }) => "this commit plus uncommitted changes",
        // Not a git checkout, no commit yet, or git is missing: no commit to name.
        _ => "this synthesis",
    }
}

/// The commit of the git checkout holding `dir` and whether its work tree is dirty;
/// no commit outside a checkout (or without git). Recorded in every manifest.
pub fn source(dir: &Path) -> cairn_assembly::Source {
    match status(dir) {
        Some(Status {
            commit: Some(commit),
            dirty,
        }) => cairn_assembly::Source {
            dirty,
            commit: Some(commit),
        },
        _ => cairn_assembly::Source::default(),
    }
}

/// What one `git status` says of the work tree holding a folder.
#[derive(Debug, PartialEq, Eq)]
struct Status {
    /// HEAD's commit; `None` before the first commit.
    commit: Option<String>,
    /// Changes against HEAD, tracked or untracked (not ignored).
    dirty: bool,
}

/// One git process for both facts (HEAD and the changes): `synth` asks while it
/// synthesizes, and a second process would take CPU from it. `None` outside a work
/// tree, or when git is missing or fails.
fn status(dir: &Path) -> Option<Status> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        // No ahead/behind count: it walks the history to the upstream branch.
        .args(["status", "--porcelain=v2", "--branch", "--no-ahead-behind"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    parse_status(&String::from_utf8_lossy(&out.stdout))
}

/// Reads `git status --porcelain=v2 --branch`: headers start with `# `, every other
/// line is a change. `None` without the `branch.oid` header (not that format).
fn parse_status(text: &str) -> Option<Status> {
    let mut oid = None;
    let mut dirty = false;
    for line in text.lines() {
        match line.strip_prefix("# ") {
            Some(header) => {
                if let Some(value) = header.strip_prefix("branch.oid ") {
                    oid = Some(value.trim());
                }
            }
            None => dirty |= !line.is_empty(),
        }
    }
    let commit = oid?;
    let commit = (commit.len() >= 40 && commit.chars().all(|c| c.is_ascii_hexdigit())).then(|| commit.to_string());
    Some(Status { commit, dirty })
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
        let head = Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(["rev-parse", "HEAD"])
            .output()
            .unwrap();
        let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
        let clean = source(&envs);
        assert_eq!((clean.commit.as_deref(), clean.dirty), (Some(head.as_str()), false));
        std::fs::write(envs.join("dev.toml"), "a = 2\n").unwrap();
        assert_eq!(synthesis_label(&envs), "this commit plus uncommitted changes", "a modified file");
        git(&dir, &["checkout", "--quiet", "--", "."]);
        std::fs::write(dir.join("new.rs"), "").unwrap();
        assert_eq!(synthesis_label(&envs), "this commit plus uncommitted changes", "an untracked file");
        let dirty = source(&envs);
        assert_eq!((dirty.commit.as_deref(), dirty.dirty), (Some(head.as_str()), true));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn status_reads_the_commit_header_and_any_change_line() {
        let oid = "cb580cfed9f8904dcae45d421a8e65fb7583432a";
        let clean = format!("# branch.oid {oid}\n# branch.head main\n");
        assert_eq!(
            parse_status(&clean),
            Some(Status {
                commit: Some(oid.to_string()),
                dirty: false
            })
        );
        let staged = format!("{clean}1 M. N... 100644 100644 100644 a b stacks/lib.rs\n");
        assert_eq!(parse_status(&staged).map(|s| s.dirty), Some(true));
        let untracked = format!("{clean}? notes.txt\n");
        assert_eq!(parse_status(&untracked).map(|s| s.dirty), Some(true));
        assert_eq!(
            parse_status("# branch.oid (initial)\n# branch.head master\n"),
            Some(Status {
                commit: None,
                dirty: false
            }),
            "no commit yet"
        );
        assert_eq!(parse_status("M stacks/lib.rs\n"), None, "not porcelain v2 with --branch");
    }
}
