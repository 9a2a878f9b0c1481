//! Comparison syntheses against a baseline (parity's re-syntheses of the reference): a
//! resource built exactly as in the baseline is listed as unchanged and not rendered;
//! one whose model, or whatever its rendering reads of the tree, differs is rendered.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use cairn_core::{Error, ModelForms, Render, RenderOnly};

use super::*;

/// The logical IDs of one build, by construct id.
struct Built {
    ids: BTreeMap<&'static str, String>,
}

/// A data stack with the `Jobs` queue (its retention from `retention`), a `Dlq` queue
/// only `with_dlq`, a policy naming both (the dead-letter queue by logical ID), two queues
/// whose names are computed at synthesis (one of them from `retention`); a service stack
/// importing the Jobs queue's ARN.
fn build(env: &Environment, retention: f64, with_dlq: bool) -> Built {
    let data = env.stack("data").unwrap();
    let service = env.stack("service").unwrap();
    let mut ids = BTreeMap::new();
    let jobs = data
        .scope()
        .child("Jobs")
        .unwrap()
        .add_resource(
            "Resource",
            Resource::new("AWS::SQS::Queue").prop("MessageRetentionPeriod", retention),
        )
        .unwrap();
    ids.insert("Jobs", jobs.logical_id.clone());
    let dlq_id = if with_dlq {
        let dlq = queue(&data, "Dlq");
        ids.insert("Dlq", dlq.logical_id.clone());
        dlq.logical_id
    } else {
        "DlqResourceGone".to_string()
    };
    let policy = data
        .scope()
        .child("Policy")
        .unwrap()
        .add_resource(
            "Resource",
            Resource::new("AWS::SQS::QueuePolicy")
                .prop(
                    "Queues",
                    Value::List(vec![jobs.as_ref(), Value::get_att_logical_id(dlq_id, "QueueUrl")]),
                )
                .prop("PolicyDocument", json!({"Version": "2012-10-17", "Statement": []})),
        )
        .unwrap();
    ids.insert("Policy", policy.logical_id);
    let named = data
        .scope()
        .child("Named")
        .unwrap()
        .add_resource(
            "Resource",
            Resource::new("AWS::SQS::Queue").prop("QueueName", Lazy::new(|| Ok(Value::from("computed-late")))),
        )
        .unwrap();
    ids.insert("Named", named.logical_id);
    // A lazy value that follows the configuration.
    let late = data
        .scope()
        .child("Late")
        .unwrap()
        .add_resource(
            "Resource",
            Resource::new("AWS::SQS::Queue").prop("QueueName", Lazy::new(move || Ok(Value::from(format!("late-{retention}"))))),
        )
        .unwrap();
    ids.insert("Late", late.logical_id);
    let consumer = service
        .scope()
        .child("Consumer")
        .unwrap()
        .add_resource(
            "Resource",
            Resource::new("AWS::SNS::Topic").prop("DisplayName", jobs.get_att("Arn")),
        )
        .unwrap();
    ids.insert("Consumer", consumer.logical_id);
    Built { ids }
}

/// Every resource of `built`, per stack.
fn everything(built: &Built) -> RenderOnly {
    let mut only = RenderOnly::new();
    for (construct, id) in &built.ids {
        let stack = if *construct == "Consumer" { "service" } else { "data" };
        only.entry(stack.to_string()).or_default().insert(id.clone());
    }
    only
}

fn baseline(retention: f64, with_dlq: bool) -> (Arc<ModelForms>, Built) {
    let probe = App::new("demo").unwrap();
    let built = build(&probe.environment(settings("prod")).unwrap(), retention, with_dlq);
    let app = App::for_comparison_of("demo", everything(&built)).unwrap();
    build(&app.environment(settings("prod")).unwrap(), retention, with_dlq);
    let forms = app.model_forms();
    (Arc::new(forms), built)
}

