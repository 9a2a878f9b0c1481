//! Intrinsics, references within and across stacks, deploy order, cycles, duplicate ids.

use super::*;

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
fn only_the_unknown_names_of_a_sub_template_are_errors() {
    let (app, env) = app_with_env("dev");
    let stack = env.stack("main").unwrap();
    let q = queue(&stack, "Jobs");
    let known = format!(
        "$ $x $${{AWS::Region}} ${{!Literal}} ${{AWS::AccountId}} ${{{id}}} ${{{id}.Arn}} ${{Var}}$",
        id = q.logical_id
    );
    stack
        .scope()
        .add_resource(
            "Known",
            Resource::new("AWS::SSM::Parameter").prop("Value", Value::sub_with(known, [("Var", Value::from("v"))])),
        )
        .unwrap();
    assert!(app.synth().is_ok(), "every name is known, `$` alone and `${{!…}}` are text");
    stack
        .scope()
        .add_resource(
            "Unknown",
            Resource::new("AWS::SSM::Parameter").prop("Value", Value::sub("$${First} $${{Second}} ${Third.Arn} ${unterminated")),
        )
        .unwrap();
    let err = messages(app.synth().unwrap_err());
    for name in ["${First}", "${{Second}", "${Third.Arn}"] {
        assert!(err.contains(&format!("`{name}`")), "{name} is reported: {err}");
    }
    assert!(!err.contains("unterminated"), "an unterminated `${{` is text: {err}");
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
        ["demo-prod-data", "demo-prod-service"]
    );
    assert_eq!(env.stack("service").unwrap().depends_on, ["demo-prod-data"]);
    let outputs = &env.stack("data").unwrap().template["Outputs"];
    let arn_export = format!("ExportsOutputFnGetAtt{}Arn", q.logical_id);
    assert_eq!(outputs[&arn_export]["Value"], json!({"Fn::GetAtt": [q.logical_id, "Arn"]}));
    assert_eq!(
        outputs[&arn_export]["Export"]["Name"],
        json!(format!("demo-prod-data:{arn_export}"))
    );
    let consumer = &env.stack("service").unwrap().template["Resources"]["Consumer"]["Properties"];
    assert_eq!(
        consumer["Value"],
        json!({"Fn::ImportValue": format!("demo-prod-data:{arn_export}")})
    );
    assert_eq!(
        consumer["Url"],
        json!({"Fn::ImportValue": format!("demo-prod-data:ExportsOutputRef{}", q.logical_id)})
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
    assert!(err.contains("demo-dev-alpha → demo-dev-beta → demo-dev-alpha"), "{err}");
    assert!(err.contains("dev/alpha/UsesB uses dev/beta/QB/Resource"), "{err}");
}

#[test]
fn references_across_environments_are_errors() {
    let app = App::new("demo").unwrap();
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
