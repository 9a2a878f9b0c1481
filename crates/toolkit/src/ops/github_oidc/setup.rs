//! The steps around the delivery stack that talk to AWS: which OIDC provider the roles
//! trust, the policy checks, and the role ARNs once deployed.

use std::collections::BTreeSet;

use cairn_core::{EnvArtifact, StackArtifact};

use super::{
    delivery_env, DeliveryInput, Provider, AUDIENCE, DEPLOY_ROLE_OUTPUT, DIFF_ROLE_OUTPUT, PROVIDER_HOST, PROVIDER_ID, PROVIDER_URL,
};
use crate::aws::oidc::OidcProviders;
use crate::aws::CloudFormation;
use crate::error::{CliError, CliResult};
use crate::ops::deployed::deployed_template;

/// The provider the roles trust, and a note for the output when cairn had to create it
/// itself (on an emulator that does not provision `AWS::IAM::OIDCProvider`).
///
/// - The delivery stack already creates the provider: keep it there (referring to it
///   instead would remove it from the stack).
/// - The account has one (another environment's delivery stack, or made by hand): refer
///   to its ARN, after checking it accepts the audience `sts.amazonaws.com`.
/// - None: the stack creates it; on `emulator` (moto), cairn creates it with IAM first.
pub fn choose_provider(
    cfn: &dyn CloudFormation,
    iam: &dyn OidcProviders,
    stack_name: &str,
    emulator: Option<&str>,
) -> CliResult<(Provider, Option<String>)> {
    let owned = deployed_template(cfn, stack_name)?.is_some_and(|t| t["Resources"].get(PROVIDER_ID).is_some());
    if owned {
        return Ok((Provider::Create, None));
    }
    if let Some(found) = iam.find(PROVIDER_HOST)? {
        if !found.client_ids.iter().any(|c| c == AUDIENCE) {
            return Err(CliError::Failed(format!(
                "the account's GitHub OIDC provider {} does not accept the audience {AUDIENCE}, so GitHub jobs could not \
                 assume the roles; nothing was changed. Add it: aws iam add-client-id-to-open-id-connect-provider \
                 --open-id-connect-provider-arn {} --client-id {AUDIENCE}",
                found.arn, found.arn
            )));
        }
        return Ok((Provider::Existing(found.arn), None));
    }
    match emulator {
        None => Ok((Provider::Create, None)),
        Some(name) => {
            let arn = iam.create(PROVIDER_URL, &[AUDIENCE])?;
            Ok((
                Provider::Existing(arn.clone()),
                Some(format!(
                    "{name} does not provision AWS::IAM::OIDCProvider through CloudFormation: cairn created {arn} with \
                     IAM's CreateOpenIDConnectProvider, and the stack refers to it"
                )),
            ))
        }
    }
}

/// The resource types of an environment's stacks.
pub fn resource_types(env: &EnvArtifact) -> BTreeSet<String> {
    env.stacks
        .iter()
        .filter_map(|s| s.template["Resources"].as_object())
        .flat_map(|r| r.values())
        .filter_map(|r| r["Type"].as_str().map(str::to_string))
        .collect()
}

/// The delivery stack, synthesized and run through the built-in policy checks (an
/// error is a bug in cairn: refuse to deploy it).
pub fn checked_delivery_stack(input: &DeliveryInput) -> CliResult<StackArtifact> {
    let mut env = delivery_env(input)?;
    let report = cairn_check::check_env(&env).map_err(|e| CliError::ChecksBroken {
        errors: e,
        then: "the delivery stack was not deployed",
    })?;
    if report.errors() > 0 {
        let findings: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.is_active())
            .map(|f| format!("{} {} on {}: {}", f.severity.as_str(), f.rule, f.path, f.message))
            .collect();
        return Err(CliError::Failed(format!(
            "the delivery stack fails cairn's policy checks (a bug in cairn; nothing was deployed): {}",
            findings.join("; ")
        )));
    }
    Ok(env.stacks.remove(0))
}

/// The role ARNs from the deployed delivery stack's outputs.
pub fn role_arns(cfn: &dyn CloudFormation, stack_name: &str) -> CliResult<(String, String)> {
    let info = cfn
        .describe_stack(stack_name)?
        .ok_or_else(|| CliError::Failed(format!("stack {stack_name} is not deployed after bootstrapping it")))?;
    let output = |key: &str| {
        info.outputs
            .iter()
            .find(|o| o.key == key)
            .map(|o| o.value.clone())
            .ok_or_else(|| CliError::Failed(format!("stack {stack_name} has no output {key}")))
    };
    Ok((output(DEPLOY_ROLE_OUTPUT)?, output(DIFF_ROLE_OUTPUT)?))
}
