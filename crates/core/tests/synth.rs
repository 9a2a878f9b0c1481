//! Synthesis of the core model: intrinsics, cross-stack references, cycles,
//! environment boundaries, tags and CloudFormation's limits.

use cairn_core::template::limits;
use cairn_core::{App, EnvSettings, Environment, Errors, Lazy, Output, Resource, Stack, Value};
use serde_json::{json, Value as Json};

fn settings(name: &str) -> EnvSettings {
    EnvSettings {
        name: name.to_string(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        retain_data: false,
        require_approval: false,
        tags: [("Team".to_string(), "core".to_string())].into_iter().collect(),
    }
}

fn app_with_env(name: &str) -> (App, Environment) {
    let app = App::new("shop").unwrap();
    let env = app.environment(settings(name)).unwrap();
    (app, env)
}

fn queue(stack: &Stack, id: &str) -> cairn_core::ResourceRef {
    stack
        .scope()
        .child(id)
        .unwrap()
        .add_resource("Resource", Resource::new("AWS::SQS::Queue"))
        .unwrap()
}

fn template<'a>(assembly: &'a cairn_core::Assembly, env: &str, stack: &str) -> &'a Json {
    &assembly
        .environments
        .iter()
        .find(|e| e.name() == env)
        .unwrap()
        .stack(stack)
        .unwrap()
        .template
}

fn messages(e: Errors) -> String {
    e.to_string()
}

