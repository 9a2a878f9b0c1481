//! Fargate services: private subnets without public IPs, their own security group open
//! only for HTTPS out, a circuit breaker that rolls back, logs with retention, separate
//! execution and task roles each with only what it needs; grants to the task role;
//! validation of the props and variables.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::ecs::Secret;
use cairn_constructs::sqs::{Queue, QueueProps};
use cairn_constructs::{AutoScalingProps, Cluster, ClusterProps, ContainerProps, FargateService, FargateServiceProps, Vpc, VpcProps};
use cairn_core::{Stack, Value};
use common::{assert_refused, stack};
use serde_json::json;

const IMAGE: &str = "public.ecr.aws/nginx/nginx:1.27";

fn cluster(stack: &Stack) -> Cluster {
    let vpc = Vpc::new(stack, "Vpc", VpcProps::default()).unwrap();
    Cluster::new(stack, "Cluster", &vpc, ClusterProps::default()).unwrap()
}

fn props() -> FargateServiceProps {
    FargateServiceProps {
        container: ContainerProps {
            image: IMAGE.into(),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn a_service_runs_in_private_subnets_without_public_ips_and_rolls_back_failed_deployments() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);

    // WHEN
    let web = FargateService::new(&stack, "Web", &cluster, props()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let private: Vec<serde_json::Value> = cluster
        .vpc()
        .subnets()
        .iter()
        .filter(|s| s.group == "Private")
        .map(|s| json!({ "Ref": s.cfn_subnet().logical_id() }))
        .collect();
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        json!({ "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }] }),
    );
    template.has_resource_properties(
        "AWS::ECS::Service",
        json!({
            "LaunchType": "FARGATE",
            "DesiredCount": 1,
            "DeploymentConfiguration": {
                "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
                "MinimumHealthyPercent": 100,
            },
            "NetworkConfiguration": { "AwsvpcConfiguration": {
                "AssignPublicIp": "DISABLED",
                "Subnets": private,
                "SecurityGroups": [{ "Fn::GetAtt": [web.security_group().cfn_security_group().logical_id(), "GroupId"] }],
            } },
        }),
    );
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        json!({
            "NetworkMode": "awsvpc",
            "RequiresCompatibilities": ["FARGATE"],
            "Cpu": "256",
            "Memory": "512",
            "ExecutionRoleArn": { "Fn::GetAtt": [web.execution_role().cfn_role().logical_id(), "Arn"] },
            "TaskRoleArn": { "Fn::GetAtt": [web.task_role().cfn_role().logical_id(), "Arn"] },
            "ContainerDefinitions": [{
                "Image": IMAGE,
                "LogConfiguration": { "LogDriver": "awslogs", "Options": {
                    "awslogs-group": { "Ref": web.log_group().cfn_log_group().logical_id() },
                } },
            }],
        }),
    );
    template.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": 30 }));
}

#[test]
fn the_service_group_admits_nothing_and_sends_only_https() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);

    // WHEN
    FargateService::new(&stack, "Web", &cluster, props()).unwrap();
    let closed = FargateServiceProps {
        allow_https_egress: false,
        ..props()
    };
    FargateService::new(&stack, "Worker", &cluster, closed).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Web tasks",
            "SecurityGroupIngress": Match::absent(),
            "SecurityGroupEgress": Match::exact(json!([{
                "CidrIp": "0.0.0.0/0", "Description": "HTTPS to AWS APIs and image registries",
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            }])),
        }),
    );
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Worker tasks",
            "SecurityGroupEgress": [{ "CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic" }],
        }),
    );
}

#[test]
fn the_execution_role_may_write_the_logs_only_and_the_task_role_has_nothing() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);

    // WHEN
    let web = FargateService::new(&stack, "Web", &cluster, props()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": web.execution_role().cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::exact(json!([{
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": { "Fn::GetAtt": [web.log_group().cfn_log_group().logical_id(), "Arn"] },
            }])) },
        }),
    );
    let task_role = json!([{ "Ref": web.task_role().cfn_role().logical_id() }]);
    assert!(template
        .find_resources("AWS::IAM::Policy", json!({ "Roles": task_role }))
        .is_empty());
    for role in [web.execution_role(), web.task_role()] {
        let expected = json!({
            "AssumeRolePolicyDocument": { "Statement": [{ "Principal": { "Service": "ecs-tasks.amazonaws.com" } }] },
            "ManagedPolicyArns": Match::absent(),
        });
        Match::check(&expected, &template.resource(role.cfn_role().logical_id())["Properties"]).unwrap();
    }
}

