//! Logical IDs, tags, byte-identical output, CloudFormation's limits, model-only synthesis.

use super::*;

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
            {"Key": "Application", "Value": "demo"},
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
        {"Key": "Application", "Value": "demo"},
        {"Key": "Environment", "Value": "staging"},
        {"Key": "ManagedBy", "Value": "cairn"},
        {"Key": "Team", "Value": "core"}
    ]);
    assert_eq!(t["Resources"]["Fn"]["Properties"]["Tags"], list);
    assert_eq!(t["Resources"]["Repo"]["Properties"]["Tags"], list);
    // SSM parameters take a map: the environment's tags merge into the resource's own.
    assert_eq!(
        t["Resources"]["Param"]["Properties"]["Tags"],
        json!({"Application": "demo", "Environment": "staging", "ManagedBy": "cairn", "Team": "override"})
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

#[test]
fn a_comparison_synthesis_of_some_resources_renders_just_those_and_no_outputs() {
    let build = |app: &App| {
        let env = app.environment(settings("dev")).unwrap();
        let data = env.stack("data").unwrap();
        let service = env.stack("service").unwrap();
        let q = queue(&data, "Queue");
        queue(&data, "Other");
        service
            .scope()
            .add_resource("Param", Resource::new("AWS::SSM::Parameter").prop("Value", q.get_att("Arn")))
            .unwrap();
    };
    let full = App::new("demo").unwrap();
    build(&full);
    let full = full.synth().unwrap();
    let data = template(&full, "dev", "demo-dev-data");
    let queue_id = data["Resources"]
        .as_object()
        .unwrap()
        .keys()
        .find(|id| id.starts_with("Queue"))
        .unwrap()
        .clone();
    let mut only = cairn_core::RenderOnly::new();
    only.entry("data".to_string()).or_default().insert(queue_id.clone());
    let some = App::for_comparison_of("demo", only).unwrap();
    build(&some);
    let some = some.synth_as(cairn_core::Render::ModelOnly).unwrap();
    let data_some = template(&some, "dev", "demo-dev-data");
    let resources = data_some["Resources"].as_object().unwrap();
    assert_eq!(resources.keys().collect::<Vec<_>>(), vec![&queue_id], "only the named resource");
    assert_eq!(
        resources[&queue_id], data["Resources"][&queue_id],
        "rendered as in the full synthesis"
    );
    assert!(
        data_some.get("Outputs").is_none(),
        "no outputs: exports need every resource rendered"
    );
    let service = template(&some, "dev", "demo-dev-service");
    assert!(service["Resources"].as_object().is_none_or(|r| r.is_empty()), "{service}");
}
