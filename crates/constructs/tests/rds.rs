//! RDS PostgreSQL: isolated, encrypted, never public, the password only in Secrets
//! Manager, its own closed security group, log groups with retention, snapshots and
//! deletion protection where the environment keeps data; validation of the props.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::ec2::{SecurityGroup, SecurityGroupProps};
use cairn_constructs::rds::{Database, DatabaseProps};
use cairn_constructs::{Connectable, SubnetType, Vpc, VpcAttributes, VpcProps};
use common::{assert_refused, retained_stack, stack};
use serde_json::json;

#[test]
fn a_database_is_encrypted_private_isolated_and_its_password_is_only_a_secret_reference() {
    // GIVEN
    let stack = stack("data");
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();

    // WHEN
    let db = Database::new(&stack, "Database", &vpc, DatabaseProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let isolated: Vec<serde_json::Value> = vpc
        .subnets()
        .iter()
        .filter(|s| s.group == "Isolated")
        .map(|s| json!({ "Ref": s.cfn_subnet().logical_id() }))
        .collect();
    template.has_resource_properties("AWS::RDS::DBSubnetGroup", json!({ "SubnetIds": isolated }));
    template.has_resource(
        "AWS::RDS::DBInstance",
        json!({
            "DeletionPolicy": "Delete",
            "Properties": {
                "Engine": "postgres",
                "StorageEncrypted": true,
                "PubliclyAccessible": false,
                "EnableIAMDatabaseAuthentication": true,
                "BackupRetentionPeriod": 7,
                "DeletionProtection": false,
                "DBInstanceIdentifier": "t-dev-data-database",
                "MasterUserPassword": "{{resolve:secretsmanager:t-dev-data/Database/credentials:SecretString:password}}",
                "VPCSecurityGroups": [{ "Fn::GetAtt": [db.security_group().cfn_security_group().logical_id(), "GroupId"] }],
                "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
            },
        }),
    );
    template.has_resource_properties(
        "AWS::SecretsManager::Secret",
        json!({
            "Name": "t-dev-data/Database/credentials",
            "GenerateSecretString": {
                "SecretStringTemplate": "{\"username\":\"dbadmin\"}",
                "GenerateStringKey": "password",
                "PasswordLength": 32,
            },
            "SecretString": Match::absent(),
        }),
    );
    // The group admits nothing and sends nothing until a connection is allowed.
    template.has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Database PostgreSQL, admits only explicitly allowed groups",
            "SecurityGroupIngress": Match::absent(),
            "SecurityGroupEgress": [{ "CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic" }],
        }),
    );
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0);
}