#[test]
fn only_the_resources_built_differently_are_rendered() {
    let (forms, built) = baseline(345_600.0, true);
    // A lazy value's form is the form of what it gives: every resource has one.
    assert_eq!(forms.len(), built.ids.len());
    let app = App::for_comparison_with("demo", everything(&built), forms).unwrap();
    build(&app.environment(settings("prod")).unwrap(), 1_209_600.0, true);
    let assembly = app.synth_as(Render::ModelOnly).unwrap();

    let unchanged: BTreeSet<(String, String)> = app.unchanged().into_iter().collect();
    // The lazy value that gives what it gave in the reference is not rendered again.
    let expected: BTreeSet<(String, String)> = ["Dlq", "Policy", "Consumer", "Named"]
        .iter()
        .map(|c| {
            let stack = if *c == "Consumer" { "service" } else { "data" };
            (stack.to_string(), built.ids[c].clone())
        })
        .collect();
    assert_eq!(unchanged, expected);
    let data = template(&assembly, "prod", "data")["Resources"].as_object().unwrap().clone();
    let rendered: BTreeSet<&str> = data.keys().map(String::as_str).collect();
    assert_eq!(rendered, BTreeSet::from([built.ids["Jobs"].as_str(), built.ids["Late"].as_str()]));
    assert_eq!(data[&built.ids["Jobs"]]["Properties"]["MessageRetentionPeriod"], json!(1_209_600.0));
    assert_eq!(data[&built.ids["Late"]]["Properties"]["QueueName"], json!("late-1209600"));
    // The unrendered consumer still makes the service stack depend on the data stack.
    let order: Vec<&str> = assembly.environments[0].stacks.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(order, ["data", "service"]);
    // A second synthesis of the same tree lists what it found, not both syntheses' findings.
    app.synth_as(Render::ModelOnly).unwrap();
    assert_eq!(app.unchanged().len(), expected.len());
}

#[test]
fn a_resource_whose_reference_is_gone_is_rendered_and_its_error_reported() {
    let (forms, built) = baseline(345_600.0, true);
    let app = App::for_comparison_with("demo", everything(&built), forms).unwrap();
    // Same policy model, but the queue it names by logical ID no longer exists.
    build(&app.environment(settings("prod")).unwrap(), 345_600.0, false);
    let errors = messages(app.synth_as(Render::ModelOnly).unwrap_err());
    assert!(errors.contains("DlqResourceGone"), "{errors}");
}

#[test]
fn other_tags_render_every_resource() {
    let (forms, built) = baseline(345_600.0, true);
    let app = App::for_comparison_with("demo", everything(&built), forms).unwrap();
    let mut other = settings("prod");
    other.tags.insert("Team".into(), "another".into());
    build(&app.environment(other).unwrap(), 345_600.0, true);
    app.synth_as(Render::ModelOnly).unwrap();
    assert!(app.unchanged().is_empty(), "{:?}", app.unchanged());
}

#[test]
fn a_lazy_value_that_fails_has_no_form_and_is_rendered_to_report_it() {
    let build_failing = |env: &Environment| {
        env.stack("data")
            .unwrap()
            .scope()
            .child("Broken")
            .unwrap()
            .add_resource(
                "Resource",
                Resource::new("AWS::SQS::Queue").prop("QueueName", Lazy::new(|| Err(Error::new("no name yet")))),
            )
            .unwrap()
    };
    let probe = App::new("demo").unwrap();
    let id = build_failing(&probe.environment(settings("prod")).unwrap()).logical_id;
    let only = RenderOnly::from([("data".to_string(), BTreeSet::from([id]))]);
    let reference = App::for_comparison_of("demo", only.clone()).unwrap();
    build_failing(&reference.environment(settings("prod")).unwrap());
    let forms = reference.model_forms();
    assert!(forms.is_empty());
    let again = App::for_comparison_with("demo", only, Arc::new(forms)).unwrap();
    build_failing(&again.environment(settings("prod")).unwrap());
    let errors = messages(again.synth_as(Render::ModelOnly).unwrap_err());
    assert!(errors.contains("no name yet"), "{errors}");
}
