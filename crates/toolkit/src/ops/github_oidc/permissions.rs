//! What the deploy and diff roles may do.
//!
//! cairn deploys with the caller's own permissions (it passes CloudFormation no
//! execution role), so CloudFormation creates the environment's resources with the
//! deploy role's credentials. The deploy role therefore gets:
//! - CloudFormation on the environment's stacks (`<app>-<env>-*`) and cairn's change sets;
//! - the few CloudFormation calls that support no resource-level permissions (`*`);
//! - the template bucket: objects under `cairn/<app>/<env>/` and the bucket itself;
//! - the actions of the services behind the environment's resource types, only when
//!   CloudFormation makes the call for it (`aws:CalledVia`), on `*`: CloudFormation names
//!   and numbers the resources when it creates them, so no ARN is known beforehand;
//! - IAM only on roles named after the environment's stacks (`<app>-<env>-*`, as
//!   CloudFormation names them), plus service-linked roles.

use std::collections::BTreeSet;

use cairn_core::Value;

/// The CloudFormation actions cairn's deploy engine calls on a stack (CreateStack and
/// UpdateStack only on moto, so they are left out; DeleteStack removes a stack whose first
/// create failed, as `deploy` does before creating it again).
const DEPLOY_STACK_ACTIONS: &[&str] = &[
    "cloudformation:CreateChangeSet",
    "cloudformation:DeleteChangeSet",
    "cloudformation:DeleteStack",
    "cloudformation:DescribeChangeSet",
    "cloudformation:DescribeStackEvents",
    "cloudformation:DescribeStackResources",
    "cloudformation:DescribeStacks",
    "cloudformation:ExecuteChangeSet",
    "cloudformation:GetStackPolicy",
    "cloudformation:GetTemplate",
    "cloudformation:GetTemplateSummary",
    "cloudformation:ListChangeSets",
    "cloudformation:ListStackResources",
    "cloudformation:SetStackPolicy",
    "cloudformation:TagResource",
    "cloudformation:UpdateTerminationProtection",
];

/// What `cairn diff` reads of a deployed stack (its status and template).
const DIFF_STACK_ACTIONS: &[&str] = &[
    "cloudformation:DescribeStackResources",
    "cloudformation:DescribeStacks",
    "cloudformation:GetTemplate",
];

/// CloudFormation calls without resource-level permissions (IAM accepts only `*`):
/// the exports in use, read before an export is changed.
const ACCOUNT_WIDE_ACTIONS: &[&str] = &["cloudformation:ListExports"];

/// IAM actions CloudFormation needs for `AWS::IAM::Role` and `AWS::IAM::Policy`.
const ROLE_ACTIONS: &[&str] = &[
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
];

/// The condition that a call comes from CloudFormation acting for the role.
pub const CALLED_VIA_CLOUDFORMATION: &str = "cloudformation.amazonaws.com";

/// What one environment's roles may act on.
#[derive(Debug, Clone)]
pub struct Scope {
    /// The application's name (stack names start with `<app>-<env>-`).
    pub app: String,
    /// The environment's name.
    pub env: String,
    /// The template bucket's name.
    pub bucket: String,
    /// IAM action prefixes of the services behind the environment's resource types
    /// (without `iam`, which [`deploy_policy`] scopes to the environment's roles).
    pub services: BTreeSet<String>,
    /// The environment before it in promotion order, read by the promotion gate.
    pub previous: Option<String>,
}

impl Scope {
    fn stacks(&self) -> Value {
        Value::sub(format!(
            "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{}-{}-*/*",
            self.app, self.env
        ))
    }
}

fn statement(sid: &str, actions: &[&str], resources: Vec<Value>) -> Value {
    Value::map([
        ("Sid", Value::str(sid)),
        ("Effect", Value::str("Allow")),
        ("Action", Value::list(actions.iter().map(|a| Value::str(*a)))),
        ("Resource", Value::List(resources)),
    ])
}

