//! `cairn bootstrap <env>`: the S3 bucket for templates over 51,200 bytes, in
//! the environment's account and region, as a CloudFormation stack of its own.

use std::time::{Duration, Instant};

use cairn_core::{Application, EnvironmentConfig, StackArtifact};
use clap::Args;
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use crate::aws::templates::bootstrap_bucket_name;
use crate::aws::{self, EndpointArgs};
use crate::deploy::clock::{format_duration, parse_duration, SystemClock};
use crate::deploy::console::{Console, ProgressMode, TerminalPrompt};
use crate::deploy::plan::Hints;
use crate::deploy::resume::ResumeCommand;
use crate::deploy::{DeployOptions, Deployer, Outcome};
use crate::error::{CliError, CliResult};
use crate::project::Project;
use crate::ui::{self, Style};

/// The bootstrap stack's name (one per account and region).
pub const BOOTSTRAP_STACK: &str = "cairn-bootstrap";

#[derive(Debug, Args)]
#[command(
    about = "Create the S3 bucket that holds templates over 51,200 bytes (once per account and region)",
    long_about = "Create the S3 bucket that holds templates over 51,200 bytes (once per account and region).\n\n\
Deploys the stack `cairn-bootstrap` into the environment's account and region. Its bucket\n\
(default cairn-templates-<account>-<region>) is encrypted, blocks public access, refuses\n\
plain HTTP and expires objects after 30 days; it is kept if the stack is deleted.\n\
`cairn deploy` uses it unless --template-bucket names another. Ctrl-C behaves as in\n\
`cairn deploy` (an unexecuted change set is deleted; the resume command repeats this run's\n\
options; exit code 130, also when the stack had finished: then there is nothing to resume).",
    after_help = "Examples:\n  cairn bootstrap prod\n  cairn bootstrap dev --template-bucket my-team-cfn-templates"
)]
pub struct BootstrapArgs {
    /// The environment whose account and region get the template bucket.
    pub env: String,
    /// Bucket name (default: the environment file's `template_bucket`, else cairn-templates-<account>-<region>).
    #[arg(long, env = "CAIRN_TEMPLATE_BUCKET", value_name = "BUCKET")]
    pub template_bucket: Option<String>,
    /// Approve in advance.
    #[arg(long)]
    pub approve: bool,
    /// How long to wait (e.g. 10m).
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// `events`: plain lines only, no progress line or colors.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

pub fn run<A: Application>(project: &Project<A>, args: &BootstrapArgs, style: Style) -> CliResult {
    let started = Instant::now();
    let env = project.select_envs(std::slice::from_ref(&args.env), false)?.remove(0);
    let settings = env.config.settings(&env.name);
    let bucket = match (&args.template_bucket, super::deploy::configured_bucket(project, &args.env)?) {
        (Some(flag), _) => flag.clone(),
        (None, Some(configured)) => configured,
        (None, None) => bootstrap_bucket_name(&settings.account, &settings.region),
    };
    if !valid_bucket_name(&bucket) {
        return Err(CliError::bad_input(format!(
            "error: `{bucket}` is not a valid bucket name; allowed: 3 to 63 lowercase letters, digits, dots and hyphens, \
             starting and ending with a letter or digit"
        )));
    }
    let stack = bootstrap_stack(&bucket)?;
    // Ctrl-C is counted from here on, as in `deploy`.
    crate::deploy::clock::catch_ctrl_c()?;
    let clients = aws::connect(&settings, args.endpoint.endpoint_url.as_deref())?;
    let account = clients.check_account(&settings)?;
    let quirks = clients.detect_quirks();
    let mut console = Console::stdout(style, args.progress);
    console.line(&format!(
        "bootstrapping account {account}, {}: bucket {bucket}{}",
        settings.region,
        clients.endpoint().map(|e| format!(" via {e}")).unwrap_or_default()
    ));
    let clock = SystemClock::new();
    let mut prompt = TerminalPrompt { clock: &clock };
    let mut opts = DeployOptions::new(project.name(), &settings.name);
    opts.approve = args.approve;
    opts.timeout = args.timeout;
    opts.interactive = ui::interactive();
    opts.catch_ctrl_c = true;
    opts.resume = ResumeCommand::new("bootstrap", &args.env, project.environments_flag())
        .option("template-bucket", args.template_bucket.clone())
        .flag("approve", args.approve)
        .option("timeout", super::deploy::non_default(args.timeout, Duration::from_secs(30 * 60)))
        .option("progress", (args.progress == ProgressMode::Events).then_some("events"))
        .option("endpoint-url", args.endpoint.endpoint_url.clone());
    opts.hints = Hints {
        deploy: opts.resume.repeat(&[]),
        ..Hints::for_env(&settings.name)
    };
    let mut deployer = Deployer::new(&clients.cloudformation, &mut console, &clock, &mut prompt, opts);
    deployer.quirks = quirks;
    let outcome = deployer.deploy(&[&stack])?;
    let verb = if outcome.first().is_some_and(|(_, o)| *o == Outcome::NoChanges) {
        "already bootstrapped"
    } else {
        "bootstrapped"
    };
    console.line(&format!(
        "{} {verb}: templates over 51,200 bytes go to s3://{bucket} ({})",
        console.style.green("done"),
        format_duration(started.elapsed())
    ));
    Ok(())
}

/// The bootstrap stack as an artifact the deployer takes.
pub fn bootstrap_stack(bucket: &str) -> CliResult<StackArtifact> {
    let template = bootstrap_template(bucket);
    let body = serde_json::to_string_pretty(&template).map_err(|e| CliError::failure(e.to_string()))? + "\n";
    Ok(StackArtifact {
        id: "bootstrap".into(),
        name: BOOTSTRAP_STACK.into(),
        template,
        body,
        depends_on: Vec::new(),
        paths: IndexMap::new(),
        suppressions: Vec::new(),
    })
}

fn bootstrap_template(bucket: &str) -> Json {
    let arn = json!({"Fn::GetAtt": ["TemplateBucket", "Arn"]});
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "cairn bootstrap: the bucket for CloudFormation templates over 51,200 bytes",
        "Resources": {
            "TemplateBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BucketName": bucket,
                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                    ]},
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true
                    },
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "LifecycleConfiguration": {"Rules": [
                        {"Id": "ExpireTemplates", "Status": "Enabled", "ExpirationInDays": 30}
                    ]},
                    "Tags": [{"Key": "ManagedBy", "Value": "cairn"}]
                }
            },
            "TemplateBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "TemplateBucket"},
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "s3:*",
                            "Resource": [arn, {"Fn::Join": ["", [arn, "/*"]]}],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
                        }]
                    }
                }
            }
        },
        "Outputs": {
            "BucketName": {"Description": "Bucket for templates over 51,200 bytes", "Value": {"Ref": "TemplateBucket"}}
        }
    })
}

fn valid_bucket_name(b: &str) -> bool {
    (3..=63).contains(&b.len())
        && b.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && b.starts_with(|c: char| c.is_ascii_alphanumeric())
        && b.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !b.contains("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bootstrap_bucket_is_private_encrypted_and_kept() {
        let s = bootstrap_stack("cairn-templates-123456789012-us-east-1").unwrap();
        let b = &s.template["Resources"]["TemplateBucket"];
        assert_eq!(b["DeletionPolicy"], "Retain");
        assert_eq!(b["Properties"]["BucketName"], "cairn-templates-123456789012-us-east-1");
        assert_eq!(b["Properties"]["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"], true);
        assert!(!s.needs_upload());
        assert!(
            crate::deploy::security::broadening(&crate::deploy::changes::template_diff(None, &s.template)).is_empty(),
            "a deny-only policy grants nothing"
        );
        assert!(valid_bucket_name("my-team.templates"));
        assert!(!valid_bucket_name("My_Bucket") && !valid_bucket_name("ab") && !valid_bucket_name("-x-"));
    }
}
