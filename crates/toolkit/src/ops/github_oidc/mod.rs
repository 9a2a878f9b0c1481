//! The delivery stack `cairn bootstrap ENV --github-repo OWNER/REPO` deploys: the
//! account's GitHub OIDC provider (unless the account has one already), a deploy role
//! that only GitHub jobs of the environment's GitHub environment can assume, and a
//! read-only diff role for the repository's pull requests. Built with the typed layer,
//! synthesized and checked like any application stack.
//!
//! The stack is `cairn-<app>-<env>-delivery`: outside `<app>-<env>-*`, so the deploy
//! role cannot change the stack that defines its own permissions.

pub mod bootstrap;
pub mod permissions;
pub mod repo;
pub mod setup;

use std::collections::BTreeSet;

use cairn_cfn::iam::{role, CfnOIDCProvider, CfnOIDCProviderProps, CfnRole, CfnRoleProps};
use cairn_core::{App, EnvArtifact, EnvSettings, Output, RemovalPolicy, Value};

use crate::error::{CliError, CliResult};
pub use repo::GithubRepo;

/// The issuer GitHub Actions signs its OIDC tokens with.
pub const PROVIDER_URL: &str = "https://token.actions.githubusercontent.com";
/// The provider's host: the prefix of its condition keys and the end of its ARN.
pub const PROVIDER_HOST: &str = "token.actions.githubusercontent.com";
/// The audience `aws-actions/configure-aws-credentials` asks for.
pub const AUDIENCE: &str = "sts.amazonaws.com";

/// Logical IDs (readable: the workflow and the tests name them).
pub const PROVIDER_ID: &str = "GitHubOidcProvider";
/// The deploy role's logical ID.
pub const DEPLOY_ROLE_ID: &str = "DeployRole";
/// The diff role's logical ID.
pub const DIFF_ROLE_ID: &str = "DiffRole";
/// Output names (the contract with the workflow).
pub const DEPLOY_ROLE_OUTPUT: &str = "DeployRoleArn";
/// The diff role's ARN output.
pub const DIFF_ROLE_OUTPUT: &str = "DiffRoleArn";
/// The provider's ARN output.
pub const PROVIDER_OUTPUT: &str = "GitHubOidcProviderArn";

/// The roles trust the account's provider: created by this stack, or one that exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provider {
    /// This stack creates it (and keeps it when the stack is deleted: other
    /// environments' roles may trust it).
    Create,
    /// The account has it (this ARN); the stack refers to it.
    Existing(String),
}

/// What the delivery stack is made from.
#[derive(Debug, Clone)]
pub struct DeliveryInput {
    /// The application's name.
    pub app: String,
    /// The environment's settings (name, account, region, tags).
    pub settings: EnvSettings,
    /// The repository whose workflows may assume the roles.
    pub repo: GithubRepo,
    /// The GitHub environment the deploy jobs of this environment use.
    pub github_environment: String,
    /// The template bucket.
    pub bucket: String,
    /// The provider the roles trust.
    pub provider: Provider,
    /// The resource types of the environment's stacks (they decide the services the
    /// deploy role may use through CloudFormation).
    pub resource_types: BTreeSet<String>,
    /// The environment before it in promotion order when its promotion gate reads that
    /// environment's stacks (`[delivery] requires_previous`).
    pub previous: Option<String>,
}

/// The delivery stack's name for an environment.
pub fn delivery_stack_name(app: &str, env: &str) -> String {
    format!("cairn-{app}-{env}-delivery")
}

/// A role name for humans (`cairn-shop-prod-deploy`), when it fits IAM's 64 characters;
/// otherwise CloudFormation names the role.
fn role_name(app: &str, env: &str, what: &str) -> Option<String> {
    let name = format!("cairn-{app}-{env}-{what}");
    (name.len() <= 64).then_some(name)
}

fn trust_policy(provider: Value, subject: &str) -> Value {
    Value::map([
        ("Version", Value::str("2012-10-17")),
        (
            "Statement",
            Value::list([Value::map([
                ("Effect", Value::str("Allow")),
                ("Principal", Value::map([("Federated", provider)])),
                ("Action", Value::str("sts:AssumeRoleWithWebIdentity")),
                (
                    "Condition",
                    Value::map([(
                        "StringEquals",
                        Value::map([
                            (format!("{PROVIDER_HOST}:aud"), Value::str(AUDIENCE)),
                            (format!("{PROVIDER_HOST}:sub"), Value::str(subject)),
                        ]),
                    )]),
                ),
            ])]),
        ),
    ])
}

fn internal(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(format!("cannot build the delivery stack: {e}"))
}

