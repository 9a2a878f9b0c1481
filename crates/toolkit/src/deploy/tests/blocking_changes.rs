//! Changes CloudFormation would refuse (an export in use) stop the deploy before any change set; warnings do not.

use super::*;

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
    let e = CliError::from(result.err().unwrap_or_else(|| panic!("deployed; output:\n{}", buffer.text())));
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
    assert!(result.is_ok(), "{:?}\n{output}", result.err().map(|e| e.to_string()));
    assert!(output.contains("Changes that need a decision"), "{output}");
    assert!(output.contains("major version upgrade"), "{output}");
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 1, "{:?}", cfn.calls());
}
