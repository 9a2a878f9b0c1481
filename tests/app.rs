//! The shop's templates: the environment table, security properties, cross-stack
//! wiring, logical-ID stability, and clear synthesis errors for wrong use.

mod support;

use std::collections::BTreeSet;

use cairn_app::Config;
use cairn_constructs::{
    Attribute, Cluster, ClusterProps, ContainerProps, Database, DatabaseProps, FargateServiceProps, FargateSize,
    LoadBalancedFargateService, LoadBalancedFargateServiceProps, SubnetConfiguration, Table, TableProps, Vpc, VpcProps,
};
use cairn_core::config::Ipv4Cidr;
use cairn_core::{App, EnvSettings, Error};
use serde_json::{json, Value as Json};
use support::{absent, any_environment, array_with, config, probe_config, synth_all, synth_with, Template, PROBE};

/// The environment table (docs: deployment guide), one row per environment.
struct Row {
    env: &'static str,
    instance_class: &'static str,
    desired_count: u32,
    deletion_protection: bool,
    backup_retention: u32,
    nat_gateways: usize,
    retain_data: bool,
}

const TABLE: [Row; 3] = [
    Row {
        env: "dev",
        instance_class: "db.t3.micro",
        desired_count: 1,
        deletion_protection: false,
        backup_retention: 7,
        nat_gateways: 1,
        retain_data: false,
    },
    Row {
        env: "staging",
        instance_class: "db.t3.small",
        desired_count: 2,
        deletion_protection: false,
        backup_retention: 7,
        nat_gateways: 1,
        retain_data: false,
    },
    Row {
        env: "prod",
        instance_class: "db.t3.medium",
        desired_count: 3,
        deletion_protection: true,
        backup_retention: 30,
        nat_gateways: 2,
        retain_data: true,
    },
];

/// The rows of [`TABLE`] whose environment file is there.
fn table() -> impl Iterator<Item = &'static Row> {
    let shipped = support::shipped();
    TABLE.iter().filter(move |r| shipped.contains(&r.env))
}

#[test]
fn environment_table_holds_in_the_templates() {
    let assembly = synth_all();
    for row in table() {
        let cfg = config(row.env);
        let data = Template::from(&assembly, row.env, "data");
        data.resource_count_is("AWS::RDS::DBInstance", 1);
        data.has_resource_properties(
            "AWS::RDS::DBInstance",
            json!({
                "DBInstanceClass": row.instance_class,
                "DeletionProtection": row.deletion_protection,
                "BackupRetentionPeriod": row.backup_retention,
                "MultiAZ": cfg.database.multi_az,
            }),
        );
        let policy = if row.retain_data { "Snapshot" } else { "Delete" };
        data.has_resource(
            "AWS::RDS::DBInstance",
            json!({ "DeletionPolicy": policy, "UpdateReplacePolicy": policy }),
        );

        let service = Template::from(&assembly, row.env, "service");
        service.resource_count_is("AWS::ECS::Service", 1);
        service.has_resource_properties("AWS::ECS::Service", json!({ "DesiredCount": row.desired_count }));
        service.has_resource_properties(
            "AWS::ApplicationAutoScaling::ScalableTarget",
            json!({ "MinCapacity": cfg.service.min_tasks, "MaxCapacity": cfg.service.max_tasks }),
        );
        service.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": cfg.logs.retention_days.days() }));

        let network = Template::from(&assembly, row.env, "network");
        network.resource_count_is("AWS::EC2::NatGateway", row.nat_gateways);
        network.resource_count_is("AWS::EC2::EIP", row.nat_gateways);
        network.has_resource_properties("AWS::EC2::VPC", json!({ "CidrBlock": cfg.network.cidr.to_string() }));
    }
}

#[test]
fn each_environment_has_network_data_and_service_stacks_in_deploy_order() {
    let assembly = synth_all();
    let envs: Vec<&str> = assembly.environments.iter().map(|e| e.settings.name.as_str()).collect();
    // Every environment file, in promotion order: the shipped ones dev → staging → prod,
    // any other (a qa.toml) in its place among them.
    let mut sorted = envs.clone();
    sorted.sort();
    assert_eq!(sorted, support::environment_files());
    let shipped: Vec<&str> = envs.iter().copied().filter(|e| support::SHIPPED.contains(e)).collect();
    assert_eq!(shipped, support::shipped());
    for env in &assembly.environments {
        let n = &env.settings.name;
        let names: Vec<&str> = env.stacks.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [format!("shop-{n}-network"), format!("shop-{n}-data"), format!("shop-{n}-service")]
        );
        assert!(env.stacks[0].depends_on.is_empty());
        assert_eq!(env.stacks[1].depends_on, [format!("shop-{n}-network")]);
        assert_eq!(env.stacks[2].depends_on, [format!("shop-{n}-data"), format!("shop-{n}-network")]);
        // The stateful stack never refers to the stateless one.
        let data = Template::of(&env.stacks[1]);
        assert!(data.imports().iter().all(|i| i.starts_with(&format!("shop-{n}-network:"))));
    }
}

