//! IAM: no wildcard actions, no `*` resources except for actions that only accept
//! `*`, no inline admin policies, no broad AWS-managed policies. Judged on identity
//! policies (roles, users, groups, managed and inline policies); resource policies
//! such as the TLS-only deny statements are not grants.

use serde_json::Value as Json;

use crate::model::{items, statements, text, Cx, Res};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const STAR_ACTIONS: Rule = Rule {
    id: "IAM-NO-STAR-ACTIONS",
    title: "IAM policies allow no wildcard actions",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "list the exact actions (the construct's grant_* methods do); never Allow with NotAction",
};
pub(crate) const STAR_RESOURCES: Rule = Rule {
    id: "IAM-NO-STAR-RESOURCES",
    title: "IAM policies allow `*` resources only for actions that require it",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "name the exact resource ARNs; `*` is accepted only for actions in cairn_check::ACTIONS_REQUIRING_STAR",
};
pub(crate) const INLINE_ADMIN: Rule = Rule {
    id: "IAM-NO-INLINE-ADMIN",
    title: "No policy in a template grants full administrator access",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "remove the Allow of `*` on `*`; grant only what the workload uses",
};
pub(crate) const MANAGED_BROAD: Rule = Rule {
    id: "IAM-NO-AWS-MANAGED-BROAD",
    title: "No broad AWS-managed policies (administrator, power user, read-only, *FullAccess, job functions)",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "replace the managed policy with grants of exact actions on exact resources",
};

pub(crate) const RULES: &[Rule] = &[STAR_ACTIONS, STAR_RESOURCES, INLINE_ADMIN, MANAGED_BROAD];

/// Actions that do not support resource-level permissions: IAM accepts only
/// `Resource: "*"` for them (Service Authorization Reference, "Resource types" column
/// empty). Any statement allowing `*` must consist of these alone.
pub const ACTIONS_REQUIRING_STAR: &[&str] = &[
    // Pulling images from ECR: the token is account-wide.
    "ecr:GetAuthorizationToken",
    // X-Ray daemon / SDK.
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "xray:GetSamplingStatisticSummaries",
    // Custom metrics (restrict by the cloudwatch:namespace condition instead).
    "cloudwatch:PutMetricData",
    // ECS Exec's session channels.
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
    // Listing log groups (flow logs and agents check that theirs exists).
    "logs:DescribeLogGroups",
    // ENI management in a VPC (Lambda in a VPC, custom resources).
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeVpcs",
    // Elastic Load Balancing's read-only calls (blue/green deployments read listeners and target health).
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
    "secretsmanager:GetRandomPassword",
    "sts:GetCallerIdentity",
];

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    for res in &cx.resources {
        for (document, inline) in documents(res) {
            for s in statements(Some(document)) {
                if s.get("Effect").and_then(Json::as_str) != Some("Allow") {
                    continue;
                }
                let actions = strings(s.get("Action"));
                let resources = strings(s.get("Resource"));
                let wild: Vec<&str> = actions.iter().copied().filter(|a| a.contains('*')).collect();
                if !wild.is_empty() {
                    out.add(&STAR_ACTIONS, res, format!("allows wildcard action(s) {}", wild.join(", ")));
                }
                if s.get("NotAction").is_some() {
                    out.add(&STAR_ACTIONS, res, "allows NotAction: every action but the listed ones");
                }
                let star_resource = resources.contains(&"*") || s.get("NotResource").is_some();
                let all_exempt = !actions.is_empty() && actions.iter().all(|a| ACTIONS_REQUIRING_STAR.contains(a));
                if star_resource && !all_exempt {
                    let offending: Vec<&str> = actions.iter().copied().filter(|a| !ACTIONS_REQUIRING_STAR.contains(a)).collect();
                    let what = if offending.is_empty() {
                        "its actions".to_string()
                    } else {
                        offending.join(", ")
                    };
                    out.add(&STAR_RESOURCES, res, format!("allows {what} on every resource (`*`)"));
                }
                let admin = actions.iter().any(|a| *a == "*" || *a == "*:*");
                if inline && admin && resources.contains(&"*") {
                    out.add(&INLINE_ADMIN, res, "an inline policy allows `*` on `*` (administrator access)");
                }
            }
        }
        if matches!(res.kind, "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group") {
            for arn in items(res.prop("ManagedPolicyArns")).into_iter().filter_map(text) {
                if let Some(name) = broad_managed_policy(&arn) {
                    out.add(&MANAGED_BROAD, res, format!("attaches the AWS-managed policy {name}"));
                }
            }
        }
    }
}

/// Identity-policy documents held by a resource, each with whether it is inline
/// (part of one principal) rather than a standalone managed policy.
fn documents<'r>(res: &'r Res) -> Vec<(&'r Json, bool)> {
    match res.kind {
        "AWS::IAM::Policy" | "AWS::IAM::RolePolicy" | "AWS::IAM::UserPolicy" | "AWS::IAM::GroupPolicy" => {
            res.prop("PolicyDocument").map(|d| (d, true)).into_iter().collect()
        }
        // A customer-managed policy written in the template is just as much the template's grant.
        "AWS::IAM::ManagedPolicy" => res.prop("PolicyDocument").map(|d| (d, true)).into_iter().collect(),
        "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => items(res.prop("Policies"))
            .into_iter()
            .filter_map(|p| p.get("PolicyDocument"))
            .map(|d| (d, true))
            .collect(),
        _ => Vec::new(),
    }
}