fn via_cloudformation(statement: Value) -> Value {
    statement.with(
        "Condition",
        Value::map([(
            "ForAnyValue:StringEquals",
            Value::map([("aws:CalledVia", Value::list([CALLED_VIA_CLOUDFORMATION]))]),
        )]),
    )
}

fn document(statements: Vec<Value>) -> Value {
    Value::map([("Version", Value::str("2012-10-17")), ("Statement", Value::List(statements))])
}

/// The deploy role's policy (see the module's documentation for each statement).
pub fn deploy_policy(scope: &Scope) -> Value {
    let change_sets = Value::sub("arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:changeSet/cairn-*/*");
    let bucket = Value::sub(format!("arn:${{AWS::Partition}}:s3:::{}", scope.bucket));
    let objects = Value::sub(format!(
        "arn:${{AWS::Partition}}:s3:::{}/cairn/{}/{}/*",
        scope.bucket, scope.app, scope.env
    ));
    let roles = Value::sub(format!(
        "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{}-{}-*",
        scope.app, scope.env
    ));
    let mut statements = vec![
        statement("EnvironmentStacks", DEPLOY_STACK_ACTIONS, vec![scope.stacks(), change_sets]),
        statement("Exports", ACCOUNT_WIDE_ACTIONS, vec![Value::str("*")]),
        statement("TemplateObjects", &["s3:GetObject", "s3:PutObject"], vec![objects]),
        statement("TemplateBucket", &["s3:GetBucketLocation", "s3:ListBucket"], vec![bucket]),
        // PassRole is checked by the service that receives the role (ECS, EC2 flow logs),
        // which may not see CloudFormation as the caller: scoped by ARN only.
        statement("PassEnvironmentRoles", &["iam:PassRole"], vec![roles.clone()]),
        via_cloudformation(statement("EnvironmentRoles", ROLE_ACTIONS, vec![roles])),
        via_cloudformation(statement(
            "ServiceLinkedRoles",
            &["iam:CreateServiceLinkedRole"],
            vec![Value::sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/*")],
        )),
    ];
    // The promotion gate: the previous environment's stacks (read only) and alarm states.
    if let Some(previous) = &scope.previous {
        let stacks = Value::sub(format!(
            "arn:${{AWS::Partition}}:cloudformation:${{AWS::Region}}:${{AWS::AccountId}}:stack/{}-{previous}-*/*",
            scope.app
        ));
        statements.push(statement("PreviousEnvironmentStacks", DIFF_STACK_ACTIONS, vec![stacks]));
        statements.push(statement(
            "PreviousEnvironmentAlarms",
            &["cloudwatch:DescribeAlarms"],
            vec![Value::sub(
                "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*",
            )],
        ));
    }
    // Backups before stateful changes (`backup_before_stateful_changes`), named after the
    // environment's stacks, of the databases and tables CloudFormation named after them.
    let prefix = format!("{}-{}-*", scope.app, scope.env);
    if scope.services.contains("rds") {
        statements.push(statement(
            "BackupDatabases",
            &[
                "rds:CreateDBSnapshot",
                "rds:CreateDBClusterSnapshot",
                "rds:DescribeDBSnapshots",
                "rds:DescribeDBClusterSnapshots",
                "rds:AddTagsToResource",
            ],
            ["db", "cluster", "snapshot", "cluster-snapshot"]
                .iter()
                .map(|kind| {
                    Value::sub(format!(
                        "arn:${{AWS::Partition}}:rds:${{AWS::Region}}:${{AWS::AccountId}}:{kind}:{prefix}"
                    ))
                })
                .collect(),
        ));
    }
    if scope.services.contains("dynamodb") {
        statements.push(statement(
            "BackupTables",
            &["dynamodb:CreateBackup", "dynamodb:DescribeBackup"],
            vec![
                Value::sub(format!(
                    "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{prefix}"
                )),
                Value::sub(format!(
                    "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{prefix}/backup/*"
                )),
            ],
        ));
    }
    if !scope.services.is_empty() {
        let actions: Vec<String> = scope.services.iter().map(|s| format!("{s}:*")).collect();
        let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
        statements.push(via_cloudformation(statement(
            "ResourcesThroughCloudFormation",
            &actions,
            vec![Value::str("*")],
        )));
    }
    document(statements)
}

/// The diff role's policy: read the environment's deployed stacks, nothing else (`diff`
/// finds the exports in use in the templates, so it needs no ListExports).
pub fn diff_policy(scope: &Scope) -> Value {
    document(vec![statement("ReadEnvironmentStacks", DIFF_STACK_ACTIONS, vec![scope.stacks()])])
}

/// The IAM action prefixes of the services behind `types` (`AWS::EC2::VPC` → `ec2`), plus
/// the services CloudFormation calls for them besides their own (an RDS instance's
/// generated password lives in Secrets Manager, encrypted with KMS). `iam` and
/// CloudFormation's own types are left out: [`deploy_policy`] grants those exactly.
/// Types outside `AWS::` (custom resources) add nothing.
pub fn services_of<'a>(types: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for t in types {
        let mut parts = t.split("::");
        let (Some("AWS"), Some(service)) = (parts.next(), parts.next()) else {
            continue;
        };
        let prefix = iam_prefix(service);
        for companion in companions(t) {
            out.insert(companion.to_string());
        }
        if prefix != "iam" && prefix != "cloudformation" {
            out.insert(prefix);
        }
    }
    out
}