#[test]
fn every_type_the_shop_synthesizes_has_schema_facts_and_a_known_statefulness() {
    use cairn_diff::replacement::is_unknown_statefulness;
    let assembly = synth_all();
    let mut unknown = BTreeSet::new();
    for env in &assembly.environments {
        for stack in &env.stacks {
            let resources = stack.template["Resources"].as_object().expect("resources");
            for r in resources.values() {
                let rtype = r["Type"].as_str().expect("a type");
                if cairn_core::schema::resource_type(rtype).is_none() || is_unknown_statefulness(rtype) {
                    unknown.insert(rtype.to_string());
                }
            }
        }
    }
    assert!(
        unknown.is_empty(),
        "add them to STATEFUL_TYPES or STATELESS_TYPES (diff/replacement.rs), or use a type the schemas know: {unknown:?}"
    );
}

#[test]
fn logical_ids_are_identical_across_environments() {
    if !support::requires(&["dev", "staging", "prod"]) {
        return;
    }
    let assembly = synth_all();
    let ids = |env: &str, stack: &str| Template::from(&assembly, env, stack).logical_ids();
    assert_eq!(ids("dev", "data"), ids("staging", "data"), "data: dev vs staging");
    assert_eq!(ids("dev", "data"), ids("prod", "data"), "data: dev vs prod");
    assert_eq!(ids("dev", "service"), ids("staging", "service"), "service: dev vs staging");
    // Prod deploys blue/green (the knob deploy.blue_green): a second target group, the
    // production listener rule and the role ECS shifts traffic with. Nothing else differs.
    let extra: BTreeSet<String> = ids("prod", "service").difference(&ids("dev", "service")).cloned().collect();
    let extra: BTreeSet<&str> = extra
        .iter()
        .map(|id| id.trim_end_matches(|c: char| c.is_ascii_hexdigit() && c.is_ascii_uppercase() || c.is_ascii_digit()))
        .collect();
    assert_eq!(
        extra,
        BTreeSet::from([
            "WebAlternateTargetGroup",
            "WebDeploymentRole",
            "WebDeploymentRoleDefaultPolicy",
            "WebLBProductionRule"
        ])
    );
    assert!(ids("dev", "service").is_subset(&ids("prod", "service")));
    // The network differs only by prod's second NAT gateway (a knob), whose IDs come
    // from the same construct paths.
    assert_eq!(ids("dev", "network"), ids("staging", "network"));
    let extra: BTreeSet<String> = ids("prod", "network").difference(&ids("dev", "network")).cloned().collect();
    assert_eq!(
        extra,
        BTreeSet::from([
            "VpcPublicSubnet2EIP3C605A87".to_string(),
            "VpcPublicSubnet2NATGateway9182C01D".to_string()
        ])
    );
    assert!(ids("dev", "network").is_subset(&ids("prod", "network")));
}

#[test]
fn vpc_has_non_overlapping_subnets_in_selected_zones_with_routes_and_flow_logs() {
    let assembly = synth_all();
    for row in table() {
        let cfg = config(row.env);
        let t = Template::from(&assembly, row.env, "network");
        let subnets = t.resources_of_type("AWS::EC2::Subnet");
        assert_eq!(subnets.len(), 3 * cfg.network.max_azs as usize);
        let blocks: Vec<Ipv4Cidr> = subnets
            .iter()
            .map(|(_, s)| Ipv4Cidr::parse(s["Properties"]["CidrBlock"].as_str().unwrap()).unwrap())
            .collect();
        for (i, a) in blocks.iter().enumerate() {
            assert!(cfg.network.cidr.contains(a), "{a} outside {}", cfg.network.cidr);
            for b in &blocks[i + 1..] {
                assert!(!a.overlaps(b), "{a} overlaps {b}");
            }
        }
        for az in 0..cfg.network.max_azs {
            t.has_resource_properties(
                "AWS::EC2::Subnet",
                json!({ "AvailabilityZone": { "Fn::Select": [az, { "Fn::GetAZs": "" }] }, "MapPublicIpOnLaunch": false }),
            );
        }
        t.resource_count_is("AWS::EC2::InternetGateway", 1);
        // Public subnets → internet gateway; private subnets → a NAT gateway; isolated: none.
        let routes = t.resources_of_type("AWS::EC2::Route");
        let to_igw = routes.iter().filter(|(_, r)| r["Properties"].get("GatewayId").is_some()).count();
        let to_nat = routes.iter().filter(|(_, r)| r["Properties"].get("NatGatewayId").is_some()).count();
        assert_eq!((to_igw, to_nat), (cfg.network.max_azs as usize, cfg.network.max_azs as usize));
        let nat_targets: BTreeSet<String> = routes
            .iter()
            .filter_map(|(_, r)| r["Properties"]["NatGatewayId"]["Ref"].as_str().map(str::to_string))
            .collect();
        assert_eq!(nat_targets.len(), row.nat_gateways, "each NAT gateway serves a zone");
        t.has_resource_properties(
            "AWS::EC2::FlowLog",
            json!({ "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs" }),
        );
        t.has_resource_properties("AWS::Logs::LogGroup", json!({ "RetentionInDays": cfg.logs.retention_days.days() }));
        for service in ["s3", "dynamodb"] {
            t.has_resource_properties(
                "AWS::EC2::VPCEndpoint",
                json!({
                    "ServiceName": { "Fn::Sub": format!("com.amazonaws.${{AWS::Region}}.{service}") },
                    "VpcEndpointType": "Gateway",
                }),
            );
        }
        let endpoint = &t.resources_of_type("AWS::EC2::VPCEndpoint")[0].1;
        assert_eq!(endpoint["Properties"]["RouteTableIds"].as_array().unwrap().len(), subnets.len());
    }
}

