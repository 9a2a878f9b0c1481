//! Escape hatches: overrides of a construct's resources that apply at the end of
//! synthesis, so a construct that re-renders a property later does not undo them.

use cairn_constructs::{Bucket, BucketProps, Construct, Queue, QueueProps, Role, RoleProps, ServicePrincipal, Table, TableProps};
use cairn_core::{App, Assembly, EnvSettings, Environment, ResourceRef, Stack, Value};
use serde_json::{json, Value as Json};

fn settings(name: &str) -> EnvSettings {
    EnvSettings {
        name: name.into(),
        account: "123456789012".into(),
        region: "eu-west-1".into(),
        retain_data: false,
        require_approval: false,
        tags: Default::default(),
    }
}

fn env() -> (App, Environment) {
    let app = App::new("t").unwrap();
    let env = app.environment(settings("dev")).unwrap();
    (app, env)
}

fn role(stack: &Stack) -> Role {
    Role::new(
        stack,
        "Worker",
        RoleProps {
            assumed_by: ServicePrincipal::EcsTasks,
            description: None,
        },
    )
    .unwrap()
}

fn resource<'a>(assembly: &'a Assembly, stack: &str, r: &ResourceRef) -> &'a Json {
    &assembly.environments[0].stack(stack).unwrap().template["Resources"][&r.logical_id]
}

/// Grants on a role re-render its whole policy document. `edit` runs between the
/// first and the second grant; the synthesized policy is returned.
fn policy_after_grants(edit: impl Fn(&Stack, &ResourceRef)) -> Json {
    let (app, env) = env();
    let stack = env.stack("service").unwrap();
    let role = role(&stack);
    let bucket = Bucket::new(&stack, "Uploads", BucketProps::default()).unwrap();
    let queue = Queue::new(&stack, "Jobs", QueueProps::default()).unwrap();
    bucket.grant_write(&role).unwrap();
    let policy = role.default_policy().unwrap();
    edit(&stack, &policy);
    queue.grant_send_messages(&role).unwrap();
    let assembly = app.synth().unwrap();
    resource(&assembly, "service", &policy)["Properties"]["PolicyDocument"].clone()
}

fn only_from_vpc() -> Value {
    Value::map([("StringEquals", Value::map([("aws:SourceVpc", "vpc-0a1b2c3d")]))])
}

#[test]
fn an_override_survives_a_grant_that_re_renders_the_policy_while_update_resource_does_not() {
    let updated = policy_after_grants(|stack, policy| {
        stack
            .update_resource(policy, |r| {
                if let Some(Value::List(statements)) = r.properties.get_mut("PolicyDocument").and_then(|d| d.get_mut("Statement")) {
                    statements[0] = std::mem::replace(&mut statements[0], Value::Null).with("Condition", only_from_vpc());
                }
            })
            .unwrap();
    });
    // The second grant rewrote the document: the edit is gone.
    assert!(updated["Statement"][0].get("Condition").is_none(), "{updated}");

    let overridden = policy_after_grants(|stack, policy| {
        stack
            .add_override(policy, "Properties.PolicyDocument.Statement.0.Condition", only_from_vpc())
            .unwrap();
    });
    assert_eq!(
        overridden["Statement"][0]["Condition"],
        json!({ "StringEquals": { "aws:SourceVpc": "vpc-0a1b2c3d" } })
    );
    // Both grants are still there: the override changed one leaf, nothing else.
    assert_eq!(overridden["Statement"].as_array().unwrap().len(), 2);
    assert_eq!(overridden["Statement"][1]["Action"][0], json!("sqs:SendMessage"));
}

#[test]
fn a_deletion_override_removes_what_a_construct_wrote() {
    let (app, env) = env();
    let stack = env.stack("data").unwrap();
    let table = Table::new(&stack, "Orders", TableProps::default()).unwrap();
    let r = table.resource().unwrap().clone();
    stack
        .add_deletion_override(&r, "Properties.PointInTimeRecoverySpecification")
        .unwrap();
    stack.add_deletion_override(&r, "UpdateReplacePolicy").unwrap();
    stack.add_override(&r, "DeletionPolicy", "Snapshot").unwrap();
    let assembly = app.synth().unwrap();
    let entry = resource(&assembly, "data", &r);
    assert!(entry["Properties"].get("PointInTimeRecoverySpecification").is_none(), "{entry}");
    assert!(entry.get("UpdateReplacePolicy").is_none(), "{entry}");
    assert_eq!(entry["DeletionPolicy"], json!("Snapshot"));
    assert_eq!(entry["Properties"]["BillingMode"], json!("PAY_PER_REQUEST"));
}

