//! What needs approval: replacements, data kept by the environment, broader access, environments that approve every deploy.

use super::*;

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
