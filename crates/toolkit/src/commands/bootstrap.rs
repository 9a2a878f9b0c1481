//! `cairn bootstrap <env>`: the S3 bucket for templates over 51,200 bytes, in
//! the environment's account and region, as a CloudFormation stack of its own.

use std::time::{Duration, Instant};

use cairn_core::{Application, EnvironmentConfig};
use clap::Args;

use crate::aws::{self, EndpointArgs};
use crate::deploy::clock::{format_duration, parse_duration, SystemClock};
use crate::deploy::console::{Console, ProgressMode, TerminalPrompt};
use crate::deploy::plan::Hints;
use crate::deploy::resume::{non_default, ResumeCommand};
use crate::deploy::{DeployOptions, Deployer, Outcome};
use crate::error::{CliError, CliResult};
use crate::ops::bootstrap::{bootstrap_stack, valid_bucket_name};
use crate::ops::github_oidc::{self, GithubRepo};
use crate::ops::template_bucket;
use crate::project::Project;
use crate::ui::{self, Style};

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
    after_help = "Examples:\n  cairn bootstrap prod\n  cairn bootstrap dev --template-bucket my-team-cfn-templates\n  cairn bootstrap prod --github-repo acme/shop-infra"
)]
pub struct BootstrapArgs {
    /// The environment whose account and region get the template bucket.
    pub env: String,
    /// Bucket name (default: the environment file's `template_bucket`, else cairn-templates-<account>-<region>).
    #[arg(long, env = "CAIRN_TEMPLATE_BUCKET", value_name = "BUCKET")]
    pub template_bucket: Option<String>,
    /// Also deploy the GitHub OIDC roles (stack cairn-<app>-<env>-delivery): the account's
    /// GitHub OIDC provider (reused when the account has one), a deploy role that only jobs of
    /// this repository using the environment's GitHub environment can assume, and a read-only
    /// diff role for its pull requests. OWNER/REPO exactly as GitHub spells it.
    #[arg(long, value_name = "OWNER/REPO")]
    pub github_repo: Option<GithubRepo>,
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

/// The environment before `env` in promotion order, when `env`'s promotion gate reads it.
fn previous_env<A: Application>(project: &Project<A>, env: &cairn_core::application::LoadedEnv<A::Config>) -> CliResult<Option<String>> {
    if !env.delivery.requires_previous {
        return Ok(None);
    }
    let all = crate::ops::environment::load_envs(project, &[])?;
    let pos = all.iter().position(|e| e.name == env.name).unwrap_or(0);
    Ok(pos.checked_sub(1).map(|i| all[i].name.clone()))
}

pub fn run<A: Application>(project: &Project<A>, args: &BootstrapArgs, style: Style) -> CliResult {
    let started = Instant::now();
    let env = project.select_envs(std::slice::from_ref(&args.env), false)?.remove(0);
    let settings = env.config.settings(&env.name);
    let bucket = template_bucket::choose(project, &args.env, args.template_bucket.as_ref(), &settings)?;
    if !valid_bucket_name(&bucket) {
        return Err(CliError::BadInput(format!(
            "`{bucket}` is not a valid bucket name; allowed: 3 to 63 lowercase letters, digits, dots and hyphens, \
             starting and ending with a letter or digit"
        )));
    }
    let stack = bootstrap_stack(&bucket)?;
    // Synthesized before anything is changed: its resource types scope the deploy role.
    let app_env = match &args.github_repo {
        Some(_) => Some(crate::ops::environment::synth_env(project, &args.env)?),
        None => None,
    };
    // Ctrl-C is counted from here on, as in `deploy`.
    crate::deploy::clock::catch_ctrl_c()?;
    // Until the first change, a press ends the process: nothing was changed yet.
    crate::deploy::clock::exit_on_ctrl_c_until_changes();
    let clients = aws::connect(&settings, args.endpoint.endpoint_url.as_deref())?;
    let account = clients.check_account(&settings)?;
    let quirks = clients.detect_quirks();
    let mut console = Console::stdout(style, args.progress);
    console.line(&format!(
        "bootstrapping account {account}, {}: bucket {bucket}{}",
        settings.region,
        clients.endpoint().map(|e| format!(" via {e}")).unwrap_or_default()
    ));
    let delivery = match (&args.github_repo, &app_env) {
        (Some(repo), Some(app_env)) => Some(github_oidc::bootstrap::prepare(
            &clients,
            quirks,
            &mut console,
            github_oidc::bootstrap::Request {
                app: project.name(),
                settings: &settings,
                repo,
                github_environment: env.delivery.github_environment_of(&env.name),
                bucket: &bucket,
                app_env,
                previous: previous_env(project, &env)?.as_deref(),
            },
        )?),
        _ => None,
    };
    let clock = SystemClock::new();
    let mut prompt = TerminalPrompt { clock: &clock };
    let mut opts = DeployOptions::new(project.name(), &settings.name);
    opts.approve = args.approve;
    opts.timeout = args.timeout;
    opts.interactive = ui::interactive();
    opts.catch_ctrl_c = true;
    opts.resume = ResumeCommand::new("bootstrap", &args.env, project.environments_flag())
        .option("template-bucket", args.template_bucket.clone())
        .option("github-repo", args.github_repo.as_ref().map(ToString::to_string))
        .flag("approve", args.approve)
        .option("timeout", non_default(args.timeout, Duration::from_secs(30 * 60)))
        .option("progress", (args.progress == ProgressMode::Events).then_some("events"))
        .option("endpoint-url", args.endpoint.endpoint_url.clone());
    opts.hints = Hints {
        deploy: opts.resume.repeat(&[]),
        ..Hints::for_env(&settings.name)
    };
    let mut deployer = Deployer::new(&clients.cloudformation, &mut console, &clock, &mut prompt, opts);
    deployer.quirks = quirks;
    let mut stacks = vec![&stack];
    stacks.extend(delivery.as_ref());
    let outcome = deployer.deploy(&stacks)?;
    let verb = if outcome.iter().all(|(_, o)| *o == Outcome::NoChanges) {
        "already bootstrapped"
    } else {
        "bootstrapped"
    };
    console.line(&format!(
        "{} {verb}: templates over 51,200 bytes go to s3://{bucket} ({})",
        console.style.green("done"),
        format_duration(started.elapsed())
    ));
    if let Some(delivery) = &delivery {
        github_oidc::bootstrap::report(&clients, &mut console, &delivery.name, &env.file)?;
    }
    Ok(())
}
