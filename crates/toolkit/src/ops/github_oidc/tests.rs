//! The delivery stack's template (cairn-assertions), its policy checks, cfn-lint, and
//! the choice of the OIDC provider against scripted AWS answers.

use std::cell::RefCell;
use std::collections::BTreeSet;

use cairn_assertions::{Match, Template};
use cairn_core::EnvSettings;
use serde_json::{json, Value as Json};

use super::setup::{checked_delivery_stack, choose_provider};
use super::*;
use crate::aws::fake::FakeCloudFormation;
use crate::aws::oidc::{OidcProvider, OidcProviders};
use crate::aws::AwsResult;

const EXISTING: &str = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com";

fn input(provider: Provider) -> DeliveryInput {
    DeliveryInput {
        app: "shop".into(),
        settings: EnvSettings {
            name: "prod".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            retain_data: true,
            require_approval: true,
            tags: Default::default(),
        },
        repo: "acme/shop-infra".parse().unwrap(),
        github_environment: "production".into(),
        bucket: "cairn-templates-123456789012-eu-west-1".into(),
        provider,
        resource_types: ["AWS::EC2::VPC", "AWS::SQS::Queue", "AWS::IAM::Role", "AWS::RDS::DBInstance"]
            .into_iter()
            .map(String::from)
            .collect::<BTreeSet<_>>(),
        previous: Some("staging".into()),
    }
}

fn template(provider: Provider) -> Template {
    let stack = checked_delivery_stack(&input(provider)).expect("the delivery stack passes the checks");
    assert_eq!(stack.name, "cairn-shop-prod-delivery");
    Template::from_json(&stack.name, stack.template)
}

fn trust(subject: &str, provider: Json) -> Json {
    Match::exact(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": subject
            }}
        }]
    }))
}

fn statements(t: &Template, role: &str) -> Vec<Json> {
    t.resource(role)["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn the_roles_trust_only_the_environment_and_pull_requests_of_the_repository() {
    let t = template(Provider::Create);
    t.resource_count_is("AWS::IAM::OIDCProvider", 1);
    t.has_resource(
        "AWS::IAM::OIDCProvider",
        json!({
            "DeletionPolicy": "Retain",
            "Properties": {"Url": "https://token.actions.githubusercontent.com", "ClientIdList": ["sts.amazonaws.com"]}
        }),
    );
    let provider = json!({"Ref": PROVIDER_ID});
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({
            "RoleName": "cairn-shop-prod-deploy",
            "AssumeRolePolicyDocument": trust("repo:acme/shop-infra:environment:production", provider.clone()),
            "ManagedPolicyArns": Match::absent(),
        }),
    );
    t.has_resource_properties(
        "AWS::IAM::Role",
        json!({
            "RoleName": "cairn-shop-prod-diff",
            "AssumeRolePolicyDocument": trust("repo:acme/shop-infra:pull_request", provider.clone()),
            "ManagedPolicyArns": Match::absent(),
        }),
    );
    // The environment's standard tags, although the stack is named outside `shop-prod-*`.
    t.all_resources_properties(
        "AWS::IAM::Role",
        json!({"Tags": Match::array_with(json!([
            {"Key": "Application", "Value": "shop"},
            {"Key": "Environment", "Value": "prod"}
        ]))}),
    );
    t.has_output(DEPLOY_ROLE_OUTPUT, json!({"Value": {"Fn::GetAtt": [DEPLOY_ROLE_ID, "Arn"]}}));
    t.has_output(DIFF_ROLE_OUTPUT, json!({"Value": {"Fn::GetAtt": [DIFF_ROLE_ID, "Arn"]}}));
    t.has_output(PROVIDER_OUTPUT, json!({"Value": provider}));
}

#[test]
fn an_existing_provider_is_referred_to_not_created() {
    let t = template(Provider::Existing(EXISTING.into()));
    t.resource_count_is("AWS::IAM::OIDCProvider", 0);
    t.all_resources_properties(
        "AWS::IAM::Role",
        json!({"AssumeRolePolicyDocument": {"Statement": [{"Principal": {"Federated": EXISTING}}]}}),
    );
    t.has_output(PROVIDER_OUTPUT, json!({"Value": EXISTING}));
}