#[test]
fn a_grant_to_the_service_goes_to_the_task_role_and_a_secret_to_the_execution_role() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);
    let web = FargateService::new(&stack, "Web", &cluster, props()).unwrap();
    let queue = Queue::new(&stack, "Jobs", QueueProps::default()).unwrap();
    let secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-key-AbCdEf";

    // WHEN
    queue.grant_consume_messages(&web).unwrap();
    web.add_secret("API_KEY", Secret::secrets_manager(Value::str(secret_arn))).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": web.task_role().cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::exact(json!([{
                "Effect": "Allow",
                "Action": Match::array_with(json!(["sqs:ReceiveMessage", "sqs:DeleteMessage"])),
                "Resource": { "Fn::GetAtt": [queue.cfn_queue().unwrap().logical_id(), "Arn"] },
            }])) },
        }),
    );
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": web.execution_role().cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::array_with(json!([
                { "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret_arn },
            ])) },
        }),
    );
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        json!({ "ContainerDefinitions": [{
            "Secrets": [{ "Name": "API_KEY", "ValueFrom": secret_arn }],
            "Environment": Match::absent(),
        }] }),
    );
}

#[test]
fn autoscaling_tracks_cpu_between_the_limits() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);

    // WHEN
    let scaled = FargateServiceProps {
        desired_count: 2,
        auto_scaling: Some(AutoScalingProps {
            min_tasks: 2,
            max_tasks: 6,
            target_cpu_percent: 60,
            ..Default::default()
        }),
        ..props()
    };
    FargateService::new(&stack, "Web", &cluster, scaled).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        json!({ "MinCapacity": 2, "MaxCapacity": 6, "ScalableDimension": "ecs:service:DesiredCount" }),
    );
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        json!({ "PolicyType": "TargetTrackingScaling", "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 60,
            "PredefinedMetricSpecification": { "PredefinedMetricType": "ECSServiceAverageCPUUtilization" },
        } }),
    );
}

#[test]
fn bad_props_and_variables_are_refused_naming_the_field() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);
    let refused = |id: &str, props: FargateServiceProps| FargateService::new(&stack, id, &cluster, props).err().expect("refused");

    // WHEN
    let no_image = refused("A", FargateServiceProps::default());
    let outside = refused(
        "B",
        FargateServiceProps {
            desired_count: 9,
            auto_scaling: Some(AutoScalingProps {
                min_tasks: 1,
                max_tasks: 3,
                ..Default::default()
            }),
            ..props()
        },
    );
    let cpu = refused(
        "C",
        FargateServiceProps {
            auto_scaling: Some(AutoScalingProps {
                min_tasks: 1,
                max_tasks: 3,
                target_cpu_percent: 95,
                ..Default::default()
            }),
            ..props()
        },
    );
    let retention = refused(
        "D",
        FargateServiceProps {
            log_retention_days: 2,
            ..props()
        },
    );
    let web = FargateService::new(&stack, "Web", &cluster, props()).unwrap();
    let bad_name = web.add_environment("1ST", "x").expect_err("refused");
    web.add_environment("MODE", "x").unwrap();
    let twice = web
        .add_secret("MODE", Secret::secrets_manager_named("mode", None))
        .expect_err("refused");
    let no_alarms = web.set_deployment_alarms(vec![]).expect_err("refused");

    // THEN
    assert_refused(
        &no_image,
        "dev/service/A",
        "container.image",
        "`` is not a container image reference",
    );
    assert_refused(
        &outside,
        "dev/service/B",
        "auto_scaling",
        "desired_count 9 must lie within min_tasks..max_tasks (1..3)",
    );
    assert_refused(
        &cpu,
        "dev/service/C",
        "auto_scaling.target_cpu_percent",
        "target CPU 95 % is out of range",
    );
    assert_refused(&retention, "dev/service/D/LogGroup", "retention_days", "2");
    assert_refused(
        &bad_name,
        "dev/service/Web",
        "container.environment",
        "`1ST` is not a valid environment variable name",
    );
    assert_refused(
        &twice,
        "dev/service/Web",
        "container.environment",
        "environment variable `MODE` is set twice",
    );
    assert_refused(&no_alarms, "dev/service/Web", "alarm_names", "no alarms given to stop deployments");
}
