//! `cairn check` and the checks `synth` runs, with the fixture's binary: the warnings
//! recorded in the manifest, the command's formats and rule list, and CloudFormation
//! Guard rule files (a folder read whole, the application's rules by default, a file
//! without rules, a rule defined twice). The rules themselves are tested in `crates/check`.

mod support;

use cairn_assembly::Manifest;
use serde_json::Value as Json;
use support::{cairn, Sandbox, TempDir, ENVIRONMENTS};

/// A run's exit code and output, for assertion messages.
fn show(run: &std::process::Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        run.status.code(),
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    )
}

const FIFO_RULE: &str = "rule queues_are_fifo { Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.FifoQueue == true }\n";

#[test]
fn synth_records_checks_in_the_manifest() {
    let sandbox = Sandbox::new("check-manifest");
    let run = sandbox.synth("dev");
    assert!(run.status.success(), "{}", show(&run));
    let manifest = Manifest::read(&sandbox.out().join("dev/manifest.json")).unwrap();
    let checks = manifest.checks.expect("a checks section");
    assert_eq!(checks.errors, 0);
    // The bucket keeps no access logs: one warning, printed as well.
    assert_eq!(checks.warnings, 1, "{:?}", checks.findings);
    let listed = &checks.findings;
    assert_eq!(
        listed.iter().filter(|f| f.severity == "warning" && f.suppressed.is_none()).count(),
        checks.warnings
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("warning S3-LOGGING dev/storage/Files/Resource"), "{stderr}");
    for f in listed.iter().filter(|f| f.suppressed.is_none()) {
        assert!(stderr.contains(&format!("warning {} dev/{}", f.rule, f.path)), "{stderr}");
    }
}

#[test]
fn check_command_formats_and_rule_list() {
    let here = TempDir::new("check-formats");
    let run = cairn(&["check", "dev", "--no-default-rules", "--format", "json"], here.path());
    assert!(run.status.success(), "{}", show(&run));
    let reports: Json = serde_json::from_slice(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&run)));
    assert_eq!(reports[0]["environment"], "dev");
    assert_eq!(reports[0]["summary"]["errors"], 0);
    assert_eq!(reports[0]["summary"]["warnings"], 1);
    let rules: Vec<&str> = reports[0]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["rule"].as_str().expect("a rule id"))
        .collect();
    assert!(rules.contains(&"S3-ENCRYPTION") && rules.contains(&"SQS-DLQ"), "{rules:?}");

    let run = cairn(&["check", "--no-default-rules", "--format", "markdown"], here.path());
    assert!(run.status.success(), "{}", show(&run));
    let md = String::from_utf8_lossy(&run.stdout);
    for env in ENVIRONMENTS {
        assert!(md.contains(&format!("### Policy checks: {env}")), "{md}");
    }

    // Every built-in rule the report applied is listed.
    let run = cairn(&["check", "--list-rules"], here.path());
    let list = String::from_utf8_lossy(&run.stdout);
    for r in rules {
        assert!(list.contains(r), "{r}: {list}");
    }

    let run = cairn(&["check", "nosuchenv"], here.path());
    assert_eq!(run.status.code(), Some(2), "{}", show(&run));
}

#[test]
fn a_rules_folder_is_read_whole_and_the_projects_rules_apply_by_default() {
    let dir = TempDir::new("check-rules-folder");
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    std::fs::write(dir.join("rules/queues.guard"), FIFO_RULE).unwrap();
    let rules = dir.join("rules");
    let run = cairn(&["check", "dev", "--rules", rules.to_str().unwrap()], &dir);
    assert_eq!(run.status.code(), Some(1), "{}", show(&run));
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("guard:queues.guard: queues_are_fifo failed"), "{text}");
    // The default folder is the application's (Application::rules_dir), not the working folder's.
    let run = cairn(&["check", "dev"], &dir);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stdout));
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("guard:depot.guard") && !text.contains("queues.guard"), "{text}");
    let run = cairn(&["check", "dev", "--no-default-rules"], &dir);
    assert!(run.status.success(), "{}", show(&run));
    assert!(!String::from_utf8_lossy(&run.stdout).contains("depot.guard"));
}

/// A rule file without rules is not silently ignored: named in --rules it is bad input
/// (exit 2, nothing on stdout); found in a folder it is skipped with a warning.
#[test]
fn a_guard_file_without_rules_is_an_error_when_named_and_a_warning_in_a_folder() {
    let dir = TempDir::new("check-rules-empty");
    std::fs::create_dir_all(dir.join("rules")).unwrap();
    let empty = dir.join("rules/empty.guard");
    std::fs::write(&empty, "# rules to come\n\n   # nothing yet\n").unwrap();
    std::fs::write(dir.join("rules/queues.guard"), FIFO_RULE).unwrap();
    std::fs::write(dir.join("blank.guard"), "").unwrap();

    for file in [empty.clone(), dir.join("blank.guard")] {
        let run = cairn(&["check", "dev", "--no-default-rules", "--rules", file.to_str().unwrap()], &dir);
        assert_eq!(run.status.code(), Some(2), "{}", show(&run));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(&format!("error: no rules in {}", file.display())), "{stderr}");
        assert!(stderr.contains("fix: add Guard rules"), "{stderr}");
        assert!(run.stdout.is_empty(), "{}", show(&run));
    }

    let rules = dir.join("rules");
    let run = cairn(&["check", "dev", "--no-default-rules", "--rules", rules.to_str().unwrap()], &dir);
    assert_eq!(run.status.code(), Some(1), "the queue rule fails: {}", show(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "warning: no rules in {} (empty or only comments); skipped",
            empty.display()
        )),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&run.stdout).contains("guard:queues.guard: queues_are_fifo failed"),
        "{}",
        show(&run)
    );
}

/// Two rules of one file with the same name were merged into one result: refused, naming
/// the file, the rule and both lines.
#[test]
fn a_rule_name_defined_twice_is_refused_with_its_lines() {
    let dir = TempDir::new("check-rules-duplicate");
    let file = dir.join("twice.guard");
    std::fs::write(
        &file,
        "rule queues_are_fifo { Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.FifoQueue == true }\n\n\
         # the same name again, for another check\n\
         rule queues_are_fifo when Resources.*[ Type == 'AWS::SQS::Queue' ] !empty {\n\
             Resources.*[ Type == 'AWS::SQS::Queue' ].Properties.SqsManagedSseEnabled == true\n\
         }\n",
    )
    .unwrap();
    let run = cairn(&["check", "dev", "--no-default-rules", "--rules", file.to_str().unwrap()], &dir);
    assert_eq!(run.status.code(), Some(2), "{}", show(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!(
            "error: Guard rules {}: rule `queues_are_fifo` is defined twice, on lines 1 and 4",
            file.display()
        )),
        "{stderr}"
    );
    assert!(run.stdout.is_empty(), "{}", show(&run));
}
