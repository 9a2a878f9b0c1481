//! The deploy logic against the scripted fake: what moto cannot produce
//! (asynchronous operations, per-resource failures, rollbacks, stacks in
//! progress, replacement flags, timeouts, Ctrl-C).

use std::time::Duration;

use cairn_core::StackArtifact;
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use super::clock::fake::FakeClock;
use super::clock::Clock;
use super::console::{Console, ScriptedPrompt};
use super::destroy::Destroyer;
use super::plan::Hints;
use super::*;
use crate::aws::fake::{FakeCloudFormation, FakeStore, Step};
use crate::aws::ResourceChange;

fn artifact(name: &str, template: Json) -> StackArtifact {
    let body = serde_json::to_string_pretty(&template).unwrap() + "\n";
    StackArtifact {
        id: name.rsplit('-').next().unwrap().to_string(),
        name: name.to_string(),
        template,
        body,
        depends_on: Vec::new(),
        paths: IndexMap::new(),
        suppressions: Vec::new(),
    }
}

fn data_template(class: &str) -> Json {
    json!({"Resources": {
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": class, "Engine": "postgres"}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}
    }})
}

fn service_template() -> Json {
    json!({"Resources": {
        "TaskRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}}
    }})
}

fn opts() -> DeployOptions {
    DeployOptions::new("shop", "dev")
}

/// What one deploy run produced.
struct Run {
    result: CliResult<Vec<(String, Outcome)>>,
    output: String,
    questions: Vec<String>,
    clock_now: Duration,
}

impl Run {
    fn error(&self) -> &CliError {
        self.result
            .as_ref()
            .err()
            .unwrap_or_else(|| panic!("expected a failure; output:\n{}", self.output))
    }
    fn outcomes(&self) -> Vec<Outcome> {
        match &self.result {
            Ok(v) => v.iter().map(|(_, o)| o.clone()).collect(),
            Err(e) => panic!("deploy failed: {}\noutput:\n{}", e.report(), self.output),
        }
    }
}

fn deploy_with(cfn: &FakeCloudFormation, opts: DeployOptions, stacks: &[&StackArtifact], answers: &[&str], clock: &FakeClock) -> Run {
    deploy_full(cfn, opts, stacks, answers, clock, None, Quirks::default())
}

fn deploy_full(
    cfn: &FakeCloudFormation,
    opts: DeployOptions,
    stacks: &[&StackArtifact],
    answers: &[&str],
    clock: &FakeClock,
    store: Option<&dyn TemplateStore>,
    quirks: Quirks,
) -> Run {
    let (mut console, buffer) = Console::buffer();
    let mut prompt = ScriptedPrompt {
        answers: answers.iter().map(|a| a.to_string()).collect(),
        questions: Vec::new(),
        presses: Some(clock.presses.clone()),
    };
    let result = {
        let mut d = Deployer::new(cfn, &mut console, clock, &mut prompt, opts);
        d.store = store;
        d.quirks = quirks;
        d.deploy(stacks)
    };
    let output = buffer.text();
    assert!(
        !output.contains('\x1b') && !output.contains('\r'),
        "plain output has control characters:\n{output}"
    );
    Run {
        result,
        output,
        questions: prompt.questions,
        clock_now: clock.now(),
    }
}

fn deploy(cfn: &FakeCloudFormation, opts: DeployOptions, stacks: &[&StackArtifact]) -> Run {
    deploy_with(cfn, opts, stacks, &[], &FakeClock::default())
}

fn count(calls: &[String], prefix: &str) -> usize {
    calls.iter().filter(|c| c.starts_with(prefix)).count()
}

#[test]
fn a_new_stack_is_created_through_a_create_change_set_and_its_events_are_printed() {
    let cfn = FakeCloudFormation::new();
    cfn.set_outputs("shop-dev-data", &[("QueueUrl", "https://sqs/q"), ("ExportsOutputRefQueue", "q")]);
    let data = artifact("shop-dev-data", data_template("db.t3.micro"));
    let run = deploy(&cfn, opts(), &[&data]);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    let calls = cfn.calls();
    assert!(calls.contains(&"CreateChangeSet shop-dev-data CREATE".to_string()), "{calls:?}");
    assert!(calls.contains(&"ExecuteChangeSet shop-dev-data".to_string()), "{calls:?}");
    assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("CREATE_COMPLETE"));
    let out = &run.output;
    assert!(out.contains("create: 2 to add, 0 to modify, 0 to remove"), "{out}");
    assert!(out.contains("  + add     Db     AWS::RDS::DBInstance"), "{out}");
    // One readable line per event: time, logical ID, type, status (and reason).
    assert!(
        out.lines()
            .any(|l| l.contains("Db") && l.contains("AWS::RDS::DBInstance") && l.trim_end().ends_with("CREATE_COMPLETE")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("shop-dev-data") && l.contains("CREATE_IN_PROGRESS") && l.contains("User Initiated")),
        "{out}"
    );
    // The REVIEW_IN_PROGRESS event from before the execution is not repeated.
    assert!(!out.contains("REVIEW_IN_PROGRESS"), "{out}");
    assert!(out.contains("shop-dev-data: CREATE_COMPLETE in"), "{out}");
    assert!(
        out.contains("QueueUrl  https://sqs/q") && out.contains("(+1 exports for other stacks"),
        "{out}"
    );
    // Not a kept-data environment: no protection calls.
    assert_eq!(count(&calls, "UpdateTerminationProtection") + count(&calls, "SetStackPolicy"), 0);
}

#[test]
fn an_unchanged_stack_reports_no_changes_and_deletes_the_empty_change_set() {
    let cfn = FakeCloudFormation::new();
    let data = artifact("shop-dev-data", data_template("db.t3.micro"));
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data.template);
    let run = deploy(&cfn, opts(), &[&data]);
    assert_eq!(run.outcomes(), vec![Outcome::NoChanges]);
    assert!(run.output.contains("  no changes"), "{}", run.output);
    let calls = cfn.calls();
    assert!(calls.contains(&"CreateChangeSet shop-dev-data UPDATE".to_string()), "{calls:?}");
    assert_eq!(count(&calls, "ExecuteChangeSet"), 0);
    assert_eq!(count(&calls, "DeleteChangeSet"), 1);
}

#[test]
fn a_change_set_that_takes_time_is_waited_for() {
    let cfn = FakeCloudFormation::new();
    cfn.state.borrow_mut().change_set_pending_polls = 3;
    let data = artifact("shop-dev-data", data_template("db.t3.micro"));
    let clock = FakeClock::default();
    let run = deploy_with(&cfn, opts(), &[&data], &[], &clock);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert!(clock.sleeps.get() >= 3);
}

