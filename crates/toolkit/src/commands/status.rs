//! `cairn status <env>`: each stack's state and its latest events; `--watch`
//! follows stacks that are in progress (to resume after Ctrl-C).

use std::time::Duration;

use cairn_core::{Application, EnvSettings, StackArtifact};
use clap::Args;
use serde_json::{json, Value as Json};

use crate::args::{FormatArg, TextOrJson};
use crate::aws::cloudformation::{status, StackEvent, StackInfo};
use crate::aws::{self, AwsClients, CloudFormation, EndpointArgs};
use crate::deploy::clock::{catch_ctrl_c, parse_timeout, Clock, SystemClock};
use crate::deploy::console::{Console, ProgressMode};
use crate::deploy::failed_list;
use crate::deploy::leftovers::Ledger;
use crate::deploy::plan::Hints;
use crate::deploy::watch::{color_status, event_line, watch, Watch, WatchEnd};
use crate::error::{CliError, CliResult};
use crate::ops::environment::{select_stacks, synth_env};
use crate::project::Project;
use crate::ui::Style;

#[derive(Debug, Args)]
#[command(
    about = "Show the state of an environment's stacks and their latest events",
    after_help = "Examples:\n  cairn status prod\n  cairn status prod --events 20\n  cairn status prod --watch      follow a deployment in progress\n  \
cairn status --all             the commit each environment runs, and how far behind it is\n  \
cairn status prod --format json | jq -r '.stacks[] | \"\\(.name) \\(.status)\"'\n\n\
--format json prints {\"environment\", \"account\", \"region\", \"endpoint\" (null for AWS itself), \"stacks\": [{\"name\",\n\
\"id\", \"deployed\", \"status\", \"reason\", \"since\", \"terminationProtection\", \"events\": [{\"time\", \"logicalId\",\n\
\"physicalId\", \"type\", \"status\", \"reason\"}] (oldest first)}]}; a stack that is not deployed has \"deployed\": false\n\
and null status, and \"leftBehind\": what moto kept of it after `cairn destroy` (null: nothing known). Not with --watch."
)]
pub struct StatusArgs {
    /// The environment whose stacks to show.
    #[arg(required_unless_present = "all")]
    pub env: Option<String>,
    /// Every environment in promotion order: the commit each runs, since when, deployed
    /// by whom, and how many commits it is behind the environment before it.
    #[arg(long, conflicts_with_all = ["env", "stacks", "watch"])]
    pub all: bool,
    /// Stacks to show (names or ids); default: all.
    pub stacks: Vec<String>,
    /// How many recent events to show per stack.
    #[arg(long, default_value_t = 5)]
    pub events: usize,
    /// Follow stacks that are in progress until CloudFormation is done.
    #[arg(long)]
    pub watch: bool,
    /// With --watch: how long to follow (e.g. 30m, 2h).
    #[arg(long, default_value = "1h", value_parser = parse_timeout)]
    pub timeout: Duration,
    /// `events`: plain lines only, no progress line or colors.
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressMode,
    #[command(flatten)]
    pub format: FormatArg,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

pub fn run<A: Application>(project: &Project<A>, args: &StatusArgs, style: Style) -> CliResult {
    let as_json = args.format.resolve() == TextOrJson::Json;
    if as_json && args.watch {
        return Err(CliError::BadInput(
            "--format json prints one snapshot and cannot --watch\n  fix: drop --watch, or use text output to follow a deployment".into(),
        ));
    }
    let Some(env) = args.env.as_deref().filter(|_| !args.all) else {
        return crate::ops::running::print_all(project, args.endpoint.endpoint_url.as_deref(), as_json, style);
    };
    let artifact = synth_env(project, env)?;
    let stacks = select_stacks(&artifact, &args.stacks)?;
    let settings = &artifact.settings;
    let clients = aws::connect(settings, args.endpoint.endpoint_url.as_deref())?;
    let account = clients.check_account(settings)?;
    let ledger = crate::deploy::leftovers::for_endpoint(&clients);
    let view = View {
        clients: &clients,
        ledger: ledger.as_ref(),
        settings,
        account: &account,
        events: args.events,
    };
    if as_json {
        return view.print_json(&stacks);
    }
    let mut console = Console::stdout(style, args.progress);
    let running = view.show(&mut console, &stacks)?;
    if !args.watch || running.is_empty() {
        if args.watch {
            console.line("nothing in progress");
        }
        return Ok(());
    }
    follow(&clients.cloudformation, &mut console, &settings.name, running, args.timeout)
}

/// What `status` reads: an environment's stacks in its account.
struct View<'a> {
    clients: &'a AwsClients,
    ledger: Option<&'a Ledger>,
    settings: &'a EnvSettings,
    account: &'a str,
    /// How many recent events per stack.
    events: usize,
}

/// A stack in progress: name, id, and its newest event already shown.
type Running = (String, String, Option<String>);