#[test]
fn the_deploy_role_acts_on_the_environment_s_stacks_and_bucket_only() {
    let t = template(Provider::Create);
    let deploy = statements(&t, DEPLOY_ROLE_ID);
    let by_sid = |sid: &str| {
        deploy
            .iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("no {sid}"))
            .clone()
    };
    let stacks = by_sid("EnvironmentStacks");
    assert_eq!(
        stacks["Resource"],
        json!([
            {"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/shop-prod-*/*"},
            {"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:changeSet/cairn-*/*"}
        ])
    );
    assert!(stacks["Action"]
        .as_array()
        .unwrap()
        .contains(&json!("cloudformation:ExecuteChangeSet")));
    assert_eq!(
        by_sid("TemplateBucket")["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:s3:::cairn-templates-123456789012-eu-west-1"}])
    );
    assert_eq!(
        by_sid("TemplateObjects")["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:s3:::cairn-templates-123456789012-eu-west-1/cairn/shop/prod/*"}])
    );
    let called_via = json!({"ForAnyValue:StringEquals": {"aws:CalledVia": ["cloudformation.amazonaws.com"]}});
    for s in &deploy {
        let actions: Vec<&str> = s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        assert!(!actions.iter().any(|a| *a == "*" || a.starts_with("*:")), "{s}");
        // Every wildcard action is usable only through CloudFormation.
        if actions.iter().any(|a| a.contains('*')) {
            assert_eq!(s["Condition"], called_via, "{s}");
            assert!(!actions.contains(&"iam:*"), "IAM is never a wildcard: {s}");
        }
        // A `*` resource only for ListExports or through CloudFormation.
        if s["Resource"] == json!(["*"]) {
            assert!(actions == ["cloudformation:ListExports"] || s["Condition"] == called_via, "{s}");
        }
    }
    let services = by_sid("ResourcesThroughCloudFormation");
    assert_eq!(
        services["Action"],
        json!(["ec2:*", "kms:*", "logs:*", "rds:*", "secretsmanager:*", "sqs:*"])
    );
    assert_eq!(
        by_sid("EnvironmentRoles")["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/shop-prod-*"}])
    );
    // The promotion gate reads staging's stacks and the alarm states, nothing more.
    let previous = by_sid("PreviousEnvironmentStacks");
    assert_eq!(
        previous["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/shop-staging-*/*"}])
    );
    assert!(previous["Action"].as_array().unwrap().iter().all(|a| {
        let a = a.as_str().unwrap();
        a.starts_with("cloudformation:Describe") || a == "cloudformation:GetTemplate"
    }));
    assert_eq!(by_sid("PreviousEnvironmentAlarms")["Action"], json!(["cloudwatch:DescribeAlarms"]));
    // Backups only of the environment's own databases, named after its stacks.
    let backups = by_sid("BackupDatabases");
    assert!(backups["Action"].as_array().unwrap().contains(&json!("rds:CreateDBSnapshot")));
    assert!(backups["Resource"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["Fn::Sub"].as_str().unwrap().ends_with(":shop-prod-*")));
    assert!(
        !deploy.iter().any(|s| s["Sid"] == "BackupTables"),
        "no DynamoDB table, no table backups"
    );
}

#[test]
fn the_diff_role_only_reads() {
    let t = template(Provider::Create);
    let diff = statements(&t, DIFF_ROLE_ID);
    let actions: Vec<&str> = diff
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap())
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        actions.iter().all(|a| ["Describe", "Get", "List"]
            .iter()
            .any(|p| a.starts_with(&format!("cloudformation:{p}")))),
        "{actions:?}"
    );
    assert_eq!(diff.len(), 1, "{diff:?}");
    assert_eq!(
        diff[0]["Resource"],
        json!([{"Fn::Sub": "arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/shop-prod-*/*"}])
    );
}

