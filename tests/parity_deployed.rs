//! Parity of what is deployed, against moto: `cairn parity --deployed` after
//! deploying dev and staging (both equal to this synthesis; "this commit" only from a
//! clean git checkout), the deploy
//! gate refusing an environment with an undeclared difference and proceeding with
//! `--allow-parity-drift`, the promotion skew that leaves behind, and `cairn drift`
//! on an endpoint without drift detection (exit 3).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value as Json};
use support::moto::Moto;
use support::TempDir;

fn shipped_envs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks/environments")
}

/// A copy of the shipped environment files, with `edits` (file, from, to) applied.
fn envs_copy(name: &str, edits: &[(&str, &str, &str)]) -> TempDir {
    let dir = TempDir::new(&format!("parity-deployed-{name}"));
    for entry in std::fs::read_dir(shipped_envs()).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(dir.join(path.file_name().unwrap()), support::for_moto(&text)).unwrap();
    }
    for (env, from, to) in edits {
        let file = dir.join(format!("{env}.toml"));
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "`{from}` is not in {env}.toml");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    }
    dir
}

/// Runs `cairn` with test credentials against `endpoint`, without a terminal.
fn cairn(endpoint: &str, envs: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cairn"))
        .env("CAIRN_LOCAL_CLOUD_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/local-cloud"))
        .args(args)
        .arg("--environments")
        .arg(envs)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("CAIRN_ENVIRONMENTS")
        .env_remove("CAIRN_TEMPLATE_BUCKET")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cairn runs")
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn deployed_json(endpoint: &str, envs: &Path) -> (Option<i32>, Json) {
    let o = cairn(endpoint, envs, &["parity", "--deployed", "--format", "json"]);
    let j = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}\n{}", show(&o)));
    (o.status.code(), j)
}

fn env_state<'a>(j: &'a Json, env: &str) -> &'a Json {
    j["deployed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["environment"] == json!(env))
        .unwrap_or_else(|| panic!("{env} missing: {j}"))
}

