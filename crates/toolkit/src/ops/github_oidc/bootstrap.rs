//! `cairn bootstrap ENV --github-repo OWNER/REPO`: the delivery stack prepared before
//! the deploy, and the lines to copy into the environment file after it.

use std::path::Path;

use cairn_core::{EnvArtifact, EnvSettings, StackArtifact};

use super::setup::{checked_delivery_stack, choose_provider, resource_types, role_arns};
use super::{delivery_stack_name, DeliveryInput, GithubRepo};
use crate::aws::{AwsClients, Quirks};
use crate::deploy::console::Console;
use crate::error::CliResult;

/// What the delivery stack is made for.
pub struct Request<'a> {
    /// The application's name.
    pub app: &'a str,
    /// The environment's settings.
    pub settings: &'a EnvSettings,
    /// `--github-repo`.
    pub repo: &'a GithubRepo,
    /// The environment's GitHub environment (`[delivery] github_environment`).
    pub github_environment: &'a str,
    /// The template bucket.
    pub bucket: &'a str,
    /// The environment's synthesis (its resource types scope the deploy role).
    pub app_env: &'a EnvArtifact,
    /// The environment before it in promotion order, whose stacks the promotion gate reads.
    pub previous: Option<&'a str>,
}

/// Looks up the account's GitHub OIDC provider and builds the checked delivery stack.
/// On moto, creates the provider with IAM when the account has none (noted in the output).
pub fn prepare(clients: &AwsClients, quirks: Quirks, console: &mut Console, req: Request<'_>) -> CliResult<StackArtifact> {
    let name = delivery_stack_name(req.app, &req.settings.name);
    let iam = clients.oidc_providers();
    let (provider, note) = choose_provider(&clients.cloudformation, &iam, &name, quirks.emulator)?;
    if let Some(note) = note {
        console.line(&format!("note: {note}"));
    }
    let stack = checked_delivery_stack(&DeliveryInput {
        app: req.app.to_string(),
        settings: req.settings.clone(),
        repo: req.repo.clone(),
        github_environment: req.github_environment.to_string(),
        bucket: req.bucket.to_string(),
        provider,
        resource_types: resource_types(req.app_env),
        previous: req.previous.map(str::to_string),
    })?;
    console.line(&format!(
        "GitHub OIDC roles for {} (GitHub environment `{}`, pull requests): stack {name}",
        req.repo, req.github_environment
    ));
    Ok(stack)
}

/// Prints the role ARNs and the `[delivery]` lines for the environment file.
pub fn report(clients: &AwsClients, console: &mut Console, stack: &str, env_file: &Path) -> CliResult<()> {
    let (deploy, diff) = role_arns(&clients.cloudformation, stack)?;
    console.line(&format!("deploy role: {deploy}"));
    console.line(&format!("diff role:   {diff}"));
    console.line(&format!("put these into the [delivery] table of {}:", env_file.display()));
    console.line(&format!("role_arn = \"{deploy}\""));
    console.line(&format!("diff_role_arn = \"{diff}\""));
    Ok(())
}