#[test]
fn the_delivery_stack_is_cfn_lint_clean() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::env::temp_dir().join(format!("cairn-delivery-lint-{}", std::process::id()));
    for (dir, provider) in [("created", Provider::Create), ("existing", Provider::Existing(EXISTING.into()))] {
        let stack = checked_delivery_stack(&input(provider)).unwrap();
        std::fs::create_dir_all(out.join(dir)).unwrap();
        std::fs::write(out.join(dir).join(format!("{}.template.json", stack.name)), &stack.body).unwrap();
    }
    let o = std::process::Command::new(repo.join("scripts/lint-templates.sh"))
        .arg(&out)
        .env("CFN_LINT_REGIONS", "eu-west-1")
        .output()
        .expect("scripts/lint-templates.sh runs");
    let _ = std::fs::remove_dir_all(&out);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success() && stdout.contains("lint: OK: 2 template(s)"),
        "cfn-lint:\n{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// IAM's answers, scripted.
struct Iam {
    found: Option<OidcProvider>,
    created: RefCell<Vec<String>>,
}

impl OidcProviders for Iam {
    fn find(&self, host: &str) -> AwsResult<Option<OidcProvider>> {
        assert_eq!(host, PROVIDER_HOST);
        Ok(self.found.clone())
    }
    fn create(&self, url: &str, client_ids: &[&str]) -> AwsResult<String> {
        assert_eq!((url, client_ids), (PROVIDER_URL, &[AUDIENCE][..]));
        self.created.borrow_mut().push(url.into());
        Ok(EXISTING.into())
    }
}

fn iam(found: Option<&[&str]>) -> Iam {
    Iam {
        found: found.map(|ids| OidcProvider {
            arn: EXISTING.into(),
            client_ids: ids.iter().map(|s| s.to_string()).collect(),
        }),
        created: RefCell::new(Vec::new()),
    }
}

#[test]
fn the_provider_is_created_reused_or_kept() {
    let cfn = FakeCloudFormation::new();
    let name = "cairn-shop-prod-delivery";
    // None in the account: the stack creates it (on AWS), cairn creates it (on moto).
    assert_eq!(choose_provider(&cfn, &iam(None), name, None).unwrap(), (Provider::Create, None));
    let moto = iam(None);
    let (p, note) = choose_provider(&cfn, &moto, name, Some("moto")).unwrap();
    assert_eq!(p, Provider::Existing(EXISTING.into()));
    assert!(note.unwrap().contains("CreateOpenIDConnectProvider"));
    assert_eq!(moto.created.borrow().len(), 1);
    // One in the account: referred to.
    let (p, _) = choose_provider(&cfn, &iam(Some(&["sts.amazonaws.com"])), name, None).unwrap();
    assert_eq!(p, Provider::Existing(EXISTING.into()));
    // Without the audience: refused with the fix.
    let err = choose_provider(&cfn, &iam(Some(&["other"])), name, None).unwrap_err().to_string();
    assert!(err.contains("add-client-id-to-open-id-connect-provider"), "{err}");
    // This stack created it: it stays in the stack.
    let own = checked_delivery_stack(&input(Provider::Create)).unwrap();
    cfn.add_stack(name, "CREATE_COMPLETE", &own.template);
    let (p, _) = choose_provider(&cfn, &iam(Some(&["sts.amazonaws.com"])), name, None).unwrap();
    assert_eq!(p, Provider::Create);
}

#[test]
fn the_policy_checks_run_and_every_wildcard_is_a_suppression_with_its_reason() {
    let env = delivery_env(&input(Provider::Create)).unwrap();
    let report = cairn_check::check_env(&env).unwrap();
    assert_eq!(report.errors(), 0);
    let suppressed: Vec<(&str, &str)> = report
        .findings
        .iter()
        .map(|f| {
            assert!(f.suppressed.as_deref().is_some_and(|r| r.contains("CloudFormation")), "{f:?}");
            (f.rule.as_str(), f.logical_id.as_str())
        })
        .collect();
    // The deploy role's wildcards only; the diff role has none.
    let mut rules: Vec<&str> = suppressed.iter().map(|(r, _)| *r).collect();
    rules.dedup();
    assert_eq!(rules, ["IAM-NO-STAR-ACTIONS", "IAM-NO-STAR-RESOURCES"], "{suppressed:?}");
    assert!(suppressed.iter().all(|(_, id)| *id == DEPLOY_ROLE_ID), "{suppressed:?}");
}
