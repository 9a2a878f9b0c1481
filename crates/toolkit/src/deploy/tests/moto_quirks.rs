//! What moto leaves behind or does differently (leftover review stacks, failed creates, CreateStack/UpdateStack instead of change sets).

use super::*;

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
        assert_eq!(d.destroy(&["shop-dev-data"]).map_err(|e| e.to_string()), Ok(1), "{}", buffer.text());
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
