//! VPC and EC2: flow logs, security groups closed to the internet (except a load
//! balancer's 80/443), descriptions on every security group and rule.

use serde_json::Value as Json;

use crate::model::{as_i64, items, Cx, Res};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const FLOW_LOGS: Rule = Rule {
    id: "VPC-FLOW-LOGS",
    title: "VPCs record flow logs",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "add an AWS::EC2::FlowLog with ResourceType VPC for the VPC (cairn's Vpc does)",
};
pub(crate) const OPEN_INGRESS: Rule = Rule {
    id: "EC2-SG-OPEN-INGRESS",
    title: "Security groups allow no ingress from 0.0.0.0/0 or ::/0, except a load balancer's 80/443",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "allow traffic from the load balancer's (or another) security group instead of an open CIDR",
};
pub(crate) const DESCRIPTIONS: Rule = Rule {
    id: "EC2-SG-DESCRIPTION",
    title: "Security groups and their rules have descriptions",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "describe why each security group and rule exists (GroupDescription, Description)",
};

pub(crate) const RULES: &[Rule] = &[FLOW_LOGS, OPEN_INGRESS, DESCRIPTIONS];

const SG: &str = "AWS::EC2::SecurityGroup";
const INGRESS: &str = "AWS::EC2::SecurityGroupIngress";
const EGRESS: &str = "AWS::EC2::SecurityGroupEgress";

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    for vpc in cx.of_type("AWS::EC2::VPC") {
        let logged = cx.of_type("AWS::EC2::FlowLog").any(|f| {
            let kind = f.prop("ResourceType").and_then(Json::as_str).unwrap_or("VPC");
            kind == "VPC" && f.prop("ResourceId").is_some_and(|v| cx.points_to(f.stack, v, vpc))
        });
        if !logged {
            out.add(&FLOW_LOGS, vpc, "VPC has no flow log");
        }
    }

    for sg in cx.of_type(SG) {
        let lb_facing = cx
            .of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
            .any(|lb| items(lb.prop("SecurityGroups")).into_iter().any(|v| cx.points_to(lb.stack, v, sg)));
        for rule in items(sg.prop("SecurityGroupIngress")) {
            if let Some(m) = open_violation(rule, lb_facing) {
                out.add(&OPEN_INGRESS, sg, m);
            }
        }
        if sg
            .prop("GroupDescription")
            .and_then(Json::as_str)
            .is_none_or(|d| d.trim().is_empty())
        {
            out.add(&DESCRIPTIONS, sg, "security group has no GroupDescription");
        }
        for (what, list) in [("ingress", "SecurityGroupIngress"), ("egress", "SecurityGroupEgress")] {
            let undescribed = items(sg.prop(list)).into_iter().filter(|r| !described(r)).count();
            if undescribed > 0 {
                out.add(
                    &DESCRIPTIONS,
                    sg,
                    format!("{undescribed} inline {what} rule(s) without a Description"),
                );
            }
        }
    }

    for rule in cx.of_type(INGRESS) {
        let group = rule.prop("GroupId").and_then(|g| cx.resolve(rule.stack, g));
        let lb_facing = group.is_some_and(|g| {
            cx.of_type("AWS::ElasticLoadBalancingV2::LoadBalancer")
                .any(|lb| items(lb.prop("SecurityGroups")).into_iter().any(|v| cx.points_to(lb.stack, v, g)))
        });
        if let Some(m) = open_violation(rule.props, lb_facing) {
            out.add(&OPEN_INGRESS, rule, m);
        }
    }
    for rule in cx.of_type(INGRESS).chain(cx.of_type(EGRESS)) {
        if !described(rule.props) {
            out.add(&DESCRIPTIONS, rule, "security group rule has no Description");
        }
    }
}

fn described(rule: &Json) -> bool {
    rule.get("Description").and_then(Json::as_str).is_some_and(|d| !d.trim().is_empty())
}

/// The open CIDR of an ingress rule (`0.0.0.0/0`, `::/0`), if it has one.
fn open_cidr(rule: &Json) -> Option<&'static str> {
    if rule.get("CidrIp").and_then(Json::as_str) == Some("0.0.0.0/0") {
        return Some("0.0.0.0/0");
    }
    if rule.get("CidrIpv6").and_then(Json::as_str) == Some("::/0") {
        return Some("::/0");
    }
    None
}

