//! `cairn status --all`: what each environment runs, in promotion order. Read from
//! the synthesis records on the deployed stacks (see `deploy::record`): the commit,
//! since when, by whom, an emergency deploy's reason, and how many commits each
//! environment is behind the one before it (counted by git in this checkout).

use std::path::Path;
use std::process::Command;

use cairn_core::{Application, EnvArtifact};
use serde_json::{json, Value as Json};

use crate::aws::{self, CloudFormation};
use crate::deploy::record::SynthesisRecord;
use crate::error::{CliError, CliResult};
use crate::ops::deployed::deployed_template_and_record;
use crate::ops::promotion_gate::parse_time;
use crate::project::Project;
use crate::ui::Style;

/// One environment's state.
#[derive(Debug, Clone, Default)]
pub struct Running {
    /// Environment name.
    pub name: String,
    /// Its stacks.
    pub stacks: usize,
    /// Of which deployed (any state but absent).
    pub deployed: usize,
    /// Stacks whose state is not `*_COMPLETE` (name and status).
    pub unhealthy: Vec<(String, String)>,
    /// The newest synthesis record among its stacks: what the last deploy brought.
    pub record: Option<SynthesisRecord>,
    /// Stacks deployed without a record (by hand, or by an older cairn).
    pub unrecorded: usize,
    /// The environment could not be read (credentials of another account, …).
    pub error: Option<String>,
}

/// Each environment's state, in promotion order.
pub fn read_all<A: Application>(project: &Project<A>, endpoint: Option<&str>) -> CliResult<Vec<Running>> {
    let envs = crate::ops::environment::load_envs(project, &[])?;
    let assembly = project.synth(&envs)?;
    let mut all = Vec::new();
    for env in &assembly.environments {
        all.push(match read_env(env, endpoint) {
            Ok(r) => r,
            Err(e) => Running {
                name: env.name().to_string(),
                stacks: env.stacks.len(),
                error: Some(crate::aws::error::one_line(&e.to_string())),
                ..Default::default()
            },
        });
    }
    Ok(all)
}

fn read_env(env: &EnvArtifact, endpoint: Option<&str>) -> CliResult<Running> {
    let clients = aws::connect(&env.settings, endpoint)?;
    clients.check_account(&env.settings)?;
    let cfn = &clients.cloudformation;
    let mut running = Running {
        name: env.name().to_string(),
        stacks: env.stacks.len(),
        ..Default::default()
    };
    for stack in &env.stacks {
        let Some(info) = cfn.describe_stack(&stack.name)? else { continue };
        if info.status == "REVIEW_IN_PROGRESS" {
            continue;
        }
        running.deployed += 1;
        if !matches!(info.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE") {
            running.unhealthy.push((stack.name.clone(), info.status.clone()));
        }
        match deployed_template_and_record(cfn, &stack.name)? {
            Some((_, Some(record))) => {
                let newer = running
                    .record
                    .as_ref()
                    .is_none_or(|r| parse_time(&record.deployed_at) > parse_time(&r.deployed_at));
                if newer {
                    running.record = Some(record);
                }
            }
            _ => running.unrecorded += 1,
        }
    }
    Ok(running)
}

/// How far `this` commit is behind `previous` (`git rev-list --count this..previous`),
/// and ahead of it; `None` when git cannot tell (a commit not in this checkout).
pub fn commits_between(dir: &Path, this: &str, previous: &str) -> Option<(u64, u64)> {
    let count = |range: String| -> Option<u64> {
        let out = Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["rev-list", "--count", &range])
            .output()
            .ok()
            .filter(|o| o.status.success())?;
        String::from_utf8(out.stdout).ok()?.trim().parse().ok()
    };
    let hex = |c: &str| c.len() >= 7 && c.chars().all(|x| x.is_ascii_hexdigit());
    if !hex(this) || !hex(previous) {
        return None;
    }
    Some((count(format!("{this}..{previous}"))?, count(format!("{previous}..{this}"))?))
}

