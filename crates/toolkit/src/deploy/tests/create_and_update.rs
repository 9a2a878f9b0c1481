//! A stack created, updated, left unchanged, failed and rolled back, refused while busy; big templates uploaded.

use super::*;

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
fn every_template_carries_the_synthesis_record_and_an_unchanged_stack_keeps_its_own() {
    let record = |at: &str| crate::deploy::record::SynthesisRecord {
        commit: Some("c".repeat(40)),
        dirty: false,
        digest: String::new(),
        deployed_at: at.into(),
        deployed_by: "arn:aws:iam::123456789012:user/ci".into(),
        emergency: None,
    };
    let cfn = FakeCloudFormation::new();
    let data = artifact("shop-dev-data", data_template("db.t3.micro"));
    let mut first = opts();
    first.record = Some(record("2026-12-01T10:00:00Z"));
    assert_eq!(deploy(&cfn, first, &[&data]).outcomes(), vec![Outcome::Deployed]);
    let sent: Json = serde_json::from_str(&cfn.last_change_set_template().unwrap()).unwrap();
    let (template, found) = crate::deploy::record::split(sent);
    assert_eq!(template, data.template, "the template is sent as synthesized, plus the record");
    let found = found.expect("the record is sent");
    assert_eq!(
        found.digest,
        cairn_assembly::sha256_hex(data.body.as_bytes()),
        "the digest is the file's"
    );
    assert_eq!(found.deployed_at, "2026-12-01T10:00:00Z");

    // A later run with the same template sends the stack's own record back: a new one
    // alone would be a change, and the stack still runs the synthesis that set it.
    let mut later = opts();
    later.record = Some(record("2026-12-01T11:00:00Z"));
    assert_eq!(deploy(&cfn, later, &[&data]).outcomes(), vec![Outcome::NoChanges]);
    let sent: Json = serde_json::from_str(&cfn.last_change_set_template().unwrap()).unwrap();
    assert_eq!(
        crate::deploy::record::split(sent).1.map(|r| r.deployed_at).as_deref(),
        Some("2026-12-01T10:00:00Z")
    );

    // A changed template gets the new record.
    let changed = artifact("shop-dev-data", data_template("db.t3.small"));
    let mut next = opts();
    next.record = Some(record("2026-12-01T12:00:00Z"));
    assert_eq!(deploy(&cfn, next, &[&changed]).outcomes(), vec![Outcome::Deployed]);
    let sent: Json = serde_json::from_str(&cfn.last_change_set_template().unwrap()).unwrap();
    assert_eq!(
        crate::deploy::record::split(sent).1.map(|r| r.deployed_at).as_deref(),
        Some("2026-12-01T12:00:00Z")
    );
}