/// `from-to/protocol` of a rule, for messages.
fn ports(rule: &Json) -> String {
    let proto = match rule.get("IpProtocol") {
        Some(Json::String(s)) => s.clone(),
        Some(Json::Number(n)) => n.to_string(),
        _ => "?".into(),
    };
    if proto == "-1" {
        return "all traffic".into();
    }
    match (as_i64(rule.get("FromPort")), as_i64(rule.get("ToPort"))) {
        (Some(a), Some(b)) if a == b => format!("port {a}/{proto}"),
        (Some(a), Some(b)) => format!("ports {a}-{b}/{proto}"),
        _ => format!("all {proto} ports"),
    }
}

/// Why an ingress rule is open to the internet, or `None` when it is not (or is a
/// load balancer's HTTP/HTTPS listener port).
fn open_violation(rule: &Json, lb_facing: bool) -> Option<String> {
    let cidr = open_cidr(rule)?;
    let tcp = matches!(rule.get("IpProtocol").and_then(Json::as_str), Some("tcp" | "6")) || rule.get("IpProtocol") == Some(&Json::from(6));
    let (from, to) = (as_i64(rule.get("FromPort")), as_i64(rule.get("ToPort")));
    let web_port = tcp && from == to && matches!(from, Some(80 | 443));
    if lb_facing && web_port {
        return None;
    }
    let why = if web_port {
        " (only a load balancer's security group may)"
    } else {
        ""
    };
    Some(format!("ingress from {cidr} on {}{why}", ports(rule)))
}

