//! The generated layer on cairn's model: typed props synthesize to the template,
//! references cross stacks, and literals are checked against the schema.

use cairn_cfn::lambda::{function, CfnFunction, CfnFunctionProps};
use cairn_cfn::sqs::{CfnQueue, CfnQueuePolicy, CfnQueuePolicyProps, CfnQueueProps};
use cairn_cfn::Val;
use cairn_core::{App, EnvSettings, Stack, Value};
use serde_json::json;

/// An app with one environment and the stacks `jobs` and `workers` (a stack needs a
/// resource to synthesize, so `workers` is made only when asked).
fn stacks() -> (App, Stack, Stack) {
    let (app, jobs) = one_stack();
    let env = app.environments().remove(0);
    let workers = env.stack("workers").unwrap();
    (app, jobs, workers)
}

fn one_stack() -> (App, Stack) {
    let app = App::new("demo").unwrap();
    let env = app
        .environment(EnvSettings {
            name: "dev".into(),
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            retain_data: false,
            require_approval: false,
            tags: Default::default(),
        })
        .unwrap();
    let jobs = env.stack("jobs").unwrap();
    (app, jobs)
}

fn resource(app: &App, stack: &str, id: &str) -> serde_json::Value {
    let assembly = app.synth().unwrap_or_else(|e| panic!("synth failed: {e}"));
    let stack = assembly.environments[0].stack(stack).unwrap();
    stack.template["Resources"][id].clone()
}

#[test]
fn typed_props_synthesize_in_alphabetical_order_with_standard_tags() {
    let (app, jobs) = one_stack();
    CfnQueue::new(
        jobs.scope(),
        "Jobs",
        CfnQueueProps {
            visibility_timeout: Some(120.into()),
            delay_seconds: Some(5.into()),
            sqs_managed_sse_enabled: Some(true.into()),
            ..Default::default()
        },
    )
    .unwrap();
    let r = resource(&app, "jobs", "Jobs");
    assert_eq!(r["Type"], "AWS::SQS::Queue");
    let keys: Vec<&String> = r["Properties"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["DelaySeconds", "SqsManagedSseEnabled", "VisibilityTimeout", "Tags"]);
    assert_eq!(r["Properties"]["VisibilityTimeout"], 120);
    assert_eq!(r["Properties"]["Tags"][0], json!({"Key": "Application", "Value": "demo"}));
}

#[test]
fn attributes_and_refs_cross_stacks_as_exports() {
    let (app, jobs, workers) = stacks();
    let queue = CfnQueue::new(jobs.scope(), "Jobs", CfnQueueProps::default()).unwrap();
    CfnQueuePolicy::new(
        workers.scope(),
        "Policy",
        CfnQueuePolicyProps::new(json!({"Version": "2012-10-17", "Statement": []}), vec![queue.queue_url()]),
    )
    .unwrap();
    let r = resource(&app, "workers", "Policy");
    let import = &r["Properties"]["Queues"][0]["Fn::ImportValue"];
    assert!(import.as_str().unwrap().starts_with("demo-dev-jobs:ExportsOutput"), "{r}");
    assert_eq!(queue.arn(), queue.resource_ref().get_att("Arn"));
}

#[test]
fn required_properties_and_enums_are_typed() {
    let (app, jobs) = one_stack();
    let role = Value::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/worker");
    let code = function::Code {
        zip_file: Some("def handler(event, context): pass".into()),
        ..Default::default()
    };
    CfnFunction::new(
        jobs.scope(),
        "Worker",
        CfnFunctionProps {
            runtime: Some(function::Runtime::Python312.into()),
            handler: Some("index.handler".into()),
            ..CfnFunctionProps::new(code, role)
        },
    )
    .unwrap();
    let r = resource(&app, "jobs", "Worker");
    assert_eq!(r["Properties"]["Runtime"], "python3.12");
    assert_eq!(r["Properties"]["Code"], json!({"ZipFile": "def handler(event, context): pass"}));
}

#[test]
fn an_invalid_enum_literal_fails_naming_the_construct_path_and_property() {
    let (_app, jobs) = one_stack();
    let code = function::Code {
        zip_file: Some("x".into()),
        ..Default::default()
    };
    let err = CfnFunction::new(
        jobs.scope(),
        "Worker",
        CfnFunctionProps {
            runtime: Some(Value::str("python2.0").into()),
            ..CfnFunctionProps::new(code, "arn:aws:iam::111111111111:role/worker")
        },
    )
    .unwrap_err();
    assert_eq!(err.path.as_deref(), Some("dev/jobs/Worker"));
    assert_eq!(err.property.as_deref(), Some("Runtime"));
    assert!(err.message.contains("`python2.0` is not an allowed value"), "{err}");
    assert!(err.fix.as_deref().unwrap().contains("python3.12"), "{err}");
}