/// Prints every environment's state (text or JSON).
pub fn print_all<A: Application>(project: &Project<A>, endpoint: Option<&str>, as_json: bool, style: Style) -> CliResult {
    let all = read_all(project, endpoint)?;
    let dir = project.environments_dir();
    let mut docs = Vec::new();
    let mut lines = Vec::new();
    for (i, env) in all.iter().enumerate() {
        let previous = i.checked_sub(1).map(|p| &all[p]);
        let behind = previous.and_then(|p| behind(&dir, env, p));
        docs.push(to_json(env, previous, behind));
        lines.push(to_text(env, previous, behind, style));
    }
    if as_json {
        let text = serde_json::to_string_pretty(&json!({"environments": docs})).map_err(CliError::Json)?;
        println!("{text}");
    } else {
        for line in lines {
            println!("{line}");
        }
    }
    Ok(())
}

/// `(behind, ahead)` of `env`'s commit relative to `previous`'s.
fn behind(dir: &Path, env: &Running, previous: &Running) -> Option<(u64, u64)> {
    let this = env.record.as_ref()?.commit.as_deref()?;
    let prev = previous.record.as_ref()?.commit.as_deref()?;
    if this == prev {
        return Some((0, 0));
    }
    commits_between(dir, this, prev)
}

fn to_text(env: &Running, previous: Option<&Running>, behind: Option<(u64, u64)>, style: Style) -> String {
    let name = style.bold(&env.name);
    if let Some(e) = &env.error {
        return format!("{name} cannot be read: {e}");
    }
    if env.deployed == 0 {
        return format!("{name} is not deployed");
    }
    let mut line = match &env.record {
        Some(r) => format!(
            "{name} runs {} since {}, deployed by {}",
            r.source().label(),
            r.deployed_at,
            r.deployed_by
        ),
        None => format!("{name} runs stacks cairn has no synthesis record of (deployed by hand or by an older cairn)"),
    };
    if let (Some(prev), Some(r)) = (previous, &env.record) {
        let prev_commit = prev.record.as_ref().and_then(|p| p.commit.as_deref());
        match (behind, prev_commit) {
            (Some((0, 0)), Some(_)) => line.push_str(&format!(", the same commit as {}", prev.name)),
            (Some((b, 0)), _) => line.push_str(&format!(", {b} commit{} behind {}", plural(b), prev.name)),
            (Some((0, a)), _) => line.push_str(&format!(", {a} commit{} ahead of {}", plural(a), prev.name)),
            (Some((b, a)), _) => line.push_str(&format!(
                ", {b} commit{} behind and {a} ahead of {} (diverged)",
                plural(b),
                prev.name
            )),
            (None, Some(p)) if r.commit.is_some() => line.push_str(&format!(
                ", {} runs {} (not in this checkout: cannot count commits; `git fetch`)",
                prev.name,
                cairn_assembly::short_commit(p)
            )),
            _ => {}
        }
    }
    if env.deployed < env.stacks {
        line.push_str(&format!("; {} of {} stacks deployed", env.deployed, env.stacks));
    }
    for (stack, status) in &env.unhealthy {
        line.push_str(&format!("; {stack} is {}", style.red(status)));
    }
    if let Some(reason) = env.record.as_ref().and_then(|r| r.emergency.as_deref()) {
        line.push_str(&format!(
            "; {} (promotion gate skipped: {reason})",
            style.yellow("EMERGENCY DEPLOY")
        ));
    }
    line
}

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn to_json(env: &Running, previous: Option<&Running>, behind: Option<(u64, u64)>) -> Json {
    let r = env.record.as_ref();
    json!({
        "name": env.name,
        "stacks": env.stacks,
        "deployedStacks": env.deployed,
        "unhealthy": env.unhealthy.iter().map(|(s, st)| json!({"name": s, "status": st})).collect::<Vec<_>>(),
        "commit": r.and_then(|r| r.commit.clone()),
        "dirty": r.map(|r| r.dirty),
        "since": r.map(|r| r.deployed_at.clone()),
        "deployedBy": r.map(|r| r.deployed_by.clone()),
        "emergency": r.and_then(|r| r.emergency.clone()),
        "unrecordedStacks": env.unrecorded,
        "previous": previous.map(|p| json!({
            "name": p.name,
            "commit": p.record.as_ref().and_then(|r| r.commit.clone()),
            "commitsBehind": behind.map(|b| b.0),
            "commitsAhead": behind.map(|b| b.1),
        })),
        "error": env.error,
    })
}
