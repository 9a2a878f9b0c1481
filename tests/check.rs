//! Policy checks end to end: the shipped application passes every built-in rule and
//! the repository's Guard rules, cairn's data constructs are compliant by default and
//! misuse is reported with the rule ID and construct path, suppressions, `synth` failing
//! on errors without writing, and Guard rules on the shop's big templates. The `check`
//! command's formats and Guard rule files in general are tested on a fixture application
//! in `crates/toolkit/tests/check.rs`.

use std::path::PathBuf;

use cairn_app::{Config, Shop};
use cairn_check::{check_env, Report, Severity};
use cairn_constructs::{Bucket, BucketProps, Construct, Queue, QueueProps, Role, RoleProps, ServicePrincipal, Table, TableProps};
use cairn_core::application::{load_all, synthesize};
use cairn_core::{App, Application, EnvArtifact, EnvSettings, Environment};
use serde_json::Value as Json;

mod support;
use support::cairn;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A run's exit code and output, for assertion messages.
fn show(run: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        run.status.code(),
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    )
}

fn temp_dir(name: &str) -> support::TempDir {
    support::TempDir::new(&format!("check-{name}"))
}

fn settings(name: &str, retain_data: bool) -> EnvSettings {
    EnvSettings {
        name: name.into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        retain_data,
        require_approval: false,
        tags: Default::default(),
    }
}

/// One environment built by `build`, synthesized and checked.
fn check_built(retain_data: bool, build: impl FnOnce(&Environment) -> cairn_core::Result<()>) -> Result<Report, cairn_core::Errors> {
    let app = App::new("app").unwrap();
    let env = app.environment(settings("test", retain_data)).unwrap();
    build(&env).unwrap();
    let assembly = app.synth().unwrap();
    check_env(&assembly.environments[0])
}

/// Active findings as `RULE path`.
fn active(report: &Report) -> Vec<String> {
    report
        .findings
        .iter()
        .filter(|f| f.is_active())
        .map(|f| format!("{} {}", f.rule, f.path))
        .collect()
}

fn shop_environments() -> Vec<EnvArtifact> {
    let shop = Shop::default();
    let envs = load_all(&shop).unwrap();
    let pairs: Vec<(&str, &Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
    synthesize(&shop, &pairs).unwrap_or_else(|e| panic!("{e}")).environments
}

#[test]
fn shipped_application_passes_every_rule_in_every_environment() {
    let envs = shop_environments();
    assert_eq!(envs.len(), support::environment_files().len());
    for env in &envs {
        let report = check_env(env).unwrap_or_else(|e| panic!("{e}"));
        let errors: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.is_active() && f.severity == Severity::Error)
            .map(|f| format!("{} {}: {}", f.rule, f.path, f.message))
            .collect();
        assert_eq!(errors, Vec::<String>::new(), "{}", env.name());
        assert!(report.resources_checked > 0);
        // Suppressions, where there are any, say why (at least a sentence).
        for s in &report.suppressions {
            assert!(
                s.reason.split_whitespace().count() >= 5,
                "{}: {} on {} needs a real reason",
                env.name(),
                s.rule,
                s.path
            );
        }
        if env.settings.retain_data {
            assert!(report
                .outcomes
                .iter()
                .any(|o| o.rule == "RDS-SNAPSHOT-ON-DELETE" && o.status.as_str() == "passed"));
        }
    }
}

#[test]
fn data_constructs_are_compliant_by_default() {
    for retain in [false, true] {
        let report = check_built(retain, |env| {
            let data = env.stack("data")?;
            let logs = Bucket::new(&data, "AccessLogs", BucketProps::default())?;
            let uploads = Bucket::new(
                &data,
                "Uploads",
                BucketProps {
                    server_access_logs: Some((logs, "uploads/".into())),
                    ..Default::default()
                },
            )?;
            let jobs = Queue::new(&data, "Jobs", QueueProps::default())?;
            let orders = Table::new(&data, "Orders", TableProps::default())?;
            let service = env.stack("service")?;
            let role = Role::new(
                &service,
                "TaskRole",
                RoleProps {
                    assumed_by: ServicePrincipal::EcsTasks,
                    description: None,
                },
            )?;
            uploads.grant_read_write(&role)?;
            jobs.grant_send_consume(&role)?;
            orders.grant_read_write(&role)
        })
        .unwrap();
        assert_eq!(active(&report), Vec::<String>::new(), "retain_data = {retain}");
    }
}

