//! Kept logical IDs, overrides applied at synthesis, lazy values.

use super::*;

#[test]
fn a_renamed_construct_keeps_its_logical_ids_and_exports_when_asked() {
    let (before, old) = data_and_service_with_table("Orders", |_| {});
    let (renamed, new) = data_and_service_with_table("OrdersTable", |_| {});
    assert_ne!(old.logical_id, new.logical_id, "a rename changes the logical ID");

    let (kept, table) = data_and_service_with_table("OrdersTable", |data| data.keep_logical_ids("OrdersTable", "Orders").unwrap());
    assert_eq!(table.logical_id, old.logical_id);
    assert_eq!(table.path, "OrdersTable/Resource", "the construct path is the new one");
    let exports = |a: &cairn_core::Assembly| template(a, "prod", "data")["Outputs"].clone();
    assert_eq!(exports(&kept), exports(&before), "the service's import still resolves");
    assert_ne!(exports(&renamed), exports(&before));
    assert_eq!(
        template(&kept, "prod", "data")["Resources"][&old.logical_id]["Metadata"]["cairn:path"],
        json!("data/OrdersTable/Resource")
    );

    let (exact, table) = data_and_service_with_table("OrdersTable", |data| {
        data.override_logical_id("OrdersTable/Resource", &old.logical_id).unwrap()
    });
    assert_eq!(table.logical_id, old.logical_id);
    assert_eq!(exports(&exact), exports(&before));
}

#[test]
fn logical_id_overrides_are_checked() {
    let (app, env) = app_with_env("prod");
    let data = env.stack("data").unwrap();
    let e = data.override_logical_id("Orders/Resource", "not-valid!").unwrap_err();
    assert!(e.to_string().contains("`not-valid!` is not a valid logical ID"), "{e}");
    queue(&data, "Orders");
    let e = data.keep_logical_ids("Orders", "OldOrders").unwrap_err();
    assert!(
        e.to_string().contains("prod/data/Orders") && e.to_string().contains("before creating the construct"),
        "{e}"
    );
    data.keep_logical_ids("Jobs", "OldJobs").unwrap();
    data.override_logical_id("Typo/Resource", "Jobs1").unwrap();
    let e = data.override_logical_id("Jobs", "Jobs1").unwrap_err();
    assert!(e.to_string().contains("overridden twice"), "{e}");
    // Keeping the ID of a construct that still exists is a clash naming both.
    data.keep_logical_ids("Orders2", "Orders").unwrap();
    let clash = data
        .scope()
        .child("Orders2")
        .unwrap()
        .add_resource("Resource", Resource::new("AWS::SQS::Queue"));
    let Err(e) = clash else { panic!("a clash") };
    assert!(
        e.to_string()
            .contains("would be used by both prod/data/Orders/Resource and prod/data/Orders2/Resource"),
        "{e}"
    );
    // An override for a path no construct took is a typo: synthesis says which.
    let Err(e) = app.synth() else {
        panic!("overrides that matched nothing")
    };
    let text = messages(e);
    assert!(
        text.contains("prod/data/Typo/Resource") && text.contains("prod/data/Jobs"),
        "{text}"
    );
    assert!(text.contains("overridden or kept for a construct that does not exist"), "{text}");
}

#[test]
fn overrides_set_nested_properties_and_delete_entries_at_synthesis() {
    let (app, env) = app_with_env("dev");
    let stack = env.stack("main").unwrap();
    let q = stack
        .scope()
        .add_resource(
            "Jobs",
            Resource::new("AWS::SQS::Queue")
                .prop("VisibilityTimeout", 30)
                .prop("RedrivePolicy", Value::map([("maxReceiveCount", 5)]))
                .removal_policy(cairn_core::RemovalPolicy::Retain),
        )
        .unwrap();
    stack.add_override(&q, "Properties.RedrivePolicy.maxReceiveCount", 9).unwrap();
    stack.add_property_override(&q, "New.Deep\\.Key", "x").unwrap();
    stack.add_override(&q, "Metadata.Owner", "team-a").unwrap();
    stack.add_deletion_override(&q, "DeletionPolicy").unwrap();
    stack.add_property_deletion_override(&q, "VisibilityTimeout").unwrap();
    // Edits after the override do not undo it: overrides apply last.
    stack
        .update_resource(&q, |r| {
            r.properties.insert("RedrivePolicy".into(), Value::map([("maxReceiveCount", 1)]));
        })
        .unwrap();
    let assembly = app.synth().unwrap();
    let entry = &template(&assembly, "dev", "main")["Resources"]["Jobs"];
    assert_eq!(entry["Properties"]["RedrivePolicy"], json!({ "maxReceiveCount": 9 }));
    assert_eq!(entry["Properties"]["New"], json!({ "Deep.Key": "x" }));
    assert!(entry["Properties"].get("VisibilityTimeout").is_none(), "{entry}");
    assert!(entry.get("DeletionPolicy").is_none(), "{entry}");
    assert_eq!(entry["UpdateReplacePolicy"], json!("Retain"));
    assert_eq!(entry["Metadata"], json!({ "cairn:path": "main/Jobs", "Owner": "team-a" }));
}

