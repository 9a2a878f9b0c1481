//! Watching a stack: timeouts and Ctrl-C while watching.

use super::*;

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
