//! A Fargate service behind an internet-facing load balancer: open on 80 (and 443 only
//! with a certificate, where 80 redirects), modern TLS, invalid headers dropped, the
//! service reachable from the load balancer only; blue/green with a least-privilege
//! role; access logs; validation of the props.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::s3::{Bucket, LogBucketProps};
use cairn_constructs::{
    BlueGreen, Cluster, ClusterProps, ContainerProps, FargateServiceProps, HealthCheck, LoadBalancedFargateService,
    LoadBalancedFargateServiceProps, Vpc, VpcProps,
};
use cairn_core::Stack;
use common::{assert_refused, stack};
use serde_json::json;

const CERTIFICATE: &str = "arn:aws:acm:eu-west-1:123456789012:certificate/abc";

fn cluster(stack: &Stack) -> Cluster {
    let vpc = Vpc::new(stack, "Vpc", VpcProps::default()).unwrap();
    Cluster::new(stack, "Cluster", &vpc, ClusterProps::default()).unwrap()
}

fn props() -> LoadBalancedFargateServiceProps {
    LoadBalancedFargateServiceProps {
        service: FargateServiceProps {
            container: ContainerProps {
                image: "public.ecr.aws/nginx/nginx:1.27".into(),
                port: Some(8080),
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn without_a_certificate_only_port_80_is_open_and_the_service_admits_only_the_load_balancer() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);

    // WHEN
    let web = LoadBalancedFargateService::new(&stack, "Web", &cluster, props()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let lb_group = web.load_balancer_security_group().cfn_security_group().logical_id();
    let service_group = web.service().security_group().cfn_security_group().logical_id();
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({
            "Scheme": "internet-facing",
            "LoadBalancerAttributes": Match::array_with(json!([
                { "Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true" },
            ])),
        }),
    );
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Web load balancer",
            "SecurityGroupIngress": Match::exact(json!([{
                "CidrIp": "0.0.0.0/0", "Description": "HTTP from anywhere", "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
            }])),
        }),
    );
    template.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 1);
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({ "Port": 80, "Protocol": "HTTP", "DefaultActions": [{ "Type": "forward" }] }),
    );
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 1);
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({
            "GroupId": { "Fn::GetAtt": [service_group, "GroupId"] },
            "SourceSecurityGroupId": { "Fn::GetAtt": [lb_group, "GroupId"] },
            "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
        }),
    );
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        json!({ "TargetType": "ip", "Port": 8080, "HealthCheckPath": "/", "Matcher": { "HttpCode": "200-399" } }),
    );
}

#[test]
fn with_a_certificate_https_uses_tls_1_3_and_http_redirects_to_it() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);

    // WHEN
    let with_tls = LoadBalancedFargateServiceProps {
        certificate_arn: Some(CERTIFICATE.into()),
        ..props()
    };
    LoadBalancedFargateService::new(&stack, "Web", &cluster, with_tls).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "Port": 443, "Protocol": "HTTPS",
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "Certificates": [{ "CertificateArn": CERTIFICATE }],
        }),
    );
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({ "Port": 80, "DefaultActions": [{
            "Type": "redirect",
            "RedirectConfig": { "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301" },
        }] }),
    );
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({ "GroupDescription": "Web load balancer", "SecurityGroupIngress": [
            { "FromPort": 80 }, { "FromPort": 443, "Description": "HTTPS from anywhere" },
        ] }),
    );
}

#[test]
fn blue_green_adds_a_role_that_may_only_move_targets_and_flip_the_production_rule() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);

    // WHEN
    let blue_green = LoadBalancedFargateServiceProps {
        blue_green: Some(BlueGreen::default()),
        ..props()
    };
    let web = LoadBalancedFargateService::new(&stack, "Web", &cluster, blue_green).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let role = web.deployment_role().unwrap();
    let groups = json!([
        { "Ref": web.cfn_target_group().logical_id() },
        { "Ref": web.cfn_alternate_target_group().unwrap().logical_id() },
    ]);
    template.has_resource_properties(
        "AWS::IAM::Role",
        json!({ "AssumeRolePolicyDocument": { "Statement": [{ "Principal": { "Service": "ecs.amazonaws.com" } }] } }),
    );
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": role.cfn_role().logical_id() }],
            "PolicyDocument": { "Statement": Match::exact(json!([
                {
                    "Effect": "Allow",
                    "Action": ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                    "Resource": groups,
                },
                {
                    "Effect": "Allow",
                    "Action": "elasticloadbalancing:ModifyRule",
                    "Resource": { "Ref": web.cfn_production_listener_rule().unwrap().logical_id() },
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "elasticloadbalancing:DescribeListeners",
                        "elasticloadbalancing:DescribeRules",
                        "elasticloadbalancing:DescribeTargetGroups",
                        "elasticloadbalancing:DescribeTargetHealth",
                    ],
                    "Resource": "*",
                },
            ])) },
        }),
    );
    template.has_resource_properties(
        "AWS::ECS::Service",
        json!({ "DeploymentConfiguration": { "Strategy": "BLUE_GREEN", "BakeTimeInMinutes": 10 } }),
    );
}