/// Ingress rules of `sg` open to the internet, with the resource that holds each
/// (the group itself for inline rules, or a standalone ingress resource).
pub(crate) fn open_ingress<'c, 'a>(cx: &'c Cx<'a>, sg: &Res) -> Vec<(&'c Res<'a>, String)> {
    let mut found = Vec::new();
    if let Some(group) = cx.resources.iter().find(|r| r.is(sg)) {
        for rule in items(group.prop("SecurityGroupIngress")) {
            if let Some(cidr) = open_cidr(rule) {
                found.push((group, format!("{cidr} on {}", ports(rule))));
            }
        }
    }
    for ingress in cx.of_type(INGRESS) {
        if ingress.prop("GroupId").is_some_and(|g| cx.points_to(ingress.stack, g, sg)) {
            if let Some(cidr) = open_cidr(ingress.props) {
                found.push((ingress, format!("{cidr} on {}", ports(ingress.props))));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::testing::{all, check, env_of, hits, r, stack, stack_with};

    /// A VPC with a flow log, a load balancer whose group is open on 80/443, and an
    /// app group reachable only from the load balancer's group.
    fn network(change: impl FnOnce(&mut Vec<(&'static str, Json)>)) -> Vec<(&'static str, Json)> {
        let mut v = vec![
            (
                "Vpc",
                r("AWS::EC2::VPC", "network/Vpc/Resource", json!({"CidrBlock": "10.0.0.0/16"})),
            ),
            (
                "VpcFlowLog",
                r(
                    "AWS::EC2::FlowLog",
                    "network/Vpc/FlowLog",
                    json!({"ResourceId": {"Ref": "Vpc"}, "ResourceType": "VPC", "TrafficType": "ALL"}),
                ),
            ),
            (
                "LbSg",
                r(
                    "AWS::EC2::SecurityGroup",
                    "network/Lb/SecurityGroup",
                    json!({"GroupDescription": "Load balancer", "VpcId": {"Ref": "Vpc"}, "SecurityGroupIngress": [
                        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0", "Description": "HTTPS from anywhere"},
                        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIpv6": "::/0", "Description": "HTTP from anywhere (redirects)"}
                    ]}),
                ),
            ),
            (
                "Lb",
                r(
                    "AWS::ElasticLoadBalancingV2::LoadBalancer",
                    "network/Lb/Resource",
                    json!({"SecurityGroups": [{"Fn::GetAtt": ["LbSg", "GroupId"]}], "LoadBalancerAttributes": [
                        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                        {"Key": "access_logs.s3.enabled", "Value": "true"}
                    ]}),
                ),
            ),
            (
                "AppSg",
                r(
                    "AWS::EC2::SecurityGroup",
                    "network/App/SecurityGroup",
                    json!({"GroupDescription": "App tasks", "VpcId": {"Ref": "Vpc"}, "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0", "Description": "Outbound"}]}),
                ),
            ),
            (
                "AppFromLb",
                r(
                    "AWS::EC2::SecurityGroupIngress",
                    "network/App/SecurityGroup/from LbSg:8080",
                    json!({"GroupId": {"Fn::GetAtt": ["AppSg", "GroupId"]}, "SourceSecurityGroupId": {"Fn::GetAtt": ["LbSg", "GroupId"]}, "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "Description": "From the load balancer"}),
                ),
            ),
        ];
        change(&mut v);
        v
    }

    #[test]
    fn compliant_network_passes_every_rule() {
        assert_eq!(all(&check(true, network(|_| {}))), Vec::<String>::new());
    }

    #[test]
    fn vpc_without_flow_log() {
        let report = check(
            false,
            network(|v| {
                v.remove(1);
            }),
        );
        assert_eq!(hits(&report, "VPC-FLOW-LOGS"), ["network/Vpc/Resource"]);
    }

    #[test]
    fn flow_log_in_another_stack_counts() {
        let net = stack_with(
            "network",
            vec![("Vpc", r("AWS::EC2::VPC", "network/Vpc/Resource", json!({})))],
            json!({"ExportsOutputRefVpc": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "app-test-network:ExportsOutputRefVpc"}}}),
        );
        let logs = stack(
            "audit",
            vec![(
                "FlowLog",
                r(
                    "AWS::EC2::FlowLog",
                    "audit/FlowLog/Resource",
                    json!({"ResourceId": {"Fn::ImportValue": "app-test-network:ExportsOutputRefVpc"}, "ResourceType": "VPC"}),
                ),
            )],
        );
        let report = crate::check_env(&env_of(false, vec![net, logs])).unwrap();
        assert!(hits(&report, "VPC-FLOW-LOGS").is_empty());
    }

    #[test]
    fn open_ingress_on_an_app_group() {
        let report = check(
            false,
            network(|v| {
                v[5].1["Properties"]["CidrIp"] = json!("0.0.0.0/0");
            }),
        );
        assert_eq!(hits(&report, "EC2-SG-OPEN-INGRESS"), ["network/App/SecurityGroup/from LbSg:8080"]);
        assert!(
            report.findings[0].message.contains("0.0.0.0/0 on port 8080/tcp"),
            "{:?}",
            report.findings[0]
        );
    }

    #[test]
    fn load_balancer_group_open_on_other_ports_or_not_attached() {
        // 22 is never allowed, even on the load balancer.
        let report = check(
            false,
            network(|v| {
                v[2].1["Properties"]["SecurityGroupIngress"][0]["FromPort"] = json!(22);
                v[2].1["Properties"]["SecurityGroupIngress"][0]["ToPort"] = json!(22);
            }),
        );
        assert_eq!(hits(&report, "EC2-SG-OPEN-INGRESS"), ["network/Lb/SecurityGroup"]);
        // Without the load balancer, 80/443 from anywhere is not allowed either.
        let report = check(
            false,
            network(|v| {
                v.remove(3);
            }),
        );
        assert_eq!(
            hits(&report, "EC2-SG-OPEN-INGRESS"),
            ["network/Lb/SecurityGroup", "network/Lb/SecurityGroup"]
        );
    }

    #[test]
    fn missing_descriptions() {
        let report = check(
            false,
            network(|v| {
                v[4].1["Properties"]["SecurityGroupEgress"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("Description");
                v[5].1["Properties"]["Description"] = json!("");
                v[2].1["Properties"]["GroupDescription"] = json!(" ");
            }),
        );
        assert_eq!(
            hits(&report, "EC2-SG-DESCRIPTION"),
            [
                "network/App/SecurityGroup",
                "network/App/SecurityGroup/from LbSg:8080",
                "network/Lb/SecurityGroup"
            ]
        );
    }
}
