//! The scripts behind `make pr-diff` and `make bench-process`, run for real but with a
//! stand-in `cargo` where a real build would take minutes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::TempDir;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A `cargo` that logs each call (with its CARGO_TARGET_DIR) to `<dir>/cargo.log`, answers
/// `metadata` with two packages, and for `build` writes `$CARGO_TARGET_DIR/debug/cairn`: a
/// script that says which tree built it ("base" with --manifest-path, else "head").
const FAKE_CARGO: &str = r#"#!/usr/bin/env bash
set -eu
echo "$* | target=${CARGO_TARGET_DIR:-unset}" >> "$FAKE_LOG"
case "$1" in
  metadata) echo '{"packages": [{"name": "cairn-core"}, {"name": "cairn-app"}]}' ;;
  build)
    side=head
    for a in "$@"; do [[ $a == --manifest-path ]] && side=base; done
    mkdir -p "$CARGO_TARGET_DIR/debug"
    printf '#!/usr/bin/env bash\necho "%s cairn $*"\n' "$side" > "$CARGO_TARGET_DIR/debug/cairn"
    chmod +x "$CARGO_TARGET_DIR/debug/cairn"
    echo "   Compiling cairn-app ($side)" >&2 ;;
  *) echo "fake cargo: unexpected $1" >&2; exit 3 ;;
esac
"#;

fn fake_cargo(dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let cargo = bin.join("cargo");
    std::fs::write(&cargo, FAKE_CARGO).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

#[test]
fn pr_diff_builds_the_base_in_cargo_target_dir_with_its_own_artifacts_and_shows_progress() {
    let dir = TempDir::new("pr-diff-script");
    let bin = fake_cargo(&dir);
    let target = dir.join("shared-target");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let run = Command::new(repo().join("scripts/pr-diff.sh"))
        .args(["HEAD", "--fail-on", "data-loss"])
        .current_dir(repo())
        .env("PATH", path)
        .env("CARGO_TARGET_DIR", &target)
        .env("FAKE_LOG", dir.join("cargo.log"))
        .env("FORMAT", "markdown")
        .output()
        .expect("scripts/pr-diff.sh runs");
    assert!(run.status.success(), "{}", show(&run));
    let log = std::fs::read_to_string(dir.join("cargo.log")).expect("cargo was called");
    let calls: Vec<&str> = log.lines().collect();
    assert_eq!(calls.len(), 3, "metadata, the base's build, the working tree's build:\n{log}");
    let expected_target = format!("target={}", target.canonicalize().unwrap().display());
    for call in &calls {
        assert!(call.ends_with(&expected_target), "every cargo call uses CARGO_TARGET_DIR: {call}");
    }
    let worktree = target.canonicalize().unwrap().join("pr-diff/base-src");
    assert!(
        calls[1].starts_with("build --config profile.dev.package.\"cairn-core\".codegen-units=255 --config profile.dev.package.\"cairn-app\".codegen-units=255 --bin cairn --manifest-path")
            && calls[1].contains(&format!("{}/Cargo.toml", worktree.display())),
        "the base's own packages get artifacts of their own: {}",
        calls[1]
    );
    assert!(calls[2].starts_with("build --bin cairn |"), "{}", calls[2]);
    // stdout is the diff only, by the working tree's binary, with the options passed on.
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.starts_with("head cairn diff --base "), "{}", show(&run));
    assert!(
        stdout.contains("--format markdown --fail-on data-loss --base-label HEAD ("),
        "{stdout}"
    );
    // The base was synthesized by the base's binary.
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("base cairn synth --all --quiet --out "), "{stderr}");
    // Progress: each step with its time, cargo's own output, the total.
    for step in [
        " s] checking out HEAD (",
        "building HEAD's cairn",
        "Compiling cairn-app (base)",
        "done in ",
        "pr-diff: finished in ",
    ] {
        assert!(stderr.contains(step), "progress `{step}` missing:\n{stderr}");
    }
    // Nothing left behind: no worktree, no base output, no second target folder.
    assert!(!worktree.exists(), "{} is left behind", worktree.display());
    let worktrees = Command::new("git").args(["worktree", "list"]).current_dir(repo()).output().unwrap();
    assert!(
        !String::from_utf8_lossy(&worktrees.stdout).contains("pr-diff/base-src"),
        "{}",
        show(&worktrees)
    );
    assert!(!target.join("pr-diff/base-out").exists(), "the base's synthesis is left behind");
}