#[test]
fn a_reference_to_another_stack_in_an_override_becomes_an_export_and_import() {
    let (app, env) = env();
    let data = env.stack("data").unwrap();
    let service = env.stack("service").unwrap();
    let queue = Queue::new(&data, "Jobs", QueueProps::default()).unwrap();
    let worker = role(&service);
    let other = Queue::new(&service, "Local", QueueProps::default()).unwrap();
    other.grant_consume_messages(&worker).unwrap();
    let policy = worker.default_policy().unwrap();
    service
        .add_override(&policy, "Properties.PolicyDocument.Statement.0.Resource", queue.arn())
        .unwrap();
    let assembly = app.synth().unwrap();
    let export = format!("t-dev-data:ExportsOutputFnGetAtt{}Arn", queue.resource().unwrap().logical_id);
    assert_eq!(
        resource(&assembly, "service", &policy)["Properties"]["PolicyDocument"]["Statement"][0]["Resource"],
        json!({ "Fn::ImportValue": export })
    );
    let data_template = &assembly.environments[0].stack("data").unwrap().template;
    let exported: Vec<&Json> = data_template["Outputs"]
        .as_object()
        .unwrap()
        .values()
        .map(|o| &o["Export"]["Name"])
        .collect();
    assert_eq!(exported, [&json!(export)]);
    assert_eq!(assembly.environments[0].stack("service").unwrap().depends_on, ["t-dev-data"]);
}

#[test]
fn every_resource_of_a_construct_is_reachable_and_an_unknown_one_is_an_error() {
    let (app, env) = env();
    let stack = env.stack("data").unwrap();
    let bucket = Bucket::new(&stack, "Uploads", BucketProps::default()).unwrap();
    let policy = bucket.resource_at("Policy").unwrap();
    assert_eq!(policy.resource_type, "AWS::S3::BucketPolicy");
    stack
        .add_override(&policy, "Properties.PolicyDocument.Statement.0.Sid", "TlsOnly")
        .unwrap();
    let assembly = app.synth().unwrap();
    assert_eq!(
        resource(&assembly, "data", &policy)["Properties"]["PolicyDocument"]["Statement"][0]["Sid"],
        json!("TlsOnly")
    );

    let e = bucket.resource_at("Polcy").unwrap_err();
    assert_eq!(e.path.as_deref(), Some("dev/data/Uploads"));
    assert_eq!(e.fix.as_deref(), Some("use one of: Resource, Policy"));
}

#[test]
fn an_override_that_walks_through_a_string_fails_synthesis_naming_construct_and_path() {
    let (app, env) = env();
    let stack = env.stack("data").unwrap();
    let table = Table::new(&stack, "Orders", TableProps::default()).unwrap();
    stack
        .add_override(table.resource().unwrap(), "Properties.BillingMode.Mode", "x")
        .unwrap();
    let e = app.synth().unwrap_err();
    let e = &e.0[0];
    assert_eq!(e.path.as_deref(), Some("dev/data/Orders/Resource"));
    assert_eq!(e.property.as_deref(), Some("Properties.BillingMode.Mode"));
    assert!(e.message.contains("`Properties.BillingMode` is a string"), "{e}");
    assert!(e.fix.is_some());
}

#[test]
fn the_policy_checks_see_the_overridden_template() {
    let (app, env) = env();
    let stack = env.stack("service").unwrap();
    let worker = role(&stack);
    let queue = Queue::new(&stack, "Jobs", QueueProps::default()).unwrap();
    queue.grant_send_messages(&worker).unwrap();
    let policy = worker.default_policy().unwrap();
    stack
        .add_override(&policy, "Properties.PolicyDocument.Statement.0.Action", "sqs:*")
        .unwrap();
    let assembly = app.synth().unwrap();
    let report = cairn_check::check_env(&assembly.environments[0]).unwrap();
    let star: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.rule == "IAM-NO-STAR-ACTIONS")
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(star, [policy.logical_id.as_str()]);
}