/// The service's IAM action prefix where it differs from its lowercased
/// CloudFormation name (Service Authorization Reference).
fn iam_prefix(service: &str) -> String {
    match service {
        "ElasticLoadBalancingV2" | "ElasticLoadBalancing" => "elasticloadbalancing",
        "ApplicationAutoScaling" => "application-autoscaling",
        "CertificateManager" => "acm",
        "StepFunctions" => "states",
        "Cognito" => "cognito-idp",
        "KinesisFirehose" => "firehose",
        "OpenSearchService" => "es",
        "Elasticsearch" => "es",
        "ServiceDiscovery" => "servicediscovery",
        "AutoScaling" => "autoscaling",
        other => return other.to_ascii_lowercase(),
    }
    .to_string()
}

/// Services CloudFormation calls for a type besides the type's own (from the types'
/// handler permissions in the CloudFormation registry schemas).
fn companions(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "AWS::RDS::DBInstance" | "AWS::RDS::DBCluster" => &["ec2", "kms", "secretsmanager", "logs"],
        "AWS::ECS::Service" => &["ec2", "elasticloadbalancing", "application-autoscaling"],
        "AWS::ECS::TaskDefinition" => &["ecr"],
        "AWS::ElasticLoadBalancingV2::LoadBalancer" => &["ec2"],
        "AWS::EC2::FlowLog" => &["logs"],
        "AWS::WAFv2::WebACLAssociation" => &["elasticloadbalancing"],
        "AWS::DynamoDB::Table" | "AWS::S3::Bucket" | "AWS::SQS::Queue" | "AWS::Logs::LogGroup" | "AWS::SNS::Topic" => &["kms"],
        "AWS::ApplicationAutoScaling::ScalableTarget" => &["ecs", "cloudwatch"],
        "AWS::ApplicationAutoScaling::ScalingPolicy" => &["cloudwatch"],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_come_from_the_resource_types() {
        let s = services_of([
            "AWS::EC2::VPC",
            "AWS::ElasticLoadBalancingV2::Listener",
            "AWS::IAM::Role",
            "AWS::CloudFormation::WaitConditionHandle",
            "AWS::RDS::DBInstance",
            "Custom::Thing",
        ]);
        let s: Vec<&str> = s.iter().map(String::as_str).collect();
        assert_eq!(s, ["ec2", "elasticloadbalancing", "kms", "logs", "rds", "secretsmanager"]);
    }
}