#[test]
fn database_is_private_encrypted_and_password_free() {
    let assembly = synth_all();
    for env in &assembly.environments {
        let data = Template::from(&assembly, &env.settings.name, "data");
        data.has_resource_properties(
            "AWS::RDS::DBInstance",
            json!({
                "Engine": "postgres",
                "EngineVersion": "17.5",
                "MasterUserPassword": format!("{{{{resolve:secretsmanager:shop-{}-data/Database/credentials:SecretString:password}}}}", env.settings.name),
                "StorageEncrypted": true,
                "PubliclyAccessible": false,
                "EnableCloudwatchLogsExports": array_with(json!(["postgresql"])),
                "VPCSecurityGroups": [{ "Fn::GetAtt": ["DatabaseSecurityGroup5C91FDCB", "GroupId"] }],
            }),
        );
        // Secrets Manager generates the password; the template never holds one.
        data.has_resource_properties(
            "AWS::SecretsManager::Secret",
            json!({
                "Name": format!("shop-{}-data/Database/credentials", env.settings.name),
                "GenerateSecretString": { "GenerateStringKey": "password", "PasswordLength": 32 },
                "SecretString": absent(),
            }),
        );
        // Isolated subnets only.
        let group = &data.resources_of_type("AWS::RDS::DBSubnetGroup")[0].1;
        for id in group["Properties"]["SubnetIds"].as_array().unwrap() {
            assert!(id["Fn::ImportValue"].as_str().unwrap().contains("VpcIsolatedSubnet"), "{id}");
        }
        // The database's group has no ingress of its own and no egress.
        data.resource_count_is("AWS::EC2::SecurityGroupIngress", 0);
        data.has_resource_properties(
            "AWS::EC2::SecurityGroup",
            json!({ "SecurityGroupIngress": absent(), "SecurityGroupEgress": [{ "CidrIp": "255.255.255.255/32" }] }),
        );
        for stack in &env.stacks {
            // The only password property is a dynamic reference resolved by CloudFormation.
            for (i, _) in stack.body.match_indices("\"MasterUserPassword\": ") {
                let value = &stack.body[i + "\"MasterUserPassword\": ".len()..];
                assert!(
                    value.starts_with("\"{{resolve:secretsmanager:"),
                    "{}: a password in the template",
                    stack.name
                );
            }
            assert!(
                !stack.body.contains("\"SecretString\""),
                "{}: a secret value in the template",
                stack.name
            );
        }
    }
}

#[test]
fn database_log_exports_go_to_log_groups_with_the_environments_retention() {
    let assembly = synth_all();
    let shipped = support::shipped();
    for (env, retention) in [("dev", 14), ("staging", 30), ("prod", 90)] {
        if !shipped.contains(&env) {
            continue;
        }
        let data = Template::from(&assembly, env, "data");
        let identifier = format!("shop-{env}-data-database");
        data.has_resource_properties("AWS::RDS::DBInstance", json!({ "DBInstanceIdentifier": identifier }));
        // One group per export, named where RDS writes, created first (RDS would create
        // them itself, keeping logs forever).
        let instance = &data.resources_of_type("AWS::RDS::DBInstance")[0].1;
        let depends: Vec<&str> = instance["DependsOn"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap())
            .collect();
        for export in ["postgresql", "upgrade"] {
            let groups = data.find_resources(
                "AWS::Logs::LogGroup",
                &json!({ "LogGroupName": format!("/aws/rds/instance/{identifier}/{export}") }),
            );
            assert_eq!(groups.len(), 1, "{env}: no log group for the {export} export");
            let (id, group) = &groups[0];
            assert_eq!(group["Properties"]["RetentionInDays"], retention, "{env} {export}");
            assert!(depends.contains(&id.as_str()), "{env}: the instance does not wait for {id}");
        }
    }
}

#[test]
fn a_database_identifier_engine_version_or_class_rds_does_not_accept_is_a_synthesis_error() {
    let (app, env) = {
        let app = App::new("shop").unwrap();
        let env = app.environment(settings("dev")).unwrap();
        (app, env)
    };
    let network = env.stack("network").unwrap();
    let vpc = Vpc::new(&network, "Vpc", VpcProps::default()).unwrap();
    let err = Database::new(
        &network,
        "Db",
        &vpc,
        DatabaseProps {
            instance_identifier: Some("Shop--DB".into()),
            ..Default::default()
        },
    )
    .err()
    .expect("an invalid identifier is refused");
    let text = err.to_string();
    assert!(
        text.contains("dev/network/Db") && text.contains("instance_identifier") && text.contains("Shop--DB"),
        "{text}"
    );
    let err = Database::new(
        &network,
        "Db2",
        &vpc,
        DatabaseProps {
            engine_version: "9".into(),
            ..Default::default()
        },
    )
    .err()
    .expect("PostgreSQL 9 is refused");
    let text = err.to_string();
    assert!(text.contains("engine_version") && text.contains("`9`"), "{text}");
    // A well-formed class RDS does not offer is refused here, not first at deploy.
    let err = Database::new(
        &network,
        "Db3",
        &vpc,
        DatabaseProps {
            instance_class: "db.t3.mega".into(),
            ..Default::default()
        },
    )
    .err()
    .expect("db.t3.mega is refused");
    let text = err.to_string();
    assert!(
        text.contains("dev/network/Db3: instance_class: `db.t3.mega`") && text.contains("fix: use a size RDS offers in db.t3"),
        "{text}"
    );
    drop(app);
}

