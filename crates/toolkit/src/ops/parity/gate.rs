//! The parity gate `deploy` runs before anything else.

use cairn_core::application::LoadedEnv;
use cairn_core::Application;
use cairn_parity::{self as parity, render, Parallel, Report, Source};

use crate::error::{CliError, CliResult};
use crate::ops::environment::load_envs;
use crate::project::Project;
use crate::ui::Style;

/// Before deploying `target`: its parity with the reference environment (the last in
/// promotion order; for the reference itself, the one before it). Undeclared
/// differences stop the deployment unless `allow` (`--allow-parity-drift`).
pub fn gate<A: Application + Sync>(project: &Project<A>, target: &str, allow: bool, style: Style) -> CliResult {
    gate_in(project, target, allow, style, None)
}

/// [`gate`] on the synthesis in `dir` (`deploy --from DIR`): the environments' records
/// in its manifests, nothing synthesized. The folder must hold both environments.
pub fn gate_out_dir<A: Application + Sync>(
    project: &Project<A>,
    dir: &std::path::Path,
    target: &str,
    allow: bool,
    style: Style,
) -> CliResult {
    gate_in(project, target, allow, style, Some(dir))
}

fn gate_in<A: Application + Sync>(
    project: &Project<A>,
    target: &str,
    allow: bool,
    style: Style,
    dir: Option<&std::path::Path>,
) -> CliResult {
    let all = load_envs(project, &[])?;
    let Some(pos) = all.iter().position(|e| e.name == target) else {
        return Ok(());
    };
    if all.len() < 2 {
        return Ok(());
    }
    let last = all.len() - 1;
    let pair = if pos == last { [last - 1, last] } else { [pos, last] };
    let other = if pos == last {
        all[last - 1].name.clone()
    } else {
        all[last].name.clone()
    };
    let envs: Vec<LoadedEnv<A::Config>> = all
        .into_iter()
        .enumerate()
        .filter(|(i, _)| pair.contains(i))
        .map(|(_, e)| e)
        .collect();
    let report = match dir {
        Some(dir) => {
            let names: Vec<String> = envs.iter().map(|e| e.name.clone()).collect();
            let absent: Vec<&String> = names
                .iter()
                .filter(|n| !dir.join(n.as_str()).join(cairn_assembly::MANIFEST_FILE).is_file())
                .collect();
            if let Some(name) = absent.first() {
                let why = format!(
                    "--from {}: holds no synthesis of `{name}`, so {target}'s parity with {other} cannot be checked",
                    dir.display()
                );
                if allow {
                    eprintln!(
                        "{}",
                        style.yellow(&format!("warning: {why}; deploying anyway (--allow-parity-drift)"))
                    );
                    return Ok(());
                }
                return Err(CliError::BadInput(format!(
                    "{why}\n  fix: synthesize every environment into the folder (`cairn synth --all --out DIR`), or pass --allow-parity-drift"
                )));
            }
            crate::ops::parity::compare_out_dir(project, dir, &names)?
        }
        None => {
            // Declared or not is all the gate needs; naming each difference's knob is not.
            let (_, inputs) = parity::analyze_with(project, &envs, false, &Parallel(project))?;
            parity::compare(project.name(), Source::Synthesis, &inputs, &project.knobs())
        }
    };
    if report.ok() {
        return Ok(());
    }
    let n = report.undeclared_count();
    eprint!("{}", undeclared_list(&report, style));
    if allow {
        eprintln!(
            "{}",
            style.yellow(&format!(
                "warning: {target} has {n} undeclared difference{} from {other}; deploying anyway (--allow-parity-drift)",
                if n == 1 { "" } else { "s" }
            ))
        );
        return Ok(());
    }
    Err(CliError::Failed(format!(
        "{target} has {n} undeclared difference{} from {other} (listed above; `cairn parity {} {}` shows them all); \
         refusing to deploy. Fix them, or pass --allow-parity-drift to deploy anyway",
        if n == 1 { "" } else { "s" },
        envs[0].name,
        envs[1].name
    )))
}

/// The undeclared differences, one per line.
fn undeclared_list(report: &Report, style: Style) -> String {
    let text = render::text(report, style.enabled);
    // The text report lists them in its first section; print just that section.
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        if line.contains("Undeclared differences") {
            inside = true;
        } else if inside && line.trim().is_empty() {
            break;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
