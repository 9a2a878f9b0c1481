use super::*;
use cairn_core::{App, EnvSettings};
use serde_json::{json, Value as Json};

fn settings() -> EnvSettings {
    EnvSettings {
        name: "dev".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        retain_data: false,
        require_approval: false,
        tags: Default::default(),
    }
}

/// The `network` stack's template.
fn template(app: &App) -> Json {
    let assembly = app.synth().expect("the test app synthesizes");
    let stacks = &assembly.environments[0].stacks;
    stacks.iter().find(|s| s.id == "network").expect("a network stack").template.clone()
}

/// Properties of the resources of one type, by logical ID.
fn properties_of(template: &Json, resource_type: &str) -> Vec<(String, Json)> {
    let resources = template["Resources"].as_object().expect("Resources");
    let mut found: Vec<(String, Json)> = resources
        .iter()
        .filter(|(_, r)| r["Type"] == resource_type)
        .map(|(id, r)| (id.clone(), r["Properties"].clone()))
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// The typed handles reach the resources the constructs created, and their edits
/// land in the template.
#[test]
fn typed_handles_edit_the_vpc_subnets_and_groups() {
    let app = App::new("t").unwrap();
    let stack = app.environment(settings()).unwrap().stack("network").unwrap();
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let group = SecurityGroup::new(&stack, "Group", &vpc, SecurityGroupProps::default()).unwrap();
    vpc.cfn_vpc()
        .unwrap()
        .set(CfnVPC::INSTANCE_TENANCY, cfn_ec2::vpc::InstanceTenancy::Dedicated)
        .unwrap();
    let subnet = &vpc.subnets()[0];
    subnet.cfn_subnet().set(CfnSubnet::ENABLE_DNS64, true).unwrap();
    subnet.cfn_route_table().add_metadata("note", Value::str("edited")).unwrap();
    group.cfn_security_group().set(CfnSecurityGroup::GROUP_NAME, "named").unwrap();
    assert_eq!(vpc.cfn_vpc().unwrap().resource_ref(), vpc.resource().unwrap());
    assert_eq!(subnet.cfn_subnet().resource_ref(), &subnet.resource);
    assert_eq!(group.cfn_security_group().resource_ref(), group.resource());

    let template = template(&app);
    let resources = &template["Resources"];
    let id = |r: &ResourceRef| r.logical_id.clone();
    assert_eq!(
        resources[id(vpc.resource().unwrap())]["Properties"]["InstanceTenancy"],
        json!("dedicated")
    );
    assert_eq!(resources[id(&subnet.resource)]["Properties"]["EnableDns64"], json!(true));
    assert_eq!(resources[id(&subnet.route_table)]["Metadata"]["note"], json!("edited"));
    assert_eq!(resources[id(group.resource())]["Properties"]["GroupName"], json!("named"));
}

/// Every kind of port and peer renders the rule the template had before the typed
/// layer (the shop's snapshots have tcp rules only): udp, port ranges, all traffic
/// without ports, the disallow-all placeholder replaced by the first real egress rule,
/// and no egress rules on a group that allows all outbound traffic.
#[test]
fn security_group_rules_of_every_port_kind() {
    let app = App::new("t").unwrap();
    let stack = app.environment(settings()).unwrap().stack("network").unwrap();
    let props = VpcProps {
        flow_logs: None,
        gateway_endpoints: false,
        ..Default::default()
    };
    let vpc = Vpc::new(&stack, "Vpc", props).unwrap();
    let closed = SecurityGroup::new(&stack, "Closed", &vpc, SecurityGroupProps::default()).unwrap();
    SecurityGroup::new(&stack, "Untouched", &vpc, SecurityGroupProps::default()).unwrap();
    let open = SecurityGroupProps {
        description: Some("open".into()),
        allow_all_outbound: true,
    };
    let open = SecurityGroup::new(&stack, "Open", &vpc, open).unwrap();
    closed.allow_from_any_ipv4(Port::all_traffic(), "all in").unwrap();
    closed
        .allow_from_cidr(Ipv4Cidr::parse("10.1.0.0/16").unwrap(), Port::tcp_range(2048, 1024), "high")
        .unwrap();
    closed
        .allow_to_cidr(Ipv4Cidr::parse("10.2.0.0/16").unwrap(), Port::udp(53), "dns")
        .unwrap();
    closed.allow_to_any_ipv4(Port::tcp(443), "https").unwrap();
    open.allow_to_any_ipv4(Port::tcp(443), "https").unwrap();
    open.allow_from(&closed, Port::all_traffic(), "closed to open").unwrap();

    let template = template(&app);
    let groups = properties_of(&template, "AWS::EC2::SecurityGroup");
    let group = |prefix: &str| &groups.iter().find(|(id, _)| id.starts_with(prefix)).expect(prefix).1;
    assert_eq!(
        group("Closed")["SecurityGroupIngress"],
        json!([
            { "CidrIp": "0.0.0.0/0", "Description": "all in", "IpProtocol": "-1" },
            { "CidrIp": "10.1.0.0/16", "Description": "high", "IpProtocol": "tcp", "FromPort": 1024, "ToPort": 2048 },
        ])
    );
    assert_eq!(
        group("Closed")["SecurityGroupEgress"],
        json!([
            { "CidrIp": "10.2.0.0/16", "Description": "dns", "IpProtocol": "udp", "FromPort": 53, "ToPort": 53 },
            { "CidrIp": "0.0.0.0/0", "Description": "https", "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443 },
        ])
    );
    assert_eq!(
        group("Untouched")["SecurityGroupEgress"],
        json!([{
            "CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic",
            "FromPort": 252, "IpProtocol": "icmp", "ToPort": 86
        }])
    );
    assert_eq!(
        group("Open")["SecurityGroupEgress"],
        json!([{ "CidrIp": "0.0.0.0/0", "Description": "Allow all outbound traffic", "IpProtocol": "-1" }])
    );
    assert_eq!(group("Open")["GroupDescription"], json!("open"));
    assert!(group("Open").get("SecurityGroupIngress").is_none());

    let group_id = |prefix: &str| {
        let id = &groups.iter().find(|(id, _)| id.starts_with(prefix)).expect(prefix).0;
        json!({ "Fn::GetAtt": [id, "GroupId"] })
    };
    let ingress = properties_of(&template, "AWS::EC2::SecurityGroupIngress");
    let egress = properties_of(&template, "AWS::EC2::SecurityGroupEgress");
    assert_eq!(ingress.len(), 1, "{ingress:?}");
    assert_eq!(
        ingress[0].1,
        json!({
            "GroupId": group_id("Open"), "SourceSecurityGroupId": group_id("Closed"),
            "Description": "closed to open", "IpProtocol": "-1"
        })
    );
    assert_eq!(egress.len(), 1, "{egress:?}");
    assert_eq!(
        egress[0].1,
        json!({
            "GroupId": group_id("Closed"), "DestinationSecurityGroupId": group_id("Open"),
            "Description": "closed to open", "IpProtocol": "-1"
        })
    );
}