#[test]
fn service_reaches_the_database_through_a_rule_in_the_service_stack() {
    let assembly = synth_with(PROBE, &probe_config()).unwrap();
    let service = Template::from(&assembly, PROBE, "service");
    service.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({
            "GroupId": { "Fn::ImportValue": "shop-probe-data:ExportsOutputFnGetAttDatabaseSecurityGroup5C91FDCBGroupId" },
            "SourceSecurityGroupId": { "Fn::GetAtt": ["WebServiceSecurityGroupBAF50CC8", "GroupId"] },
            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
        }),
    );
    service.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        json!({
            "GroupId": { "Fn::GetAtt": ["WebServiceSecurityGroupBAF50CC8", "GroupId"] },
            "DestinationSecurityGroupId": { "Fn::ImportValue": "shop-probe-data:ExportsOutputFnGetAttDatabaseSecurityGroup5C91FDCBGroupId" },
            "FromPort": 5432,
        }),
    );
    // The service admits only the load balancer's group, on the container port.
    let ingress = service.resources_of_type("AWS::EC2::SecurityGroupIngress");
    let into_service: Vec<&Json> = ingress
        .iter()
        .map(|(_, r)| &r["Properties"])
        .filter(|p| p["GroupId"] == json!({ "Fn::GetAtt": ["WebServiceSecurityGroupBAF50CC8", "GroupId"] }))
        .collect();
    assert_eq!(into_service.len(), 1);
    assert_eq!(
        into_service[0]["SourceSecurityGroupId"],
        json!({ "Fn::GetAtt": ["WebLBSecurityGroupAD942A36", "GroupId"] })
    );
    assert_eq!(into_service[0]["FromPort"], 80);
    // Without a certificate the load balancer listens on 80 only, and only 80 is open.
    service.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({ "SecurityGroupIngress": [
            { "CidrIp": "0.0.0.0/0", "FromPort": 80, "ToPort": 80 },
        ] }),
    );
}

#[test]
fn every_security_group_and_rule_has_a_description_and_no_open_egress() {
    let assembly = synth_all();
    for env in &assembly.environments {
        for stack in &env.stacks {
            let t = Template::of(stack);
            for (id, sg) in t.resources_of_type("AWS::EC2::SecurityGroup") {
                let p = &sg["Properties"];
                assert!(p["GroupDescription"].as_str().is_some_and(|d| !d.is_empty()), "{id}");
                for rule in p["SecurityGroupIngress"]
                    .as_array()
                    .into_iter()
                    .chain(p["SecurityGroupEgress"].as_array())
                    .flatten()
                {
                    assert!(rule["Description"].as_str().is_some_and(|d| !d.is_empty()), "{id}: {rule}");
                    assert_ne!(rule["IpProtocol"], "-1", "{id}: all-traffic rule {rule}");
                }
            }
            for ty in ["AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"] {
                for (id, r) in t.resources_of_type(ty) {
                    assert!(r["Properties"]["Description"].as_str().is_some_and(|d| !d.is_empty()), "{id}");
                }
            }
        }
    }
}