#[test]
fn construct_misuse_is_reported_with_rule_and_path() {
    let report = check_built(true, |env| {
        let data = env.stack("data")?;
        Bucket::new(
            &data,
            "Uploads",
            BucketProps {
                versioned: Some(false),
                ..Default::default()
            },
        )?;
        Queue::new(
            &data,
            "Jobs",
            QueueProps {
                dead_letter: None,
                ..Default::default()
            },
        )?;
        Table::new(
            &data,
            "Orders",
            TableProps {
                point_in_time_recovery: false,
                deletion_protection: Some(false),
                ..Default::default()
            },
        )?;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        active(&report),
        [
            "DDB-DELETION-PROTECTION data/Orders/Resource",
            "DDB-PITR data/Orders/Resource",
            "S3-VERSIONING data/Uploads/Resource",
            "SQS-DLQ data/Jobs/Resource",
            "S3-LOGGING data/Uploads/Resource",
        ]
    );
    assert_eq!((report.errors(), report.warnings()), (4, 1));
    let versioning = report.findings.iter().find(|f| f.rule == "S3-VERSIONING").unwrap();
    assert_eq!(versioning.stack, "app-test-data");
    assert!(versioning.fix.contains("versioned"));
}

#[test]
fn suppressions_cover_their_construct_only_and_are_reported() {
    let report = check_built(false, |env| {
        let data = env.stack("data")?;
        let uploads = Bucket::new(&data, "Uploads", BucketProps::default())?;
        uploads.suppress("S3-LOGGING", "access logs go to the central logging account")?;
        Bucket::new(&data, "Exports", BucketProps::default())?;
        Ok(())
    })
    .unwrap();
    assert_eq!(active(&report), ["S3-LOGGING data/Exports/Resource"]);
    let suppressed: Vec<_> = report.findings.iter().filter(|f| !f.is_active()).collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0].path, "data/Uploads/Resource");
    assert_eq!(
        suppressed[0].suppressed.as_deref(),
        Some("access logs go to the central logging account")
    );
    assert_eq!(report.suppressions[0].path, "data/Uploads");
    let section = report.manifest_section();
    assert_eq!(section.suppressions[0].reason, "access logs go to the central logging account");
    assert_eq!(section.suppressed, 1);

    let errors = check_built(false, |env| {
        let data = env.stack("data")?;
        Bucket::new(&data, "Uploads", BucketProps::default())?.suppress("S3-LOGS", "we really do not want these logs here")
    })
    .unwrap_err();
    assert!(
        errors
            .to_string()
            .contains("test/data/Uploads: suppress: suppression names `S3-LOGS`, which is not a built-in rule"),
        "{errors}"
    );
}

#[test]
fn synth_fails_on_policy_errors_and_writes_nothing() {
    // prod keeps data; turning the database's deletion protection off violates RDS-DELETION-PROTECTION.
    if !support::requires(&["prod"]) {
        return;
    }
    let dir = temp_dir("synth-fails");
    let envs = dir.join("environments");
    std::fs::create_dir_all(&envs).unwrap();
    for entry in std::fs::read_dir(Shop::default().environments_dir()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, envs.join(path.file_name().unwrap())).unwrap();
    }
    let prod = std::fs::read_to_string(envs.join("prod.toml")).unwrap();
    assert!(prod.contains("deletion_protection = true"));
    std::fs::write(
        envs.join("prod.toml"),
        prod.replace("deletion_protection = true", "deletion_protection = false"),
    )
    .unwrap();
    let out = dir.join("out");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "synth",
            "prod",
            "--environments",
            envs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        a.extend(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = cairn(&args(&[]).iter().map(String::as_str).collect::<Vec<_>>(), &repo());
    assert_eq!(run.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("error RDS-DELETION-PROTECTION prod/data/Database/Resource"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!out.join("prod").exists());

    // --no-checks writes the templates (for measuring the checks' cost).
    let run = cairn(&args(&["--no-checks"]).iter().map(String::as_str).collect::<Vec<_>>(), &repo());
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert!(out.join("prod/manifest.json").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn guard_rules_pass_and_fail_on_the_shipped_application() {
    let env = support::any_environment();
    let run = cairn(
        &[
            "check",
            &env,
            "--no-default-rules",
            "--format",
            "json",
            "--rules",
            "tests/guard/shop.guard",
        ],
        &repo(),
    );
    assert_eq!(run.status.code(), Some(1), "{}", show(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains(&format!("policy checks failed: 1 error(s) in {env}")),
        "{}",
        show(&run)
    );
    let reports: Json = serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&run)));
    let status = |rule: &str| {
        reports[0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rule"] == rule)
            .map(|r| (r["source"].as_str().unwrap().to_string(), r["status"].as_str().unwrap().to_string()))
    };
    assert_eq!(
        status("rds_encrypted_and_private"),
        Some(("guard:shop.guard".into(), "passed".into()))
    );
    assert_eq!(status("rds_multi_az"), Some(("guard:shop.guard".into(), "failed".into())));
    let findings = reports[0]["findings"].as_array().unwrap();
    let guard: Vec<_> = findings.iter().filter(|f| f["source"] == "guard:shop.guard").collect();
    assert_eq!(guard.len(), 1, "{guard:?}");
    assert_eq!(guard[0]["rule"], "rds_multi_az");
    assert_eq!(guard[0]["path"], "data/Database/Resource");
    assert_eq!(guard[0]["message"], "databases must run in two availability zones");
    assert_eq!(guard[0]["fix"], "set MultiAZ true (database.multi_az in the environment file)");

    // The text report names both outcomes.
    let run = cairn(&["check", &env, "--no-default-rules", "--rules", "tests/guard/shop.guard"], &repo());
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("guard:shop.guard: rds_encrypted_and_private passed, rds_multi_az failed"),
        "{text}"
    );
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("rds_multi_az"))
        .expect("a row for the Guard rule");
    assert_eq!(
        row.split_whitespace().take(3).collect::<Vec<_>>(),
        ["rds_multi_az", "error", "data/Database/Resource"]
    );
}

