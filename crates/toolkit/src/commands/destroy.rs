//! `cairn destroy <env> [STACK…]`: delete an environment's stacks, dependents first.

use std::time::Duration;

use cairn_core::Application;
use clap::Args;

use crate::aws::{self, EndpointArgs};
use crate::deploy::clock::Clock;
use crate::deploy::clock::{catch_ctrl_c, parse_timeout, SystemClock};
use crate::deploy::console::{is_yes, Console, ProgressMode, Prompt, TerminalPrompt};
use crate::deploy::destroy::Destroyer;
use crate::deploy::plan::Hints;
use crate::deploy::resume::{non_default, ResumeCommand};
use crate::error::{CliError, CliResult};
use crate::ops::environment::{select_stacks, synth_env};
use crate::project::Project;
use crate::ui::{self, Style};

#[derive(Debug, Args)]
#[command(
    about = "Delete an environment's stacks (in reverse dependency order)",
    long_about = "Delete an environment's stacks (in reverse dependency order).\n\n\
Asks for confirmation on a terminal; elsewhere --approve confirms in advance. An environment\n\
that keeps data (retain_data) is refused unless --force is given and its name is typed on a\n\
terminal; --force also turns termination protection off. Resources with a Retain policy\n\
(the data) are kept by CloudFormation.\n\n\
Ctrl-C stops after the stack being deleted (Ctrl-C again stops waiting for it; CloudFormation\n\
carries on) and lists the stacks deleted and not deleted, with the command (this run's options,\n\
the stacks not deleted) that resumes; the exit code is then 130.",
    after_help = "Examples:\n  cairn destroy dev --approve\n  cairn destroy staging service\n  cairn destroy prod --force       asks you to type `prod`"
)]
pub struct DestroyArgs {
    /// The environment whose stacks to delete.
    pub env: String,
    /// Stacks to delete (names or ids); default: all.
    pub stacks: Vec<String>,
    /// Confirm in advance (not enough for an environment that keeps data).
    #[arg(long)]
    pub approve: bool,
    /// Allow destroying an environment that keeps data (with a typed confirmation).
    #[arg(long)]
    pub force: bool,
    /// How long to wait for each stack (e.g. 30m, 2h).
    #[arg(long, default_value = "1h", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// `events`: plain lines only, no progress line or colors.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

pub fn run<A: Application>(project: &Project<A>, args: &DestroyArgs, style: Style) -> CliResult {
    let artifact = synth_env(project, &args.env)?;
    let mut stacks = select_stacks(&artifact, &args.stacks)?;
    stacks.reverse();
    let settings = &artifact.settings;
    let env = settings.name.as_str();
    let interactive = ui::interactive();
    if settings.retain_data && !args.force {
        return Err(CliError::Failed(format!(
            "environment `{env}` keeps data (retain_data = true): destroy refuses it. If you really mean to delete its stacks, \
             run `cairn destroy {env} --force` on a terminal and type the environment's name. Nothing was deleted"
        )));
    }
    if settings.retain_data && !interactive {
        return Err(CliError::Failed(format!(
            "destroying `{env}` (it keeps data) needs its name typed on a terminal; there is none. Nothing was deleted"
        )));
    }
    if !settings.retain_data && !args.approve && !interactive {
        return Err(CliError::Failed(
            "destroy needs a confirmation and there is no terminal to ask on: pass --approve. Nothing was deleted".into(),
        ));
    }

    // From here on Ctrl-C is counted, not fatal: a press at the prompt deletes nothing,
    // one during a deletion stops after it (see `Destroyer::destroy`).
    catch_ctrl_c()?;
    let clients = aws::connect(settings, args.endpoint.endpoint_url.as_deref())?;
    let account = clients.check_account(settings)?;
    let names: Vec<&str> = stacks.iter().map(|s| s.name.as_str()).collect();
    let clock = SystemClock::new();
    let mut console = Console::stdout(style, args.progress);
    console.line(&format!(
        "destroying {}: {} in account {account}, {}{}",
        console.style.bold(env),
        names.join(", "),
        settings.region,
        clients.endpoint().map(|e| format!(" via {e}")).unwrap_or_default()
    ));
    let mut prompt = TerminalPrompt { clock: &clock };
    if settings.retain_data {
        let answer = prompt.ask(&format!(
            "Environment `{env}` keeps data. Type its name to delete these stacks (Retain resources stay):"
        ));
        if answer.as_deref() != Some(env) {
            return Err(not_confirmed(&clock));
        }
    } else if !args.approve && !is_yes(prompt.ask(&format!("Delete {}? [y/N]", names.join(", "))).as_deref()) {
        return Err(not_confirmed(&clock));
    }
    let mut destroyer = Destroyer {
        cfn: &clients.cloudformation,
        console: &mut console,
        clock: &clock,
        force: args.force,
        timeout: args.timeout,
        hints: Hints::for_env(env),
        resume: ResumeCommand::new("destroy", env, project.environments_flag())
            .selected(!args.stacks.is_empty())
            .flag("approve", args.approve)
            .flag("force", args.force)
            .option("timeout", non_default(args.timeout, Duration::from_secs(3600)))
            .option("progress", (args.progress == ProgressMode::Events).then_some("events"))
            .option("endpoint-url", args.endpoint.endpoint_url.clone()),
        emulator: clients.target.emulator(),
        leftovers: crate::deploy::leftovers::for_endpoint(&clients),
    };
    let deleted = destroyer.destroy(&names)?;
    console.line(&format!(
        "{} {env}: {deleted} stack{} deleted",
        console.style.green("done"),
        if deleted == 1 { "" } else { "s" }
    ));
    Ok(())
}

/// No confirmation: exit 130 if Ctrl-C ended the prompt.
fn not_confirmed(clock: &dyn Clock) -> CliError {
    if clock.interrupted() {
        CliError::Interrupted("stopped (Ctrl-C) at the confirmation: nothing was deleted".into())
    } else {
        CliError::Declined("not confirmed: nothing was deleted".into())
    }
}