/// The tests deploy one at a time: run concurrently against the shared moto server,
/// deploys intermittently failed with "No export named shop-…-network:… found".
static DEPLOYING: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn deployed_parity_promotion_skew_and_the_deploy_gate() {
    if !support::requires(&["dev", "staging", "prod"]) {
        return;
    }
    let _one_at_a_time = DEPLOYING.lock().unwrap_or_else(|e| e.into_inner());
    let moto = Moto::shared();
    let url = moto.url.as_str();
    let envs = envs_copy("main", &[]);

    for env in ["dev", "staging"] {
        let o = cairn(url, &envs, &["deploy", env, "--approve", "--progress", "events"]);
        assert!(o.status.success(), "deploy {env}: {}", show(&o));
    }

    // Both deployed, both equal to this synthesis (the environment files are in no git
    // checkout, so there is no commit to name); prod is not deployed.
    let (code, j) = deployed_json(url, &envs);
    assert_eq!(code, Some(0), "{j}");
    assert_eq!(
        j["environments"],
        json!(["dev", "staging"]),
        "only deployed environments are compared"
    );
    for env in ["dev", "staging"] {
        let s = env_state(&j, env);
        assert_eq!(s["deployed"], json!(true), "{s}");
        assert_eq!(s["changesBehind"], json!(0), "{s}");
        assert_eq!(s["summary"], json!("deployed, equal to this synthesis"));
    }
    assert_eq!(env_state(&j, "prod")["deployed"], json!(false));
    let fields: Vec<&str> = j["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"database.instance_class") && fields.contains(&"service.desired_count"),
        "{fields:?}"
    );
    let o = cairn(url, &envs, &["parity", "--deployed"]);
    let text = stdout(&o);
    assert!(text.contains("Deployed templates vs this synthesis"), "{text}");
    assert!(text.contains("  dev          deployed, equal to this synthesis"), "{text}");
    assert!(text.contains("  prod         not deployed"), "{text}");

    // In a git checkout: "this commit" when it is clean, and not when it is dirty.
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .arg("-C")
            .arg(envs.path())
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
            .expect("git runs");
        assert!(o.status.success(), "git {args:?}: {}", show(&o));
    };
    git(&["init", "--quiet"]);
    git(&["add", "."]);
    git(&["commit", "--quiet", "-m", "environments"]);
    let text = stdout(&cairn(url, &envs, &["parity", "--deployed"]));
    assert!(text.contains("  dev          deployed, equal to this commit\n"), "{text}");
    std::fs::write(envs.join("notes.txt"), "uncommitted\n").unwrap();
    let (_, j) = deployed_json(url, &envs);
    assert_eq!(
        env_state(&j, "dev")["summary"],
        json!("deployed, equal to this commit plus uncommitted changes"),
        "{j}"
    );
    let text = stdout(&cairn(url, &envs, &["parity", "--deployed"]));
    assert!(
        text.contains("Deployed templates vs this commit plus uncommitted changes"),
        "{text}"
    );
    std::fs::remove_dir_all(envs.join(".git")).unwrap();
    std::fs::remove_file(envs.join("notes.txt")).unwrap();

    // `status --format json`: one document with every stack, deployed or not.
    for (env, deployed) in [("dev", true), ("prod", false)] {
        let o = cairn(url, &envs, &["status", env, "--format", "json", "--events", "2"]);
        assert!(o.status.success(), "{}", show(&o));
        let j: Json = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&o)));
        assert_eq!(j["environment"], json!(env), "{j}");
        assert_eq!(j["endpoint"], json!(url), "{j}");
        let stacks = j["stacks"].as_array().unwrap_or_else(|| panic!("{j}"));
        assert_eq!(stacks.len(), 3, "{j}");
        for s in stacks {
            assert_eq!(s["deployed"], json!(deployed), "{s}");
            let status = s["status"].as_str().unwrap_or("");
            assert_eq!(status.ends_with("_COMPLETE"), deployed, "{s}");
            assert!(
                s["events"].as_array().is_some_and(|e| e.len() <= 2 && (e.is_empty() != deployed)),
                "{s}"
            );
        }
    }

    // A copy whose staging checks another health path: `service.health_check_path` is not
    // a knob. (Another image would be promotion skew, not a difference: `service.image` is
    // an artifact version.)
    let changed = envs_copy(
        "changed",
        &[("staging", "health_check_path = \"/\"", "health_check_path = \"/healthz\"")],
    );
    let o = cairn(url, &changed, &["deploy", "staging", "--approve", "--progress", "events"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let err = stderr(&o);
    assert!(err.contains("UNDECLARED  service/Web/TargetGroup HealthCheckPath"), "{err}");
    assert!(
        err.contains("caused by `service.health_check_path`, which is not declared as a knob"),
        "{err}"
    );
    assert!(err.contains("refusing to deploy") && err.contains("--allow-parity-drift"), "{err}");
    let (_, j) = deployed_json(url, &envs);
    assert_eq!(
        env_state(&j, "staging")["changesBehind"],
        json!(0),
        "the refused deploy changed nothing: {j}"
    );

    let o = cairn(
        url,
        &changed,
        &["deploy", "staging", "--approve", "--progress", "events", "--allow-parity-drift"],
    );
    assert!(o.status.success(), "{}", show(&o));
    assert!(stderr(&o).contains("deploying anyway (--allow-parity-drift)"), "{}", show(&o));

    // Against this synthesis (the original files): staging is behind, and its deployed
    // template differs from dev's where no knob explains it.
    let (code, j) = deployed_json(url, &envs);
    assert_eq!(code, Some(1), "{j}");
    assert_eq!(env_state(&j, "dev")["changesBehind"], json!(0));
    let staging = env_state(&j, "staging");
    assert_eq!(staging["changesBehind"], json!(1), "{staging}");
    assert_eq!(
        staging["summary"],
        json!("1 change behind this synthesis (shop-staging-service: 1)")
    );
    let undeclared = j["undeclared"].as_array().unwrap();
    let health = undeclared
        .iter()
        .find(|u| u["property"] == json!("Properties.HealthCheckPath"))
        .unwrap_or_else(|| panic!("{j}"));
    assert_eq!(health["resource"], json!("service/Web/TargetGroup"));
    assert_eq!(health["values"]["staging"], json!("/healthz"));
    assert_eq!(health["undeclaredIn"], json!(["dev"]));
    let o = cairn(url, &envs, &["parity", "--deployed"]);
    assert!(
        stdout(&o).contains("  staging      1 change behind this synthesis (shop-staging-service: 1)"),
        "{}",
        show(&o)
    );

    // moto has no drift detection: said plainly, with its own exit code.
    let o = cairn(url, &envs, &["drift", "dev"]);
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    let err = stderr(&o);
    assert!(err.contains("DetectStackDrift is not supported by moto"), "{}", show(&o));
    assert_eq!(err.matches("does not implement").count(), 1, "said once: {}", show(&o));
}

/// Environment files `<name>.toml` copied from shipped ones (own names: own stacks in moto).
fn renamed_envs(dir_name: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new(&format!("parity-deployed-{dir_name}"));
    for (name, from) in files {
        let text = std::fs::read_to_string(shipped_envs().join(format!("{from}.toml"))).unwrap();
        std::fs::write(dir.join(format!("{name}.toml")), support::for_moto(&text)).unwrap();
    }
    dir
}

#[test]
fn a_partly_deployed_environment_compares_only_its_deployed_stacks() {
    if !support::requires(&["dev", "staging"]) {
        return;
    }
    let _one_at_a_time = DEPLOYING.lock().unwrap_or_else(|e| e.into_inner());
    let moto = Moto::shared();
    let url = moto.url.as_str();
    // pdev: network only; pstaging: every stack.
    let envs = renamed_envs("partial", &[("pdev", "dev"), ("pstaging", "staging")]);
    let o = cairn(url, &envs, &["deploy", "pstaging", "--approve", "--progress", "events"]);
    assert!(o.status.success(), "deploy pstaging: {}", show(&o));
    let o = cairn(url, &envs, &["deploy", "pdev", "network", "--approve", "--progress", "events"]);
    assert!(o.status.success(), "deploy pdev network: {}", show(&o));

    let o = cairn(url, &envs, &["parity", "--deployed"]);
    let text = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}", show(&o));
    assert!(!text.contains("UNDECLARED"), "{text}");
    assert!(
        text.contains(
            "  pdev         partly deployed, equal to this synthesis where deployed; not deployed: shop-pdev-data, shop-pdev-service"
        ),
        "{text}"
    );
    assert!(text.contains("  pstaging     deployed, equal to this synthesis"), "{text}");
    assert!(
        text.contains("pdev: partly deployed: stacks data, service not deployed, so not compared in any environment"),
        "{text}"
    );

    let (code, j) = deployed_json(url, &envs);
    assert_eq!(code, Some(0), "{j}");
    assert_eq!(j["environments"], json!(["pdev", "pstaging"]));
    assert_eq!(j["undeclared"], json!([]), "{j}");
    let pdev = env_state(&j, "pdev");
    assert_eq!(pdev["deployed"], json!(true), "{pdev}");
    assert!(pdev["summary"].as_str().unwrap().starts_with("partly deployed"), "{pdev}");
    // Only the network stack is compared.
    let stacks: Vec<&Json> = j["stacks"].as_array().unwrap().iter().map(|s| &s["id"]).collect();
    assert!(stacks.iter().all(|s| *s == "network"), "{stacks:?}");
}