/// The repository's own rules/ folder applies by default, from any working folder, and
/// holds only rules the shop meets.
#[test]
fn the_repositorys_rules_apply_by_default_and_the_shop_meets_them() {
    let dir = temp_dir("rules-default");
    let run = cairn(&["check", "--all"], &dir);
    assert!(run.status.success(), "{}", show(&run));
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("guard:example.guard"),
        "{}",
        show(&run)
    );
}

/// Guard rules failing on every resource of every stack (reports of hundreds of KB, three
/// templates): each failed rule is reported with its name and every resource, in text and JSON.
/// cfn-guard's report used to come back cut to its last 8 KiB ("expected value at line 1
/// column 1") as soon as a template had a second queue.
#[test]
fn guard_rules_failing_on_many_resources_of_big_templates_are_all_reported() {
    let dir = temp_dir("guard-big");
    let rules = dir.join("everything.guard");
    std::fs::write(
        &rules,
        "rule every_resource_is_conditional { Resources.*.Condition exists }
         rule queues_are_fifo {
  Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.FifoQueue == true
  << queues must be FIFO >>
}
         rule resources_have_types { Resources.*.Type exists }
",
    )
    .unwrap();
    let rules = rules.to_str().unwrap();
    let env = support::any_environment();
    let run = cairn(
        &["check", &env, "--no-default-rules", "--format", "json", "--rules", rules],
        &repo(),
    );
    assert_eq!(run.status.code(), Some(1), "{}", show(&run));
    let reports: Json = serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&run)));
    let status: Vec<(String, String)> = reports[0]["rules"]
        .as_array()
        .unwrap_or_else(|| panic!("no rules in {reports}"))
        .iter()
        .filter(|r| r["source"] == "guard:everything.guard")
        .map(|r| {
            (
                r["rule"].as_str().unwrap_or("").to_string(),
                r["status"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("every_resource_is_conditional".to_string(), "failed".to_string()),
            ("queues_are_fifo".to_string(), "failed".to_string()),
            ("resources_have_types".to_string(), "passed".to_string()),
        ],
        "{}",
        show(&run)
    );
    let checked = shop_environments()
        .into_iter()
        .find(|e| e.name() == env)
        .expect("the environment checked");
    let resources: usize = checked.stacks.iter().map(|s| s.resource_count()).sum();
    let findings = reports[0]["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings in {reports}"));
    let of = |rule: &str| findings.iter().filter(|f| f["rule"] == rule).count();
    assert_eq!(of("every_resource_is_conditional"), resources, "one finding per resource of {env}");
    assert_eq!(of("queues_are_fifo"), 2, "the jobs queue and its dead-letter queue");
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "queues_are_fifo" && f["message"] == "queues must be FIFO" && f["path"] == "data/Jobs/Resource"),
        "{findings:?}"
    );
    // The text report names the failed rules too.
    let run = cairn(&["check", &env, "--no-default-rules", "--rules", rules], &repo());
    assert_eq!(run.status.code(), Some(1), "{}", show(&run));
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(
        text.contains("guard:everything.guard: every_resource_is_conditional failed, queues_are_fifo failed, resources_have_types passed"),
        "{text}"
    );
}

/// Cost of the checks against synthesis itself, in-process (the whole-process numbers
/// are dominated by start-up and file writing): `cargo test --release --test check
/// check_cost -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, not a test; run in release"]
fn check_cost() {
    use std::time::Instant;
    let shop = Shop::default();
    let envs = load_all(&shop).unwrap();
    let pairs: Vec<(&str, &Config)> = envs.iter().map(|e| (e.name.as_str(), &e.config)).collect();
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mut synth, mut check) = (Vec::new(), Vec::new());
    for _ in 0..200 {
        let t = Instant::now();
        let assembly = synthesize(&shop, &pairs).unwrap();
        synth.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        for env in &assembly.environments {
            std::hint::black_box(check_env(env).unwrap());
        }
        check.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (s, c) = (median(synth), median(check));
    println!(
        "synthesis of every environment: {s:.3} ms; checks: {c:.3} ms ({:.1} % of synthesis)",
        c / s * 100.0
    );
}