/// Every `Resource` of every IAM statement, with its actions.
fn iam_statements(t: &Template) -> Vec<(Vec<String>, Vec<Json>)> {
    let mut out = Vec::new();
    for (_, policy) in t.resources_of_type("AWS::IAM::Policy") {
        for s in policy["Properties"]["PolicyDocument"]["Statement"].as_array().unwrap() {
            let list = |v: &Json| match v {
                Json::Array(a) => a.clone(),
                other => vec![other.clone()],
            };
            let actions = list(&s["Action"]).iter().map(|a| a.as_str().unwrap().to_string()).collect();
            out.push((actions, list(&s["Resource"])));
        }
    }
    out
}

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
    let t = Template::from(&assembly, "staging", "service");
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
    let t = Template::from(&assembly, "prod", "service");
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
    let t = Template::from(&assembly, PROBE, "service");
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
        let t = Template::from(&assembly, &env, "service");
        t.resource_count_is("AWS::WAFv2::WebACL", 1);
        t.resource_count_is("AWS::WAFv2::WebACLAssociation", 1);
        let (acl, _) = &t.resources_of_type("AWS::WAFv2::WebACL")[0];
        let (lb, _) = &t.resources_of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")[0];
        t.has_resource_properties(
            "AWS::WAFv2::WebACL",
            json!({
                "Scope": "REGIONAL",
                "DefaultAction": { "Allow": {} },
                "Rules": [{
                    "OverrideAction": { "None": {} },
                    "Statement": { "ManagedRuleGroupStatement": { "VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet" } },
                    "VisibilityConfig": { "CloudWatchMetricsEnabled": true, "SampledRequestsEnabled": true },
                }],
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
    let data = Template::from(&assembly, PROBE, "data");
    data.has_output("TableName", json!({ "Value": { "Ref": "OrdersA9B65338" } }));
    data.has_output("BucketName", json!({ "Value": { "Ref": "Uploads4F6EB0FD" } }));
    data.has_output("QueueUrl", json!({ "Value": { "Ref": "JobsDF1CC2D4" } }));
    data.has_output(
        "DatabaseEndpoint",
        json!({ "Value": { "Fn::GetAtt": ["DatabaseB269D8BB", "Endpoint.Address"] } }),
    );
    let service = Template::from(&assembly, PROBE, "service");
    service.has_output(
        "LoadBalancerUrl",
        json!({ "Value": { "Fn::Join": ["", ["http://", { "Fn::GetAtt": ["WebLB720665E7", "DNSName"] }]] } }),
    );
}

// ---- wrong use: clear errors naming the construct path ----

fn settings(name: &str) -> EnvSettings {
    EnvSettings {
        name: name.into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        retain_data: false,
        require_approval: false,
        tags: Default::default(),
    }
}

fn cidr(s: &str) -> Ipv4Cidr {
    Ipv4Cidr::parse(s).unwrap()
}

fn vpc_error(props: VpcProps) -> Error {
    let app = App::new("t").unwrap();
    let stack = app.environment(settings("dev")).unwrap().stack("network").unwrap();
    match Vpc::new(&stack, "Vpc", props) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e,
    }
}

#[test]
fn overlapping_subnet_blocks_are_an_error() {
    let e = vpc_error(VpcProps {
        subnet_configuration: vec![
            SubnetConfiguration::public("Public", 24).with_cidrs(vec![cidr("10.0.0.0/24"), cidr("10.0.1.0/24")]),
            SubnetConfiguration::isolated("Isolated", 24).with_cidrs(vec![cidr("10.0.2.0/24"), cidr("10.0.0.128/25")]),
        ],
        nat_gateways: 0,
        ..Default::default()
    });
    assert_eq!(e.path.as_deref(), Some("dev/network/Vpc"));
    assert!(
        e.message
            .contains("IsolatedSubnet2 (10.0.0.128/25) overlaps subnet PublicSubnet1 (10.0.0.0/24)"),
        "{e}"
    );
    assert!(e.fix.is_some());
}

#[test]
fn a_vpc_block_too_small_for_its_subnets_is_an_error() {
    // Through the app: a /24 VPC cannot hold the /20 private subnets.
    let mut cfg = probe_config();
    cfg.network.cidr = cidr("10.10.0.0/24");
    let errors = synth_with(PROBE, &cfg).expect_err("a /24 VPC is too small");
    let e = &errors.0[0];
    assert_eq!(e.path.as_deref(), Some("probe/network/Vpc"));
    assert_eq!(e.property.as_deref(), Some("subnet_configuration[1].cidr_mask"));
    assert!(e.message.contains("10.10.0.0/24 is too small for a /20 subnet"), "{e}");
}

#[test]
fn more_zones_than_the_block_has_room_for_is_an_error() {
    let props = |max_azs| VpcProps {
        cidr: cidr("10.0.0.0/22"),
        max_azs,
        subnet_configuration: vec![
            SubnetConfiguration::public("Public", 24),
            SubnetConfiguration::private_with_egress("Private", 24),
        ],
        ..Default::default()
    };
    // 2 zones × 2 groups of /24 fill a /22 exactly…
    let app = App::new("t").unwrap();
    let stack = app.environment(settings("dev")).unwrap().stack("network").unwrap();
    let vpc = Vpc::new(&stack, "Vpc", props(2)).expect("4 /24 subnets fit a /22");
    let blocks: Vec<String> = vpc.subnets().iter().map(|s| s.cidr.to_string()).collect();
    assert_eq!(blocks, ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "10.0.3.0/24"]);
    // …3 zones do not.
    let e = vpc_error(props(3));
    assert_eq!(e.path.as_deref(), Some("dev/network/Vpc"));
    assert_eq!(e.property.as_deref(), Some("max_azs"));
    assert!(e.message.contains("too small for 3 availability zones"), "{e}");
    assert!(e.message.contains("subnet PrivateSubnet2 (/24) does not fit"), "{e}");
}

#[test]
fn invalid_cpu_memory_pairs_cannot_be_built() {
    // In code there is no variant for an invalid pair (see the compile_fail doc test on
    // FargateSize); values from environment files are checked against the same table.
    assert_eq!(FargateSize::new(256, 4096), None);
    assert_eq!(FargateSize::new(1024, 2048), Some(FargateSize::Cpu1024Mem2048));
    assert!(FargateSize::ALL
        .iter()
        .all(|s| FargateSize::new(s.cpu(), s.memory_mib()) == Some(*s)));

    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("stacks/environments/{}.toml", any_environment()));
    let mut table = cairn_core::config::read_table(&path).unwrap();
    let service = table["service"].as_table_mut().unwrap();
    service.insert("cpu".into(), toml::Value::Integer(256));
    service.insert("memory_mib".into(), toml::Value::Integer(4096));
    let e = cairn_core::config::from_table::<Config>(&path, table).expect_err("256/4096 is invalid");
    assert_eq!(e.key.as_deref(), Some("service.memory_mib"));
    assert!(e.message.contains("allowed: 512, 1024, 2048"), "{e}");
}