#[test]
fn bench_process_says_release_only_for_a_release_build() {
    // A prebuilt binary (here the debug one): its profile is not claimed.
    let run = Command::new(repo().join("scripts/bench-process.sh"))
        .current_dir(repo())
        .env("CAIRN_BIN", env!("CARGO_BIN_EXE_cairn"))
        .env("RUNS", "1")
        .output()
        .expect("scripts/bench-process.sh runs");
    assert!(run.status.success(), "{}", show(&run));
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        !stdout.contains("release"),
        "a prebuilt debug binary is not a release build:\n{stdout}"
    );
    assert!(
        stdout.contains("prebuilt binary") && stdout.contains("build profile not checked"),
        "{stdout}"
    );
}

#[test]
fn bench_compare_times_both_binaries_and_refuses_a_missing_one() {
    let bin = env!("CARGO_BIN_EXE_cairn");
    let run = Command::new(repo().join("scripts/bench-compare.sh"))
        .current_dir(repo())
        .args([bin, bin])
        .env("RUNS", "1")
        .output()
        .expect("scripts/bench-compare.sh runs");
    assert!(run.status.success(), "{}", show(&run));
    let stdout = String::from_utf8_lossy(&run.stdout);
    for case in ["synth --all", "parity"] {
        let rows = stdout.lines().filter(|l| l.contains(case) && l.contains("median")).count();
        assert_eq!(rows, 2, "one `{case}` row per binary:\n{stdout}");
    }
    let missing = Command::new(repo().join("scripts/bench-compare.sh"))
        .current_dir(repo())
        .args(["/nonexistent/cairn", bin])
        .output()
        .expect("scripts/bench-compare.sh runs");
    assert_eq!(missing.status.code(), Some(2), "{}", show(&missing));
    assert!(
        String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/cairn"),
        "{}",
        show(&missing)
    );
}

#[test]
fn the_schema_facts_generator_picks_one_name_property_by_a_fixed_rule() {
    let venv = std::env::var_os("CAIRN_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join(".venv"));
    let python = venv.join("bin/python");
    assert!(python.exists(), "{} is missing: run `make venv`", python.display());
    // Several create-only properties may look like the name: `<Type>Name` wins over
    // `<Type>Identifier` over `Name` over the longest `<X>Name`; none is no name.
    let cases = r#"[
        ["AWS::X::Widget", ["Name", "WidgetIdentifier", "WidgetName"]],
        ["AWS::X::Widget", ["Name", "WidgetIdentifier"]],
        ["AWS::X::CompositeAlarm", ["AlarmName", "Name"]],
        ["AWS::X::CompositeAlarm", ["AlarmName", "CompositeAlarmName"]],
        ["AWS::X::CompositeAlarm", ["AlarmName", "CompositeAlarmName"][::-1]],
        ["AWS::X::SecurityGroup", ["GroupName", "VpcId"]],
        ["AWS::X::Widget", ["Config/Name", "KeyName"]]
    ]"#;
    let o = Command::new(&python)
        .args([
            "-c",
            "import importlib.util, json, sys
spec = importlib.util.spec_from_file_location('gen', sys.argv[1])
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)
print(json.dumps([gen.name_property(t, props) for t, props in eval(sys.argv[2])]))",
        ])
        .arg(repo().join("scripts/gen-replacement-table.py"))
        .arg(cases)
        .output()
        .expect("python runs");
    assert!(o.status.success(), "{}", show(&o));
    let names: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON from python");
    assert_eq!(
        names,
        serde_json::json!([
            "WidgetName",
            "WidgetIdentifier",
            "Name",
            "CompositeAlarmName",
            "CompositeAlarmName",
            "GroupName",
            null
        ])
    );
}
