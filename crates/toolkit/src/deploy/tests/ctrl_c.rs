//! Ctrl-C during a multi-stack deploy or destroy: what is finished, what is left, how to resume (exit 130).

use super::*;

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
    let e = CliError::from(d.destroy(&["shop-dev-service", "shop-dev-data", "shop-dev-network"]).unwrap_err());
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