#[test]
fn a_failed_create_reports_rollback_complete_and_recreate_deletes_and_creates_again() {
    let cfn = FakeCloudFormation::new();
    let stack_type = "AWS::CloudFormation::Stack";
    cfn.script_run(
        "shop-dev-data",
        vec![
            Step::new("CREATE_IN_PROGRESS")
                .event("shop-dev-data", stack_type, "CREATE_IN_PROGRESS", Some("User Initiated"))
                .event("Db", "AWS::RDS::DBInstance", "CREATE_IN_PROGRESS", None)
                .event("Queue", "AWS::SQS::Queue", "CREATE_IN_PROGRESS", None),
            Step::new("ROLLBACK_IN_PROGRESS")
                .event(
                    "Db",
                    "AWS::RDS::DBInstance",
                    "CREATE_FAILED",
                    Some("Invalid DB Instance class: db.x1.nope"),
                )
                .event("Queue", "AWS::SQS::Queue", "CREATE_FAILED", Some("Resource creation cancelled"))
                .event(
                    "shop-dev-data",
                    stack_type,
                    "ROLLBACK_IN_PROGRESS",
                    Some("The following resource(s) failed to create: [Db, Queue]."),
                ),
            Step::new("ROLLBACK_COMPLETE")
                .event("Queue", "AWS::SQS::Queue", "DELETE_COMPLETE", None)
                .event("Db", "AWS::RDS::DBInstance", "DELETE_COMPLETE", None)
                .event("shop-dev-data", stack_type, "ROLLBACK_COMPLETE", None),
        ],
    );
    let data = artifact("shop-dev-data", data_template("db.x1.nope"));
    let run = deploy(&cfn, opts(), &[&data]);
    let e = run.error();
    assert_eq!(e.exit_code(), 1);
    assert!(e.report().contains("creating shop-dev-data failed"), "{}", e.report());
    assert!(e.report().contains("Rolled back: yes"), "{}", e.report());
    assert!(
        e.report()
            .contains("Db (AWS::RDS::DBInstance) CREATE_FAILED: Invalid DB Instance class: db.x1.nope"),
        "{}",
        e.report()
    );
    assert!(
        e.report()
            .contains("Queue (AWS::SQS::Queue) CREATE_FAILED: Resource creation cancelled"),
        "{}",
        e.report()
    );
    assert!(e.report().contains("`cairn deploy dev --recreate`"), "{}", e.report());
    assert!(run.output.contains("CREATE_FAILED  Invalid DB Instance class"), "{}", run.output);
    assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("ROLLBACK_COMPLETE"));

    // Again without --recreate: explained, nothing attempted.
    let before = cfn.calls().len();
    let run = deploy(&cfn, opts(), &[&data]);
    let e = run.error();
    assert!(
        e.report().contains("shop-dev-data is ROLLBACK_COMPLETE") && e.report().contains("--recreate"),
        "{}",
        e.report()
    );
    assert_eq!(count(&cfn.calls()[before..], "CreateChangeSet"), 0);

    // With --recreate: deleted, then created from scratch.
    let fixed = artifact("shop-dev-data", data_template("db.t3.micro"));
    let run = deploy(&cfn, DeployOptions { recreate: true, ..opts() }, &[&fixed]);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    let calls = &cfn.calls()[before..];
    let delete = calls.iter().position(|c| c == "DeleteStack shop-dev-data").expect("deleted");
    let create = calls
        .iter()
        .position(|c| c == "CreateChangeSet shop-dev-data CREATE")
        .expect("created");
    assert!(delete < create, "{calls:?}");
    assert!(
        run.output.contains("deleting it before creating it again (--recreate)"),
        "{}",
        run.output
    );
    assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("CREATE_COMPLETE"));
}

#[test]
fn a_failed_update_reports_update_rollback_complete_and_exit_1() {
    let cfn = FakeCloudFormation::new();
    let old = data_template("db.t3.micro");
    cfn.add_stack("shop-dev-data", "CREATE_COMPLETE", &old);
    cfn.script_run(
        "shop-dev-data",
        vec![
            Step::new("UPDATE_IN_PROGRESS").event("Queue", "AWS::SQS::Queue", "UPDATE_IN_PROGRESS", None),
            Step::new("UPDATE_ROLLBACK_IN_PROGRESS").event(
                "Queue",
                "AWS::SQS::Queue",
                "UPDATE_FAILED",
                Some("Value 9999999 for parameter VisibilityTimeout is invalid."),
            ),
            Step::new("UPDATE_ROLLBACK_COMPLETE").event("Queue", "AWS::SQS::Queue", "UPDATE_COMPLETE", None),
        ],
    );
    let mut new = old.clone();
    new["Resources"]["Queue"]["Properties"]["VisibilityTimeout"] = json!(9_999_999);
    let data = artifact("shop-dev-data", new);
    let service = artifact("shop-dev-service", service_template());
    let run = deploy(&cfn, DeployOptions { approve: true, ..opts() }, &[&data, &service]);
    let e = run.error();
    assert_eq!(e.exit_code(), 1);
    assert!(e.report().contains("updating shop-dev-data failed"), "{}", e.report());
    assert!(
        e.report()
            .contains("Rolled back: yes, the stack is back to its previous state (UPDATE_ROLLBACK_COMPLETE)"),
        "{}",
        e.report()
    );
    assert!(e
        .report()
        .contains("Queue (AWS::SQS::Queue) UPDATE_FAILED: Value 9999999 for parameter VisibilityTimeout is invalid."));
    // Stops at the first failure.
    assert!(
        e.report()
            .contains("not deployed (stopped at the first failure): shop-dev-data (the error above), shop-dev-service"),
        "{}",
        e.report()
    );
    assert!(!cfn.calls().iter().any(|c| c.contains("shop-dev-service")), "{:?}", cfn.calls());
    assert!(run.output.contains("  ~ modify  Queue  AWS::SQS::Queue"), "{}", run.output);
    // The deployed template is still the old one.
    assert_eq!(cfn.template_of("shop-dev-data").unwrap(), old.to_string());
}

#[test]
fn a_stack_in_progress_is_refused_and_stuck_states_are_explained() {
    for (status, expect) in [
        ("UPDATE_IN_PROGRESS", "another deployment is running"),
        ("CREATE_IN_PROGRESS", "another deployment is running"),
        ("UPDATE_ROLLBACK_FAILED", "continue-update-rollback --stack-name shop-dev-data"),
        ("DELETE_FAILED", "a deletion did not finish"),
    ] {
        let cfn = FakeCloudFormation::new();
        cfn.add_stack("shop-dev-data", status, &data_template("db.t3.micro"));
        let data = artifact("shop-dev-data", data_template("db.t3.small"));
        let run = deploy(
            &cfn,
            DeployOptions {
                approve: true,
                recreate: true,
                ..opts()
            },
            &[&data],
        );
        let e = run.error();
        assert_eq!(e.exit_code(), 1);
        assert!(
            e.report().contains(&format!("shop-dev-data is {status}")) && e.report().contains(expect),
            "{status}: {}",
            e.report()
        );
        assert_eq!(count(&cfn.calls(), "CreateChangeSet"), 0, "{status}");
    }
}

fn db_replacement() -> ResourceChange {
    ResourceChange {
        action: "Modify".into(),
        logical_id: "Db".into(),
        resource_type: "AWS::RDS::DBInstance".into(),
        replacement: Some("True".into()),
        replacing_properties: vec!["DBName".into()],
        ..Default::default()
    }
}

#[test]
fn replacing_the_database_demands_approval() {
    let old = data_template("db.t3.micro");
    let mut new = old.clone();
    new["Resources"]["Db"]["Properties"]["DBName"] = json!("shop");
    let data = artifact("shop-dev-data", new);

    // No terminal, no --approve: refused, the change set deleted, nothing executed.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_replacement()]);
    let run = deploy(&cfn, opts(), &[&data]);
    let e = run.error();
    assert!(
        e.report()
            .contains("shop-dev-data needs approval (it replaces Db (AWS::RDS::DBInstance))"),
        "{}",
        e.report()
    );
    assert!(
        e.report().contains("pass --approve") && e.report().contains("Nothing was changed"),
        "{}",
        e.report()
    );
    assert!(run.output.contains("replacement: True (DBName)"), "{}", run.output);
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);
    assert_eq!(count(&cfn.calls(), "DeleteChangeSet"), 1);

    // On a terminal: asked; "n" refuses, "y" deploys.
    let interactive = DeployOptions {
        interactive: true,
        ..opts()
    };
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_replacement()]);
    let run = deploy_with(&cfn, interactive.clone(), &[&data], &["n"], &FakeClock::default());
    assert_eq!(run.questions, vec!["Deploy these changes to shop-dev-data? [y/N]"]);
    assert_eq!(run.error().report(), "not approved: nothing was changed in shop-dev-data");
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);
    cfn.script_changes("shop-dev-data", vec![db_replacement()]);
    let run = deploy_with(&cfn, interactive, &[&data], &["y"], &FakeClock::default());
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 1);

    // --approve goes ahead without asking.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_replacement()]);
    let run = deploy(&cfn, DeployOptions { approve: true, ..opts() }, &[&data]);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert!(run.output.contains("approved with --approve"), "{}", run.output);
}

