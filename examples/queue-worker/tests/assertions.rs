//! What the queue worker must be, whatever the environment: secure defaults, least
//! privilege, and no way in (no load balancer, no ingress). Written with
//! `cairn_assertions`, like the AWS CDK's `assertions`.

use cairn_assertions::{synth_env, Match, Template};
use infra::QueueWorker;
use serde_json::json;

const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

fn template(env: &str, stack: &str) -> Template {
    Template::from_assembly(&synth_env(&QueueWorker::default(), env), env, stack)
}

#[test]
fn the_queue_is_encrypted_tls_only_and_has_a_dead_letter_queue() {
    for env in ENVIRONMENTS {
        let data = template(env, "data");
        data.resource_count_is("AWS::SQS::Queue", 2);
        data.has_resource_properties(
            "AWS::SQS::Queue",
            json!({
                "SqsManagedSseEnabled": true,
                "VisibilityTimeout": 120,
                "RedrivePolicy": { "deadLetterTargetArn": Match::any_value(), "maxReceiveCount": 5 },
            }),
        );
        data.all_resources_properties("AWS::SQS::Queue", json!({ "SqsManagedSseEnabled": true }));
        data.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            json!({ "PolicyDocument": { "Statement": Match::array_with(json!([{
                "Effect": "Deny",
                "Condition": { "Bool": { "aws:SecureTransport": false } },
            }])) } }),
        );
        data.has_output("QueueUrl", json!({ "Export": Match::absent() }));
    }
}

#[test]
fn the_table_is_encrypted_with_point_in_time_recovery() {
    for env in ENVIRONMENTS {
        template(env, "data").has_resource_properties(
            "AWS::DynamoDB::Table",
            json!({
                "BillingMode": "PAY_PER_REQUEST",
                "SSESpecification": { "SSEEnabled": true },
                "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": true },
            }),
        );
    }
}

#[test]
fn prod_keeps_its_data_and_dev_does_not() {
    let prod = template("prod", "data");
    prod.has_resource("AWS::DynamoDB::Table", json!({ "DeletionPolicy": "Retain" }));
    prod.has_resource_properties("AWS::DynamoDB::Table", json!({ "DeletionProtectionEnabled": true }));
    assert_eq!(prod.find_resources("AWS::SQS::Queue", json!({})).len(), 2);
    for (id, queue) in prod.find_resources("AWS::SQS::Queue", json!({})) {
        assert_eq!(queue["DeletionPolicy"], "Retain", "{id}");
    }
    template("dev", "data").has_resource("AWS::DynamoDB::Table", json!({ "DeletionPolicy": "Delete" }));
}

#[test]
fn the_worker_has_no_load_balancer_and_no_way_in() {
    for env in ENVIRONMENTS {
        let worker = template(env, "worker");
        for kind in [
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            "AWS::ElasticLoadBalancingV2::Listener",
            "AWS::ElasticLoadBalancingV2::TargetGroup",
            "AWS::EC2::SecurityGroupIngress",
        ] {
            worker.resource_count_is(kind, 0);
        }
        worker.has_resource_properties(
            "AWS::ECS::Service",
            json!({
                "LoadBalancers": Match::absent(),
                "LaunchType": "FARGATE",
                "NetworkConfiguration": { "AwsvpcConfiguration": { "AssignPublicIp": "DISABLED" } },
                "DeploymentConfiguration": { "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true } },
            }),
        );
        // Out only: HTTPS to the AWS APIs, nothing in.
        worker.has_resource_properties(
            "AWS::EC2::SecurityGroup",
            json!({
                "SecurityGroupIngress": Match::absent(),
                "SecurityGroupEgress": Match::exact(json!([{
                    "CidrIp": "0.0.0.0/0",
                    "Description": "HTTPS to AWS APIs and image registries",
                    "FromPort": 443,
                    "IpProtocol": "tcp",
                    "ToPort": 443,
                }])),
            }),
        );
        worker.has_resource_properties(
            "AWS::ECS::TaskDefinition",
            json!({ "ContainerDefinitions": [{
                "ReadonlyRootFilesystem": true,
                "PortMappings": Match::absent(),
                "Environment": Match::array_with(json!([{ "Name": "QUEUE_URL" }, { "Name": "TABLE_NAME" }])),
            }] }),
        );
    }
}

#[test]
fn the_task_role_may_consume_the_queue_and_write_the_table_and_nothing_more() {
    let worker = template("prod", "worker");
    let task_role = worker.find_resources(
        "AWS::IAM::Role",
        json!({ "Description": "Runtime permissions of the service's containers" }),
    );
    assert_eq!(task_role.len(), 1, "one task role: {task_role:?}");
    let role_id = &task_role[0].0;
    worker.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": role_id }],
            "PolicyDocument": { "Statement": Match::exact(json!([
                {
                    "Effect": "Allow",
                    "Action": ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                    "Resource": { "Fn::ImportValue": Match::string_like_regexp("^queue-worker-prod-data:.*Jobs") },
                },
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                    "Resource": Match::any_value(),
                },
            ])) },
        }),
    );
}

#[test]
fn the_worker_scales_on_cpu_and_on_the_queue_backlog() {
    for (env, min, max, per_task) in [("dev", 1, 2, 100.0), ("staging", 1, 4, 100.0), ("prod", 2, 10, 50.0)] {
        let worker = template(env, "worker");
        worker.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalableTarget",
            json!({ "MinCapacity": min, "MaxCapacity": max }),
        );
        worker.resource_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", 2);
        worker.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalingPolicy",
            json!({ "TargetTrackingScalingPolicyConfiguration": {
                "TargetValue": per_task,
                "CustomizedMetricSpecification": { "Metrics": Match::array_with(json!([
                    { "Expression": "visible / tasks", "ReturnData": true },
                    { "Id": "visible", "MetricStat": { "Metric": { "MetricName": "ApproximateNumberOfMessagesVisible" } } },
                ])) },
            } }),
        );
    }
}

#[test]
fn alarms_watch_the_dead_letter_queue_the_oldest_message_and_the_tasks() {
    for env in ENVIRONMENTS {
        let data = template(env, "data");
        data.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            json!({ "MetricName": "ApproximateNumberOfMessagesVisible", "Threshold": 1.0, "ComparisonOperator": "GreaterThanOrEqualToThreshold" }),
        );
        data.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            json!({ "MetricName": "ApproximateAgeOfOldestMessage", "Threshold": 900.0 }),
        );
        let worker = template(env, "worker");
        for metric in ["MemoryUtilization", "CPUUtilization"] {
            worker.has_resource_properties(
                "AWS::CloudWatch::Alarm",
                json!({ "Namespace": "AWS/ECS", "MetricName": metric, "AlarmActions": [Match::any_value()] }),
            );
        }
    }
}
