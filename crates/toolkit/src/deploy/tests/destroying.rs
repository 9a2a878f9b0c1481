//! Deleting stacks: termination protection, deletions that fail half-way.

use super::*;

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
    let e = CliError::from(
        d.destroy(&["shop-prod-service", "shop-prod-data", "shop-prod-network"])
            .unwrap_err(),
    );
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
    let e = CliError::from(d.destroy(&["shop-dev-network"]).unwrap_err());
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
