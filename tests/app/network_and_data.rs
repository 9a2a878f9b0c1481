//! The network and data stacks: subnets, the database, security groups and IAM.

use super::*;

#[test]
fn vpc_has_non_overlapping_subnets_in_selected_zones_with_routes_and_flow_logs() {
    let assembly = synth_all();
    for row in table() {
        let cfg = config(row.env);
        let t = Template::from_assembly(&assembly, row.env, "network");
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
        // The flow logs live in the data stack, next to the environment's key, and log the
        // network stack's VPC.
        let data = Template::from_assembly(&assembly, row.env, "data");
        let vpc_id = t.resources_of_type("AWS::EC2::VPC")[0].0.clone();
        data.has_resource_properties(
            "AWS::EC2::FlowLog",
            json!({
                "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs",
                "ResourceId": { "Fn::ImportValue": format!("shop-{}-network:ExportsOutputRef{vpc_id}", row.env) },
            }),
        );
        let key = data.find_resources("AWS::KMS::Key", json!({}));
        let group_key = match key.first() {
            Some((id, _)) => json!({ "Fn::GetAtt": [id, "Arn"] }),
            None => cairn_assertions::Match::absent(),
        };
        assert_eq!(
            key.is_empty(),
            !cfg.encryption.customer_managed_key,
            "a key exactly where the file asks"
        );
        data.has_resource_properties(
            "AWS::Logs::LogGroup",
            json!({ "RetentionInDays": cfg.logs.retention_days.days(), "KmsKeyId": group_key }),
        );
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
        let data = Template::from_assembly(&assembly, &env.settings.name, "data");
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
        let data = Template::from_assembly(&assembly, env, "data");
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
                json!({ "LogGroupName": format!("/aws/rds/instance/{identifier}/{export}") }),
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
    let service = Template::from_assembly(&assembly, PROBE, "service");
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