#[test]
fn a_reference_in_an_override_becomes_an_export_and_import() {
    let (app, env) = app_with_env("prod");
    let data = env.stack("data").unwrap();
    let service = env.stack("service").unwrap();
    let q = queue(&data, "Jobs");
    let consumer = service
        .scope()
        .add_resource("Consumer", Resource::new("AWS::SSM::Parameter").prop("Value", "placeholder"))
        .unwrap();
    service.add_property_override(&consumer, "Value", q.get_att("Arn")).unwrap();
    let assembly = app.synth().unwrap();
    let env = &assembly.environments[0];
    let export = format!("demo-prod-data:ExportsOutputFnGetAtt{}Arn", q.logical_id);
    assert_eq!(
        env.stack("service").unwrap().template["Resources"]["Consumer"]["Properties"]["Value"],
        json!({ "Fn::ImportValue": export })
    );
    let outputs = &env.stack("data").unwrap().template["Outputs"];
    assert_eq!(
        outputs[format!("ExportsOutputFnGetAtt{}Arn", q.logical_id)]["Export"]["Name"],
        json!(export)
    );
    assert_eq!(env.stack("service").unwrap().depends_on, ["demo-prod-data"]);
}

#[test]
fn bad_overrides_are_errors_naming_the_resource_and_the_path() {
    let (app, env) = app_with_env("dev");
    let stack = env.stack("main").unwrap();
    let q = queue(&stack, "Jobs");
    let empty = stack.add_override(&q, "Properties..Name", 1).unwrap_err();
    assert_eq!(empty.path.as_deref(), Some("dev/main/Jobs/Resource"));
    assert_eq!(empty.property.as_deref(), Some("Properties..Name"));
    assert!(empty.message.contains("empty segment"), "{empty}");
    assert!(empty.fix.is_some());
    let top = stack.add_override(&q, "Propertes.Name", 1).unwrap_err();
    assert!(top.message.contains("not a key of a resource entry"), "{top}");

    // A resource of another app is no resource of this one.
    let (_, other_env) = app_with_env("dev");
    let other_stack = other_env.stack("main").unwrap();
    let other = queue(&other_stack, "Elsewhere");
    let missing = stack.add_override(&other, "Properties.X", 1).unwrap_err();
    assert!(missing.message.contains("no resource `Elsewhere/Resource`"), "{missing}");

    stack.add_property_override(&q, "QueueName", "jobs").unwrap();
    stack.add_property_override(&q, "QueueName.Deeper", 1).unwrap();
    stack
        .add_override(&q, "Properties.Missing.Deeper", Value::ref_logical_id("Nope"))
        .unwrap();
    let err = messages(app.synth().unwrap_err());
    assert!(
        err.contains("dev/main/Jobs/Resource: Properties.QueueName.Deeper: override cannot be applied: `Properties.QueueName` is a string, not a map or list"),
        "{err}"
    );
    // The value is checked like any property: a Ref to nothing fails.
    assert!(err.contains("Properties.Missing.Deeper: Ref to `Nope`"), "{err}");
}

#[test]
fn a_lazy_value_renders_the_final_state_and_its_references_cross_stacks() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let (app, env) = app_with_env("prod");
    let data = env.stack("data").unwrap();
    let service = env.stack("service").unwrap();
    let names: Rc<RefCell<Vec<Value>>> = Rc::default();
    let seen = names.clone();
    service
        .scope()
        .add_resource(
            "Consumer",
            Resource::new("AWS::SSM::Parameter").prop("Value", Lazy::new(move || Ok(Value::list(seen.borrow().clone())))),
        )
        .unwrap();
    // Added after the resource: a rendered-once property would miss both.
    names.borrow_mut().push(Value::str("first"));
    let q = queue(&data, "Jobs");
    names.borrow_mut().push(q.get_att("Arn"));
    let assembly = app.synth().unwrap();
    let prod = &assembly.environments[0];
    let arn_export = format!("demo-prod-data:ExportsOutputFnGetAtt{}Arn", q.logical_id);
    assert_eq!(
        prod.stack("service").unwrap().template["Resources"]["Consumer"]["Properties"]["Value"],
        json!(["first", {"Fn::ImportValue": arn_export}])
    );
    assert_eq!(prod.stack("service").unwrap().depends_on, ["demo-prod-data"]);
}

#[test]
fn a_lazy_value_that_fails_fails_synthesis_naming_the_construct_and_property() {
    let (app, env) = app_with_env("dev");
    let stack = env.stack("data").unwrap();
    stack
        .scope()
        .child("Settings")
        .unwrap()
        .add_resource(
            "Resource",
            Resource::new("AWS::SSM::Parameter").prop("Value", Lazy::new(|| Err(cairn_core::Error::new("no value yet").fix("set one")))),
        )
        .unwrap();
    let err = messages(app.synth().unwrap_err());
    assert!(err.contains("dev/data/Settings/Resource"), "{err}");
    assert!(err.contains("Value"), "{err}");
    assert!(err.contains("no value yet"), "{err}");
}
