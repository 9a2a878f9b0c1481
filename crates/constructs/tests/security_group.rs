//! Security groups: closed by default (no ingress, no egress), connections as exact
//! group-to-group rules created in the consumer's stack, each rule once; descriptions
//! and environments checked.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::{Port, SecurityGroup, SecurityGroupProps, Vpc, VpcProps};
use cairn_core::App;
use common::{assert_refused, stack, two_environments};
use serde_json::json;

fn vpc(stack: &cairn_core::Stack) -> Vpc {
    let props = VpcProps {
        flow_logs: None,
        gateway_endpoints: false,
        ..Default::default()
    };
    Vpc::new(stack, "Vpc", props).unwrap()
}

#[test]
fn a_group_admits_nothing_and_sends_nothing_by_default() {
    // GIVEN
    let stack = stack("network");
    let vpc = vpc(&stack);

    // WHEN
    SecurityGroup::new(&stack, "Group", &vpc, SecurityGroupProps::default()).unwrap();

    // THEN
    Template::from_tree_stack(&stack).has_resource_properties(
        "AWS::EC2::SecurityGroup",
        json!({
            "GroupDescription": "Group security group",
            "SecurityGroupIngress": Match::absent(),
            // CloudFormation's default allow-all egress, replaced by a rule that matches nothing.
            "SecurityGroupEgress": Match::exact(json!([{
                "CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic",
                "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86,
            }])),
        }),
    );
}

#[test]
fn allow_from_another_stack_creates_both_rules_in_the_consumers_stack_once() {
    // GIVEN
    let app = App::new("t").unwrap();
    let env = app
        .environment(cairn_core::EnvSettings {
            name: "dev".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            retain_data: false,
            require_approval: false,
            tags: Default::default(),
        })
        .unwrap();
    let (data, service) = (env.stack("data").unwrap(), env.stack("service").unwrap());
    let vpc = vpc(&data);
    let db = SecurityGroup::new(&data, "Db", &vpc, SecurityGroupProps::default()).unwrap();
    let web = SecurityGroup::new(&service, "Web", &vpc, SecurityGroupProps::default()).unwrap();

    // WHEN
    db.allow_from(&web, Port::tcp(5432), "web to db").unwrap();
    db.allow_from(&web, Port::tcp(5432), "web to db").unwrap();

    // THEN
    let data_template = Template::from_tree_stack(&data);
    let service_template = Template::from_tree_stack(&service);
    data_template.resource_count_is("AWS::EC2::SecurityGroupIngress", 0);
    service_template.resource_count_is("AWS::EC2::SecurityGroupIngress", 1);
    service_template.resource_count_is("AWS::EC2::SecurityGroupEgress", 1);
    let imported = json!({ "Fn::ImportValue": Match::any_value() });
    let web_id = json!({ "Fn::GetAtt": [web.cfn_security_group().logical_id(), "GroupId"] });
    service_template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        json!({
            "GroupId": imported, "SourceSecurityGroupId": web_id,
            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "Description": "web to db",
        }),
    );
    service_template.has_resource_properties(
        "AWS::EC2::SecurityGroupEgress",
        json!({
            "GroupId": web_id, "DestinationSecurityGroupId": imported,
            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
        }),
    );
}

#[test]
fn a_description_ec2_refuses_is_refused() {
    // GIVEN
    let stack = stack("network");
    let vpc = vpc(&stack);
    let group = SecurityGroup::new(&stack, "Group", &vpc, SecurityGroupProps::default()).unwrap();

    // WHEN
    let props = SecurityGroupProps {
        description: Some("caf\u{e9} <group>".into()),
        allow_all_outbound: false,
    };
    let bad_group = SecurityGroup::new(&stack, "Bad", &vpc, props).err().expect("refused");
    let bad_rule = group.allow_from_any_ipv4(Port::tcp(443), "").expect_err("refused");

    // THEN
    assert_refused(
        &bad_group,
        "dev/network/Bad",
        "description",
        "is not a valid security-group description",
    );
    assert_refused(
        &bad_rule,
        "dev/network/Group",
        "description",
        "`` is not a valid security-group description",
    );
}

#[test]
fn a_connection_across_environments_is_refused() {
    // GIVEN
    let (dev, prod) = two_environments("data", "service");
    let db = SecurityGroup::new(&dev, "Db", &vpc(&dev), SecurityGroupProps::default()).unwrap();
    let web = SecurityGroup::new(&prod, "Web", &vpc(&prod), SecurityGroupProps::default()).unwrap();

    // WHEN
    let err = db.allow_from(&web, Port::tcp(5432), "web to db").expect_err("refused");

    // THEN
    assert_refused(
        &err,
        "dev/data/Db",
        "allow_from",
        "cannot allow traffic from prod/service/Web, which is in environment `prod`, not `dev`",
    );
}
