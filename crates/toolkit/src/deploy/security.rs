//! Does a deploy broaden access? The template diff engine of `cairn diff`
//! (`cairn_diff`) compares the IAM statements, managed policies and
//! security-group rules of the deployed template with the new one; every added
//! grant or removed deny needs approval. Here: which of its findings count, and
//! one readable line each.

use cairn_diff::{Action, SecurityChange, SecurityDetail, TemplateDiff};
use cairn_diff::{Direction, SgRule};

/// Grants the new template adds and denies it drops, one line each.
pub fn broadening(diff: &TemplateDiff) -> Vec<String> {
    diff.security
        .iter()
        .filter(|c| c.broadening)
        .filter(|c| !matches!(&c.detail, SecurityDetail::Rule(r) if matches_nothing(r)))
        .map(line)
        .collect()
}

/// The placeholder egress rule that stands for "no outbound traffic" (ICMP type
/// 252 code 86 to 255.255.255.255/32, as the AWS CDK writes it) opens nothing.
fn matches_nothing(rule: &SgRule) -> bool {
    rule.direction == Direction::Egress
        && rule.peer == "255.255.255.255/32"
        && rule.raw.get("FromPort").and_then(|v| v.as_i64()) == Some(252)
        && rule.raw.get("ToPort").and_then(|v| v.as_i64()) == Some(86)
}

fn line(c: &SecurityChange) -> String {
    let who = format!("{} ({})", c.logical_id, c.resource_type);
    match &c.detail {
        SecurityDetail::Statement(s) => {
            let verb = if c.action == Action::Remove { "removes " } else { "" };
            let mut text = format!("{who} {}: {verb}{}", s.document, s.effect);
            text.push_str(&format!(" {}{}", if s.not_actions { "all but " } else { "" }, list(&s.actions)));
            if !s.principals.is_empty() {
                text.push_str(&format!(
                    " to {}{}",
                    if s.not_principal { "all but " } else { "" },
                    list(&s.principals)
                ));
            }
            if !s.resources.is_empty() {
                text.push_str(&format!(
                    " on {}{}",
                    if s.not_resources { "all but " } else { "" },
                    list(&s.resources)
                ));
            }
            if let Some(cond) = &s.condition {
                text.push_str(&format!(" if {cond}"));
            }
            text
        }
        SecurityDetail::ManagedPolicy(p) => format!("{who} attaches managed policy {}", p.arn),
        SecurityDetail::Rule(r) => {
            let prep = if r.direction == Direction::Ingress { "from" } else { "to" };
            let mut text = format!("{who} {} {} {} {prep} {}", r.direction.as_str(), r.protocol, r.ports, r.peer);
            if let Some(w) = &r.widens {
                text.push_str(&format!(" ({w})"));
            }
            if r.public {
                text.push_str(" [the whole internet]");
            }
            text
        }
    }
}

fn list(items: &[String]) -> String {
    if items.len() > 4 {
        format!("{} and {} more", items[..3].join(", "), items.len() - 3)
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use cairn_diff::compare;
    use serde_json::{json, Value as Json};

    use super::*;

    fn policy_template(actions: Json) -> Json {
        json!({"Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}},
            "Policy": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": [
                {"Effect": "Allow", "Action": actions, "Resource": {"Fn::GetAtt": ["Queue", "Arn"]}}]}}},
            "Queue": {"Type": "AWS::SQS::Queue"}
        }})
    }

    #[test]
    fn a_new_stack_with_iam_broadens() {
        let items = broadening(&compare(&json!({}), &policy_template(json!("sqs:SendMessage"))));
        assert_eq!(items.len(), 2, "{items:?}");
        assert!(
            items
                .iter()
                .any(|i| i.starts_with("Role (AWS::IAM::Role) AssumeRolePolicyDocument: Allow sts:AssumeRole to ")),
            "{items:?}"
        );
        assert!(
            items
                .iter()
                .any(|i| i.starts_with("Policy (AWS::IAM::Policy) PolicyDocument: Allow sqs:SendMessage")),
            "{items:?}"
        );
    }

    #[test]
    fn unchanged_policies_do_not_broaden_and_wider_ones_do() {
        let old = policy_template(json!(["sqs:SendMessage", "sqs:ReceiveMessage"]));
        assert!(broadening(&compare(&old, &old.clone())).is_empty());
        let wider = broadening(&compare(&old, &policy_template(json!(["sqs:*"]))));
        assert_eq!(wider.len(), 1, "{wider:?}");
        assert!(wider[0].contains("Allow sqs:*"), "{wider:?}");
    }

    #[test]
    fn security_group_rules_count_but_the_disallow_all_placeholder_does_not() {
        let sg = |rules: Json| json!({"Resources": {"Web": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "web", "SecurityGroupIngress": rules}}}});
        let rule = |cidr: &str| json!([{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": cidr}]);
        assert!(broadening(&compare(&sg(rule("10.0.0.0/16")), &sg(rule("10.0.0.0/16")))).is_empty());
        let open = broadening(&compare(&sg(rule("10.0.0.0/16")), &sg(rule("0.0.0.0/0"))));
        assert_eq!(open.len(), 1, "{open:?}");
        assert!(
            open[0].starts_with("Web (AWS::EC2::SecurityGroup) ingress tcp 443 from 0.0.0.0/0"),
            "{open:?}"
        );
        assert!(open[0].ends_with("[the whole internet]"), "{open:?}");
        let closed = json!({"Resources": {"Db": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "db",
            "SecurityGroupEgress": [{"IpProtocol": "icmp", "FromPort": 252, "ToPort": 86, "CidrIp": "255.255.255.255/32"}]}}}});
        assert!(broadening(&compare(&json!({}), &closed)).is_empty());
    }

    #[test]
    fn a_removed_deny_broadens() {
        let bucket_policy = |stmts: Json| json!({"Resources": {"P": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": "b", "PolicyDocument": {"Statement": stmts}}}}});
        let deny = json!({"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}});
        assert!(broadening(&compare(&json!({}), &bucket_policy(json!([deny.clone()])))).is_empty());
        let dropped = broadening(&compare(&bucket_policy(json!([deny])), &bucket_policy(json!([]))));
        assert_eq!(dropped.len(), 1, "{dropped:?}");
        assert!(
            dropped[0].starts_with("P (AWS::S3::BucketPolicy) PolicyDocument: removes Deny s3:*"),
            "{dropped:?}"
        );
    }
}
