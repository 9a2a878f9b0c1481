//! Template pairs for each kind of change, and snapshots of what reviewers see.

use serde_json::{json, Value as Json};

use crate::*;

pub(super) fn template(resources: Json) -> Json {
    json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources})
}

pub(super) fn only(diff: &TemplateDiff) -> &ResourceChange {
    assert_eq!(diff.resources.len(), 1, "expected one resource change: {diff:#?}");
    &diff.resources[0]
}

pub(super) fn table(props: Json) -> Json {
    json!({"Type": "AWS::DynamoDB::Table", "Properties": props, "Metadata": {"cairn:path": "data/Orders/Resource"}})
}

pub(super) fn db(props: Json) -> Json {
    json!({"Type": "AWS::RDS::DBInstance", "Properties": props, "DeletionPolicy": "Snapshot", "Metadata": {"cairn:path": "data/Database/Resource"}})
}

pub(super) fn db_props() -> Json {
    json!({"Engine": "postgres", "DBInstanceClass": "db.t4g.medium", "AllocatedStorage": "50", "StorageEncrypted": true, "MultiAZ": false})
}

pub(super) fn with(mut v: Json, key: &str, value: Json) -> Json {
    v[key] = value;
    v
}

#[test]
fn added_resource_is_an_add_with_its_type_and_path() {
    let old = template(json!({}));
    let new = template(json!({"Jobs": {"Type": "AWS::SQS::Queue", "Metadata": {"cairn:path": "data/Jobs/Resource"}}}));
    let d = compare(&old, &new);
    let r = only(&d);
    assert_eq!(
        (r.action, r.resource_type.as_str(), r.path.as_deref()),
        (Action::Add, "AWS::SQS::Queue", Some("data/Jobs/Resource"))
    );
    assert_eq!(d.summary().line(), "1 to add, 0 to change (0 replacements), 0 to destroy");
}