/// String items of an Action/Resource entry (intrinsics, i.e. specific ARNs, are skipped).
fn strings(v: Option<&Json>) -> Vec<&str> {
    items(v).into_iter().filter_map(Json::as_str).collect()
}

/// The name of an AWS-managed policy that grants broad access, if `arn` is one.
fn broad_managed_policy(arn: &str) -> Option<&str> {
    let (_, name) = arn.split_once(":iam::aws:policy/")?;
    let base = name.rsplit('/').next().unwrap_or(name);
    let broad = base.starts_with("AdministratorAccess")
        || matches!(base, "PowerUserAccess" | "ReadOnlyAccess")
        || base.ends_with("FullAccess")
        || name.starts_with("job-function/");
    broad.then_some(name)
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::testing::{all, check, hits, r};

    /// A role with exact grants (what cairn's grants produce) and an execution role
    /// with the ECS task-execution managed policy.
    fn roles(change: impl FnOnce(&mut Json, &mut Json)) -> Vec<(&'static str, Json)> {
        let mut role = r(
            "AWS::IAM::Role",
            "service/TaskRole/Resource",
            json!({
                "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "ManagedPolicyArns": [{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]]}]
            }),
        );
        let mut policy = r(
            "AWS::IAM::Policy",
            "service/TaskRole/DefaultPolicy/Resource",
            json!({
                "PolicyName": "TaskRoleDefaultPolicy",
                "Roles": [{"Ref": "TaskRole"}],
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": [{"Fn::GetAtt": ["Orders", "Arn"]}, {"Fn::Join": ["", [{"Fn::GetAtt": ["Orders", "Arn"]}, "/index/*"]]}]},
                    {"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "xray:PutTraceSegments"], "Resource": "*"},
                    {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}
                ]}
            }),
        );
        change(&mut role, &mut policy);
        vec![("TaskRole", role), ("TaskRoleDefaultPolicy", policy)]
    }

    fn add_statement(policy: &mut Json, statement: Json) {
        policy["Properties"]["PolicyDocument"]["Statement"]
            .as_array_mut()
            .unwrap()
            .push(statement);
    }

    #[test]
    fn exact_grants_pass_every_rule() {
        assert_eq!(all(&check(true, roles(|_, _| {}))), Vec::<String>::new());
    }

    #[test]
    fn wildcard_actions() {
        for action in [json!("s3:*"), json!(["sqs:SendMessage", "sqs:Get*"]), json!("*")] {
            let report = check(
                false,
                roles(|_, p| {
                    add_statement(
                        p,
                        json!({"Effect": "Allow", "Action": action, "Resource": {"Fn::GetAtt": ["Orders", "Arn"]}}),
                    )
                }),
            );
            assert_eq!(
                hits(&report, "IAM-NO-STAR-ACTIONS"),
                ["service/TaskRole/DefaultPolicy/Resource"],
                "{action}"
            );
        }
        let report = check(
            false,
            roles(|_, p| {
                add_statement(
                    p,
                    json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": {"Fn::GetAtt": ["Orders", "Arn"]}}),
                )
            }),
        );
        assert_eq!(hits(&report, "IAM-NO-STAR-ACTIONS"), ["service/TaskRole/DefaultPolicy/Resource"]);
    }

    #[test]
    fn star_resource_for_an_action_that_supports_arns() {
        let report = check(
            false,
            roles(|_, p| {
                add_statement(
                    p,
                    json!({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken", "s3:GetObject"], "Resource": "*"}),
                )
            }),
        );
        assert_eq!(hits(&report, "IAM-NO-STAR-RESOURCES"), ["service/TaskRole/DefaultPolicy/Resource"]);
        assert!(report
            .findings
            .iter()
            .any(|f| f.message == "allows s3:GetObject on every resource (`*`)"));
    }

    #[test]
    fn inline_admin_policy_on_a_role() {
        let report = check(
            false,
            roles(|role, _| {
                role["Properties"]["Policies"] = json!([{"PolicyName": "admin", "PolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}]);
            }),
        );
        assert_eq!(hits(&report, "IAM-NO-INLINE-ADMIN"), ["service/TaskRole/Resource"]);
        assert_eq!(hits(&report, "IAM-NO-STAR-ACTIONS"), ["service/TaskRole/Resource"]);
        assert_eq!(hits(&report, "IAM-NO-STAR-RESOURCES"), ["service/TaskRole/Resource"]);
    }

    #[test]
    fn broad_aws_managed_policies() {
        for arn in [
            json!("arn:aws:iam::aws:policy/AdministratorAccess"),
            json!({"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonS3FullAccess"}),
            json!({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/PowerUserAccess"]]}),
            json!("arn:aws:iam::aws:policy/job-function/SystemAdministrator"),
        ] {
            let report = check(
                false,
                roles(|role, _| role["Properties"]["ManagedPolicyArns"] = json!([arn.clone()])),
            );
            assert_eq!(hits(&report, "IAM-NO-AWS-MANAGED-BROAD"), ["service/TaskRole/Resource"], "{arn}");
        }
    }
}