#[test]
fn a_replacement_the_endpoint_does_not_flag_is_predicted_from_the_schema() {
    // moto fills no Replacement; a changed create-only property still counts.
    let old = data_template("db.t3.micro");
    let mut new = old.clone();
    new["Resources"]["Db"]["Properties"]["DBName"] = json!("shop");
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    let run = deploy(&cfn, opts(), &[&artifact("shop-dev-data", new)]);
    assert!(
        run.error().report().contains("it replaces Db (AWS::RDS::DBInstance)"),
        "{}",
        run.error().report()
    );
    assert!(
        run.output.contains("replacement: True (DBName) [predicted by cairn"),
        "{}",
        run.output
    );
}

#[test]
fn an_environment_that_keeps_data_refuses_stateful_replacement_without_allow_replace() {
    let prod = || DeployOptions {
        retain_data: true,
        require_approval: true,
        approve: true,
        ..DeployOptions::new("shop", "prod")
    };
    let old = data_template("db.t3.micro");
    let mut new = old.clone();
    new["Resources"]["Db"]["Properties"]["DBName"] = json!("shop");
    let data = artifact("shop-prod-data", new);

    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-prod-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-prod-data", vec![db_replacement()]);
    let run = deploy(&cfn, prod(), &[&data]);
    let e = run.error();
    assert!(
        e.report().contains("keeps data and its stack policy forbids replacing"),
        "{}",
        e.report()
    );
    assert!(e.report().contains("`cairn deploy prod --allow-replace`"), "{}", e.report());
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);

    // --allow-replace: the policy is relaxed for the execution and put back afterwards.
    cfn.script_changes("shop-prod-data", vec![db_replacement()]);
    let run = deploy(
        &cfn,
        DeployOptions {
            allow_replace: true,
            ..prod()
        },
        &[&data],
    );
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    let calls = cfn.calls();
    let exec = calls.iter().position(|c| c == "ExecuteChangeSet shop-prod-data").unwrap();
    let policies: Vec<usize> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| c.starts_with("SetStackPolicy"))
        .map(|(i, _)| i)
        .collect();
    assert!(policies.len() == 2 && policies[0] < exec && policies[1] > exec, "{calls:?}");
    assert_eq!(cfn.policy_of("shop-prod-data").unwrap(), policy::protecting_policy());
    assert!(cfn.protected("shop-prod-data"));
}

#[test]
fn a_new_stack_in_an_environment_that_keeps_data_gets_protection() {
    let cfn = FakeCloudFormation::new();
    let o = DeployOptions {
        retain_data: true,
        approve: true,
        ..DeployOptions::new("shop", "prod")
    };
    let run = deploy(&cfn, o.clone(), &[&artifact("shop-prod-data", data_template("db.t3.micro"))]);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert!(cfn.protected("shop-prod-data"));
    assert_eq!(cfn.policy_of("shop-prod-data").unwrap(), policy::protecting_policy());
    assert!(run.output.contains("termination protection: on"), "{}", run.output);

    // An endpoint without termination protection (moto): a warning, not a failure.
    let cfn = FakeCloudFormation::new();
    cfn.state.borrow_mut().unsupported.push("UpdateTerminationProtection");
    let run = deploy(&cfn, o, &[&artifact("shop-prod-data", data_template("db.t3.micro"))]);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert!(
        run.output
            .contains("warning: termination protection not set: UpdateTerminationProtection is not supported"),
        "{}",
        run.output
    );
}

#[test]
fn broader_iam_access_demands_approval_and_a_refused_new_stack_leaves_nothing() {
    let cfn = FakeCloudFormation::new();
    let service = artifact("shop-dev-service", service_template());
    let run = deploy(&cfn, opts(), &[&service]);
    let e = run.error();
    assert!(
        e.report().contains("it broadens IAM or network access (1 grants)"),
        "{}",
        e.report()
    );
    assert!(
        run.output
            .contains("TaskRole (AWS::IAM::Role) AssumeRolePolicyDocument: Allow sts:AssumeRole to Service:ecs-tasks.amazonaws.com"),
        "{}",
        run.output
    );
    // The REVIEW_IN_PROGRESS stack the CREATE change set made is gone again.
    assert_eq!(cfn.status_of("shop-dev-service"), None);
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);
}

#[test]
fn environment_approval_is_asked_even_for_harmless_changes() {
    let cfn = FakeCloudFormation::new();
    let o = DeployOptions {
        require_approval: true,
        ..DeployOptions::new("shop", "prod")
    };
    let run = deploy(
        &cfn,
        o,
        &[&artifact(
            "shop-prod-data",
            json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}),
        )],
    );
    assert!(
        run.error()
            .report()
            .contains("environment `prod` requires approval of every deploy"),
        "{}",
        run.error().report()
    );
    assert_eq!(cfn.status_of("shop-prod-data"), None);
}

#[test]
fn a_timeout_is_reported_and_cloudformation_carries_on() {
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    cfn.script_run(
        "shop-dev-data",
        vec![Step::new("UPDATE_IN_PROGRESS").event("Db", "AWS::RDS::DBInstance", "UPDATE_IN_PROGRESS", None)],
    );
    let clock = FakeClock::default();
    let o = DeployOptions {
        approve: true,
        timeout: Duration::from_secs(600),
        ..opts()
    };
    let run = deploy_with(&cfn, o, &[&artifact("shop-dev-data", data_template("db.t3.small"))], &[], &clock);
    let e = run.error();
    assert_eq!(e.exit_code(), 1);
    assert!(
        e.report()
            .contains("stopped waiting after 10m00s: shop-dev-data is still UPDATE_IN_PROGRESS"),
        "{}",
        e.report()
    );
    assert!(e.report().contains("`cairn status dev --watch`"), "{}", e.report());
    assert!(
        run.clock_now >= Duration::from_secs(600) && run.clock_now < Duration::from_secs(610),
        "{:?}",
        run.clock_now
    );
    // The event was printed once, not once per poll.
    assert_eq!(run.output.matches("UPDATE_IN_PROGRESS").count(), 1, "{}", run.output);
}

#[test]
fn ctrl_c_stops_watching_and_says_how_to_resume() {
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    cfn.script_run("shop-dev-data", vec![Step::new("UPDATE_IN_PROGRESS")]);
    let clock = FakeClock::default();
    clock.ctrl_c_after_sleeps.borrow_mut().extend([2, 3]);
    let run = deploy_with(
        &cfn,
        DeployOptions { approve: true, ..opts() },
        &[&artifact("shop-dev-data", data_template("db.t3.small"))],
        &[],
        &clock,
    );
    let e = run.error();
    assert_eq!(e.exit_code(), INTERRUPTED_EXIT);
    assert!(
        e.report().contains("stopped watching shop-dev-data (Ctrl-C twice)"),
        "{}",
        e.report()
    );
    assert!(
        e.report().contains("Resume watching with `cairn status dev --watch`"),
        "{}",
        e.report()
    );
    assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("UPDATE_IN_PROGRESS"));
    // Noticed right after the poll's DescribeStacks: no further call to the endpoint.
    assert_eq!(
        cfn.calls().last().map(String::as_str),
        Some(cfn.calls().iter().rev().find(|c| c.starts_with("DescribeStacks")).unwrap().as_str()),
        "{:?}",
        cfn.calls()
    );
    // The first Ctrl-C kept the watch going; the second ended it.
    assert!(run.output.contains("Press Ctrl-C again to stop waiting"), "{}", run.output);
    assert!(
        e.report()
            .contains("\ndeployed: none\nstill in progress: shop-dev-data (CloudFormation carries on")
            && e.report().ends_with("resume with `cairn deploy dev` once it has finished"),
        "{}",
        e.report()
    );
}

