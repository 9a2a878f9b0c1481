//! `cairn deploy <env> [STACK…]`: synthesize, then deploy through change sets.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use cairn_core::{Application, Assembly, EnvArtifact, StackArtifact};
use clap::Args;

use crate::aws::{self, CloudFormation, EndpointArgs};
use crate::deploy::clock::{format_duration, parse_duration, parse_timeout, SystemClock};
use crate::deploy::console::{Console, ProgressMode, TerminalPrompt};
use crate::deploy::record::SynthesisRecord;
use crate::deploy::resume::{non_default, ResumeCommand};
use crate::deploy::{DeployOptions, Deployer, Outcome};
use crate::error::{CliError, CliResult};
use crate::ops::checks::synth_checks;
use crate::ops::environment::{select_stacks, synth_env};
use crate::ops::from_dir;
use crate::ops::{parity, promotion_gate, template_bucket};
use crate::project::Project;
use crate::ui::{self, Style};

#[derive(Debug, Args)]
#[command(
    about = "Deploy an environment's stacks through CloudFormation change sets",
    long_about = "Deploy an environment's stacks through CloudFormation change sets.\n\n\
Synthesizes the environment, checks that the credentials belong to its account, then for each\n\
stack in dependency order: creates a change set, prints its changes (replacements in red),\n\
asks for approval when needed, executes it and follows the stack's events until CloudFormation\n\
is done. Stops at the first failure.\n\n\
First it refuses, changing nothing, when `cairn diff` finds a change the deploy would fail on\n\
(an export in use changed or removed, an engine downgrade, ...; no option overrides this).\n\n\
Approval is needed when the environment requires it (require_approval), when a change replaces\n\
or removes a stateful resource (RDS, DynamoDB, S3, SQS, KMS key), or when it broadens IAM or\n\
security-group access. On a terminal cairn asks; elsewhere --approve approves in advance, and\n\
without it the deploy is refused and nothing is changed.\n\n\
With `[delivery] backup_before_stateful_changes = true` in the environment file, every RDS\n\
instance or cluster and DynamoDB table a change set modifies or removes is backed up first (RDS\n\
snapshot, DynamoDB on-demand backup, named in the output) after approval, right before the\n\
change set is executed; a failed backup stops the deploy with nothing executed.\n\n\
Environments that keep data (retain_data) get termination protection and a stack policy that\n\
denies replacing or deleting stateful resources; --allow-replace lifts it for one deploy.\n\n\
The environment's critical alarms that are already deployed go with every change set as\n\
rollback triggers: CloudFormation rolls the stack back if one goes to ALARM during the deploy\n\
or in the monitoring period after it (from the environment file). --verify /health then\n\
requests the load balancer's URL and fails the deploy on anything but a 2xx answer in time.\n\n\
Credentials and everything else come from the standard AWS chain (environment, profile, SSO,\n\
instance role); the region from the environment file. --endpoint-url or AWS_ENDPOINT_URL sends\n\
the calls to a local endpoint such as moto (`make local-cloud`).",
    after_help = "Examples:\n  cairn deploy dev --approve\n  cairn deploy prod                 asks on the terminal\n  \
cairn deploy staging service       one stack (its dependencies must be deployed)\n  \
cairn deploy dev --verify /health  then GET <load balancer URL>/health, expecting 2xx\n  \
AWS_ENDPOINT_URL=http://127.0.0.1:5000 cairn deploy staging --approve\n\n\
Ctrl-C stops after the current stack: a change set not yet executed is deleted, a stack\n\
CloudFormation is changing is waited for (Ctrl-C again stops waiting; CloudFormation carries\n\
on). cairn then lists the stacks deployed and not deployed, and the command that resumes:\n\
this run's options, naming only the stacks not deployed. If the last stack had finished, it\n\
says the run completed instead (exit code still 130).\n\n\
Exit codes: 0 deployed (or no changes), 1 failed or refused, 2 bad input, 130 stopped by Ctrl-C."
)]
pub struct DeployArgs {
    /// The environment to deploy.
    pub env: String,
    /// Stacks to deploy (names or ids, e.g. `data`); default: all, in dependency order.
    pub stacks: Vec<String>,
    /// Approve in advance: do not ask, even when approval is needed.
    #[arg(long)]
    pub approve: bool,
    /// Delete and create again a stack left in ROLLBACK_COMPLETE by a failed first creation.
    #[arg(long)]
    pub recreate: bool,
    /// Allow this deploy to replace or delete stateful resources in an environment that keeps data.
    #[arg(long)]
    pub allow_replace: bool,
    /// How long to wait for each stack (e.g. 90s, 30m, 2h).
    #[arg(long, default_value = "1h", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// `events`: plain event lines only, no progress line or colors (as in CI).
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    /// S3 bucket for templates over 51,200 bytes (default: the environment file's
    /// `template_bucket`, else the one `cairn bootstrap` creates).
    #[arg(long, env = "CAIRN_TEMPLATE_BUCKET", value_name = "BUCKET")]
    pub template_bucket: Option<String>,
    /// Upload every template to the template bucket, not only those over 51,200 bytes.
    #[arg(long)]
    pub upload_templates: bool,
    /// After deploying, request the load balancer's URL with this path (e.g. /health):
    /// anything but a 2xx answer in time fails the deploy. Skipped on local endpoints.
    #[arg(long, value_name = "URL_PATH", value_parser = parse_url_path)]
    pub verify: Option<String>,
    /// How long --verify waits for the answer (e.g. 10s).
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub verify_timeout: Duration,
    /// Deploy even if the environment has undeclared differences from the others (see `cairn parity`).
    #[arg(long)]
    pub allow_parity_drift: bool,
    /// Deploy the synthesis in this folder (what `cairn synth --all --out DIR` wrote, e.g. the
    /// pipeline's tested artifact) instead of synthesizing: refused if a template was edited
    /// or the folder is of another application or environment.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Deploy although the promotion gate is closed (an emergency): the reason is printed
    /// and recorded on every stack deployed.
    #[arg(long, value_name = "REASON", value_parser = parse_reason)]
    pub skip_promotion_gate: Option<String>,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

fn parse_reason(s: &str) -> Result<String, String> {
    let reason = s.trim();
    if reason.chars().count() < 3 {
        return Err("give the reason for the emergency deploy, e.g. --skip-promotion-gate \"hotfix for INC-42\"".into());
    }
    if reason.chars().count() > 200 || reason.chars().any(char::is_control) {
        return Err("the reason is one line of at most 200 characters".into());
    }
    Ok(reason.to_string())
}

fn parse_url_path(s: &str) -> Result<String, String> {
    if s.starts_with('/') && !s.contains(char::is_whitespace) {
        Ok(s.to_string())
    } else {
        Err(format!("`{s}` is not a URL path; use one starting with `/`, e.g. /health"))
    }
}

pub fn run<A: Application + Sync>(project: &Project<A>, args: &DeployArgs, style: Style) -> CliResult {
    let started = Instant::now();
    let loaded = match project.select_envs(std::slice::from_ref(&args.env), false)?.into_iter().next() {
        Some(env) => env,
        None => return Err(CliError::BadInput(format!("unknown environment `{}`", args.env))),
    };
    // Parity first: undeclared differences from the other environments stop the deploy.
    let (artifact, source, from_record) = match &args.from {
        Some(dir) => {
            let from = from_dir::read_env(project, dir, &loaded)?;
            parity::gate::gate_out_dir(project, dir, &args.env, args.allow_parity_drift, style)?;
            (from.artifact, from.synthesis.source(), from.manifest.parity)
        }
        None => {
            parity::gate::gate(project, &args.env, args.allow_parity_drift, style)?;
            let env_dir = project.environments_dir();
            let source = std::thread::spawn(move || crate::checkout::source(&env_dir));
            let artifact = synth_env(project, &args.env)?;
            (artifact, source.join().unwrap_or_default(), None)
        }
    };
    // The policy checks `synth` runs: an error stops the deploy before any AWS call
    // (warnings are `synth`'s and `check`'s to show).
    let assembly = Assembly {
        app: artifact.app.clone(),
        environments: vec![artifact],
    };
    synth_checks(&assembly, false, true).map_err(|e| e.noted("\nnothing was deployed"))?;
    let artifact = &assembly.environments[0];
    let stacks = select_stacks(artifact, &args.stacks)?;
    // Refused before anything is deployed when there is nothing --verify can request.
    let verify_target = match &args.verify {
        Some(_) => Some(crate::deploy::verify::find_url_output(&artifact.stacks)?),
        None => None,
    };
    let settings = &artifact.settings;
    let interactive = ui::interactive();
    if settings.require_approval && !args.approve && !interactive {
        return Err(CliError::Failed(format!(
            "environment `{}` requires approval of every deploy and there is no terminal to ask on: run it on a terminal, \
             or pass --approve to approve in advance. Nothing was changed",
            settings.name
        )));
    }

    // From the first change on, Ctrl-C is counted, not fatal: the deploy stops after the
    // current stack and says where it stopped (see `Deployer::deploy`).
    crate::deploy::clock::catch_ctrl_c()?;
    // Until the first change, a press ends the process: nothing was changed yet.
    crate::deploy::clock::exit_on_ctrl_c_until_changes();
    let mut console = Console::stdout(style, args.progress);
    let clients = aws::connect(settings, args.endpoint.endpoint_url.as_deref())?;
    let account = clients.check_account(settings)?;
    let quirks = clients.detect_quirks();
    let gate = promotion_gate::GateRequest {
        from: args.from.as_deref().map(|dir| (dir, from_record.as_ref())),
        endpoint: args.endpoint.endpoint_url.as_deref(),
        skip_reason: args.skip_promotion_gate.as_deref(),
    };
    let emergency = promotion_gate::check(project, &loaded, &gate, quirks, style)?;
    console.line(&format!(
        "deploying {}: {} stack{} to account {account}, {}{}",
        console.style.bold(&settings.name),
        stacks.len(),
        if stacks.len() == 1 { "" } else { "s" },
        settings.region,
        clients
            .endpoint()
            .map(|e| format!(" via {e}{}", quirks.emulator.map(|m| format!(" ({m})")).unwrap_or_default()))
            .unwrap_or_default()
    ));
    check_dependencies(&clients.cloudformation, artifact, &stacks)?;

    let store = clients.template_store(quirks);
    let clock = SystemClock::new();
    let mut prompt = TerminalPrompt { clock: &clock };
    let mut opts = deploy_options(project, args, artifact, interactive)?;
    let (_, identity) = clients.caller()?;
    opts.record = Some(SynthesisRecord {
        commit: source.commit.clone(),
        dirty: source.dirty,
        digest: String::new(),
        deployed_at: crate::aws::cloudformation::Time::now().rfc3339(),
        deployed_by: identity,
        emergency,
    });
    console.line(&format!("  synthesis: {}", describe_source(&source, args.from.as_deref())));
    let mut deployer = Deployer::new(&clients.cloudformation, &mut console, &clock, &mut prompt, opts);
    deployer.store = Some(&store);
    deployer.quirks = quirks;
    deployer.leftovers = crate::deploy::leftovers::for_endpoint(&clients);
    deployer.rollback = crate::deploy::rollback_triggers::RollbackPlan::for_env(artifact);
    deployer.environment = Some(&artifact.stacks);
    // `[delivery] backup_before_stateful_changes`: snapshots and backups before executing.
    let backups = clients.backups();
    if backs_up(project, &args.env)? {
        deployer.backups = Some(&backups);
    }
    let outcomes = deployer.deploy(&stacks)?;
    if let (Some(path), Some(target)) = (&args.verify, &verify_target) {
        crate::deploy::verify::run(
            &clients.cloudformation,
            &mut console,
            target,
            path,
            args.verify_timeout,
            clients.endpoint(),
            &format!("cairn deploy {}", settings.name),
        )?;
    }

    let unchanged = outcomes.iter().filter(|(_, o)| *o == Outcome::NoChanges).count();
    let deployed = outcomes.len() - unchanged;
    console.line(&format!(
        "{} {}: {deployed} deployed, {unchanged} without changes, in {}",
        console.style.green("done"),
        settings.name,
        format_duration(started.elapsed())
    ));
    Ok(())
}

/// How the output names the synthesis deployed.
fn describe_source(source: &cairn_assembly::Source, from: Option<&std::path::Path>) -> String {
    let what = match (&source.commit, source.dirty) {
        (Some(_), false) => format!("commit {}", source.label()),
        (Some(c), true) => format!(
            "commit {} plus uncommitted changes (not a commit another environment can run)",
            cairn_assembly::short_commit(c)
        ),
        (None, _) => "not from a git checkout (no commit recorded)".to_string(),
    };
    match from {
        Some(dir) => format!("{what}, from {}", dir.display()),
        None => what,
    }
}

/// Whether the environment file asks for backups before stateful changes.
fn backs_up<A: Application>(project: &Project<A>, env: &str) -> CliResult<bool> {
    let envs = project.select_envs(&[env.to_string()], false)?;
    Ok(envs.iter().any(|e| e.delivery.backup_before_stateful_changes))
}

/// The engine's options from the command line and the environment file.
fn deploy_options<A: Application>(
    project: &Project<A>,
    args: &DeployArgs,
    artifact: &EnvArtifact,
    interactive: bool,
) -> CliResult<DeployOptions> {
    let settings = &artifact.settings;
    let mut opts = DeployOptions::new(&artifact.app, &settings.name);
    opts.approve = args.approve;
    opts.recreate = args.recreate;
    opts.allow_replace = args.allow_replace;
    opts.timeout = args.timeout;
    opts.interactive = interactive;
    opts.require_approval = settings.require_approval;
    opts.retain_data = settings.retain_data;
    opts.upload_all = args.upload_templates;
    opts.template_bucket = Some(template_bucket::choose(
        project,
        &args.env,
        args.template_bucket.as_ref(),
        settings,
    )?);
    opts.catch_ctrl_c = true;
    opts.resume = resume_command(project, args);
    opts.hints.deploy = opts.resume.repeat(&args.stacks);
    Ok(opts)
}

/// `deploy`'s command line from its parsed arguments, for the resume hint (the
/// arguments that change what a run does; defaults left out).
fn resume_command<A: Application>(project: &Project<A>, args: &DeployArgs) -> ResumeCommand {
    ResumeCommand::new("deploy", &args.env, project.environments_flag())
        .selected(!args.stacks.is_empty())
        .flag("approve", args.approve)
        .flag("recreate", args.recreate)
        .flag("allow-replace", args.allow_replace)
        .flag("allow-parity-drift", args.allow_parity_drift)
        .option("from", args.from.as_ref().map(|d| d.display().to_string()))
        .option("skip-promotion-gate", args.skip_promotion_gate.clone())
        .flag("upload-templates", args.upload_templates)
        .option("timeout", non_default(args.timeout, DEFAULT_TIMEOUT))
        .option("progress", (args.progress == ProgressMode::Events).then_some("events"))
        .option("template-bucket", args.template_bucket.clone())
        .option("verify", args.verify.clone())
        .option("verify-timeout", non_default(args.verify_timeout, Duration::from_secs(10)))
        .option("endpoint-url", args.endpoint.endpoint_url.clone())
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3600);

/// A stack deployed alone needs its dependencies deployed already.
fn check_dependencies(cfn: &dyn CloudFormation, env: &EnvArtifact, stacks: &[&StackArtifact]) -> CliResult<()> {
    for stack in stacks {
        for dep in &stack.depends_on {
            if stacks.iter().any(|s| &s.name == dep || &s.id == dep) {
                continue;
            }
            let name = env.stack(dep).map(|s| s.name.clone()).unwrap_or_else(|| dep.clone());
            let deployed = cfn
                .describe_stack(&name)?
                .is_some_and(|i| crate::aws::cloudformation::status::succeeded(&i.status) || i.status == "UPDATE_ROLLBACK_COMPLETE");
            if !deployed {
                return Err(CliError::Failed(format!(
                    "{} depends on {name}, which is not deployed: deploy it first (`cairn deploy {} {name}`) or the whole environment",
                    stack.name,
                    env.name()
                )));
            }
        }
    }
    Ok(())
}
