//! Another run acting at the same time: its change sets are never executed, a stack it updated is not overwritten.

use super::*;

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
