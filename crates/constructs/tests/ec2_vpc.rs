//! The VPC: no public IPs on launch, isolated subnets without a route out, flow logs of
//! all traffic with retention (and a role that may write exactly there), gateway
//! endpoints; validation of the layout; existing VPCs by id.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::{SecurityGroup, SecurityGroupProps, SubnetType, Vpc, VpcAttributes, VpcProps};
use cairn_core::config::Ipv4Cidr;
use common::{assert_refused, stack};
use serde_json::json;

#[test]
fn subnets_never_assign_public_ips_and_the_default_layout_has_two_zones_of_three_groups() {
    // GIVEN
    let stack = stack("network");

    // WHEN
    Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.has_resource_properties(
        "AWS::EC2::VPC",
        json!({ "CidrBlock": "10.0.0.0/16", "EnableDnsHostnames": true, "EnableDnsSupport": true }),
    );
    template.resource_count_is("AWS::EC2::Subnet", 6);
    template.all_resources_properties("AWS::EC2::Subnet", json!({ "MapPublicIpOnLaunch": false }));
    template.resource_count_is("AWS::EC2::NatGateway", 1);
}

#[test]
fn only_public_and_private_subnets_route_out_of_the_vpc() {
    // GIVEN
    let stack = stack("network");

    // WHEN
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let nat = vpc.nat_gateways()[0].logical_id.clone();
    for subnet in vpc.subnets() {
        let table = json!({ "Ref": subnet.cfn_route_table().logical_id() });
        let routes = template.find_resources("AWS::EC2::Route", json!({ "RouteTableId": table }));
        match subnet.subnet_type {
            SubnetType::Public => assert!(routes[0].1["Properties"]["GatewayId"].is_object(), "{routes:?}"),
            SubnetType::PrivateWithEgress => {
                assert_eq!(routes[0].1["Properties"]["NatGatewayId"], json!({ "Ref": nat }))
            }
            SubnetType::Isolated => assert!(routes.is_empty(), "an isolated subnet routes out: {routes:?}"),
        }
    }
}

#[test]
fn flow_logs_of_all_traffic_go_to_a_log_group_with_retention_through_a_least_privilege_role() {
    // GIVEN
    let stack = stack("network");

    // WHEN
    Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let group = &template.find_resources("AWS::Logs::LogGroup", json!({ "RetentionInDays": 30 }))[0].0;
    let role = &template.find_resources("AWS::IAM::Role", json!({}))[0].0;
    template.has_resource_properties(
        "AWS::EC2::FlowLog",
        json!({
            "ResourceType": "VPC",
            "TrafficType": "ALL",
            "LogDestinationType": "cloud-watch-logs",
            "LogGroupName": { "Ref": group },
            "DeliverLogsPermissionArn": { "Fn::GetAtt": [role, "Arn"] },
        }),
    );
    template.has_resource_properties(
        "AWS::IAM::Role",
        json!({ "AssumeRolePolicyDocument": { "Statement": [{ "Principal": { "Service": "vpc-flow-logs.amazonaws.com" } }] } }),
    );
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({ "PolicyDocument": { "Statement": Match::exact(json!([{
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            "Resource": { "Fn::GetAtt": [group, "Arn"] },
        }])) } }),
    );
}

#[test]
fn gateway_endpoints_for_s3_and_dynamodb_serve_every_route_table() {
    // GIVEN
    let stack = stack("network");

    // WHEN
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();

    // THEN
    let tables: Vec<serde_json::Value> = vpc
        .subnets()
        .iter()
        .map(|s| json!({ "Ref": s.cfn_route_table().logical_id() }))
        .collect();
    let template = Template::from_tree_stack(&stack);
    for service in ["s3", "dynamodb"] {
        template.has_resource_properties(
            "AWS::EC2::VPCEndpoint",
            json!({
                "VpcEndpointType": "Gateway",
                "ServiceName": { "Fn::Sub": format!("com.amazonaws.${{AWS::Region}}.{service}") },
                "RouteTableIds": tables,
            }),
        );
    }
}

#[test]
fn a_layout_aws_would_refuse_is_refused_naming_the_prop() {
    // GIVEN
    let stack = stack("network");
    let refused = |id: &str, props: VpcProps| Vpc::new(&stack, id, props).err().expect("refused");

    // WHEN
    let zones = refused(
        "A",
        VpcProps {
            max_azs: 4,
            ..Default::default()
        },
    );
    let cidr = refused(
        "B",
        VpcProps {
            cidr: Ipv4Cidr::parse("10.0.0.0/8").unwrap(),
            ..Default::default()
        },
    );
    let nat = refused(
        "C",
        VpcProps {
            nat_gateways: 3,
            ..Default::default()
        },
    );
    let no_nat = refused(
        "D",
        VpcProps {
            nat_gateways: 0,
            ..Default::default()
        },
    );

    // THEN
    assert_refused(&zones, "dev/network/A", "max_azs", "max_azs is 4");
    assert_refused(&cidr, "dev/network/B", "cidr", "a VPC must be /16 to /28");
    assert_refused(&nat, "dev/network/C", "nat_gateways", "");
    assert_refused(
        &no_nat,
        "dev/network/D",
        "nat_gateways",
        "private-with-egress subnets need at least one NAT gateway",
    );
}

#[test]
fn an_existing_vpc_adds_nothing_and_bad_ids_are_refused() {
    // GIVEN
    let stack = stack("network");
    let good = VpcAttributes {
        vpc_id: "vpc-0a1b2c3d".into(),
        availability_zones: vec!["eu-west-1a".into(), "eu-west-1b".into()],
        private_subnet_ids: vec!["subnet-0a1b2c3d".into(), "subnet-0a1b2c3e".into()],
        ..Default::default()
    };

    // WHEN
    let vpc = Vpc::from_attributes(&stack, "Shared", good.clone()).unwrap();
    let bad_id = Vpc::from_attributes(
        &stack,
        "BadId",
        VpcAttributes {
            vpc_id: "vpc-xyz".into(),
            ..good.clone()
        },
    )
    .err()
    .expect("refused");
    let one_subnet = Vpc::from_attributes(
        &stack,
        "OneSubnet",
        VpcAttributes {
            private_subnet_ids: vec!["subnet-0a1b2c3d".into()],
            ..good
        },
    )
    .err()
    .expect("refused");
    let no_public = vpc.subnet_ids(SubnetType::Public).expect_err("refused");

    // THEN
    assert_eq!(vpc.subnet_ids(SubnetType::PrivateWithEgress).unwrap().len(), 2);
    assert_refused(&bad_id, "dev/network/BadId", "vpc_id", "`vpc-xyz` is not a VPC id");
    assert_refused(
        &one_subnet,
        "dev/network/OneSubnet",
        "private_subnet_ids",
        "1 subnet ids for 2 availability zones",
    );
    assert_refused(&no_public, "dev/network/Shared", "public_subnet_ids", "no public subnet ids");
    // A group placed in the existing VPC uses its id; the VPC itself is not in the template.
    SecurityGroup::new(&stack, "Group", &vpc, SecurityGroupProps::default()).unwrap();
    let template = Template::from_tree_stack(&stack);
    template.resource_count_is("AWS::EC2::VPC", 0);
    template.resource_count_is("AWS::EC2::Subnet", 0);
    template.has_resource_properties("AWS::EC2::SecurityGroup", json!({ "VpcId": "vpc-0a1b2c3d" }));
}
