//! The service stack: exact IAM, secrets, safe deployments, HTTPS, the web ACL, outputs.

use super::*;

#[test]
fn iam_lists_exact_actions_and_resources() {
    let assembly = synth_all();
    for env in &assembly.environments {
        for stack in &env.stacks {
            let t = Template::of(stack);
            for (actions, resources) in iam_statements(&t) {
                assert!(
                    actions.iter().all(|a| !a.contains('*')),
                    "{}: wildcard action in {actions:?}",
                    stack.name
                );
                for r in &resources {
                    match r {
                        // `*` only for actions IAM accepts nothing else for (ELB Describe* of the blue/green role).
                        Json::String(s)
                            if s == "*" && actions.iter().all(|a| cairn_check::ACTIONS_REQUIRING_STAR.contains(&a.as_str())) => {}
                        Json::String(s) => panic!("{}: literal resource {s}", stack.name),
                        Json::Object(o) if o.contains_key("Fn::Join") => {
                            let suffix = &o["Fn::Join"][1][1];
                            assert!(suffix == "/*" || suffix == "/index/*", "{}: wildcard {r}", stack.name);
                        }
                        // A secret named by its stack: `-??????` is exactly the 6 random characters of its ARN.
                        Json::Object(o) if o.contains_key("Fn::Sub") => {
                            let arn = o["Fn::Sub"].as_str().unwrap();
                            assert!(!arn.contains('*'), "{}: wildcard {r}", stack.name);
                            assert!(arn.ends_with("/credentials-??????"), "{}: unexpected pattern {r}", stack.name);
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

#[test]
fn secrets_are_injected_from_secrets_manager_and_readable_only_by_the_execution_role() {
    if !support::requires(&["staging"]) {
        return;
    }
    let assembly = synth_all();
    let t = Template::from_assembly(&assembly, "staging", "service");
    let secret_arn = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:shop-staging-data/Database/credentials";
    let secret = json!({ "Fn::Sub": format!("{secret_arn}-??????") });
    t.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        json!({
            "Cpu": "256", "Memory": "512", "NetworkMode": "awsvpc", "RequiresCompatibilities": ["FARGATE"],
            "ContainerDefinitions": [{
                "Image": "public.ecr.aws/nginx/nginx:1.27",
                "PortMappings": [{ "ContainerPort": 80 }],
                "Environment": array_with(json!([
                    { "Name": "DB_HOST", "Value": { "Fn::ImportValue": "shop-staging-data:ExportsOutputFnGetAttDatabaseB269D8BBEndpointAddress" } },
                    { "Name": "DB_PORT", "Value": { "Fn::ImportValue": "shop-staging-data:ExportsOutputFnGetAttDatabaseB269D8BBEndpointPort" } },
                    { "Name": "TABLE_NAME" }, { "Name": "BUCKET_NAME" }, { "Name": "QUEUE_URL" },
                ])),
                "Secrets": [
                    { "Name": "DB_USERNAME", "ValueFrom": { "Fn::Join": ["", [{ "Fn::Sub": secret_arn }, ":username::"]] } },
                    { "Name": "DB_PASSWORD", "ValueFrom": { "Fn::Join": ["", [{ "Fn::Sub": secret_arn }, ":password::"]] } },
                ],
                "LogConfiguration": { "LogDriver": "awslogs" },
            }],
            "ExecutionRoleArn": { "Fn::GetAtt": ["WebServiceExecutionRoleB4D20EF0", "Arn"] },
            "TaskRoleArn": { "Fn::GetAtt": ["WebServiceTaskRole56A45925", "Arn"] },
        }),
    );
    // Exactly one statement anywhere reads secrets: the execution role's, on the DB secret.
    let readers: Vec<(String, Json)> = t
        .resources_of_type("AWS::IAM::Policy")
        .into_iter()
        .filter(|(_, p)| p.to_string().contains("secretsmanager:"))
        .collect();
    assert_eq!(readers.len(), 1);
    assert_eq!(
        readers[0].1["Properties"]["Roles"],
        json!([{ "Ref": "WebServiceExecutionRoleB4D20EF0" }])
    );
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": "WebServiceExecutionRoleB4D20EF0" }],
            "PolicyDocument": { "Statement": array_with(json!([
                { "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": secret },
            ])) },
        }),
    );
    // Grants land on the task role, not the execution role.
    t.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": "WebServiceTaskRole56A45925" }],
            "PolicyDocument": { "Statement": array_with(json!([
                { "Action": array_with(json!(["dynamodb:PutItem"])) },
                { "Action": array_with(json!(["s3:PutObject"])) },
                { "Action": array_with(json!(["sqs:SendMessage", "sqs:ReceiveMessage"])) },
            ])) },
        }),
    );
}

#[test]
fn service_deploys_safely_and_scales_on_cpu() {
    // prod's sizes.
    if !support::requires(&["prod"]) {
        return;
    }
    let assembly = synth_all();
    let t = Template::from_assembly(&assembly, "prod", "service");
    t.has_resource_properties(
        "AWS::ECS::Cluster",
        json!({ "ClusterSettings": [{ "Name": "containerInsights", "Value": "enabled" }] }),
    );
    t.has_resource_properties(
        "AWS::ECS::Service",
        json!({
            "LaunchType": "FARGATE",
            "DeploymentConfiguration": {
                "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
                "MinimumHealthyPercent": 100,
                "MaximumPercent": 200,
            },
            "NetworkConfiguration": { "AwsvpcConfiguration": { "AssignPublicIp": "DISABLED" } },
            "LoadBalancers": [{ "ContainerName": "app", "ContainerPort": 80 }],
        }),
    );
    t.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        json!({
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": { "PredefinedMetricType": "ECSServiceAverageCPUUtilization" },
            },
        }),
    );
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        json!({ "HealthCheckPath": "/", "TargetType": "ip", "Port": 80 }),
    );
    // No certificate configured: HTTP only, forwarding.
    t.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 1);
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({ "Port": 80, "Protocol": "HTTP", "DefaultActions": [{ "Type": "forward" }] }),
    );
}