#[test]
fn a_leftover_review_stack_is_removed_before_creating() {
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "REVIEW_IN_PROGRESS", &json!({}));
    let run = deploy(&cfn, opts(), &[&artifact("shop-dev-data", data_template("db.t3.micro"))]);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert!(
        run.output.contains("never executed; it holds no resources: deleting it first"),
        "{}",
        run.output
    );
}

#[test]
fn a_failed_create_stack_on_moto_removes_the_stack_it_left_and_a_rerun_proceeds() {
    // moto: the review change set is dropped, CreateStack fails on colliding export names
    // and leaves the stack CREATE_PENDING (no events, no resources).
    let cfn = FakeCloudFormation::new();
    cfn.state.borrow_mut().create_stack_error = Some("Export names must be unique across a given region".into());
    let data = artifact("shop-dev-data", data_template("db.t3.micro"));
    let run = deploy_full(&cfn, opts(), &[&data], &[], &FakeClock::default(), None, Quirks::moto());
    let e = run.error();
    assert_eq!(e.report().lines().count(), 1, "{}", e.report());
    assert!(
        e.report()
            .starts_with("error: creating shop-dev-data failed: AWS rejected the call: Export names must be unique"),
        "{}",
        e.report()
    );
    // The stuck record is removed, and the cause is named: moto keeps the exports of a
    // stack it could not delete, and only a restart clears them.
    assert!(
        e.report().contains("cairn deleted the half-created stack shop-dev-data")
            && e.report()
                .contains("Either another stack holds the exports of the same name, or moto does")
            && e.report().ends_with("(`make local-cloud-stop local-cloud`)")
            && !e.report().contains("starts clean"),
        "{}",
        e.report()
    );
    assert_eq!(cfn.status_of("shop-dev-data"), None);

    // The next deploy is not blocked.
    let run = deploy_full(&cfn, opts(), &[&data], &[], &FakeClock::default(), None, Quirks::moto());
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
}

#[test]
fn a_create_stack_moto_fails_leaves_no_stuck_stack_and_a_rerun_proceeds() {
    // moto: a resource it rejects (4xx; DescribeStacks of the record then answers HTTP 500)
    // or crashes on (HTTP 500) leaves the stack CREATE_IN_PROGRESS for good.
    for describe_fails in [true, false] {
        let cfn = FakeCloudFormation::new();
        cfn.state.borrow_mut().create_stack_stuck = Some(("Queue name must end in .fifo for FIFO queues".into(), describe_fails));
        let data = artifact("shop-dev-data", data_template("db.t3.micro"));
        let run = deploy_full(&cfn, opts(), &[&data], &[], &FakeClock::default(), None, Quirks::moto());
        let e = run.error();
        assert!(
            e.report()
                .starts_with("error: creating shop-dev-data failed: AWS rejected the call: Queue name must end in .fifo")
                && e.report()
                    .contains("moto never finishes a failed create, so cairn deleted the half-created stack shop-dev-data"),
            "{}",
            e.report()
        );
        assert_eq!(cfn.status_of("shop-dev-data"), None, "describe_fails: {describe_fails}");
        let run = deploy_full(&cfn, opts(), &[&data], &[], &FakeClock::default(), None, Quirks::moto());
        assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    }
}

#[test]
fn a_stack_another_run_created_is_never_deleted_as_a_failed_create() {
    // moto's words and AWS's for a CreateStack that lost the race to another run.
    for message in ["Stack shop-dev-data already exists", "Stack [shop-dev-data] already exists"] {
        assert!(stack_exists_error(message, "shop-dev-data"), "{message}");
    }
    assert!(!stack_exists_error(
        "DBInstanceAlreadyExists: DB instance already exists",
        "shop-dev-data"
    ));
}

#[test]
fn a_stack_moto_left_stuck_is_not_called_another_deployment_and_destroy_deletes_it() {
    for describe_fails in [false, true] {
        // Left by an older cairn: a stuck record of a failed CreateStack.
        let cfn = FakeCloudFormation::new();
        cfn.state.borrow_mut().create_stack_stuck = Some(("boom".into(), describe_fails));
        let _ = cfn.create_stack(&crate::aws::StackRequest {
            stack_name: "shop-dev-data".into(),
            template: crate::aws::TemplateSource::Body("{}".into()),
            rollback: None,
        });
        let data = artifact("shop-dev-data", data_template("db.t3.micro"));
        let run = deploy_full(&cfn, opts(), &[&data], &[], &FakeClock::default(), None, Quirks::moto());
        let e = run.error();
        assert!(!e.report().contains("another deployment"), "{}", e.report());
        assert!(
            e.report().contains("`cairn destroy dev shop-dev-data`") && e.report().contains("make local-cloud-stop local-cloud"),
            "{}",
            e.report()
        );
        let (mut console, buffer) = Console::buffer();
        let clock = FakeClock::default();
        let mut d = Destroyer {
            resume: crate::deploy::resume::ResumeCommand::new("destroy", "dev", None),
            cfn: &cfn,
            console: &mut console,
            clock: &clock,
            force: false,
            timeout: Duration::from_secs(600),
            hints: Hints::for_env("dev"),
            emulator: Some(crate::aws::Emulator::Moto),
            leftovers: None,
        };
        assert_eq!(d.destroy(&["shop-dev-data"]).map_err(|e| e.report()), Ok(1), "{}", buffer.text());
        assert_eq!(cfn.status_of("shop-dev-data"), None);
    }
}

#[test]
fn a_pending_stack_without_resources_is_treated_as_absent_but_one_that_started_is_kept() {
    // Left by an older cairn: moto's CREATE_PENDING stack of a failed CreateStack.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "CREATE_PENDING", &json!({}));
    cfn.clear_events("shop-dev-data");
    let data = artifact("shop-dev-data", data_template("db.t3.micro"));
    let run = deploy_full(&cfn, opts(), &[&data], &[], &FakeClock::default(), None, Quirks::moto());
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    let notes: Vec<&str> = run
        .output
        .lines()
        .filter(|l| l.contains("note: shop-dev-data is CREATE_PENDING"))
        .collect();
    assert_eq!(notes.len(), 1, "{}", run.output);
    assert!(
        notes[0].contains("failed before creating anything; it holds no resources: deleting it first"),
        "{}",
        run.output
    );
    assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("CREATE_COMPLETE"));

    // Events show an operation began: it may hold resources, so it is not deleted.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "CREATE_PENDING", &data_template("db.t3.micro"));
    let run = deploy_full(&cfn, opts(), &[&data], &[], &FakeClock::default(), None, Quirks::moto());
    let e = run.error();
    assert!(e.report().contains("may hold resources; cairn leaves it alone"), "{}", e.report());
    assert_eq!(count(&cfn.calls(), "DeleteStack"), 0);
    assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("CREATE_PENDING"));
}

#[test]
fn a_refused_execution_of_a_create_change_set_removes_the_review_stack() {
    // CloudFormation: if ExecuteChangeSet itself is refused, nothing was created and the
    // REVIEW_IN_PROGRESS stack is deleted (DeleteStack) so that the next deploy starts clean.
    let cfn = FakeCloudFormation::new();
    cfn.state.borrow_mut().execute_error = Some("ChangeSet cannot be executed in its current status".into());
    let data = artifact("shop-dev-data", data_template("db.t3.micro"));
    let run = deploy(&cfn, opts(), &[&data]);
    let e = run.error();
    assert!(e.report().contains("cannot be executed"), "{}", e.report());
    assert!(
        e.report()
            .contains("cairn removed the empty REVIEW_IN_PROGRESS stack shop-dev-data"),
        "{}",
        e.report()
    );
    assert_eq!(cfn.status_of("shop-dev-data"), None);
    assert_eq!(count(&cfn.calls(), "DeleteStack shop-dev-data"), 1);
    let run = deploy(&cfn, opts(), &[&data]);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
}

