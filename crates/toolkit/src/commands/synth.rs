//! `cairn synth`: write templates and manifests to `out/`.

use std::path::PathBuf;
use std::time::Instant;

use cairn_assembly::{write_environments, Manifest};
use cairn_core::Application;
use clap::Args;

use crate::error::{CliError, CliResult};
use crate::project::Project;
use crate::ui::Style;

#[derive(Debug, Args)]
#[command(
    about = "Synthesize CloudFormation templates for one or more environments",
    long_about = "Synthesize CloudFormation templates for one or more environments.\n\n\
Writes <out>/<env>/<stack>.template.json for every stack of each environment and\n\
<out>/<env>/manifest.json (stacks, dependencies, deploy order, sizes, the git commit\n\
synthesized and whether the tree was dirty, every template's SHA-256). Output is\n\
written to a temporary folder and moved into place only if synthesis succeeds.\n\
Needs no AWS access.",
    after_help = "Examples:\n  cairn synth prod\n  cairn synth --all\n  cairn synth staging --out /tmp/cairn-out"
)]
pub struct SynthArgs {
    /// Environments to synthesize (file names in the environments folder, without .toml).
    pub envs: Vec<String>,
    /// Synthesize every environment.
    #[arg(long)]
    pub all: bool,
    /// Output folder.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Print nothing on success.
    #[arg(long, short)]
    pub quiet: bool,
    /// Skip the built-in policy checks (for measuring their cost; `cairn check` runs them alone).
    #[arg(long)]
    pub no_checks: bool,
}

pub fn run<A: Application + Sync>(project: &Project<A>, args: &SynthArgs, style: Style) -> CliResult {
    let started = Instant::now();
    if args.all && !args.envs.is_empty() {
        return Err(CliError::BadInput("pass environment names or --all, not both".into()));
    }
    if args.out.exists() && !args.out.is_dir() {
        return Err(CliError::BadInput(format!(
            "--out {} is a file, not a folder; choose a folder (it is created if missing), e.g. --out out",
            args.out.display()
        )));
    }
    let envs = project.select_envs(&args.envs, args.all)?;
    // The commit recorded in the manifests: git runs while cairn synthesizes.
    let env_dir = project.environments_dir();
    let source = std::thread::spawn(move || crate::checkout::source(&env_dir));
    let mut assembly = project.synth(&envs)?;
    // Policy checks: any error stops synthesis before anything is written.
    let checks = crate::ops::checks::synth_checks(&assembly, args.no_checks, args.quiet)?;
    // Each template is hashed once, for the synthesis section and the parity record.
    let digests: Vec<Vec<String>> = assembly.environments.iter().map(cairn_assembly::template_digests).collect();
    // The stacks' entries read the templates (counts, size as sent) before the parity
    // record takes them.
    let stack_entries: Vec<Manifest> = assembly.environments.iter().map(Manifest::from_artifact).collect();
    // Which environment-file field drives which property, for `cairn parity --out`. Its
    // reference is the latest of every environment file: `--all` loaded them already.
    let loaded;
    let all = if args.all {
        &envs[..]
    } else {
        loaded = project.all_envs().unwrap_or_default();
        &loaded[..]
    };
    let parity = crate::ops::parity::manifest_sections(project, &envs, all, &mut assembly, &digests);
    let source = source.join().unwrap_or_default();
    let manifests: Vec<_> = assembly
        .environments
        .iter()
        .zip(stack_entries)
        .zip(parity)
        .zip(&digests)
        .map(|(((e, m), p), d)| {
            let mut manifest = m.with_parity(p).with_source_digests(e, &source, d);
            if let Some((_, c)) = checks.iter().find(|(name, _)| name == e.name()) {
                manifest = manifest.with_checks(c.clone());
            }
            (e, manifest)
        })
        .collect();
    let written =
        write_environments(&args.out, &manifests).map_err(|e| CliError::Failed(format!("cannot write to {}: {e}", args.out.display())))?;
    if args.quiet {
        return Ok(());
    }
    // From the manifests: the templates as JSON went to the parity record.
    for ((env, manifest), dir) in manifests.iter().zip(&written) {
        let resources: usize = manifest.stacks.iter().map(|s| s.resource_count).sum();
        println!(
            "{} {} stacks, {resources} resources → {}",
            style.bold(env.name()),
            manifest.stacks.len(),
            dir.display()
        );
        for stack in &manifest.stacks {
            let upload = if stack.needs_upload {
                style.yellow("  (over 51,200 bytes: deploy uploads it to S3)")
            } else {
                String::new()
            };
            println!(
                "  {:<32} {:>4} resources {:>8} bytes ({:>6} as sent)  {}{upload}",
                stack.name,
                stack.resource_count,
                stack.template_bytes,
                stack.deploy_bytes,
                style.dim(&dir.join(&stack.template).display().to_string())
            );
        }
    }
    println!("synthesized in {:.1} ms", started.elapsed().as_secs_f64() * 1000.0);
    Ok(())
}