#[test]
fn a_certificate_adds_https_and_redirects_http() {
    let mut cfg: Config = probe_config();
    cfg.service.certificate_arn = Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".into());
    let assembly = synth_with(PROBE, &cfg).unwrap_or_else(|e| panic!("{e}"));
    let t = Template::from_assembly(&assembly, PROBE, "service");
    t.resource_count_is("AWS::ElasticLoadBalancingV2::Listener", 2);
    // With the HTTPS listener, 443 opens too.
    t.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({ "SecurityGroupIngress": [
            { "CidrIp": "0.0.0.0/0", "FromPort": 80, "ToPort": 80 },
            { "CidrIp": "0.0.0.0/0", "FromPort": 443, "ToPort": 443 },
        ] }),
    );
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "Port": 80,
            "DefaultActions": [{ "Type": "redirect", "RedirectConfig": { "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301" } }],
        }),
    );
    t.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        json!({
            "Port": 443, "Protocol": "HTTPS",
            "Certificates": [{ "CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/abc" }],
            "DefaultActions": [{ "Type": "forward" }],
        }),
    );
    t.has_output(
        "LoadBalancerUrl",
        json!({ "Value": { "Fn::Join": ["", ["https://", { "Fn::GetAtt": ["WebLB720665E7", "DNSName"] }]] } }),
    );
}

#[test]
fn every_environment_puts_the_common_rule_set_in_front_of_the_load_balancer() {
    let assembly = synth_all();
    for env in support::environment_files() {
        let t = Template::from_assembly(&assembly, &env, "service");
        t.resource_count_is("AWS::WAFv2::WebACL", 1);
        t.resource_count_is("AWS::WAFv2::WebACLAssociation", 1);
        let (acl, _) = &t.resources_of_type("AWS::WAFv2::WebACL")[0];
        let (lb, _) = &t.resources_of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")[0];
        t.has_resource_properties(
            "AWS::WAFv2::WebACL",
            json!({
                "Scope": "REGIONAL",
                "DefaultAction": { "Allow": {} },
                "Rules": [
                    {
                        "Priority": 0,
                        "OverrideAction": { "None": {} },
                        "Statement": { "ManagedRuleGroupStatement": { "VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet" } },
                        "VisibilityConfig": { "CloudWatchMetricsEnabled": true, "SampledRequestsEnabled": true },
                    },
                    {
                        // Log4j's JNDI lookups (CVE-2021-44228) and other known-bad request patterns.
                        "Priority": 1,
                        "OverrideAction": { "None": {} },
                        "Statement": { "ManagedRuleGroupStatement": { "VendorName": "AWS", "Name": "AWSManagedRulesKnownBadInputsRuleSet" } },
                    },
                ],
                "VisibilityConfig": { "CloudWatchMetricsEnabled": true, "SampledRequestsEnabled": true },
                // A type outside the constructs gets the standard tags too.
                "Tags": array_with(json!([{ "Key": "Environment", "Value": env }, { "Key": "ManagedBy", "Value": "cairn" }])),
            }),
        );
        t.has_resource_properties(
            "AWS::WAFv2::WebACLAssociation",
            json!({ "ResourceArn": { "Ref": lb }, "WebACLArn": { "Fn::GetAtt": [acl, "Arn"] } }),
        );
    }
}

/// The README shows the web ACL's code as the shop has it.
#[test]
fn the_readmes_web_acl_example_is_the_shops_code() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let code = std::fs::read_to_string(root.join("stacks/waf.rs")).expect("stacks/waf.rs");
    let section = readme
        .split("\n## Any CloudFormation resource\n")
        .nth(1)
        .expect("the README's section `Any CloudFormation resource`");
    let example = section
        .split("```rust\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .expect("a rust code block in that section");
    assert!(
        example.lines().count() > 20 && code.contains(example),
        "the README's example differs from stacks/waf.rs: copy the file's code into it\n{example}"
    );
}

#[test]
fn outputs_name_the_endpoints() {
    let assembly = synth_with(PROBE, &probe_config()).unwrap();
    let data = Template::from_assembly(&assembly, PROBE, "data");
    data.has_output("TableName", json!({ "Value": { "Ref": "OrdersA9B65338" } }));
    data.has_output("BucketName", json!({ "Value": { "Ref": "Uploads4F6EB0FD" } }));
    data.has_output("QueueUrl", json!({ "Value": { "Ref": "JobsDF1CC2D4" } }));
    data.has_output(
        "DatabaseEndpoint",
        json!({ "Value": { "Fn::GetAtt": ["DatabaseB269D8BB", "Endpoint.Address"] } }),
    );
    let service = Template::from_assembly(&assembly, PROBE, "service");
    service.has_output(
        "LoadBalancerUrl",
        json!({ "Value": { "Fn::Join": ["", ["http://", { "Fn::GetAtt": ["WebLB720665E7", "DNSName"] }]] } }),
    );
}

// ---- wrong use: clear errors naming the construct path ----
