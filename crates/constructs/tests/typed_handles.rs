//! The constructs build their resources through the typed layer (`cairn-cfn`): each
//! exposes its `Cfn*` handle for edits, late renders go through it, and literals are
//! checked against the CloudFormation schema with errors that name the construct.

use cairn_cfn::cloudwatch::CfnAlarm;
use cairn_cfn::ecs::{CfnService, CfnTaskDefinition};
use cairn_cfn::logs::CfnLogGroup;
use cairn_cfn::sns::CfnTopic;
use cairn_constructs::cloudwatch::{Alarm, AlarmProps, AlarmSource, Comparison, Metric, MissingData, Severity, Stat};
use cairn_constructs::sns::{Topic, TopicProps};
use cairn_constructs::{
    Cluster, ClusterProps, ContainerProps, FargateService, FargateServiceProps, LogGroup, LogGroupProps, Vpc, VpcProps,
};
use cairn_core::{App, EnvSettings, Resource, ResourceRef, Scope, Value};

fn scope() -> Scope {
    let settings = EnvSettings {
        name: "dev".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        retain_data: false,
        require_approval: false,
        tags: Default::default(),
    };
    let app = App::new("t").unwrap();
    app.environment(settings).unwrap().stack("s").unwrap().scope()
}

fn resource(scope: &Scope, r: &ResourceRef) -> Resource {
    scope.stack().resource(r).expect("the resource is in its stack")
}

fn service(scope: &Scope) -> FargateService {
    let vpc = Vpc::new(scope, "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(scope, "Cluster", &vpc, ClusterProps::default()).unwrap();
    FargateService::new(
        scope,
        "Web",
        &cluster,
        FargateServiceProps {
            container: ContainerProps {
                image: "public.ecr.aws/nginx/nginx:1.27".into(),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap()
}

fn alarm_props(description: String) -> AlarmProps {
    AlarmProps {
        description,
        source: AlarmSource::Metric(Metric::new("AWS/SQS", "NumberOfMessagesSent", vec![], Stat::Sum)),
        comparison: Comparison::GreaterThan,
        threshold: 1.0,
        evaluation_periods: 1,
        datapoints_to_alarm: 1,
        missing_data: MissingData::NotBreaching,
        severity: Severity::Warning,
        actions: vec![],
    }
}

#[test]
fn edits_through_the_typed_handles_reach_the_resources() {
    let scope = scope();
    let logs = LogGroup::new(&scope, "Logs", LogGroupProps::default()).unwrap();
    logs.cfn_log_group().set(CfnLogGroup::KMS_KEY_ID, "alias/logs").unwrap();
    assert_eq!(resource(&scope, logs.resource()).properties["KmsKeyId"], Value::str("alias/logs"));

    let topic = Topic::new(&scope, "Topic", TopicProps::default()).unwrap();
    topic.cfn_topic().set(CfnTopic::TRACING_CONFIG, "Active").unwrap();
    assert_eq!(resource(&scope, topic.resource()).properties["TracingConfig"], Value::str("Active"));

    let alarm = Alarm::new(&scope, "Alarm", alarm_props("sent".into())).unwrap();
    alarm.cfn_alarm().set(CfnAlarm::ACTIONS_ENABLED, false).unwrap();
    assert_eq!(resource(&scope, alarm.resource()).properties["ActionsEnabled"], Value::Bool(false));

    let web = service(&scope);
    web.cfn_service().set(CfnService::ENABLE_EXECUTE_COMMAND, true).unwrap();
    assert_eq!(
        resource(&scope, web.resource()).properties["EnableExecuteCommand"],
        Value::Bool(true)
    );
}

#[test]
fn variables_reach_the_lazy_container_definitions_and_alarms_the_typed_handles() {
    let scope = scope();
    let web = service(&scope);
    web.cfn_task_definition().set(CfnTaskDefinition::FAMILY, "web").unwrap();
    web.add_environment("STAGE", "dev").unwrap();
    let task = resource(&scope, web.task_definition());
    // The edit stays, and the one container definition, computed at synthesis, carries
    // the variable added after the task definition was built.
    assert_eq!(task.properties["Family"], Value::str("web"));
    let Value::Lazy(lazy) = &task.properties["ContainerDefinitions"] else {
        panic!(
            "ContainerDefinitions is computed at synthesis: {:?}",
            task.properties["ContainerDefinitions"]
        );
    };
    let Value::List(definitions) = &lazy.resolve().unwrap() else {
        panic!("ContainerDefinitions is a list");
    };
    assert_eq!(definitions.len(), 1);
    let Value::Map(definition) = &definitions[0] else {
        panic!("a container definition is a map")
    };
    assert_eq!(
        definition["Environment"],
        Value::list([Value::map([("Name", "STAGE"), ("Value", "dev")])])
    );

    web.set_deployment_alarms(vec![Value::str("web-5xx")]).unwrap();
    let Value::Map(deployment) = &resource(&scope, web.resource()).properties["DeploymentConfiguration"] else {
        panic!("DeploymentConfiguration is a map")
    };
    // The alarms join the circuit breaker and the strategy; nothing is lost.
    assert_eq!(
        deployment["Alarms"],
        Value::map([
            ("AlarmNames", Value::list(["web-5xx"])),
            ("Enable", Value::Bool(true)),
            ("Rollback", Value::Bool(true)),
        ])
    );
    assert_eq!(deployment["Strategy"], Value::str("ROLLING"));
    assert!(deployment.contains_key("DeploymentCircuitBreaker"));
}

#[test]
fn a_value_the_schema_refuses_is_an_error_naming_the_construct_and_property() {
    let scope = scope();
    // CloudWatch takes at most 1024 characters; CloudFormation would fail the deployment.
    let e = match Alarm::new(&scope, "Alarm", alarm_props("x".repeat(1025))) {
        Ok(_) => panic!("a 1025-character description was accepted"),
        Err(e) => e,
    };
    assert_eq!(e.path.as_deref(), Some("dev/s/Alarm/Resource"));
    assert_eq!(e.property.as_deref(), Some("AlarmDescription"));
    assert!(e.message.contains("longer than 1024"), "{}", e.message);
}
