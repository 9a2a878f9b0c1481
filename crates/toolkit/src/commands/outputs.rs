//! `cairn outputs <env>`: the outputs of an environment's deployed stacks.

use cairn_core::ui::Columns;
use cairn_core::Application;
use clap::Args;
use serde_json::{json, Map, Value as Json};

use crate::args::{FormatArg, TextOrJson};
use crate::aws::{self, CloudFormation, EndpointArgs};
use crate::error::{CliError, CliResult};
use crate::ops::environment::{select_stacks, synth_env};
use crate::project::Project;
use crate::ui::Style;

#[derive(Debug, Args)]
#[command(
    about = "Print the outputs of an environment's deployed stacks",
    after_help = "Examples:\n  cairn outputs prod\n  cairn outputs prod data --format json | jq -r '.\"shop-prod-data\".TableName'\n\n\
--format json prints {\"<stack>\": {\"<key>\": \"<value>\"}}.\n\n\
Exit codes: 0 ok, 1 a stack is not deployed or AWS failed, 2 bad input."
)]
pub struct OutputsArgs {
    /// The environment whose stacks' outputs to print.
    pub env: String,
    /// Stacks (names or ids); default: all.
    pub stacks: Vec<String>,
    #[command(flatten)]
    pub format: FormatArg,
    /// Include the exports cairn adds for cross-stack references.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

pub fn run<A: Application>(project: &Project<A>, args: &OutputsArgs, style: Style) -> CliResult {
    let artifact = synth_env(project, &args.env)?;
    let stacks = select_stacks(&artifact, &args.stacks)?;
    let settings = &artifact.settings;
    let as_json = args.format.resolve() == TextOrJson::Json;
    let clients = aws::connect(settings, args.endpoint.endpoint_url.as_deref())?;
    clients.check_account(settings)?;
    // Every stack is looked up before anything is printed: a stack that is not deployed
    // fails the command with nothing on stdout (no `{}` or partial list to mistake for a result).
    let mut deployed = Vec::new();
    let mut missing = Vec::new();
    for stack in &stacks {
        match clients.cloudformation.describe_stack(&stack.name)? {
            Some(info) => deployed.push((stack, info)),
            None => missing.push(stack.name.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(CliError::Failed(format!(
            "not deployed: {} (deploy with `cairn deploy {}`)",
            missing.join(", "),
            settings.name
        )));
    }
    let mut doc = Map::new();
    for (stack, info) in &deployed {
        let outputs: Vec<_> = info
            .outputs
            .iter()
            .filter(|o| args.all || !o.key.starts_with("ExportsOutput"))
            .collect();
        if as_json {
            let m: Map<String, Json> = outputs.iter().map(|o| (o.key.clone(), json!(o.value))).collect();
            doc.insert(stack.name.clone(), Json::Object(m));
            continue;
        }
        println!("{}  {}", style.bold(&stack.name), style.dim(&info.status));
        if outputs.is_empty() {
            println!("  (no outputs)");
        }
        let keys: Vec<[String; 1]> = outputs.iter().map(|o| [o.key.clone()]).collect();
        let columns = Columns::fit("  ", keys.iter().map(|k| &k[..]));
        for o in outputs {
            let description = o.description.as_deref().map(|d| format!("  {}", style.dim(d))).unwrap_or_default();
            let cells = [o.key.clone(), format!("{}{description}", o.value)];
            println!("{}", columns.line(&cells, &|_, c| c.to_string()));
        }
    }
    if as_json {
        let text = serde_json::to_string_pretty(&Json::Object(doc)).map_err(CliError::Json)?;
        println!("{text}");
    }
    Ok(())
}