#[test]
fn each_exported_log_has_a_log_group_with_retention_created_before_the_instance() {
    // GIVEN
    let stack = stack("data");
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();

    // WHEN
    let db = Database::new(&stack, "Database", &vpc, DatabaseProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let mut groups = Vec::new();
    for log in ["postgresql", "upgrade"] {
        let found = template.find_resources(
            "AWS::Logs::LogGroup",
            json!({ "LogGroupName": format!("/aws/rds/instance/t-dev-data-database/{log}"), "RetentionInDays": 30 }),
        );
        assert_eq!(found.len(), 1, "no log group for `{log}`");
        groups.push(json!(found[0].0));
    }
    let instance = template.resource(db.cfn_db_instance().logical_id());
    let depends_on = &instance["DependsOn"];
    for group in &groups {
        assert!(
            depends_on.as_array().is_some_and(|d| d.contains(group)),
            "{group} not in {depends_on}"
        );
    }
}

#[test]
fn a_database_is_protected_and_snapshotted_where_the_environment_keeps_data() {
    // GIVEN
    let stack = retained_stack("data");
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();

    // WHEN
    Database::new(&stack, "Database", &vpc, DatabaseProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource(
        "AWS::RDS::DBInstance",
        json!({
            "DeletionPolicy": "Snapshot",
            "UpdateReplacePolicy": "Snapshot",
            "Properties": { "DeletionProtection": true },
        }),
    );
    template.has_resource("AWS::SecretsManager::Secret", json!({ "DeletionPolicy": "Retain" }));
}

#[test]
fn allow_from_admits_exactly_that_group_on_the_database_port() {
    // GIVEN
    let stack = stack("data");
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let db = Database::new(&stack, "Database", &vpc, DatabaseProps::default()).unwrap();
    let app = SecurityGroup::new(&stack, "App", &vpc, SecurityGroupProps::default()).unwrap();

    // WHEN
    db.allow_from(&app).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let group = |g: &SecurityGroup| json!({ "Fn::GetAtt": [g.cfn_security_group().logical_id(), "GroupId"] });
    template.resource_count_is("AWS::EC2::SecurityGroupIngress", 1);
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({
            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
            "GroupId": { "Fn::GetAtt": [db.security_group().cfn_security_group().logical_id(), "GroupId"] },
            "SourceSecurityGroupId": group(&app),
        }),
    );
}

#[test]
fn props_rds_would_refuse_at_deploy_are_refused_naming_the_prop() {
    // GIVEN
    let stack = stack("data");
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let refused = |id: &str, props: DatabaseProps| Database::new(&stack, id, &vpc, props).err().expect("refused");

    // WHEN
    let version = refused(
        "A",
        DatabaseProps {
            engine_version: "12.1".into(),
            ..Default::default()
        },
    );
    let class = refused(
        "B",
        DatabaseProps {
            instance_class: "db.t3.mega".into(),
            ..Default::default()
        },
    );
    let storage = refused(
        "C",
        DatabaseProps {
            allocated_storage_gb: 10,
            ..Default::default()
        },
    );
    let backups = refused(
        "D",
        DatabaseProps {
            backup_retention_days: 0,
            ..Default::default()
        },
    );
    let user = refused(
        "E",
        DatabaseProps {
            master_username: "rdsadmin".into(),
            ..Default::default()
        },
    );
    let port = refused(
        "F",
        DatabaseProps {
            port: 80,
            ..Default::default()
        },
    );
    let identifier = refused(
        "G",
        DatabaseProps {
            instance_identifier: Some("1-db".into()),
            ..Default::default()
        },
    );

    // THEN
    assert_refused(
        &version,
        "dev/data/A",
        "engine_version",
        "`12.1` is not a PostgreSQL version RDS offers",
    );
    assert_refused(&class, "dev/data/B", "instance_class", "`db.t3.mega` is not an instance class");
    assert_refused(&storage, "dev/data/C", "allocated_storage_gb", "10 GiB is out of range");
    assert_refused(&backups, "dev/data/D", "backup_retention_days", "0 days is out of range");
    assert_refused(
        &user,
        "dev/data/E",
        "master_username",
        "`rdsadmin` is not a valid or allowed master user name",
    );
    assert_refused(&port, "dev/data/F", "port", "port 80 is not allowed by RDS");
    assert_refused(
        &identifier,
        "dev/data/G",
        "instance_identifier",
        "`1-db` is not a valid DB instance identifier",
    );
}

#[test]
fn a_database_in_public_subnets_is_still_not_publicly_accessible() {
    // GIVEN
    let stack = stack("data");
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();

    // WHEN
    let props = DatabaseProps {
        subnet_type: SubnetType::Public,
        ..Default::default()
    };
    Database::new(&stack, "Database", &vpc, props).unwrap();

    // THEN
    Template::from_tree_stack(&stack).has_resource_properties("AWS::RDS::DBInstance", json!({ "PubliclyAccessible": false }));
}

#[test]
fn subnets_in_one_availability_zone_are_refused() {
    // GIVEN
    let stack = stack("data");
    let attributes = VpcAttributes {
        vpc_id: "vpc-0a1b2c3d".into(),
        availability_zones: vec!["eu-west-1a".into()],
        isolated_subnet_ids: vec!["subnet-0a1b2c3d".into()],
        ..Default::default()
    };
    let vpc = Vpc::from_attributes(&stack, "Vpc", attributes).unwrap();

    // WHEN
    let err = Database::new(&stack, "Database", &vpc, DatabaseProps::default())
        .err()
        .expect("refused");

    // THEN
    assert_refused(&err, "dev/data/Database", "subnet_type", "at least 2 availability zones");
}