#[test]
fn templates_over_the_inline_limit_are_uploaded_and_passed_by_url() {
    let mut resources = serde_json::Map::new();
    // Over 51,200 bytes even as the compact JSON that is sent.
    for i in 0..450 {
        resources.insert(
            format!("Queue{i:03}"),
            json!({"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30, "MessageRetentionPeriod": 1_209_600, "DelaySeconds": 0}}),
        );
    }
    let big = artifact("shop-dev-data", json!({ "Resources": resources }));
    assert!(big.needs_upload());
    let cfn = FakeCloudFormation::new();

    // No bucket: a clear error before anything is created.
    let store = FakeStore {
        cfn: &cfn,
        buckets: vec![],
    };
    let o = DeployOptions {
        template_bucket: Some("cairn-templates-123456789012-us-east-1".into()),
        ..opts()
    };
    let run = deploy_full(
        &cfn,
        o.clone(),
        &[&big],
        &[],
        &FakeClock::default(),
        Some(&store),
        Quirks::default(),
    );
    assert!(
        run.error().report().contains("run `cairn bootstrap dev`"),
        "{}",
        run.error().report()
    );
    assert!(cfn.calls().is_empty());

    let store = FakeStore {
        cfn: &cfn,
        buckets: vec!["cairn-templates-123456789012-us-east-1".into()],
    };
    let run = deploy_full(&cfn, o, &[&big], &[], &FakeClock::default(), Some(&store), Quirks::default());
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    let calls = cfn.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("PutObject s3://cairn-templates-123456789012-us-east-1/cairn/shop/dev/shop-dev-data-")),
        "{calls:?}"
    );
    assert!(
        run.output
            .contains(&format!("template ({} bytes) uploaded to s3://", big.deploy_body().len())),
        "{}",
        run.output
    );
    assert_eq!(cfn.template_of("shop-dev-data").unwrap(), big.deploy_body());
}

#[test]
fn with_moto_quirks_a_new_stack_is_created_with_create_stack_after_review() {
    let cfn = FakeCloudFormation::new();
    let run = deploy_full(
        &cfn,
        opts(),
        &[&artifact("shop-dev-data", data_template("db.t3.micro"))],
        &[],
        &FakeClock::default(),
        None,
        Quirks::moto(),
    );
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    let calls = cfn.calls();
    let review = calls.iter().position(|c| c == "CreateChangeSet shop-dev-data CREATE").unwrap();
    let create = calls.iter().position(|c| c == "CreateStack shop-dev-data").unwrap();
    assert!(review < create && count(&calls, "ExecuteChangeSet") == 0, "{calls:?}");
    assert!(
        run.output
            .contains("note: moto's ExecuteChangeSet does not resolve Fn::ImportValue"),
        "{}",
        run.output
    );
    assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("CREATE_COMPLETE"));
}

#[test]
fn destroy_deletes_and_respects_termination_protection() {
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-prod-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    cfn.add_stack("shop-prod-service", "UPDATE_COMPLETE", &service_template());
    cfn.set_termination_protection_flag("shop-prod-data", true);
    let clock = FakeClock::default();
    let (mut console, buffer) = Console::buffer();
    let mut d = Destroyer {
        resume: crate::deploy::resume::ResumeCommand::new("destroy", "dev", None),
        cfn: &cfn,
        console: &mut console,
        clock: &clock,
        force: false,
        timeout: Duration::from_secs(600),
        hints: Hints::for_env("prod"),
        emulator: None,
        leftovers: None,
    };
    let e = d
        .destroy(&["shop-prod-service", "shop-prod-data", "shop-prod-network"])
        .unwrap_err();
    assert!(e.report().contains("shop-prod-data has termination protection"), "{}", e.report());
    assert!(
        e.report()
            .contains("not deleted (stopped at the first failure): shop-prod-data (the error above), shop-prod-network"),
        "{}",
        e.report()
    );
    assert_eq!(cfn.status_of("shop-prod-service"), None, "the service stack was deleted first");
    d.force = true;
    assert_eq!(d.destroy(&["shop-prod-data", "shop-prod-network"]).unwrap(), 1);
    assert_eq!(cfn.status_of("shop-prod-data"), None);
    let out = buffer.text();
    assert!(
        out.contains("termination protection: off (--force)") && out.contains("shop-prod-network (2 of 2)\n  not deployed"),
        "{out}"
    );
    assert!(out.contains("Db") && out.contains("DELETE_COMPLETE"), "{out}");
}