#[test]
fn grants_and_connections_across_environments_are_errors() {
    let app = App::new("t").unwrap();
    let dev = app.environment(settings("dev")).unwrap();
    let prod = app.environment(settings("prod")).unwrap();
    let dev_data = dev.stack("data").unwrap();
    let table = Table::new(
        &dev_data,
        "Orders",
        TableProps {
            partition_key: Attribute::string("id"),
            ..Default::default()
        },
    )
    .unwrap();
    let prod_service = prod.stack("service").unwrap();
    let vpc = Vpc::new(&prod.stack("network").unwrap(), "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(&prod_service, "Cluster", &vpc, ClusterProps::default()).unwrap();
    let web = LoadBalancedFargateService::new(
        &prod_service,
        "Web",
        &cluster,
        LoadBalancedFargateServiceProps {
            service: FargateServiceProps {
                container: ContainerProps {
                    image: "public.ecr.aws/nginx/nginx:1.27".into(),
                    ..Default::default()
                },
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .unwrap();
    let e = table.grant_read_write(&web).expect_err("a cross-environment grant");
    assert_eq!(e.path.as_deref(), Some("dev/data/Orders"));
    assert!(e.message.contains("prod/service/Web/Service/TaskRole"), "{e}");
    assert!(e.message.contains("environment `prod`, not `dev`"), "{e}");

    let dev_vpc = Vpc::new(&dev.stack("network").unwrap(), "Vpc", VpcProps::default()).unwrap();
    let db = cairn_constructs::Database::new(&dev_data, "Database", &dev_vpc, Default::default()).unwrap();
    let e = db.allow_from(&web).expect_err("a cross-environment connection");
    assert_eq!(e.path.as_deref(), Some("dev/data/Database/SecurityGroup"));
    assert!(e.message.contains("environment `prod`, not `dev`"), "{e}");
}

#[test]
fn a_duplicate_construct_id_is_an_error() {
    let app = App::new("t").unwrap();
    let stack = app.environment(settings("dev")).unwrap().stack("network").unwrap();
    Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let Err(e) = Vpc::new(&stack, "Vpc", VpcProps::default()) else {
        panic!("a second `Vpc` must be refused")
    };
    assert_eq!(e.path.as_deref(), Some("dev/network/Vpc"));
    assert!(e.message.contains("already a construct with id `Vpc`"), "{e}");
}

#[test]
fn a_missing_image_names_the_service() {
    let mut cfg = probe_config();
    cfg.service.image = String::new();
    let errors = synth_with(PROBE, &cfg).expect_err("an empty image");
    assert_eq!(errors.0[0].path.as_deref(), Some("probe/service/Web/Service"));
    assert_eq!(errors.0[0].property.as_deref(), Some("container.image"));
}

#[test]
fn the_template_matcher_rejects_what_does_not_match() {
    use support::matches;
    let actual = json!({ "A": 1, "B": [1, 2], "C": { "D": "x" } });
    assert!(matches(&json!({ "A": 1, "C": { "D": "x" } }), &actual).is_ok());
    assert!(matches(&json!({ "A": 2 }), &actual).is_err());
    assert!(matches(&json!({ "B": [1] }), &actual).is_err(), "arrays match whole");
    assert!(matches(&json!({ "B": array_with(json!([2])) }), &actual).is_ok());
    assert!(matches(&json!({ "B": array_with(json!([3])) }), &actual).is_err());
    assert!(matches(&json!({ "E": absent() }), &actual).is_ok());
    assert!(matches(&json!({ "A": absent() }), &actual).is_err());
    assert!(matches(&json!({ "Z": 1 }), &actual).is_err(), "missing keys fail");
}

/// `<AccessLogs bucket arn><suffix>` as the constructs write it.
fn log_objects(suffix: Json) -> Json {
    json!({ "Fn::Join": ["", [{ "Fn::GetAtt": ["AccessLogs8B620ECA", "Arn"] }, suffix]] })
}

#[test]
fn access_logs_of_uploads_and_the_load_balancer_go_to_a_log_bucket() {
    let assembly = synth_all();
    for row in table() {
        let cfg = config(row.env);
        let data = Template::from(&assembly, row.env, "data");
        let bucket = &data.json["Resources"]["AccessLogs8B620ECA"];
        assert_eq!(bucket["Type"], "AWS::S3::Bucket", "{}", row.env);
        let p = &bucket["Properties"];
        assert_eq!(
            p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"], "AES256",
            "ALB log delivery supports SSE-S3 only"
        );
        assert_eq!(
            p["OwnershipControls"]["Rules"],
            json!([{ "ObjectOwnership": "BucketOwnerEnforced" }])
        );
        assert_eq!(
            p["PublicAccessBlockConfiguration"],
            json!({ "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true })
        );
        let expire = &p["LifecycleConfiguration"]["Rules"][0];
        assert_eq!(expire["Id"], "ExpireLogs");
        assert_eq!(expire["ExpirationInDays"], json!(cfg.logs.retention_days.days()), "{}", row.env);
        assert!(p.get("LoggingConfiguration").is_none(), "the log bucket does not log itself");

        // The policy: TLS only, S3 server access logs under uploads/ from this account,
        // the us-east-1 ELB account under web/AWSLogs/<account>/.
        let policy = &data.json["Resources"]["AccessLogsPolicy3C1D984A"]["Properties"];
        assert_eq!(policy["Bucket"], json!({ "Ref": "AccessLogs8B620ECA" }));
        let statements = policy["PolicyDocument"]["Statement"].as_array().unwrap();
        assert_eq!(statements.len(), 3, "{statements:#?}");
        assert_eq!(statements[0]["Sid"], "DenyInsecureTransport");
        assert_eq!(
            statements[1],
            json!({
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": { "Service": "logging.s3.amazonaws.com" },
                "Action": "s3:PutObject",
                "Resource": log_objects(json!("/uploads/*")),
                "Condition": { "StringEquals": { "aws:SourceAccount": { "Ref": "AWS::AccountId" } } },
            })
        );
        assert_eq!(
            statements[2],
            json!({
                "Sid": "LoadBalancerAccessLogs",
                "Effect": "Allow",
                "Principal": { "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::127311923021:root" } },
                "Action": "s3:PutObject",
                "Resource": log_objects(json!({ "Fn::Sub": "/web/AWSLogs/${AWS::AccountId}/*" })),
            })
        );

        assert_eq!(
            data.json["Resources"]["Uploads4F6EB0FD"]["Properties"]["LoggingConfiguration"],
            json!({ "DestinationBucketName": { "Ref": "AccessLogs8B620ECA" }, "LogFilePrefix": "uploads/" })
        );

        let service = Template::from(&assembly, row.env, "service");
        let export = format!("shop-{}-data:ExportsOutputRefAccessLogs8B620ECA", row.env);
        service.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            json!({ "LoadBalancerAttributes": array_with(json!([
                { "Key": "access_logs.s3.enabled", "Value": "true" },
                { "Key": "access_logs.s3.bucket", "Value": { "Fn::ImportValue": export } },
                { "Key": "access_logs.s3.prefix", "Value": "web" },
            ])) }),
        );
        // No DependsOn across stacks: the bucket policy deploys with the data stack, first.
        for (id, lb) in service.resources_of_type("AWS::ElasticLoadBalancingV2::LoadBalancer") {
            assert!(lb.get("DependsOn").is_none(), "{id}");
        }
    }
}

#[test]
fn newer_regions_deliver_load_balancer_logs_through_the_service_principal() {
    let mut cfg = probe_config();
    cfg.region = cairn_core::config::Region::parse("eu-central-2").unwrap();
    let assembly = synth_with(PROBE, &cfg).unwrap();
    let data = Template::from(&assembly, PROBE, "data");
    let statements = &data.json["Resources"]["AccessLogsPolicy3C1D984A"]["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(
        statements[2]["Principal"],
        json!({ "Service": "logdelivery.elasticloadbalancing.amazonaws.com" })
    );
    assert_eq!(
        statements[2]["Resource"],
        log_objects(json!({ "Fn::Sub": "/web/AWSLogs/${AWS::AccountId}/*" }))
    );
    cfg.region = cairn_core::config::Region::parse("eu-west-1").unwrap();
    let assembly = synth_with(PROBE, &cfg).unwrap();
    let data = Template::from(&assembly, PROBE, "data");
    let statements = &data.json["Resources"]["AccessLogsPolicy3C1D984A"]["Properties"]["PolicyDocument"]["Statement"];
    assert_eq!(
        statements[2]["Principal"],
        json!({ "AWS": { "Fn::Sub": "arn:${AWS::Partition}:iam::156460612806:root" } })
    );
}

#[test]
fn the_container_root_is_read_only_with_volumes_where_nginx_writes() {
    let assembly = synth_all();
    for row in table() {
        let t = Template::from(&assembly, row.env, "service");
        t.has_resource_properties(
            "AWS::ECS::TaskDefinition",
            json!({
                "Volumes": [{ "Name": "var-cache-nginx" }, { "Name": "var-run" }, { "Name": "tmp" }],
                "ContainerDefinitions": [{
                    "ReadonlyRootFilesystem": true,
                    "MountPoints": [
                        { "ContainerPath": "/var/cache/nginx", "ReadOnly": false, "SourceVolume": "var-cache-nginx" },
                        { "ContainerPath": "/var/run", "ReadOnly": false, "SourceVolume": "var-run" },
                        { "ContainerPath": "/tmp", "ReadOnly": false, "SourceVolume": "tmp" },
                    ],
                }],
            }),
        );
    }
}

#[test]
fn load_balancer_logs_need_a_log_bucket_and_a_valid_prefix() {
    let app = App::new("t").unwrap();
    let env = app.environment(settings("dev")).unwrap();
    let stack = env.stack("service").unwrap();
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(&stack, "Cluster", &vpc, ClusterProps::default()).unwrap();
    let plain = cairn_constructs::Bucket::new(&stack, "Plain", Default::default()).unwrap();
    let logs = cairn_constructs::Bucket::for_access_logs(&stack, "Logs", Default::default()).unwrap();
    let props = |access_logs| LoadBalancedFargateServiceProps {
        service: FargateServiceProps {
            container: ContainerProps {
                image: "nginx".into(),
                ..Default::default()
            },
            ..Default::default()
        },
        access_logs: Some(access_logs),
        ..Default::default()
    };
    let e = LoadBalancedFargateService::new(&stack, "A", &cluster, props((plain, "web".into())))
        .err()
        .unwrap();
    assert_eq!(
        (e.path.as_deref(), e.property.as_deref()),
        (Some("dev/service/A"), Some("access_logs"))
    );
    assert!(e.message.contains("not an access-log bucket"), "{e}");
    let e = LoadBalancedFargateService::new(&stack, "B", &cluster, props((logs.clone(), "web/AWSLogs".into())))
        .err()
        .unwrap();
    assert_eq!(e.property.as_deref(), Some("access_logs"));
    assert!(e.message.contains("web/AWSLogs"), "{e}");

    let mut bad = props((logs, "web".into()));
    bad.service.container.writable_paths = vec!["tmp".into()];
    let e = LoadBalancedFargateService::new(&stack, "C", &cluster, bad).err().unwrap();
    assert_eq!(e.property.as_deref(), Some("container.writable_paths"));
}

#[test]
fn a_health_check_path_is_refused_for_what_is_wrong_with_it_shortened() {
    let app = App::new("t").unwrap();
    let env = app.environment(settings("dev")).unwrap();
    let stack = env.stack("service").unwrap();
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(&stack, "Cluster", &vpc, ClusterProps::default()).unwrap();
    let props = |path: String| LoadBalancedFargateServiceProps {
        service: FargateServiceProps {
            container: ContainerProps {
                image: "nginx".into(),
                ..Default::default()
            },
            ..Default::default()
        },
        health_check: cairn_constructs::HealthCheck {
            path,
            ..Default::default()
        },
        ..Default::default()
    };
    let e = LoadBalancedFargateService::new(&stack, "Long", &cluster, props(format!("/{}", "y".repeat(3000))))
        .err()
        .unwrap();
    assert_eq!(e.property.as_deref(), Some("health_check.path"));
    assert!(e.message.contains("is longer than 1024 characters"), "{e}");
    assert!(!e.message.contains("must start with"), "{e}");
    assert!(e.message.contains("(3001 characters)") && e.message.len() < 200, "{e}");
    let e = LoadBalancedFargateService::new(&stack, "Relative", &cluster, props("health".into()))
        .err()
        .unwrap();
    assert!(e.message.contains("health check path `health` must start with `/`"), "{e}");
}

#[test]
fn parity_finds_the_same_differing_leaves_as_comparing_every_leaf() {
    let assembly = synth_all();
    let flats: Vec<_> = assembly
        .environments
        .iter()
        .map(|e| (e.settings.name.as_str(), cairn_parity::flatten_env(e)))
        .collect();
    for (a_name, a) in &flats {
        for (b_name, b) in &flats {
            let fast = a.diff_keys(b);
            assert_eq!(fast, a.diff_keys_by_leaves(b, None));
            if a_name == b_name {
                assert!(fast.is_empty());
            } else if support::SHIPPED.contains(a_name) && support::SHIPPED.contains(b_name) {
                // dev, staging and prod differ in their knobs, so there is something to find.
                assert!(!fast.is_empty(), "{a_name} and {b_name}");
            }
        }
    }
}

/// A prod data stack (its database monitored from the network stack) with the database
/// construct named `id`; `keep` runs on the data stack before the database is created.
fn data_with_database(id: &str, keep: impl Fn(&cairn_core::Stack)) -> (Json, Json) {
    let app = App::new("shop").unwrap();
    let env = app.environment(settings("prod")).unwrap();
    let network = env.stack("network").unwrap();
    let vpc = Vpc::new(&network, "Vpc", VpcProps::default()).unwrap();
    let monitoring = cairn_constructs::Monitoring::new(&network, "Monitoring", Default::default()).unwrap();
    let data = env.stack("data").unwrap();
    keep(&data);
    let db = Database::new(
        &data,
        id,
        &vpc,
        DatabaseProps {
            database_name: "shop".into(),
            ..Default::default()
        },
    )
    .unwrap();
    monitoring.watch_database(&db).unwrap();
    let a = app.synth().unwrap();
    (
        Template::from(&a, "prod", "data").json.clone(),
        Template::from(&a, "prod", "network").json.clone(),
    )
}

#[test]
fn a_database_renamed_with_kept_logical_ids_keeps_its_physical_names_and_is_not_replaced() {
    let (data, network) = data_with_database("Database", |_| {});
    let (renamed, _) = data_with_database("Db", |_| {});
    let d = cairn_diff::compare(&data, &renamed);
    assert!(
        d.resources
            .iter()
            .any(|r| r.action == cairn_diff::Action::Remove && r.resource_type == "AWS::RDS::DBInstance"),
        "a plain rename removes the database: {d:#?}"
    );

    let (kept, kept_network) = data_with_database("Db", |s| s.keep_logical_ids("Db", "Database").unwrap());
    for (old, new) in [(&data, &kept), (&network, &kept_network)] {
        let d = cairn_diff::compare(old, new);
        assert!(d.is_empty(), "kept: no change but the construct path: {:#?}", d.resources);
    }
    let id = |t: &Json| {
        t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .find(|r| r["Type"] == "AWS::RDS::DBInstance")
            .unwrap()["Properties"]["DBInstanceIdentifier"]
            .clone()
    };
    assert_eq!(id(&kept), json!("shop-prod-data-database"));
    assert_ne!(id(&renamed), id(&kept));
}