#[test]
fn range_length_and_pattern_are_checked_in_nested_properties() {
    let (_app, jobs) = one_stack();
    let err = CfnQueue::new(
        jobs.scope(),
        "Slow",
        CfnQueueProps {
            visibility_timeout: Some(50_000.into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.property.as_deref(), Some("VisibilityTimeout"));
    assert!(err.fix.as_deref().unwrap().contains("from 0 to 43200"), "{err}");

    let tag = cairn_cfn::sqs::queue::Tag::new("", "v");
    let err = CfnQueue::new(
        jobs.scope(),
        "Tagged",
        CfnQueueProps {
            tags: Some(vec![tag].into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(err.property.as_deref(), Some("Tags[0].Key"));
    assert!(err.message.contains("shorter than 1"), "{err}");

    let err = CfnQueue::new(
        jobs.scope(),
        "Bad",
        CfnQueueProps {
            tags: Some(Val::from(Value::from(json!([{"Key": "a\u{7}b", "Value": "v"}])))),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(err.message.contains("does not match the pattern"), "{err}");
}

#[test]
fn intrinsics_pass_unchecked_and_unknown_keys_in_untyped_values_are_refused() {
    let (_app, jobs) = one_stack();
    let with_intrinsics = CfnQueue::new(
        jobs.scope(),
        "Param",
        CfnQueueProps {
            visibility_timeout: Some(Value::if_("Long", 50_000, Value::no_value()).into()),
            queue_name: Some(Value::sub("${AWS::StackName}-jobs").into()),
            ..Default::default()
        },
    );
    assert!(with_intrinsics.is_ok());
    let code: Val<function::Code> = Value::from(json!({"ZipFil": "x"})).into();
    let err = CfnFunction::new(
        jobs.scope(),
        "Typo",
        CfnFunctionProps::new(code, "arn:aws:iam::111111111111:role/r"),
    )
    .unwrap_err();
    assert_eq!(err.property.as_deref(), Some("Code.ZipFil"));
    assert!(err.fix.as_deref().unwrap().contains("ZipFile"), "{err}");
}

#[test]
fn typed_edits_after_creation_are_checked() {
    let (app, jobs) = one_stack();
    let queue = CfnQueue::new(jobs.scope(), "Jobs", CfnQueueProps::default()).unwrap();
    queue.set(CfnQueue::MESSAGE_RETENTION_PERIOD, 600).unwrap();
    let err = queue.set(CfnQueue::MESSAGE_RETENTION_PERIOD, 1).unwrap_err();
    assert_eq!(err.path.as_deref(), Some("dev/jobs/Jobs"));
    assert_eq!(resource(&app, "jobs", "Jobs")["Properties"]["MessageRetentionPeriod"], 600);
}

#[test]
fn an_override_wins_over_a_later_edit_and_is_typed_when_asked() {
    let (app, jobs) = one_stack();
    let queue = CfnQueue::new(jobs.scope(), "Jobs", CfnQueueProps::default()).unwrap();
    queue.override_prop(CfnQueue::VISIBILITY_TIMEOUT, 90).unwrap();
    queue.add_property_override("RedrivePolicy.maxReceiveCount", 3).unwrap();
    // A construct re-rendering the property after the override does not undo it.
    queue.set(CfnQueue::VISIBILITY_TIMEOUT, 30).unwrap();
    let props = &resource(&app, "jobs", "Jobs")["Properties"];
    assert_eq!(props["VisibilityTimeout"], 90);
    assert_eq!(props["RedrivePolicy"], json!({"maxReceiveCount": 3}));
    let err = queue.override_prop(CfnQueue::VISIBILITY_TIMEOUT, -1).unwrap_err();
    assert_eq!(err.property.as_deref(), Some("VisibilityTimeout"));
}

#[test]
fn an_edit_by_name_of_a_property_the_type_does_not_have_is_refused() {
    let (_app, jobs) = one_stack();
    let queue = CfnQueue::new(&jobs, "Jobs", CfnQueueProps::default()).unwrap();
    let err = queue.set_property("RepositoryName", Value::str("images")).unwrap_err();
    assert_eq!(err.property.as_deref(), Some("RepositoryName"));
    assert!(err.message.contains("AWS::SQS::Queue has no property `RepositoryName`"), "{err}");
    let err = queue.override_property("VisibilityTimout", Value::from(5)).unwrap_err();
    assert!(err.fix.as_deref().unwrap().contains("VisibilityTimeout"), "{err}");
}

#[test]
fn a_tree_built_for_comparison_skips_the_literal_checks_its_environments_ran() {
    // Parity re-synthesizes an environment once per knob only to compare the results;
    // those trees skip the checks (the environments' own syntheses ran them).
    let env = || EnvSettings {
        name: "dev".into(),
        account: "111111111111".into(),
        region: "eu-west-1".into(),
        retain_data: false,
        require_approval: false,
        tags: Default::default(),
    };
    for (app, checked) in [(App::new("demo").unwrap(), true), (App::for_comparison("demo").unwrap(), false)] {
        let jobs = app.environment(env()).unwrap().stack("jobs").unwrap();
        assert_eq!(jobs.scope().checks_literals(), checked);
        let created = CfnQueue::new(
            jobs.scope(),
            "Jobs",
            CfnQueueProps {
                message_retention_period: Some(1.into()),
                ..Default::default()
            },
        );
        assert_eq!(created.is_ok(), !checked, "{created:?}");
    }
}

#[test]
fn a_lazy_value_is_checked_against_the_schema_when_synthesis_computes_it() {
    use std::cell::Cell;
    use std::rc::Rc;
    let (app, jobs) = one_stack();
    let seconds = Rc::new(Cell::new(60));
    let read = seconds.clone();
    let queue = CfnQueue::new(jobs.scope(), "Jobs", CfnQueueProps::default()).unwrap();
    queue.set_lazy(CfnQueue::MESSAGE_RETENTION_PERIOD, move || read.get()).unwrap();
    seconds.set(120);
    assert_eq!(resource(&app, "jobs", "Jobs")["Properties"]["MessageRetentionPeriod"], 120);
    // Out of range (60 to 1,209,600) once computed: synthesis fails naming the property.
    seconds.set(1);
    let err = app.synth().unwrap_err().to_string();
    assert!(err.contains("dev/jobs/Jobs"), "{err}");
    assert!(err.contains("MessageRetentionPeriod"), "{err}");
    assert!(err.contains("out of range"), "{err}");
}