fn network_template() -> Json {
    json!({"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}})
}

/// The three stacks of `dev`, in deploy order, all new.
fn three_stacks() -> (StackArtifact, StackArtifact, StackArtifact) {
    (
        artifact("shop-dev-network", network_template()),
        artifact("shop-dev-data", data_template("db.t3.micro")),
        artifact("shop-dev-service", service_template()),
    )
}

fn approved() -> DeployOptions {
    DeployOptions { approve: true, ..opts() }
}

#[test]
fn ctrl_c_while_a_stack_deploys_finishes_that_stack_then_stops_with_130() {
    // The reported case: Ctrl-C while the network stack was deploying; data and service
    // were still deployed and the exit code was 0.
    for quirks in [Quirks::default(), Quirks::moto()] {
        let cfn = FakeCloudFormation::new();
        let clock = FakeClock::default();
        let call = if quirks == Quirks::moto() {
            "CreateStack shop-dev-network"
        } else {
            "ExecuteChangeSet shop-dev-network"
        };
        cfn.ctrl_c_during(call, &clock.presses);
        let (network, data, service) = three_stacks();
        // The resume hint repeats the run's own arguments (issue 11 follow-up A).
        let resume = crate::deploy::resume::ResumeCommand::new("deploy", "dev", Some(std::path::Path::new("/tmp/envs")))
            .flag("approve", true)
            .flag("allow-replace", true);
        let opts = DeployOptions { resume, ..approved() };
        let run = deploy_full(&cfn, opts, &[&network, &data, &service], &[], &clock, None, quirks);
        let e = run.error();
        assert_eq!(e.exit_code(), INTERRUPTED_EXIT, "{}", e.report());
        assert_eq!(cfn.status_of("shop-dev-network").as_deref(), Some("CREATE_COMPLETE"), "{quirks:?}");
        assert_eq!(cfn.status_of("shop-dev-data"), None);
        assert_eq!(cfn.status_of("shop-dev-service"), None);
        assert!(!cfn.calls().iter().any(|c| c.contains("shop-dev-data")), "{:?}", cfn.calls());
        assert!(
            e.report()
                .starts_with("stopped (Ctrl-C) before shop-dev-data: nothing was changed in it"),
            "{}",
            e.report()
        );
        assert!(e.report().contains("\ndeployed: shop-dev-network\n"), "{}", e.report());
        assert!(
            e.report().contains("\nnot deployed: shop-dev-data, shop-dev-service\n"),
            "{}",
            e.report()
        );
        assert!(
            e.report().ends_with(
                "resume with `cairn deploy dev shop-dev-data shop-dev-service --environments /tmp/envs --approve --allow-replace`"
            ),
            "{}",
            e.report()
        );
    }
}

#[test]
fn ctrl_c_during_the_last_stack_reports_a_completed_run_without_a_resume_hint() {
    let cfn = FakeCloudFormation::new();
    let clock = FakeClock::default();
    cfn.ctrl_c_during("ExecuteChangeSet shop-dev-service", &clock.presses);
    let (network, data, service) = three_stacks();
    let run = deploy_full(&cfn, approved(), &[&network, &data, &service], &[], &clock, None, Quirks::default());
    let e = run.error();
    assert_eq!(e.exit_code(), INTERRUPTED_EXIT, "{}", e.report());
    assert_eq!(cfn.status_of("shop-dev-service").as_deref(), Some("CREATE_COMPLETE"));
    assert!(
        e.report()
            .starts_with("Ctrl-C noticed after the last stack had finished: the run completed, nothing to resume\n")
            && e.report().ends_with("deployed: shop-dev-network, shop-dev-data, shop-dev-service"),
        "{}",
        e.report()
    );
    assert!(
        !e.report().contains("resume with") && !e.report().contains("not deployed"),
        "{}",
        e.report()
    );
}

#[test]
fn the_first_ctrl_c_during_execution_waits_for_the_stack_and_says_so() {
    let cfn = FakeCloudFormation::new();
    let clock = FakeClock::default();
    cfn.ctrl_c_during("ExecuteChangeSet shop-dev-data", &clock.presses);
    let (_, data, service) = three_stacks();
    let run = deploy_with(&cfn, approved(), &[&data, &service], &[], &clock);
    assert_eq!(run.error().exit_code(), INTERRUPTED_EXIT);
    assert!(
        run.output
            .contains("Ctrl-C: CloudFormation is already changing shop-dev-data and carries on either way"),
        "{}",
        run.output
    );
    assert!(run.output.contains("shop-dev-data: CREATE_COMPLETE in"), "{}", run.output);
}

#[test]
fn ctrl_c_during_change_set_creation_deletes_it_once_ready_and_changes_nothing() {
    // New stack: the REVIEW_IN_PROGRESS stack goes too. Existing stack: only the change set.
    for existing in [false, true] {
        let cfn = FakeCloudFormation::new();
        cfn.state.borrow_mut().change_set_pending_polls = 2;
        if existing {
            cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
        }
        let clock = FakeClock::default();
        cfn.ctrl_c_during("CreateChangeSet shop-dev-data", &clock.presses);
        let (_, data, service) = three_stacks();
        let data = if existing {
            artifact("shop-dev-data", data_template("db.t3.small"))
        } else {
            data
        };
        let run = deploy_with(&cfn, approved(), &[&data, &service], &[], &clock);
        let e = run.error();
        assert_eq!(e.exit_code(), INTERRUPTED_EXIT, "{}", e.report());
        let calls = cfn.calls();
        assert_eq!(count(&calls, "ExecuteChangeSet"), 0, "{calls:?}");
        assert!(
            run.output.contains("shop-dev-data's change set will not be executed"),
            "{}",
            run.output
        );
        assert!(
            e.report()
                .starts_with("stopped (Ctrl-C) before executing shop-dev-data's change set: cairn deleted it"),
            "{}",
            e.report()
        );
        assert!(e.report().contains("nothing was changed in shop-dev-data"), "{}", e.report());
        assert!(
            e.report().contains("\ndeployed: none\n") && e.report().contains("\nnot deployed: shop-dev-data, shop-dev-service\n"),
            "{}",
            e.report()
        );
        assert!(cfn.state.borrow().change_set_requests.len() == 1);
        if existing {
            assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("UPDATE_COMPLETE"));
            assert_eq!(count(&calls, "DeleteChangeSet"), 1, "{calls:?}");
        } else {
            assert_eq!(cfn.status_of("shop-dev-data"), None, "the empty review stack was left");
        }
    }
}

#[test]
fn a_second_ctrl_c_while_the_change_set_is_made_says_it_is_left_and_how_to_delete_it() {
    let cfn = FakeCloudFormation::new();
    cfn.state.borrow_mut().change_set_pending_polls = 100;
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    let clock = FakeClock::default();
    cfn.ctrl_c_during("CreateChangeSet shop-dev-data", &clock.presses);
    clock.ctrl_c_after_sleeps.borrow_mut().push(2);
    let run = deploy_with(
        &cfn,
        approved(),
        &[&artifact("shop-dev-data", data_template("db.t3.small"))],
        &[],
        &clock,
    );
    let e = run.error();
    assert_eq!(e.exit_code(), INTERRUPTED_EXIT);
    assert!(
        e.report().starts_with(
            "stopped waiting (Ctrl-C twice) while CloudFormation prepared shop-dev-data's change set (CREATE_PENDING), which is left"
        ),
        "{}",
        e.report()
    );
    let left = cfn.state.borrow().change_set_requests[0].change_set_name.clone();
    assert!(
        e.report()
            .contains("delete it with `aws cloudformation delete-change-set --change-set-name arn:")
            && e.report().contains(&left),
        "{}",
        e.report()
    );
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);
}

#[test]
fn ctrl_c_at_the_approval_prompt_deletes_the_change_set_and_exits_130() {
    let old = data_template("db.t3.micro");
    let mut new = old.clone();
    new["Resources"]["Db"]["Properties"]["DBName"] = json!("shop");
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_replacement()]);
    let clock = FakeClock::default();
    let o = DeployOptions {
        interactive: true,
        ..opts()
    };
    let service = artifact("shop-dev-service", service_template());
    let run = deploy_with(&cfn, o, &[&artifact("shop-dev-data", new), &service], &[console::CTRL_C], &clock);
    let e = run.error();
    assert_eq!(e.exit_code(), INTERRUPTED_EXIT, "{}", e.report());
    assert_eq!(run.questions.len(), 1);
    assert!(
        e.report()
            .starts_with("stopped (Ctrl-C) at the approval of shop-dev-data's change set: cairn deleted it; nothing was changed"),
        "{}",
        e.report()
    );
    assert!(
        e.report().contains("\nnot deployed: shop-dev-data, shop-dev-service\n"),
        "{}",
        e.report()
    );
    let calls = cfn.calls();
    assert_eq!(
        (count(&calls, "ExecuteChangeSet"), count(&calls, "DeleteChangeSet")),
        (0, 1),
        "{calls:?}"
    );
}

#[test]
fn ctrl_c_before_the_first_stack_changes_nothing() {
    let cfn = FakeCloudFormation::new();
    let clock = FakeClock::default();
    clock.presses.set(1);
    let (network, data, _) = three_stacks();
    let run = deploy_with(&cfn, approved(), &[&network, &data], &[], &clock);
    let e = run.error();
    assert_eq!(e.exit_code(), INTERRUPTED_EXIT);
    assert!(
        e.report().contains("deployed: none\nnot deployed: shop-dev-network, shop-dev-data"),
        "{}",
        e.report()
    );
    assert!(cfn.calls().is_empty(), "{:?}", cfn.calls());
}

#[test]
fn ctrl_c_during_destroy_finishes_the_current_deletion_then_stops() {
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-service", "UPDATE_COMPLETE", &service_template());
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    cfn.add_stack("shop-dev-network", "UPDATE_COMPLETE", &network_template());
    let clock = FakeClock::default();
    cfn.ctrl_c_during("DeleteStack shop-dev-service", &clock.presses);
    let (mut console, buffer) = Console::buffer();
    let mut d = Destroyer {
        resume: crate::deploy::resume::ResumeCommand::new("destroy", "dev", None).flag("approve", true),
        cfn: &cfn,
        console: &mut console,
        clock: &clock,
        force: false,
        timeout: Duration::from_secs(600),
        hints: Hints::for_env("dev"),
        emulator: None,
        leftovers: None,
    };
    let e = d.destroy(&["shop-dev-service", "shop-dev-data", "shop-dev-network"]).unwrap_err();
    assert_eq!(e.exit_code(), INTERRUPTED_EXIT, "{}", e.report());
    assert_eq!(cfn.status_of("shop-dev-service"), None);
    assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("UPDATE_COMPLETE"));
    assert_eq!(count(&cfn.calls(), "DeleteStack"), 1, "{:?}", cfn.calls());
    assert!(
        e.report()
            .starts_with("stopped (Ctrl-C) before shop-dev-data: it was not touched\ndeleted: shop-dev-service\n"),
        "{}",
        e.report()
    );
    assert!(
        e.report().ends_with(
            "not deleted: shop-dev-data, shop-dev-network\nresume with `cairn destroy dev shop-dev-data shop-dev-network --approve`"
        ),
        "{}",
        e.report()
    );
    assert!(buffer.text().contains("shop-dev-service: deleted in"), "{}", buffer.text());
}