#[test]
fn intrinsics_serialize_to_cloudformation_json() {
    let (app, env) = app_with_env("dev");
    let stack = env.stack("main").unwrap();
    let q = queue(&stack, "Queue");
    let cond = Value::equals(Value::region(), "us-east-1");
    stack.add_condition("IsUsEast1", cond).unwrap();
    let r = Resource::new("AWS::SSM::Parameter")
        .prop("Ref", q.as_ref())
        .prop("GetAtt", q.get_att("Arn"))
        .prop("Sub", Value::sub("arn:${AWS::Partition}:s3:::x"))
        .prop("SubVars", Value::sub_with("${Q}/*", [("Q", q.get_att("Arn"))]))
        .prop("Join", Value::join("-", [Value::stack_name(), Value::str("x")]))
        .prop("Select", Value::az(1))
        .prop("Split", Value::split(",", Value::str("a,b")))
        .prop("Import", Value::import_value("other:Export"))
        .prop("If", Value::if_("IsUsEast1", Value::str("a"), Value::no_value()))
        .prop("Not", Value::not(Value::Condition("IsUsEast1".into())))
        .prop("And", Value::And(vec![Value::Condition("IsUsEast1".into()), Value::Bool(true)]))
        .prop("Or", Value::Or(vec![Value::Condition("IsUsEast1".into()), Value::Bool(false)]))
        .prop(
            "Pseudo",
            Value::list([Value::account_id(), Value::url_suffix(), Value::partition()]),
        )
        .prop("AzsOfRegion", Value::GetAzs(Some(Box::new(Value::region()))));
    let p = stack.scope().add_resource("Param", r).unwrap();
    let assembly = app.synth().unwrap();
    let props = &template(&assembly, "dev", "main")["Resources"][&p.logical_id]["Properties"];
    assert_eq!(props["Ref"], json!({"Ref": q.logical_id}));
    assert_eq!(props["GetAtt"], json!({"Fn::GetAtt": [q.logical_id, "Arn"]}));
    assert_eq!(props["Sub"], json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::x"}));
    assert_eq!(
        props["SubVars"],
        json!({"Fn::Sub": ["${Q}/*", {"Q": {"Fn::GetAtt": [q.logical_id, "Arn"]}}]})
    );
    assert_eq!(props["Join"], json!({"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "x"]]}));
    assert_eq!(props["Select"], json!({"Fn::Select": [1, {"Fn::GetAZs": ""}]}));
    assert_eq!(props["Split"], json!({"Fn::Split": [",", "a,b"]}));
    assert_eq!(props["Import"], json!({"Fn::ImportValue": "other:Export"}));
    assert_eq!(props["If"], json!({"Fn::If": ["IsUsEast1", "a", {"Ref": "AWS::NoValue"}]}));
    assert_eq!(props["Not"], json!({"Fn::Not": [{"Condition": "IsUsEast1"}]}));
    assert_eq!(props["And"], json!({"Fn::And": [{"Condition": "IsUsEast1"}, true]}));
    assert_eq!(props["Or"], json!({"Fn::Or": [{"Condition": "IsUsEast1"}, false]}));
    assert_eq!(
        props["Pseudo"],
        json!([{"Ref": "AWS::AccountId"}, {"Ref": "AWS::URLSuffix"}, {"Ref": "AWS::Partition"}])
    );
    assert_eq!(props["AzsOfRegion"], json!({"Fn::GetAZs": {"Ref": "AWS::Region"}}));
    let conditions = &template(&assembly, "dev", "main")["Conditions"];
    assert_eq!(
        conditions["IsUsEast1"],
        json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]})
    );
}

#[test]
fn references_to_missing_things_are_errors_not_broken_templates() {
    let (app, env) = app_with_env("dev");
    let stack = env.stack("main").unwrap();
    stack
        .scope()
        .add_resource(
            "Thing",
            Resource::new("AWS::SQS::Queue")
                .prop("A", Value::ref_logical_id("Nope"))
                .prop("B", Value::get_att_logical_id("Missing", "Arn"))
                .prop("C", Value::sub("${Ghost.Arn}"))
                .prop("D", Value::if_("NoSuchCondition", "a", "b")),
        )
        .unwrap();
    let err = messages(app.synth().unwrap_err());
    assert!(err.contains("dev/main/Thing: A: Ref to `Nope`"), "{err}");
    assert!(err.contains("dev/main/Thing: B: Fn::GetAtt to `Missing`"), "{err}");
    assert!(err.contains("${Ghost.Arn}"), "{err}");
    assert!(err.contains("condition `NoSuchCondition` is not defined"), "{err}");
}

#[test]
fn cross_stack_reference_becomes_export_and_import_with_a_dependency() {
    let (app, env) = app_with_env("prod");
    let data = env.stack("data").unwrap();
    let service = env.stack("service").unwrap();
    let q = queue(&data, "Jobs");
    service
        .scope()
        .add_resource(
            "Consumer",
            Resource::new("AWS::SSM::Parameter")
                .prop("Value", q.get_att("Arn"))
                .prop("Url", q.as_ref()),
        )
        .unwrap();
    let assembly = app.synth().unwrap();
    let env = &assembly.environments[0];
    assert_eq!(
        env.stacks.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["shop-prod-data", "shop-prod-service"]
    );
    assert_eq!(env.stack("service").unwrap().depends_on, ["shop-prod-data"]);
    let outputs = &env.stack("data").unwrap().template["Outputs"];
    let arn_export = format!("ExportsOutputFnGetAtt{}Arn", q.logical_id);
    assert_eq!(outputs[&arn_export]["Value"], json!({"Fn::GetAtt": [q.logical_id, "Arn"]}));
    assert_eq!(
        outputs[&arn_export]["Export"]["Name"],
        json!(format!("shop-prod-data:{arn_export}"))
    );
    let consumer = &env.stack("service").unwrap().template["Resources"]["Consumer"]["Properties"];
    assert_eq!(
        consumer["Value"],
        json!({"Fn::ImportValue": format!("shop-prod-data:{arn_export}")})
    );
    assert_eq!(
        consumer["Url"],
        json!({"Fn::ImportValue": format!("shop-prod-data:ExportsOutputRef{}", q.logical_id)})
    );
}

#[test]
fn stacks_deploy_in_dependency_order_not_creation_order() {
    let (app, env) = app_with_env("dev");
    let service = env.stack("service").unwrap();
    let data = env.stack("data").unwrap();
    let q = queue(&data, "Jobs");
    service
        .scope()
        .add_resource("Consumer", Resource::new("AWS::SSM::Parameter").prop("Value", q.get_att("Arn")))
        .unwrap();
    let assembly = app.synth().unwrap();
    let names: Vec<_> = assembly.environments[0].stacks.iter().map(|s| s.id.clone()).collect();
    assert_eq!(names, ["data", "service"]);
}

#[test]
fn a_cycle_between_stacks_is_an_error_that_names_it() {
    let (app, env) = app_with_env("dev");
    let a = env.stack("alpha").unwrap();
    let b = env.stack("beta").unwrap();
    let qa = queue(&a, "QA");
    let qb = queue(&b, "QB");
    a.scope()
        .add_resource("UsesB", Resource::new("AWS::SSM::Parameter").prop("Value", qb.get_att("Arn")))
        .unwrap();
    b.scope()
        .add_resource("UsesA", Resource::new("AWS::SSM::Parameter").prop("Value", qa.get_att("Arn")))
        .unwrap();
    let err = messages(app.synth().unwrap_err());
    assert!(err.contains("cycle"), "{err}");
    assert!(err.contains("shop-dev-alpha → shop-dev-beta → shop-dev-alpha"), "{err}");
    assert!(err.contains("dev/alpha/UsesB uses dev/beta/QB/Resource"), "{err}");
}

#[test]
fn references_across_environments_are_errors() {
    let app = App::new("shop").unwrap();
    let dev = app.environment(settings("dev")).unwrap();
    let prod = app.environment(settings("prod")).unwrap();
    let q = queue(&prod.stack("data").unwrap(), "Jobs");
    dev.stack("service")
        .unwrap()
        .scope()
        .add_resource("Consumer", Resource::new("AWS::SSM::Parameter").prop("Value", q.get_att("Arn")))
        .unwrap();
    let err = messages(app.synth().unwrap_err());
    assert!(
        err.contains("dev/service/Consumer: Value: refers to prod/data/Jobs/Resource, which belongs to environment `prod`"),
        "{err}"
    );
}

#[test]
fn duplicate_ids_and_colliding_logical_ids_name_both_paths() {
    let (_app, env) = app_with_env("dev");
    let stack = env.stack("main").unwrap();
    stack.scope().child("Jobs").unwrap();
    let err = stack.scope().child("Jobs").err().unwrap().to_string();
    assert!(
        err.contains("dev/main/Jobs") && err.contains("already a construct with id `Jobs`"),
        "{err}"
    );
    // `A-B` and `AB` both become the top-level logical ID `AB`.
    stack.scope().add_resource("A-B", Resource::new("AWS::SQS::Queue")).unwrap();
    let err = stack
        .scope()
        .add_resource("AB", Resource::new("AWS::SQS::Queue"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("dev/main/A-B") && err.contains("dev/main/AB"), "{err}");
    assert!(env.stack("main").is_err());
}

#[test]
fn logical_ids_do_not_depend_on_the_environment_or_unrelated_constructs() {
    let ids = |env_name: &str, extra: bool| {
        let (app, env) = app_with_env(env_name);
        let stack = env.stack("data").unwrap();
        if extra {
            queue(&stack, "Unrelated");
        }
        let q = queue(&stack, "Jobs");
        let _ = app;
        q.logical_id
    };
    assert_eq!(ids("dev", false), ids("prod", true));
    let id = ids("dev", false);
    assert!(
        id.starts_with("Jobs") && id.len() == 12 && id[4..].chars().all(|c| c.is_ascii_hexdigit()),
        "{id}"
    );
}

#[test]
fn tags_go_only_on_taggable_types_sorted_with_user_tags() {
    let (app, env) = app_with_env("staging");
    let stack = env.stack("main").unwrap();
    let q = stack
        .scope()
        .add_resource(
            "Q",
            Resource::new("AWS::SQS::Queue").prop("Tags", Value::list([Value::map([("Key", "Team"), ("Value", "override")])])),
        )
        .unwrap();
    let policy = stack
        .scope()
        .add_resource(
            "P",
            Resource::new("AWS::SQS::QueuePolicy").prop("Queues", Value::list([q.as_ref()])),
        )
        .unwrap();
    let assembly = app.synth().unwrap();
    let t = template(&assembly, "staging", "main");
    assert_eq!(
        t["Resources"]["Q"]["Properties"]["Tags"],
        json!([
            {"Key": "Application", "Value": "shop"},
            {"Key": "Environment", "Value": "staging"},
            {"Key": "ManagedBy", "Value": "cairn"},
            {"Key": "Team", "Value": "override"}
        ])
    );
    assert!(t["Resources"][&policy.logical_id]["Properties"].get("Tags").is_none());
}

#[test]
fn types_beyond_the_old_hand_kept_list_get_the_standard_tags_in_their_schemas_shape() {
    // Before the schemas were the list, only 44 types took tags: these got none.
    let (app, env) = app_with_env("staging");
    let stack = env.stack("main").unwrap();
    let scope = stack.scope();
    scope.add_resource("Fn", Resource::new("AWS::Lambda::Function")).unwrap();
    scope.add_resource("Repo", Resource::new("AWS::ECR::Repository")).unwrap();
    let param = Resource::new("AWS::SSM::Parameter").prop("Tags", Value::map([("Team", "override")]));
    scope.add_resource("Param", param).unwrap();
    scope.add_resource("Hook", Resource::new("Custom::Hook")).unwrap();
    let assembly = app.synth().unwrap();
    let t = template(&assembly, "staging", "main");
    let list = json!([
        {"Key": "Application", "Value": "shop"},
        {"Key": "Environment", "Value": "staging"},
        {"Key": "ManagedBy", "Value": "cairn"},
        {"Key": "Team", "Value": "core"}
    ]);
    assert_eq!(t["Resources"]["Fn"]["Properties"]["Tags"], list);
    assert_eq!(t["Resources"]["Repo"]["Properties"]["Tags"], list);
    // SSM parameters take a map: the environment's tags merge into the resource's own.
    assert_eq!(
        t["Resources"]["Param"]["Properties"]["Tags"],
        json!({"Application": "shop", "Environment": "staging", "ManagedBy": "cairn", "Team": "override"})
    );
    // A type outside the schemas gets none (it may not take a `Tags` property).
    assert!(t["Resources"]["Hook"].get("Properties").and_then(|p| p.get("Tags")).is_none());
}

#[test]
fn output_is_byte_identical_across_runs() {
    let build = || {
        let (app, env) = app_with_env("dev");
        let data = env.stack("data").unwrap();
        let service = env.stack("service").unwrap();
        for i in 0..20 {
            let q = queue(&data, &format!("Q{i}"));
            service
                .scope()
                .add_resource(&format!("U{i}"), Resource::new("AWS::SSM::Parameter").prop("V", q.get_att("Arn")))
                .unwrap();
        }
        app.synth().unwrap().environments[0]
            .stacks
            .iter()
            .map(|s| s.body.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(build(), build());
}

#[test]
fn resource_and_output_limits_are_enforced() {
    let (app, env) = app_with_env("dev");
    let stack = env.stack("big").unwrap();
    for i in 0..=limits::MAX_RESOURCES {
        queue(&stack, &format!("Q{i}"));
    }
    let err = messages(app.synth().unwrap_err());
    assert!(
        err.contains("dev/big: stack has 501 resources; CloudFormation allows at most 500"),
        "{err}"
    );

    let (app, env) = app_with_env("dev");
    let stack = env.stack("outs").unwrap();
    let q = queue(&stack, "Q");
    for i in 0..=limits::MAX_OUTPUTS {
        stack.add_output(&format!("O{i}"), Output::new(q.as_ref())).unwrap();
    }
    let err = messages(app.synth().unwrap_err());
    assert!(err.contains("stack has 201 outputs"), "{err}");
}

#[test]
fn large_templates_are_flagged_for_upload_and_huge_ones_rejected() {
    let (app, env) = app_with_env("dev");
    let stack = env.stack("large").unwrap();
    let blob = "x".repeat(4096);
    for i in 0..20 {
        stack
            .scope()
            .add_resource(&format!("P{i}"), Resource::new("AWS::SSM::Parameter").prop("Value", blob.as_str()))
            .unwrap();
    }
    let assembly = app.synth().unwrap();
    let s = &assembly.environments[0].stacks[0];
    assert!(s.body.len() > limits::MAX_INLINE_BODY_BYTES);
    assert!(s.needs_upload());

    let (app, env) = app_with_env("dev");
    let stack = env.stack("huge").unwrap();
    let blob = "x".repeat(10_000);
    for i in 0..110 {
        stack
            .scope()
            .add_resource(&format!("P{i}"), Resource::new("AWS::SSM::Parameter").prop("Value", blob.as_str()))
            .unwrap();
    }
    let err = messages(app.synth().unwrap_err());
    assert!(err.contains("CloudFormation accepts at most 1000000 bytes"), "{err}");
}

#[test]
fn invalid_names_are_rejected() {
    assert!(App::new("my app").is_err());
    let (app, _env) = app_with_env("dev");
    assert!(app.environment(settings("dev")).is_err(), "duplicate environment");
    assert!(app.environment(settings("9lives")).is_err());
    let (_app, env) = app_with_env("qa");
    assert!(env.stack("has space").is_err());
    let stack = env.stack("ok").unwrap();
    assert!(stack.add_output("bad-id", Output::new("x")).is_err());
    assert!(stack.scope().child("a/b").is_err());
}

#[test]
fn an_empty_stack_is_an_error() {
    let (app, env) = app_with_env("dev");
    env.stack("empty").unwrap();
    let err = messages(app.synth().unwrap_err());
    assert!(err.contains("dev/empty: stack has no resources"), "{err}");
}

#[test]
fn model_only_synthesis_gives_the_same_templates_without_file_text() {
    let (app, env) = app_with_env("dev");
    let data = env.stack("data").unwrap();
    let service = env.stack("service").unwrap();
    let q = queue(&data, "Queue");
    service
        .scope()
        .add_resource("Param", Resource::new("AWS::SSM::Parameter").prop("Value", q.get_att("Arn")))
        .unwrap();
    let files = app.synth().unwrap();
    let model = app.synth_as(cairn_core::Render::ModelOnly).unwrap();
    for (f, m) in files.environments[0].stacks.iter().zip(&model.environments[0].stacks) {
        assert_eq!(f.name, m.name);
        assert_eq!(f.template, m.template, "{}: the JSON must not depend on the render mode", f.name);
        assert_eq!(f.depends_on, m.depends_on);
        assert!(f.body.ends_with("}\n") && f.body.len() > 100);
        assert!(m.body.is_empty(), "{}: no file text in a model-only synthesis", m.name);
    }
    // The cross-stack export is there in both.
    assert!(model.environments[0].stacks[0].template["Outputs"]
        .as_object()
        .is_some_and(|o| !o.is_empty()));
}

/// The data stack and its service stack, the table's construct named `table_id`.
fn shop_with_table(table_id: &str, keep: impl Fn(&Stack)) -> (cairn_core::Assembly, cairn_core::ResourceRef) {
    let (app, env) = app_with_env("prod");
    let data = env.stack("data").unwrap();
    let service = env.stack("service").unwrap();
    keep(&data);
    let table = queue(&data, table_id);
    service
        .scope()
        .add_resource("Consumer", Resource::new("AWS::SSM::Parameter").prop("Value", table.get_att("Arn")))
        .unwrap();
    (app.synth().unwrap(), table)
}

#[test]
fn a_renamed_construct_keeps_its_logical_ids_and_exports_when_asked() {
    let (before, old) = shop_with_table("Orders", |_| {});
    let (renamed, new) = shop_with_table("OrdersTable", |_| {});
    assert_ne!(old.logical_id, new.logical_id, "a rename changes the logical ID");

    let (kept, table) = shop_with_table("OrdersTable", |data| data.keep_logical_ids("OrdersTable", "Orders").unwrap());
    assert_eq!(table.logical_id, old.logical_id);
    assert_eq!(table.path, "OrdersTable/Resource", "the construct path is the new one");
    let exports = |a: &cairn_core::Assembly| template(a, "prod", "data")["Outputs"].clone();
    assert_eq!(exports(&kept), exports(&before), "the service's import still resolves");
    assert_ne!(exports(&renamed), exports(&before));
    assert_eq!(
        template(&kept, "prod", "data")["Resources"][&old.logical_id]["Metadata"]["cairn:path"],
        json!("data/OrdersTable/Resource")
    );

    let (exact, table) = shop_with_table("OrdersTable", |data| {
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
    let export = format!("shop-prod-data:ExportsOutputFnGetAtt{}Arn", q.logical_id);
    assert_eq!(
        env.stack("service").unwrap().template["Resources"]["Consumer"]["Properties"]["Value"],
        json!({ "Fn::ImportValue": export })
    );
    let outputs = &env.stack("data").unwrap().template["Outputs"];
    assert_eq!(
        outputs[format!("ExportsOutputFnGetAtt{}Arn", q.logical_id)]["Export"]["Name"],
        json!(export)
    );
    assert_eq!(env.stack("service").unwrap().depends_on, ["shop-prod-data"]);
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
    let arn_export = format!("shop-prod-data:ExportsOutputFnGetAtt{}Arn", q.logical_id);
    assert_eq!(
        prod.stack("service").unwrap().template["Resources"]["Consumer"]["Properties"]["Value"],
        json!(["first", {"Fn::ImportValue": arn_export}])
    );
    assert_eq!(prod.stack("service").unwrap().depends_on, ["shop-prod-data"]);
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
