//! The findings of drift detection as text, Markdown and JSON.

use cairn_core::ui::Columns;
use cairn_core::EnvArtifact;
use serde_json::{json, Value as Json};

use super::detect::{drifted, StackDrift};
use crate::aws::drift::ResourceDrift;
use crate::ui::Style;

/// The construct path of a logical ID, from the synthesis (`data/Jobs/Resource`).
fn construct_path(env: &EnvArtifact, stack: &str, logical_id: &str) -> Option<String> {
    env.stacks.iter().find(|s| s.name == stack)?.paths.get(logical_id).cloned()
}

fn resource_label(env: &EnvArtifact, stack: &str, r: &ResourceDrift) -> String {
    match construct_path(env, stack, &r.logical_id) {
        Some(path) => format!("{path} ({}, {})", r.logical_id, r.resource_type),
        None => format!("{} ({})", r.logical_id, r.resource_type),
    }
}

/// The findings as text.
pub fn text(env: &EnvArtifact, results: &[(String, StackDrift)], style: Style) -> String {
    let s = &env.settings;
    let mut out = format!(
        "{} {} (account {}, {})\n",
        style.bold("Drift of"),
        style.bold(&s.name),
        s.account,
        s.region
    );
    let names: Vec<[String; 1]> = results.iter().map(|(n, _)| [n.to_string()]).collect();
    let columns = Columns::fit("  ", names.iter().map(|n| &n[..]));
    for (name, drift) in results {
        let row = |text: String| columns.line(&[name.to_string(), text], &|_, c| c.to_string()) + "\n";
        match drift {
            StackDrift::NotDeployed => out.push_str(&row(style.dim("not deployed"))),
            StackDrift::TimedOut => out.push_str(&row(style.yellow("detection did not finish in time"))),
            StackDrift::Checked { status, reason, resources } => {
                let head = if resources.is_empty() {
                    style.green(status)
                } else {
                    style.red(&format!(
                        "{status}: {} resource{} changed outside CloudFormation",
                        resources.len(),
                        if resources.len() == 1 { "" } else { "s" }
                    ))
                };
                out.push_str(&row(head));
                if let Some(r) = reason {
                    out.push_str(&format!("    {}\n", style.yellow(&format!("detection incomplete: {r}"))));
                }
                for r in resources {
                    out.push_str(&format!("    {}  {}\n", resource_label(env, name, r), style.red(&r.status)));
                    for d in &r.differences {
                        out.push_str(&format!(
                            "      {}  expected {}  actual {}  ({})\n",
                            d.path,
                            if d.expected.is_empty() { "—" } else { &d.expected },
                            if d.actual.is_empty() { "—" } else { &d.actual },
                            d.kind
                        ));
                    }
                }
            }
        }
    }
    let n = drifted(results);
    out.push_str(&if n == 0 {
        style.green("drift: none found")
    } else {
        style.red(&format!(
            "drift: {n} resource{} changed outside CloudFormation",
            if n == 1 { "" } else { "s" }
        ))
    });
    out.push('\n');
    out
}

/// The findings as Markdown.
pub fn markdown(env: &EnvArtifact, results: &[(String, StackDrift)]) -> String {
    let mut out = format!(
        "## Drift of {}\n\n| Stack | Resource | Status | Property | Expected | Actual |\n|---|---|---|---|---|---|\n",
        env.name()
    );
    let cell = |s: &str| {
        if s.is_empty() {
            "—".to_string()
        } else {
            format!("`{}`", s.replace('|', "\\|").replace('`', "'"))
        }
    };
    for (name, drift) in results {
        match drift {
            StackDrift::NotDeployed => out.push_str(&format!("| {name} | | not deployed | | | |\n")),
            StackDrift::TimedOut => out.push_str(&format!("| {name} | | detection did not finish | | | |\n")),
            StackDrift::Checked { status, resources, .. } if resources.is_empty() => {
                out.push_str(&format!("| {name} | | {status} | | | |\n"))
            }
            StackDrift::Checked { resources, .. } => {
                for r in resources {
                    let label = resource_label(env, name, r);
                    if r.differences.is_empty() {
                        out.push_str(&format!("| {name} | `{label}` | **{}** | | | |\n", r.status));
                    }
                    for d in &r.differences {
                        out.push_str(&format!(
                            "| {name} | `{label}` | **{}** | `{}` | {} | {} |\n",
                            r.status,
                            d.path,
                            cell(&d.expected),
                            cell(&d.actual)
                        ));
                    }
                }
            }
        }
    }
    out.push_str(&format!("\n{} resource(s) changed outside CloudFormation.\n", drifted(results)));
    out
}

/// The findings as JSON.
pub fn to_json(env: &EnvArtifact, results: &[(String, StackDrift)]) -> Json {
    let stacks: Vec<Json> = results
        .iter()
        .map(|(name, drift)| match drift {
            StackDrift::NotDeployed => json!({"name": name, "deployed": false}),
            StackDrift::TimedOut => json!({"name": name, "deployed": true, "status": null, "timedOut": true}),
            StackDrift::Checked { status, reason, resources } => json!({
                "name": name,
                "deployed": true,
                "status": status,
                "reason": reason,
                "resources": resources.iter().map(|r| json!({
                    "logicalId": r.logical_id,
                    "path": construct_path(env, name, &r.logical_id),
                    "physicalId": r.physical_id,
                    "type": r.resource_type,
                    "status": r.status,
                    "differences": r.differences.iter().map(|d| json!({
                        "path": d.path, "expected": d.expected, "actual": d.actual, "kind": d.kind,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            }),
        })
        .collect();
    json!({
        "environment": env.name(),
        "account": env.settings.account,
        "region": env.settings.region,
        "drifted": drifted(results),
        "stacks": stacks,
    })
}