#[test]
fn a_change_set_another_run_made_is_never_executed_and_the_deploy_is_refused() {
    // Before creating anything: the stack has another run's change set waiting.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    cfn.add_foreign_change_set("shop-dev-data", "cairn-1700000000000-0badcafe");
    let data = artifact("shop-dev-data", data_template("db.t3.small"));
    let run = deploy(&cfn, approved(), &[&data]);
    let e = run.error();
    assert_eq!(e.exit_code(), 1);
    assert!(
        e.report().starts_with(
            "error: shop-dev-data has a change set this deploy did not make: cairn-1700000000000-0badcafe (CREATE_COMPLETE, AVAILABLE)"
        ),
        "{}",
        e.report()
    );
    // The command to paste names the real change set, and the refusal says it came before
    // looking at the stack's changes.
    assert!(
        e.report()
            .contains("`aws cloudformation delete-change-set --stack-name shop-dev-data --change-set-name cairn-1700000000000-0badcafe`")
            && e.report().contains("it blocks this deploy even if shop-dev-data has none"),
        "{}",
        e.report()
    );
    assert_eq!(count(&cfn.calls(), "CreateChangeSet") + count(&cfn.calls(), "ExecuteChangeSet"), 0);

    // Another run made its change set at the same moment, and earlier (its name sorts first):
    // refused before executing, its own change set deleted, the other one left alone.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    cfn.on_call("CreateChangeSet shop-dev-data", |s| {
        s.add_foreign_change_set("shop-dev-data", "cairn-0000000000001-other")
    });
    let run = deploy(&cfn, approved(), &[&data]);
    let e = run.error();
    assert!(
        e.report().contains("cairn-0000000000001-other (CREATE_COMPLETE, AVAILABLE)"),
        "{}",
        e.report()
    );
    let calls = cfn.calls();
    assert_eq!(
        (count(&calls, "ExecuteChangeSet"), count(&calls, "DeleteChangeSet")),
        (0, 1),
        "{calls:?}"
    );
    let names: Vec<String> = cfn
        .state
        .borrow()
        .change_set_requests
        .iter()
        .map(|r| r.change_set_name.clone())
        .collect();
    let left = cfn
        .list_change_sets(&cfn.describe_stack("shop-dev-data").unwrap().unwrap().id)
        .unwrap();
    assert_eq!(
        left.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["cairn-0000000000001-other"],
        "{names:?}"
    );

    // The other run made its change set later (its name sorts after this run's): this run
    // proceeds, and that run, seeing this run's change set sort first, refuses. Exactly one
    // of two simultaneous runs executes.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    cfn.on_call("CreateChangeSet shop-dev-data", |s| {
        s.add_foreign_change_set("shop-dev-data", "cairn-9999999999999-later")
    });
    let run = deploy(&cfn, approved(), &[&data]);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 1);

    // A new stack another run is reviewing (REVIEW_IN_PROGRESS with its change set) is not deleted.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "REVIEW_IN_PROGRESS", &json!({}));
    cfn.add_foreign_change_set("shop-dev-data", "cairn-1700000000000-0badcafe");
    let run = deploy(&cfn, approved(), &[&data]);
    assert!(
        run.error().report().contains("has a change set this deploy did not make"),
        "{}",
        run.error().report()
    );
    assert_eq!(cfn.status_of("shop-dev-data").as_deref(), Some("REVIEW_IN_PROGRESS"));
    assert_eq!(count(&cfn.calls(), "DeleteStack"), 0);
}

#[test]
fn a_stack_another_deploy_updated_meanwhile_is_not_executed() {
    // Still updating, or already done (same status, but new events; moto reports no update times).
    for status in ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"] {
        let cfn = FakeCloudFormation::new();
        cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
        cfn.on_call("CreateChangeSet shop-dev-data", move |s| s.set_status("shop-dev-data", status));
        let run = deploy(&cfn, approved(), &[&artifact("shop-dev-data", data_template("db.t3.small"))]);
        let e = run.error();
        assert!(
            e.report().starts_with(&format!(
                "error: shop-dev-data changed while this deploy prepared its change set (it is now {status})"
            )),
            "{}",
            e.report()
        );
        assert!(e.report().contains("Nothing was executed"), "{}", e.report());
        let calls = cfn.calls();
        assert_eq!(
            (count(&calls, "ExecuteChangeSet"), count(&calls, "DeleteChangeSet")),
            (0, 1),
            "{calls:?}"
        );
        // The other run's events were not printed as this run's.
        assert!(!run.output.contains(status), "{}", run.output);
    }
}

#[test]
fn every_run_names_its_change_sets_uniquely() {
    let names: std::collections::BTreeSet<String> = (0..50).map(|_| change_set_name(&run_name())).collect();
    assert_eq!(names.len(), 50);
    assert!(names.iter().all(|n| n.starts_with("cairn-") && n.len() <= 128));
    // Names sort by the time they were made.
    let first = change_set_name("ffffffff");
    std::thread::sleep(Duration::from_millis(2));
    assert!(change_set_name("00000000") > first);
}