#[test]
fn removed_stateful_resource_is_a_data_loss_risk_unless_retained() {
    let queue = json!({"Type": "AWS::SQS::Queue", "Metadata": {"cairn:path": "data/Jobs/Resource"}});
    let d = compare(&template(json!({"Jobs": queue.clone()})), &template(json!({})));
    let r = only(&d);
    assert_eq!(r.action, Action::Remove);
    assert_eq!(r.risk.as_ref().map(|x| (x.cause, x.data_loss())), Some((RiskCause::Remove, true)));
    assert_eq!(d.summary().data_loss, 1);

    let retained = with(queue, "DeletionPolicy", json!("Retain"));
    let d = compare(&template(json!({"Jobs": retained})), &template(json!({})));
    let risk = only(&d).risk.clone().expect("still listed");
    assert_eq!(risk.kept_by.as_deref(), Some("DeletionPolicy: Retain"));
    assert!(!risk.data_loss());

    let role = json!({"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}});
    let d = compare(&template(json!({"R": role})), &template(json!({})));
    assert!(only(&d).risk.is_none(), "a role holds no data");
}

#[test]
fn in_place_property_change_shows_path_and_values() {
    let old = template(json!({"Db": db(db_props())}));
    let new = template(json!({"Db": db(with(db_props(), "DBInstanceClass", json!("db.r6g.large")))}));
    let d = compare(&old, &new);
    let r = only(&d);
    assert_eq!((r.action, r.replacement), (Action::Modify, Replacement::None));
    assert_eq!(r.property_changes.len(), 1);
    let c = &r.property_changes[0];
    assert_eq!(c.display_path(), "DBInstanceClass");
    assert_eq!(
        (c.old.clone(), c.new.clone()),
        (Some(json!("db.t4g.medium")), Some(json!("db.r6g.large")))
    );
    assert!(r.risk.is_none());
    assert_eq!(d.summary().line(), "0 to add, 1 to change (0 replacements), 0 to destroy");
}

#[test]
fn create_only_properties_require_replacement() {
    // DynamoDB TableName.
    let old = template(json!({"Orders": table(json!({"TableName": "orders", "BillingMode": "PAY_PER_REQUEST"}))}));
    let new = template(json!({"Orders": table(json!({"TableName": "orders-v2", "BillingMode": "PAY_PER_REQUEST"}))}));
    let d = compare(&old, &new);
    let r = only(&d);
    assert_eq!(r.replacement, Replacement::Always);
    assert_eq!(r.property_changes[0].replacement, Replacement::Always);
    let risk = r.risk.as_ref().expect("a replaced table loses its items");
    assert_eq!((risk.cause, risk.data_loss()), (RiskCause::Replace, true));
    let s = d.summary();
    assert_eq!((s.replace, s.data_loss), (1, 1));
    assert_eq!(s.line(), "0 to add, 1 to change (1 replacement), 0 to destroy");

    // RDS StorageEncrypted, with a snapshot on replacement.
    let protected = |p: Json| with(db(p), "UpdateReplacePolicy", json!("Snapshot"));
    let old = template(json!({"Db": protected(with(db_props(), "StorageEncrypted", json!(false)))}));
    let new = template(json!({"Db": protected(db_props())}));
    let d = compare(&old, &new);
    let r = only(&d);
    assert_eq!(r.replacement, Replacement::Always);
    assert_eq!(r.property_changes[0].display_path(), "StorageEncrypted");
    assert_eq!(
        r.risk.as_ref().and_then(|x| x.kept_by.clone()).as_deref(),
        Some("UpdateReplacePolicy: Snapshot")
    );
}

#[test]
fn conditionally_create_only_properties_may_require_replacement() {
    let old = template(json!({"Db": db(db_props())}));
    let new = template(json!({"Db": db(with(db_props(), "MultiAZ", json!(true)))}));
    let r = only(&compare(&old, &new)).clone();
    assert_eq!(r.replacement, Replacement::Conditional);
    assert_eq!(r.risk.as_ref().map(|x| x.cause), Some(RiskCause::MayReplace));
}

#[test]
fn create_only_reference_to_a_replaced_resource_may_replace_the_referrer() {
    let group = |desc: &str| json!({"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"DBSubnetGroupName": desc, "DBSubnetGroupDescription": "db", "SubnetIds": ["a", "b"]}});
    let database = db(with(db_props(), "DBSubnetGroupName", json!({"Ref": "Subnets"})));
    let old = template(json!({"Subnets": group("shop-db"), "Db": database.clone()}));
    let new = template(json!({"Subnets": group("shop-db-2"), "Db": database}));
    let d = compare(&old, &new);
    assert_eq!(d.resources.len(), 2);
    let db_change = d.resources.iter().find(|r| r.logical_id == "Db").expect("db listed");
    assert_eq!(db_change.replacement, Replacement::Conditional);
    assert!(db_change.property_changes.is_empty());
    assert_eq!(
        db_change.replacement_reasons,
        ["DBSubnetGroupName refers to Subnets, which is replaced"]
    );
    assert!(db_change.risk.is_some());
}

#[test]
fn resource_type_change_requires_replacement() {
    let old = template(json!({"X": {"Type": "AWS::SQS::Queue"}}));
    let new = template(json!({"X": {"Type": "AWS::SNS::Topic"}}));
    assert_eq!(only(&compare(&old, &new)).replacement, Replacement::Always);
}

fn policy(statements: Json) -> Json {
    json!({"Type": "AWS::IAM::Policy", "Metadata": {"cairn:path": "service/TaskRole/DefaultPolicy/Resource"}, "Properties": {
        "PolicyName": "TaskRoleDefaultPolicy", "Roles": [{"Ref": "TaskRole"}],
        "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}})
}

#[test]
fn added_allow_statement_is_a_broadening_iam_change() {
    let read =
        json!({"Effect": "Allow", "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage"], "Resource": {"Fn::GetAtt": ["Jobs", "Arn"]}});
    let send = json!({"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": ["Notifications", "Arn"]}});
    let old = template(json!({"P": policy(json!([read.clone()]))}));
    let new = template(json!({"P": policy(json!([read, send]))}));
    let d = compare(&old, &new);
    assert_eq!(d.security.len(), 1);
    let c = &d.security[0];
    assert_eq!((c.action, c.broadening), (Action::Add, true));
    let SecurityDetail::Statement(st) = &c.detail else {
        panic!("statement")
    };
    assert_eq!(st.actions, ["sqs:SendMessage"]);
    assert_eq!(st.resources, ["${Notifications.Arn}"]);
    assert_eq!(st.principals, ["role ${TaskRole}"]);
    assert_eq!(only(&d).security_impact, SecurityImpact::Broadening);
    let report = DiffReport {
        old_label: "a".into(),
        new_label: "b".into(),
        notes: vec![],
        stacks: vec![StackDiff::new("prod", "s", None, Some(&old), Some(&new))],
    };
    assert!(report.fails(FailOn::Security) && report.fails(FailOn::Any) && !report.fails(FailOn::Replacement));

    // Removing that statement again narrows: a security change, not broadening.
    let back = compare(&new, &old);
    assert_eq!((back.security[0].action, back.security[0].broadening), (Action::Remove, false));
    assert_eq!(only(&back).security_impact, SecurityImpact::Changed);
}

#[test]
fn security_group_rules_inline_and_standalone() {
    let sg = |ingress: Json| {
        json!({"Type": "AWS::EC2::SecurityGroup", "Metadata": {"cairn:path": "network/DbSg/Resource"}, "Properties": {
        "GroupDescription": "database", "VpcId": {"Ref": "Vpc"}, "SecurityGroupIngress": ingress}})
    };
    let from_app =
        json!({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "SourceSecurityGroupId": {"Fn::GetAtt": ["AppSg", "GroupId"]}});
    let from_vpn = json!({"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "CidrIp": "10.8.0.0/16", "Description": "VPN"});
    let old = template(json!({"DbSg": sg(json!([from_app.clone()]))}));
    let new = template(json!({"DbSg": sg(json!([from_app, from_vpn]))}));
    let d = compare(&old, &new);
    assert_eq!(d.security.len(), 1);
    let SecurityDetail::Rule(r) = &d.security[0].detail else {
        panic!("rule")
    };
    assert!(d.security[0].broadening);
    assert_eq!(
        (r.direction, r.protocol.as_str(), r.ports.as_str(), r.peer.as_str(), r.public),
        (security::Direction::Ingress, "tcp", "5432", "10.8.0.0/16", false)
    );

    let standalone = json!({"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        "GroupId": {"Fn::GetAtt": ["DbSg", "GroupId"]}, "IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}});
    let d = compare(
        &new,
        &with(new.clone(), "Resources", {
            let mut r = new["Resources"].clone();
            r["OpenToAll"] = standalone;
            r
        }),
    );
    let SecurityDetail::Rule(r) = &d.security[0].detail else {
        panic!("rule")
    };
    assert_eq!(
        (r.group.as_str(), r.protocol.as_str(), r.ports.as_str(), r.public),
        ("${DbSg.GroupId}", "all", "all", true)
    );
    assert!(d.security[0].broadening);
}

#[test]
fn output_parameter_and_condition_changes() {
    let old = json!({"Resources": {}, "Outputs": {
        "QueueUrl": {"Value": {"Ref": "Jobs"}, "Export": {"Name": "shop-prod-data:QueueUrl"}},
        "Gone": {"Value": "x"}}});
    let new = json!({"Resources": {}, "Parameters": {"Stage": {"Type": "String", "Default": "prod"}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}},
        "Outputs": {"QueueUrl": {"Value": {"Ref": "Jobs2"}, "Export": {"Name": "shop-prod-data:QueueUrl"}}}});
    let d = compare(&old, &new);
    let seen: Vec<(Section, &str, Action)> = d.other.iter().map(|o| (o.section, o.id.as_str(), o.action)).collect();
    assert_eq!(
        seen,
        [
            (Section::Parameters, "Stage", Action::Add),
            (Section::Conditions, "IsProd", Action::Add),
            (Section::Outputs, "QueueUrl", Action::Modify),
            (Section::Outputs, "Gone", Action::Remove)
        ]
    );
    let value = &d.other[2].property_changes[0];
    assert_eq!(
        (value.attribute.as_str(), value.new.clone()),
        ("Value", Some(json!({"Ref": "Jobs2"})))
    );
    assert!(d.resources.is_empty());
    assert_eq!(
        d.summary().line(),
        "0 to add, 0 to change (0 replacements), 0 to destroy; 4 output/parameter/condition changes"
    );
}

#[test]
fn reordering_and_equivalent_forms_are_no_change() {
    let old = template(json!({
        "Orders": {"Type": "AWS::DynamoDB::Table", "Metadata": {"cairn:path": "data/Orders/Resource"}, "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "Tags": [{"Key": "Environment", "Value": "prod"}, {"Key": "Application", "Value": "shop"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}},
        "P": policy(json!([
            {"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": {"Fn::Sub": "${Bucket.Arn}/*"}},
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Fn::GetAtt": "Jobs.Arn"}}])),
        "Web": {"Type": "AWS::SQS::Queue", "DependsOn": "P"}
    }));
    // What GetTemplate may return for the same stack: keys in another order, numbers
    // as strings, Sub as Join, statements and actions reordered, a moved construct path.
    let new = template(json!({
        "Web": {"DependsOn": ["P"], "Type": "AWS::SQS::Queue"},
        "P": policy(json!([
            {"Resource": [{"Fn::GetAtt": ["Jobs", "Arn"]}], "Action": ["sqs:SendMessage"], "Effect": "Allow"},
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Bucket", "Arn"]}, "/*"]]}}])),
        "Orders": {"Properties": {
            "ProvisionedThroughput": {"WriteCapacityUnits": "5", "ReadCapacityUnits": "5"},
            "Tags": [{"Key": "Application", "Value": "shop"}, {"Value": "prod", "Key": "Environment"}],
            "KeySchema": [{"KeyType": "HASH", "AttributeName": "id"}],
            "BillingMode": "PAY_PER_REQUEST"},
            "Metadata": {"cairn:path": "storage/Orders/Resource"}, "Type": "AWS::DynamoDB::Table"}
    }));
    let d = compare(&old, &new);
    assert!(d.is_empty(), "{d:#?}");

    // A real change among the noise is still found, alone.
    let mut changed = new.clone();
    changed["Resources"]["Orders"]["Properties"]["ProvisionedThroughput"]["ReadCapacityUnits"] = json!(10);
    let d = compare(&old, &changed);
    assert_eq!(only(&d).property_changes.len(), 1);
    assert_eq!(
        only(&d).property_changes[0].display_path(),
        "ProvisionedThroughput.ReadCapacityUnits"
    );
}

#[test]
fn other_metadata_changes_are_changes_but_cairn_path_alone_is_not() {
    let r = |meta: Json| template(json!({"Q": {"Type": "AWS::SQS::Queue", "Metadata": meta}}));
    assert!(compare(&r(json!({"cairn:path": "a/Q"})), &r(json!({"cairn:path": "b/Q"}))).is_empty());
    let d = compare(&r(json!({"cairn:path": "a/Q"})), &r(json!({"cairn:path": "a/Q", "Note": "x"})));
    let c = &only(&d).property_changes[0];
    assert_eq!(
        (c.display_path().as_str(), c.action, c.new.clone()),
        ("Metadata", Action::Add, Some(json!({"Note": "x"})))
    );
    assert_eq!(only(&d).replacement, Replacement::None);
}

#[test]
fn stack_status_and_fail_on_gates() {
    let t = template(json!({"Q": {"Type": "AWS::SQS::Queue"}}));
    let added = StackDiff::new("dev", "app-dev-data", Some("data"), None, Some(&t));
    assert_eq!((added.status, added.diff.summary().add), (StackStatus::Added, 1));
    let removed = StackDiff::new("dev", "app-dev-data", Some("data"), Some(&t), None);
    assert_eq!((removed.status, removed.diff.summary().destroy), (StackStatus::Removed, 1));
    let same = StackDiff::new("dev", "app-dev-data", Some("data"), Some(&t), Some(&t));
    assert_eq!(same.status, StackStatus::Unchanged);
    let quiet = DiffReport {
        old_label: "a".into(),
        new_label: "b".into(),
        notes: vec![],
        stacks: vec![same],
    };
    assert!(quiet.is_empty() && !quiet.fails(FailOn::Any));
    let noisy = DiffReport {
        old_label: "a".into(),
        new_label: "b".into(),
        notes: vec![],
        stacks: vec![added, removed],
    };
    // Removing a queue with no policy loses its messages: the replacement gate trips.
    assert!(noisy.fails(FailOn::Any) && noisy.fails(FailOn::Replacement) && !noisy.fails(FailOn::Security) && !noisy.fails(FailOn::None));
}

// ---------------------------------------------------------------------------
// Snapshots of a realistic change: prod gets a notifications queue (and the
// service may send to it), and a bigger database.

const TAGS: &str = r#"[{"Key": "Application", "Value": "shop"}, {"Key": "Environment", "Value": "prod"}]"#;

fn tags() -> Json {
    serde_json::from_str(TAGS).unwrap_or(Json::Null)
}

fn prod_data(new: bool) -> Json {
    let mut resources = json!({
        "OrdersA9B65338": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"BillingMode": "PAY_PER_REQUEST", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}, "SSESpecification": {"SSEEnabled": true}, "Tags": tags()},
            "Metadata": {"cairn:path": "data/Orders/Resource"}},
        "JobsDF1CC2D4": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"SqsManagedSseEnabled": true, "VisibilityTimeout": 30, "Tags": tags()},
            "Metadata": {"cairn:path": "data/Jobs/Resource"}},
        "DatabaseB269D8BB": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Snapshot", "UpdateReplacePolicy": "Snapshot",
            "Properties": {"Engine": "postgres", "EngineVersion": "16.4", "DBInstanceClass": "db.t4g.medium", "AllocatedStorage": "50",
                "StorageEncrypted": true, "MultiAZ": true, "DBSubnetGroupName": {"Ref": "DatabaseSubnets5C2E5DB2"},
                "VPCSecurityGroups": [{"Fn::GetAtt": ["DatabaseSecurityGroup7319C0F6", "GroupId"]}], "Tags": tags()},
            "Metadata": {"cairn:path": "data/Database/Resource"}}
    });
    let mut outputs = json!({
        "ExportsOutputFnGetAttJobsDF1CC2D4Arn": {"Value": {"Fn::GetAtt": ["JobsDF1CC2D4", "Arn"]}, "Export": {"Name": "shop-prod-data:ExportsOutputFnGetAttJobsDF1CC2D4Arn"}}
    });
    if new {
        resources["DatabaseB269D8BB"]["Properties"]["DBInstanceClass"] = json!("db.r6g.large");
        resources["NotificationsB2C1B0A4"] = json!({"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"SqsManagedSseEnabled": true, "VisibilityTimeout": 60, "Tags": tags()},
            "Metadata": {"cairn:path": "data/Notifications/Resource"}});
        outputs["ExportsOutputFnGetAttNotificationsB2C1B0A4Arn"] = json!({"Value": {"Fn::GetAtt": ["NotificationsB2C1B0A4", "Arn"]},
            "Export": {"Name": "shop-prod-data:ExportsOutputFnGetAttNotificationsB2C1B0A4Arn"}});
    }
    json!({"AWSTemplateFormatVersion": "2010-09-09", "Description": "Stateful resources of the shop", "Resources": resources, "Outputs": outputs})
}

fn prod_service(new: bool) -> Json {
    let mut statements = vec![json!({"Effect": "Allow",
        "Action": ["sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        "Resource": {"Fn::ImportValue": "shop-prod-data:ExportsOutputFnGetAttJobsDF1CC2D4Arn"}})];
    if new {
        statements.push(
            json!({"Effect": "Allow", "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            "Resource": {"Fn::ImportValue": "shop-prod-data:ExportsOutputFnGetAttNotificationsB2C1B0A4Arn"}}),
        );
    }
    json!({"AWSTemplateFormatVersion": "2010-09-09", "Description": "The web service", "Resources": {
        "TaskRole30FC0FBB": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}, "Tags": tags()},
            "Metadata": {"cairn:path": "service/TaskRole/Resource"}},
        "TaskRoleDefaultPolicy07FC53DE": {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "TaskRoleDefaultPolicy07FC53DE",
            "Roles": [{"Ref": "TaskRole30FC0FBB"}], "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}},
            "Metadata": {"cairn:path": "service/TaskRole/DefaultPolicy/Resource"}}
    }})
}

fn prod_report() -> DiffReport {
    DiffReport {
        old_label: "base (origin/main)".into(),
        new_label: "head (working tree)".into(),
        notes: vec![],
        stacks: vec![
            StackDiff::new(
                "prod",
                "shop-prod-data",
                Some("data"),
                Some(&prod_data(false)),
                Some(&prod_data(true)),
            ),
            StackDiff::new(
                "prod",
                "shop-prod-service",
                Some("service"),
                Some(&prod_service(false)),
                Some(&prod_service(true)),
            ),
        ],
    }
}

/// A risky change: the orders table renamed (replaced; its policy keeps nothing),
/// and the load balancer opened from the VPN to the internet.
fn risky_report() -> DiffReport {
    let table = |name: &str| {
        json!({"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": name, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]},
        "Metadata": {"cairn:path": "data/Orders/Resource"}})
    };
    let sg = |cidr: &str| {
        json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "load balancer", "VpcId": {"Ref": "Vpc8378EB38"},
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": cidr, "Description": "HTTPS"}]},
        "Metadata": {"cairn:path": "service/LbSecurityGroup/Resource"}})
    };
    let old = json!({"Resources": {"OrdersA9B65338": table("shop-dev-orders"), "LbSecurityGroup0F5E2A3B": sg("10.8.0.0/16")}});
    let new = json!({"Resources": {"OrdersA9B65338": table("shop-dev-orders-v2"), "LbSecurityGroup0F5E2A3B": sg("0.0.0.0/0")}});
    DiffReport {
        old_label: "deployed stacks".into(),
        new_label: "fresh synthesis".into(),
        notes: vec![],
        stacks: vec![StackDiff::new("dev", "shop-dev-main", Some("main"), Some(&old), Some(&new))],
    }
}

fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_prepend_module_to_snapshot(false);
    s
}

#[test]
fn snapshot_prod_text() {
    let out = render(&prod_report(), Format::Text { color: false });
    assert!(!out.contains('\x1b'), "plain text has no escape codes");
    snapshot_settings().bind(|| insta::assert_snapshot!("diff__prod_text", out));
}

#[test]
fn snapshot_prod_markdown() {
    snapshot_settings().bind(|| insta::assert_snapshot!("diff__prod_markdown", render(&prod_report(), Format::Markdown)));
}

#[test]
fn snapshot_prod_json() {
    snapshot_settings().bind(|| insta::assert_snapshot!("diff__prod_json", render(&prod_report(), Format::Json)));
}

#[test]
fn snapshot_risky_text() {
    snapshot_settings().bind(|| insta::assert_snapshot!("diff__risky_text", render(&risky_report(), Format::Text { color: false })));
}

#[test]
fn snapshot_risky_markdown() {
    snapshot_settings().bind(|| insta::assert_snapshot!("diff__risky_markdown", render(&risky_report(), Format::Markdown)));
}

#[test]
fn colored_text_only_when_asked() {
    let out = render(&risky_report(), Format::Text { color: true });
    assert!(out.contains("\x1b[1;31mDATA LOSS RISK"));
}

#[test]
fn no_differences_in_every_format() {
    let t = prod_data(false);
    let report = DiffReport {
        old_label: "deployed stacks".into(),
        new_label: "fresh synthesis".into(),
        notes: vec![],
        stacks: vec![StackDiff::new("prod", "shop-prod-data", None, Some(&t), Some(&t))],
    };
    assert!(render(&report, Format::Text { color: false }).contains("no differences (1 stack compared)"));
    assert!(render(&report, Format::Markdown).contains("**No differences**"));
    let j: Json = serde_json::from_str(&render(&report, Format::Json)).expect("valid JSON");
    assert_eq!(j["changes"], json!([]));
    assert_eq!(j["stacks"][0]["status"], json!("unchanged"));
}

#[test]
fn json_entries_carry_every_documented_field() {
    let j: Json = serde_json::from_str(&render(&risky_report(), Format::Json)).expect("valid JSON");
    assert_eq!(j["schemaVersion"], json!(1));
    let change = j["changes"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["logicalId"] == json!("OrdersA9B65338")))
        .expect("table change");
    for key in [
        "environment",
        "stack",
        "kind",
        "logicalId",
        "type",
        "constructPath",
        "action",
        "propertyAction",
        "attribute",
        "propertyPath",
        "path",
        "old",
        "new",
        "replacement",
        "resourceReplacement",
        "replacementReasons",
        "securityImpact",
        "stateful",
        "dataLossRisk",
    ] {
        assert!(change.get(key).is_some(), "missing {key}");
    }
    assert_eq!(change["propertyPath"], json!(["TableName"]));
    assert_eq!(
        (change["replacement"].clone(), change["dataLossRisk"].clone()),
        (json!("always"), json!(true))
    );
    let rule = &j["securityChanges"][1];
    assert_eq!(
        (rule["kind"].clone(), rule["peer"].clone(), rule["broadening"].clone()),
        (json!("security-group-rule"), json!("0.0.0.0/0"), json!(true))
    );
    assert_eq!(j["dataRisks"][0]["cause"], json!("replace"));
}

#[test]
fn markdown_leaves_out_stacks_past_the_size_limit() {
    let mut report = prod_report();
    for i in 0..30 {
        report.stacks.push(StackDiff::new(
            "prod",
            &format!("extra-{i}"),
            None,
            Some(&prod_data(false)),
            Some(&prod_data(true)),
        ));
    }
    let full = render::markdown::render_with_limit(&report, usize::MAX);
    let limited = render::markdown::render_with_limit(&report, 8_000);
    assert!(limited.len() <= 8_000, "{}", limited.len());
    assert!(limited.contains("more stack sections left out"));
    assert!(full.len() > limited.len());
}
