//! `cairn ls`: environments and their stacks.

use cairn_core::Application;
use clap::Args;
use serde_json::json;

use crate::args::{FormatArg, TextOrJson};
use crate::error::{CliError, CliResult};
use crate::project::Project;
use crate::ui::Style;

#[derive(Debug, Args)]
#[command(
    about = "List environments and their stacks",
    after_help = "Examples:\n  cairn ls\n  cairn ls --format json | jq '.[].stacks'"
)]
pub struct LsArgs {
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run<A: Application>(project: &Project<A>, args: &LsArgs, style: Style) -> CliResult {
    let envs = project.all_envs()?;
    let assembly = project.synth(&envs)?;
    if args.format.resolve() == TextOrJson::Json {
        let list: Vec<_> = assembly
            .environments
            .iter()
            .map(|e| {
                json!({
                    "environment": e.name(),
                    "account": e.settings.account,
                    "region": e.settings.region,
                    "requireApproval": e.settings.require_approval,
                    "retainData": e.settings.retain_data,
                    "stacks": e.stacks.iter().map(|s| json!({"id": s.id, "name": s.name, "dependsOn": s.depends_on, "resourceCount": s.resource_count()})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&list).map_err(CliError::Json)?;
        println!("{text}");
        return Ok(());
    }
    for e in &assembly.environments {
        let flags = [
            (e.settings.require_approval, "approval required"),
            (e.settings.retain_data, "keeps data"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, s)| *s)
        .collect::<Vec<_>>()
        .join(", ");
        println!(
            "{}  account {} region {}{}",
            style.bold(e.name()),
            e.settings.account,
            e.settings.region,
            if flags.is_empty() { String::new() } else { format!("  ({flags})") }
        );
        for s in &e.stacks {
            let deps = if s.depends_on.is_empty() {
                String::new()
            } else {
                format!("  after {}", s.depends_on.join(", "))
            };
            println!("  {}{}", s.name, style.dim(&deps));
        }
    }
    Ok(())
}