#[test]
fn with_moto_quirks_an_update_goes_through_update_stack_with_unserved_imports_written_as_values() {
    // moto's registry has the data stack's first export (from its CreateStack) but not the
    // one an update added: the service's import of it is sent as the value.
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    cfn.set_live_exports(
        "shop-dev-data",
        &[
            ("ExportsOutputJobs", "shop-dev-data:Jobs", "arn:jobs"),
            ("ExportsOutputExtra", "shop-dev-data:Extra", "arn:extra"),
        ],
    );
    cfn.state
        .borrow_mut()
        .registry
        .insert("shop-dev-data:Jobs".into(), "arn:jobs".into());
    let import = |n: &str| json!({"Fn::ImportValue": format!("shop-dev-data:{n}")});
    let policy = |resources: Json| {
        json!({"Resources": {"Policy": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": resources}]}}}}})
    };
    cfn.add_stack("shop-dev-service", "UPDATE_COMPLETE", &policy(json!([import("Jobs")])));
    let mut service = artifact("shop-dev-service", policy(json!([import("Jobs"), import("Extra")])));
    service.depends_on = vec!["shop-dev-data".into()];
    let run = deploy_full(&cfn, approved(), &[&service], &[], &FakeClock::default(), None, Quirks::moto());
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    let calls = cfn.calls();
    assert!(calls.contains(&"UpdateStack shop-dev-service".to_string()), "{calls:?}");
    assert_eq!(count(&calls, "ExecuteChangeSet"), 0, "{calls:?}");
    // The reviewed change set stays until UpdateStack has run: a concurrent run sees it
    // throughout and refuses (deleted first, a run could slip in between).
    let at = |prefix: &str| calls.iter().position(|c| c.starts_with(prefix));
    assert!(at("UpdateStack") < at("DeleteChangeSet"), "{calls:?}");
    assert!(
        run.output.contains("lacks the current value of shop-dev-data:Extra"),
        "{}",
        run.output
    );
    let deployed: Json = serde_json::from_str(&cfn.template_of("shop-dev-service").unwrap()).unwrap();
    assert_eq!(
        deployed["Resources"]["Policy"]["Properties"]["PolicyDocument"]["Statement"][0]["Resource"],
        json!([import("Jobs"), "arn:extra"])
    );
    // The change set was reviewed, then deleted (none left to block the next run).
    assert_eq!(count(&calls, "DeleteChangeSet"), 1, "{calls:?}");

    // Without moto, the same update goes through ExecuteChangeSet with the template as is.
    let cfn2 = FakeCloudFormation::new();
    cfn2.add_stack("shop-dev-service", "UPDATE_COMPLETE", &policy(json!([import("Jobs")])));
    let run = deploy(&cfn2, approved(), &[&service]);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert_eq!(count(&cfn2.calls(), "UpdateStack"), 0);
    assert_eq!(cfn2.template_of("shop-dev-service").unwrap(), service.deploy_body());
}

#[test]
fn a_deletion_that_fails_yet_drops_the_stack_says_what_is_left_and_why() {
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-network", "CREATE_COMPLETE", &network_template());
    cfn.state.borrow_mut().delete_drops_record_error =
        Some("DependencyViolation: The vpc vpc-123 has dependencies and cannot be deleted.".into());
    let clock = FakeClock::default();
    let (mut console, _buffer) = Console::buffer();
    let file = std::env::temp_dir().join(format!("cairn-left-{}/leftovers.json", std::process::id()));
    let ledger = || crate::deploy::leftovers::Ledger::new(&file, "http://127.0.0.1:5000");
    let mut d = Destroyer {
        resume: crate::deploy::resume::ResumeCommand::new("destroy", "dev", None),
        cfn: &cfn,
        console: &mut console,
        clock: &clock,
        force: false,
        timeout: Duration::from_secs(600),
        hints: Hints::for_env("dev"),
        emulator: Some(crate::aws::Emulator::Moto),
        leftovers: Some(ledger()),
    };
    let e = d.destroy(&["shop-dev-network"]).unwrap_err();
    assert_eq!(e.exit_code(), 1);
    assert!(
        e.report().starts_with(
            "error: deleting shop-dev-network failed: DeleteStack failed: DependencyViolation: The vpc vpc-123 has dependencies and cannot be deleted. The endpoint no longer lists shop-dev-network, so `cairn status dev` shows it as not deployed, but resources are left behind: AWS::EC2::VPC Vpc, "
        ) && e.report().contains(", the NAT gateway's network interface (a moto limitation"),
        "{}",
        e.report()
    );
    // Recorded for `status`, as long as moto knows the deleted stack's id.
    let left = ledger().current(&cfn, "shop-dev-network").unwrap().expect("recorded");
    assert_eq!(left.resources.first().map(String::as_str), Some("AWS::EC2::VPC Vpc"));
    assert_eq!(
        left.resources.last().map(String::as_str),
        Some("the NAT gateway's network interface")
    );
    let _ = std::fs::remove_file(&file);
    assert!(
        e.report().contains("Export names must be unique") && e.report().contains("make local-cloud-stop"),
        "{}",
        e.report()
    );
}

#[test]
fn after_ctrl_c_a_stack_without_changes_is_listed_as_such() {
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-network", "UPDATE_COMPLETE", &network_template());
    let clock = FakeClock::default();
    // Pressed while the empty change set of the unchanged network stack is deleted.
    cfn.ctrl_c_during("DeleteChangeSet", &clock.presses);
    let (network, data, _) = three_stacks();
    let run = deploy_with(&cfn, approved(), &[&network, &data], &[], &clock);
    let e = run.error();
    assert_eq!(e.exit_code(), INTERRUPTED_EXIT);
    assert!(
        e.report()
            .contains("\ndeployed: shop-dev-network (no changes)\nnot deployed: shop-dev-data\n"),
        "{}",
        e.report()
    );
}

#[test]
fn with_moto_quirks_a_failed_update_stack_leaves_no_change_set_and_says_moto_does_not_roll_back() {
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data_template("db.t3.micro"));
    cfn.state.borrow_mut().execute_error = Some("Value 9999999 for parameter VisibilityTimeout is invalid".into());
    let data = artifact("shop-dev-data", data_template("db.t3.small"));
    let run = deploy_full(&cfn, approved(), &[&data], &[], &FakeClock::default(), None, Quirks::moto());
    let e = run.error();
    assert!(
        e.report()
            .starts_with("error: updating shop-dev-data failed: AWS rejected the call: Value 9999999")
            && e.report()
                .contains("moto does not roll back, so part of the update may be applied (see `cairn status dev`)"),
        "{}",
        e.report()
    );
    let id = cfn.describe_stack("shop-dev-data").unwrap().unwrap().id;
    assert!(
        cfn.list_change_sets(&id).unwrap().is_empty(),
        "a change set was left to block the next run"
    );
    // The next deploy is not blocked by it.
    let run = deploy_full(&cfn, approved(), &[&data], &[], &FakeClock::default(), None, Quirks::moto());
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
}

/// The data stack of the blocking-warning tests: a table whose name it exports.
fn exporting_data_template(export_value: Json) -> Json {
    json!({
        "Resources": {"Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST"}}},
        "Outputs": {"ExportsOutputOrders": {"Value": export_value, "Export": {"Name": "shop-dev-data:Orders"}}}
    })
}

fn importing_service_template() -> Json {
    json!({"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": {"Fn::Join": ["-", [{"Fn::ImportValue": "shop-dev-data:Orders"}, "events"]]}}}}})
}

#[test]
fn deploy_refuses_an_export_in_use_whose_value_changes_before_any_change_set() {
    let cfn = FakeCloudFormation::new();
    let old_data = exporting_data_template(json!({"Ref": "Orders"}));
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old_data);
    cfn.add_stack("shop-dev-service", "CREATE_COMPLETE", &importing_service_template());
    let data = artifact("shop-dev-data", exporting_data_template(json!({"Fn::GetAtt": ["Orders", "Arn"]})));
    let service = artifact("shop-dev-service", importing_service_template());
    let all = vec![data, service];
    let (mut console, buffer) = Console::buffer();
    let clock = FakeClock::default();
    let mut prompt = ScriptedPrompt::default();
    let mut o = opts();
    o.approve = true;
    let result = {
        let mut d = Deployer::new(&cfn, &mut console, &clock, &mut prompt, o);
        d.environment = Some(&all);
        d.deploy(&[&all[0], &all[1]])
    };
    let e = result.err().unwrap_or_else(|| panic!("deployed; output:\n{}", buffer.text()));
    assert_eq!(e.exit_code(), 1, "{}", e.report());
    assert!(e.report().contains("DEPLOY WOULD FAIL: 1 change"), "{}", e.report());
    assert!(e.report().contains("export `shop-dev-data:Orders`"), "{}", e.report());
    assert!(e.report().contains("shop-dev-service imports it"), "{}", e.report());
    assert!(e.report().contains("fix: "), "{}", e.report());
    assert!(e.report().contains("nothing was changed"), "{}", e.report());
    let calls = cfn.calls();
    assert_eq!(count(&calls, "CreateChangeSet"), 0, "{calls:?}");
    assert_eq!(count(&calls, "ExecuteChangeSet"), 0, "{calls:?}");
    assert_eq!(
        cfn.template_of("shop-dev-data").map(|t| serde_json::from_str::<Json>(&t).ok()),
        Some(Some(old_data))
    );
}

#[test]
fn deploy_shows_a_non_blocking_warning_and_goes_ahead() {
    let cfn = FakeCloudFormation::new();
    let db = |version: &str| {
        json!({"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "DBInstanceClass": "db.t3.micro", "Engine": "postgres", "EngineVersion": version,
            "AllowMajorVersionUpgrade": true}}}})
    };
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &db("15.4"));
    let all = vec![artifact("shop-dev-data", db("16.1"))];
    let (mut console, buffer) = Console::buffer();
    let clock = FakeClock::default();
    let mut prompt = ScriptedPrompt::default();
    let result = {
        let mut d = Deployer::new(&cfn, &mut console, &clock, &mut prompt, opts());
        d.environment = Some(&all);
        d.deploy(&[&all[0]])
    };
    let output = buffer.text();
    assert!(result.is_ok(), "{:?}\n{output}", result.err().map(|e| e.report()));
    assert!(output.contains("Changes that need a decision"), "{output}");
    assert!(output.contains("major version upgrade"), "{output}");
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 1, "{:?}", cfn.calls());
}
