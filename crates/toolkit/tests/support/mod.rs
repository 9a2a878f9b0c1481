//! Helpers of the toolkit's tests: the fixture application "depot"
//! (`tests/fixtures/depot/`, the `cairn-fixture` binary), copies of its environment
//! files to break, and temporary folders.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// depot's environments, in promotion order (its files are fixed: the tests own them).
pub const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

/// depot's folder of environment files.
pub fn fixture_envs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/depot/environments")
}

/// A fresh folder under the system's temp dir, removed when dropped (also when
/// the test fails), so test runs leave nothing behind.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `<tmp>/cairn-toolkit-<name>-<pid>`, emptied first.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("cairn-toolkit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The fixture's command, without colors, credentials of the caller or a
/// `CAIRN_ENVIRONMENTS` override; stdin closed (no terminal).
pub fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn-fixture"));
    // Where a local cloud's leftovers are recorded: under target/, not in the source tree.
    cmd.env("CAIRN_LOCAL_CLOUD_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/local-cloud"))
        .env("NO_COLOR", "1")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("CAIRN_ENVIRONMENTS")
        .env_remove("CAIRN_TEMPLATE_BUCKET")
        .stdin(std::process::Stdio::null());
    cmd
}

/// Runs the fixture with `args` in `cwd` (its own environment files).
pub fn cairn(args: &[&str], cwd: &Path) -> Output {
    command().args(args).current_dir(cwd).output().expect("cairn-fixture runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Exit code `code`; returns (stdout, stderr).
#[track_caller]
pub fn exits(o: &Output, code: i32) -> (String, String) {
    let (out, err) = (stdout(o), stderr(o));
    assert_eq!(o.status.code(), Some(code), "expected exit {code}\nstdout:\n{out}\nstderr:\n{err}");
    (out, err)
}

/// A temporary folder holding copies of depot's environment files (`envs/`) and room
/// for synthesis output (`out/`); removed when dropped.
pub struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    pub fn new(name: &str) -> Sandbox {
        let root = TempDir::new(&format!("sandbox-{name}"));
        let envs = root.join("envs");
        std::fs::create_dir_all(&envs).expect("envs folder");
        for env in ENVIRONMENTS {
            let file = format!("{env}.toml");
            std::fs::copy(fixture_envs().join(&file), envs.join(&file)).expect("copy");
        }
        Sandbox { root }
    }

    pub fn root(&self) -> &Path {
        self.root.path()
    }

    pub fn envs(&self) -> PathBuf {
        self.root.join("envs")
    }

    pub fn out(&self) -> PathBuf {
        self.root.join("out")
    }

    /// Replaces the first `from` in `<env>.toml` with `to` (which must be there).
    pub fn edit(&self, env: &str, from: &str, to: &str) {
        let file = self.envs().join(format!("{env}.toml"));
        let text = std::fs::read_to_string(&file).expect("the environment file");
        assert!(text.contains(from), "{from} not in {env}.toml");
        std::fs::write(&file, text.replacen(from, to, 1)).expect("write");
    }

    /// Runs `cairn-fixture ARGS --environments <envs>`.
    pub fn cairn(&self, args: &[&str]) -> Output {
        command()
            .args(args)
            .arg("--environments")
            .arg(self.envs())
            .output()
            .expect("cairn-fixture runs")
    }

    /// `synth <env> --out <out>`.
    pub fn synth(&self, env: &str) -> Output {
        let out = self.out();
        self.cairn(&["synth", env, "--out", out.to_str().expect("a UTF-8 path")])
    }
}