#[test]
fn access_logs_go_to_a_log_bucket_that_lets_elb_write_under_the_prefix() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);
    let logs = Bucket::for_access_logs(&stack, "Logs", LogBucketProps::default()).unwrap();

    // WHEN
    let logged = LoadBalancedFargateServiceProps {
        access_logs: Some((logs.clone(), "web".into())),
        ..props()
    };
    LoadBalancedFargateService::new(&stack, "Web", &cluster, logged).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        json!({ "LoadBalancerAttributes": Match::array_with(json!([
            { "Key": "access_logs.s3.enabled", "Value": "true" },
            { "Key": "access_logs.s3.bucket", "Value": { "Ref": logs.cfn_bucket().unwrap().logical_id() } },
            { "Key": "access_logs.s3.prefix", "Value": "web" },
        ])) }),
    );
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        json!({ "PolicyDocument": { "Statement": Match::array_with(json!([{ "Sid": "LoadBalancerAccessLogs" }])) } }),
    );
}

#[test]
fn bad_props_are_refused_naming_the_field() {
    // GIVEN
    let stack = stack("service");
    let cluster = cluster(&stack);
    let plain = Bucket::new(&stack, "Plain", Default::default()).unwrap();
    let refused = |id: &str, props: LoadBalancedFargateServiceProps| {
        LoadBalancedFargateService::new(&stack, id, &cluster, props).err().expect("refused")
    };

    // WHEN
    let path = refused(
        "A",
        LoadBalancedFargateServiceProps {
            health_check: HealthCheck {
                path: "health".into(),
                ..Default::default()
            },
            ..props()
        },
    );
    let timing = refused(
        "B",
        LoadBalancedFargateServiceProps {
            health_check: HealthCheck {
                interval_seconds: 5,
                timeout_seconds: 5,
                ..Default::default()
            },
            ..props()
        },
    );
    let certificate = refused(
        "C",
        LoadBalancedFargateServiceProps {
            certificate_arn: Some("my-cert".into()),
            ..props()
        },
    );
    let bake = refused(
        "D",
        LoadBalancedFargateServiceProps {
            blue_green: Some(BlueGreen { bake_time_minutes: 1441 }),
            ..props()
        },
    );
    let no_port = refused(
        "F",
        LoadBalancedFargateServiceProps {
            service: FargateServiceProps {
                container: ContainerProps {
                    port: None,
                    ..props().service.container
                },
                ..props().service
            },
            ..props()
        },
    );
    let bucket = refused(
        "E",
        LoadBalancedFargateServiceProps {
            access_logs: Some((plain, "web".into())),
            ..props()
        },
    );

    // THEN
    assert_refused(
        &path,
        "dev/service/A",
        "health_check.path",
        "health check path `health` must start with `/`",
    );
    assert_refused(
        &timing,
        "dev/service/B",
        "health_check",
        "health check timeout 5 s and interval 5 s are not valid",
    );
    assert_refused(
        &certificate,
        "dev/service/C",
        "certificate_arn",
        "`my-cert` is not a certificate ARN",
    );
    assert_refused(
        &bake,
        "dev/service/D",
        "blue_green.bake_time_minutes",
        "bake time 1441 min is out of range",
    );
    assert_refused(
        &no_port,
        "dev/service/F",
        "service.container.port",
        "a load-balanced service's container serves no port",
    );
    assert_refused(
        &bucket,
        "dev/service/E",
        "access_logs",
        "Plain is not an access-log bucket of this environment",
    );
}