impl View<'_> {
    /// What moto kept of a stack `destroy` deleted (`None`: nothing, or not moto).
    fn left_behind(&self, name: &str) -> CliResult<Option<Vec<String>>> {
        match self.ledger {
            Some(l) => Ok(l.current(&self.clients.cloudformation, name)?.map(|e| e.resources)),
            None => Ok(None),
        }
    }

    /// `--format json`: one snapshot of every stack.
    fn print_json(&self, stacks: &[&StackArtifact]) -> CliResult {
        let (cfn, settings, account) = (&self.clients.cloudformation, self.settings, self.account);
        let mut list = Vec::new();
        for stack in stacks {
            let entry = match cfn.describe_stack(&stack.name)? {
                None => json!({"name": stack.name, "id": stack.id, "deployed": false, "status": null, "reason": null,
                               "since": null, "terminationProtection": false, "events": [],
                               "leftBehind": self.left_behind(&stack.name)?}),
                Some(info) => {
                    let mut events = cfn.stack_events(&info.id, None, self.events)?;
                    events.reverse();
                    stack_json(&stack.name, &stack.id, &info, &events)
                }
            };
            list.push(entry);
        }
        let doc = json!({
            "environment": settings.name,
            "account": account,
            "region": settings.region,
            "endpoint": self.clients.endpoint(),
            "stacks": list,
        });
        let text = serde_json::to_string_pretty(&doc).map_err(CliError::Json)?;
        println!("{text}");
        Ok(())
    }

    /// Text: each stack's state and latest events; returns the stacks in progress.
    fn show(&self, console: &mut Console, stacks: &[&StackArtifact]) -> CliResult<Vec<Running>> {
        let (cfn, settings, account) = (&self.clients.cloudformation, self.settings, self.account);
        console.line(&format!(
            "{}: account {account}, {}{}",
            console.style.bold(&settings.name),
            settings.region,
            self.clients.endpoint().map(|e| format!(" via {e}")).unwrap_or_default()
        ));
        let mut running = Vec::new();
        for stack in stacks {
            let Some(info) = cfn.describe_stack(&stack.name)? else {
                console.line(&format!("{}  {}", stack.name, console.style.dim("not deployed")));
                if let Some(kept) = self.left_behind(&stack.name)? {
                    console.line(&format!(
                        "  moto left behind: {} (its deletion could not remove them: a moto limitation); restart moto to clear \
                         them (`make local-cloud-stop local-cloud`)",
                        kept.join(", ")
                    ));
                }
                continue;
            };
            let when = info
                .updated
                .or(info.created)
                .map(|t| format!("  since {}", t.rfc3339()))
                .unwrap_or_default();
            let protection = if info.termination_protection {
                "  (termination protection)"
            } else {
                ""
            };
            console.line(&format!(
                "{}  {}{when}{protection}",
                console.style.bold(&stack.name),
                color_status(&info.status, console.style)
            ));
            if let Some(r) = &info.status_reason {
                console.line(&format!("  reason: {}", aws::error::one_line(r)));
            }
            let mut events = cfn.stack_events(&info.id, None, self.events)?;
            events.reverse();
            for e in &events {
                console.line(&event_line(e, console.style));
            }
            if status::in_progress(&info.status) && info.status != "REVIEW_IN_PROGRESS" {
                running.push((stack.name.clone(), info.id.clone(), events.last().map(|e| e.id.clone())));
            }
        }
        Ok(running)
    }
}

/// `--watch`: follows each stack in progress until CloudFormation is done with it.
fn follow(cfn: &dyn CloudFormation, console: &mut Console, env: &str, running: Vec<Running>, timeout: Duration) -> CliResult {
    catch_ctrl_c()?;
    let clock = SystemClock::new();
    let hints = Hints::for_env(env);
    for (name, id, until) in running {
        console.line(&format!("following {name} …"));
        let total = cfn.list_stack_resources(&id).map(|r| r.len()).unwrap_or(0);
        let end = watch(
            cfn,
            console,
            &clock,
            Watch {
                stack_name: &name,
                stack_id: &id,
                until,
                total,
                deadline: clock.now() + timeout,
                stop_at_presses: 1,
            },
        )?;
        match end {
            WatchEnd::Settled { info, events } => {
                let s = info.map(|i| i.status).unwrap_or_else(|| "DELETE_COMPLETE".into());
                console.line(&format!("{name}: {}", color_status(&s, console.style)));
                if status::failed(&s) || status::rolled_back(&s) {
                    return Err(CliError::Failed(format!("{name} ended {s}{}", failed_list(&events))));
                }
            }
            WatchEnd::TimedOut { status, .. } => {
                return Err(CliError::Failed(format!(
                    "stopped following {name} after the timeout; it is still {status}; run `{}` again",
                    hints.watch
                )))
            }
            WatchEnd::Interrupted { status } => {
                return Err(CliError::Interrupted(format!(
                    "stopped watching {name} ({status}); run `{}` to follow it again",
                    hints.watch
                )))
            }
        }
    }
    Ok(())
}

/// One deployed stack in `status --format json`.
fn stack_json(name: &str, id: &str, info: &StackInfo, events: &[StackEvent]) -> Json {
    json!({
        "name": name,
        "id": id,
        "deployed": true,
        "status": info.status,
        "reason": info.status_reason,
        "since": info.updated.or(info.created).map(|t| t.rfc3339()),
        "terminationProtection": info.termination_protection,
        "events": events.iter().map(|e| json!({
            "time": e.time.rfc3339(),
            "logicalId": e.logical_id,
            "physicalId": e.physical_id,
            "type": e.resource_type,
            "status": e.status,
            "reason": e.reason,
        })).collect::<Vec<_>>(),
    })
}