/// The delivery stack, synthesized (one environment holding one stack).
pub fn delivery_env(input: &DeliveryInput) -> CliResult<EnvArtifact> {
    // The application's own name and environment, so the standard tags (Application,
    // Environment) are the environment's; the stack is renamed after synthesis.
    let app = App::new(&input.app).map_err(internal)?;
    let env_name = &input.settings.name;
    let env = app
        .environment(EnvSettings {
            retain_data: false,
            require_approval: false,
            ..input.settings.clone()
        })
        .map_err(internal)?;
    let stack = env.stack("delivery").map_err(internal)?;
    stack.set_description(format!(
        "cairn bootstrap: GitHub OIDC deploy and diff roles of {}/{env_name} for {}",
        input.app, input.repo
    ));
    let scope = stack.scope();
    let provider_arn = match &input.provider {
        Provider::Existing(arn) => Value::str(arn.clone()),
        Provider::Create => {
            let provider = CfnOIDCProvider::new(
                &scope,
                PROVIDER_ID,
                CfnOIDCProviderProps {
                    url: Some(PROVIDER_URL.to_string().into()),
                    client_id_list: Some(vec![AUDIENCE.to_string()].into()),
                    ..Default::default()
                },
            )
            .map_err(internal)?;
            provider.apply_removal_policy(RemovalPolicy::Retain).map_err(internal)?;
            provider.r#ref()
        }
    };
    let services = permissions::services_of(input.resource_types.iter().map(String::as_str));
    let reach = permissions::Scope {
        app: input.app.clone(),
        env: env_name.clone(),
        bucket: input.bucket.clone(),
        services,
        previous: input.previous.clone(),
    };
    let deploy_scope = scope.child("Deploy").map_err(internal)?;
    stack.override_logical_id("Deploy/Role", DEPLOY_ROLE_ID).map_err(internal)?;
    let deploy = CfnRole::new(
        &deploy_scope,
        "Role",
        CfnRoleProps {
            description: Some(
                format!(
                    "cairn: deploys {}/{env_name} from GitHub Actions ({}, environment {})",
                    input.app, input.repo, input.github_environment
                )
                .into(),
            ),
            role_name: role_name(&input.app, env_name, "deploy").map(Into::into),
            policies: Some(vec![role::Policy::new(permissions::deploy_policy(&reach), "cairn-deploy")].into()),
            ..CfnRoleProps::new(trust_policy(
                provider_arn.clone(),
                &input.repo.environment_subject(&input.github_environment),
            ))
        },
    )
    .map_err(internal)?;
    // Every wildcard of the deploy role, and why (the policy checks report these reasons).
    deploy_scope
        .suppress(
            "IAM-NO-STAR-ACTIONS",
            "cairn passes CloudFormation no execution role, so CloudFormation creates the environment's resources with \
             the deploy role: it gets the actions of the services of the environment's resource types (`ec2:*`, ...), \
             only when CloudFormation makes the call (aws:CalledVia cloudformation.amazonaws.com)",
        )
        .map_err(internal)?;
    deploy_scope
        .suppress(
            "IAM-NO-STAR-RESOURCES",
            "those service actions are on `*` because CloudFormation names and numbers the resources when it creates \
             them (only through CloudFormation); cloudformation:ListExports supports no resource-level permissions",
        )
        .map_err(internal)?;
    let diff_scope = scope.child("Diff").map_err(internal)?;
    stack.override_logical_id("Diff/Role", DIFF_ROLE_ID).map_err(internal)?;
    let diff = CfnRole::new(
        &diff_scope,
        "Role",
        CfnRoleProps {
            description: Some(
                format!(
                    "cairn: reads {}/{env_name}'s stacks for pull-request diffs of {}",
                    input.app, input.repo
                )
                .into(),
            ),
            role_name: role_name(&input.app, env_name, "diff").map(Into::into),
            policies: Some(vec![role::Policy::new(permissions::diff_policy(&reach), "cairn-diff")].into()),
            ..CfnRoleProps::new(trust_policy(provider_arn.clone(), &input.repo.pull_request_subject()))
        },
    )
    .map_err(internal)?;
    stack
        .add_output(
            DEPLOY_ROLE_OUTPUT,
            Output::new(deploy.get_att("Arn")).description("Role the deploy jobs assume"),
        )
        .map_err(internal)?;
    stack
        .add_output(
            DIFF_ROLE_OUTPUT,
            Output::new(diff.get_att("Arn")).description("Role the pull-request job assumes"),
        )
        .map_err(internal)?;
    stack
        .add_output(
            PROVIDER_OUTPUT,
            Output::new(provider_arn).description("The account's GitHub OIDC provider"),
        )
        .map_err(internal)?;
    let mut assembly = app.synth()?;
    let mut env = assembly.environments.remove(0);
    // Outside `<app>-<env>-*`: the deploy role must not reach the stack of its own permissions.
    env.stacks[0].name = delivery_stack_name(&input.app, env_name);
    Ok(env)
}

#[cfg(test)]
mod tests;
