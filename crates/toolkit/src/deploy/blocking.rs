//! Before any change set: the warnings `cairn diff` shows for the environment. A
//! blocking one (an export in use changed or removed, an engine downgrade, a
//! custom-named resource replaced, ...) is a change CloudFormation or the service
//! refuses partway through the deploy, leaving stacks half-updated; it is refused
//! here instead, with nothing changed. No option overrides it: AWS would refuse anyway.

use cairn_core::StackArtifact;

use super::console::Console;
use super::error::{DeployError, DeployResult};
use crate::aws::CloudFormation;
use crate::ops::diff::{against_deployed_templates, warning_lines, DiffReport};

/// Refuses (exit 1) when deploying `selected` of environment `env` (whose stacks are
/// `all`) hits a blocking warning; shows the other warnings on `console`.
pub fn check(
    cfn: &dyn CloudFormation,
    console: &mut Console,
    env: &str,
    all: &[StackArtifact],
    selected: &[&StackArtifact],
) -> DeployResult<()> {
    let report = DiffReport {
        old_label: String::new(),
        new_label: String::new(),
        stacks: against_deployed_templates(cfn, env, all, selected)?,
        notes: Vec::new(),
    };
    let blocking = report.summary().blocking;
    if blocking == 0 {
        for line in warning_lines(&report, console.style.enabled) {
            console.line(&line);
        }
        return Ok(());
    }
    Err(DeployError::Failed(format!(
        "CloudFormation or the service would refuse {blocking} change{} of this deploy; nothing was changed.\n{}\n\
         Change the stacks' code as each fix says and deploy again (`cairn diff {env}` shows the same); no option overrides this",
        if blocking == 1 { "" } else { "s" },
        warning_lines(&report, false).join("\n")
    )))
}
