//! The generated typed layer (`crates/cfn`) is what `scripts/gen-cfn.py` writes from the
//! pinned cfn-lint's schemas: `make cfn-check` (part of `make test`) fails on any edit.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let venv = std::env::var_os("CAIRN_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `make venv` (the generator reads cfn-lint's schemas)",
        python.display()
    );
    python
}

fn check(out: &Path) -> Output {
    Command::new(python())
        .arg(repo().join("scripts/gen-cfn.py"))
        .arg("--check")
        .arg("--out")
        .arg(out)
        .output()
        .expect("python runs")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn the_committed_code_is_current_and_any_edit_or_extra_file_makes_the_check_fail() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("generated-cfn");
    let _ = std::fs::remove_dir_all(&work);
    copy_dir(&repo().join("crates/cfn"), &work);

    let o = check(&work);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let sqs = work.join("src/services/sqs.rs");
    let text = std::fs::read_to_string(&sqs).unwrap();
    std::fs::write(&sqs, text.replacen("pub struct CfnQueueProps", "pub struct CfnQueueProp", 1)).unwrap();
    let o = check(&work);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("services/sqs.rs") && stderr.contains("run `make cfn`"), "{stderr}");

    std::fs::write(&sqs, text).unwrap();
    std::fs::write(work.join("src/services/madeup.rs"), "// not generated\n").unwrap();
    let o = check(&work);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
}
