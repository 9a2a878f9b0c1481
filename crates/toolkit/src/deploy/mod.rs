//! Deploying an environment's stacks through change sets.
//!
//! Per stack: look at its state (`plan.rs`) → create a change set and wait for it →
//! print its changes (`changes.rs`) → approval → execute → follow the events
//! (`watch.rs`) → report outputs or every failed resource. Everything runs
//! against the toolkit's `CloudFormation` trait, so the same code deploys to AWS
//! ([`connect`](crate::connect)), to a local endpoint and to the scripted fake of the tests.
//!
//! [`Deployer`] runs the stacks in order (here); one stack's way through is in
//! `stack.rs`, this run's change sets in `change_set.rs`, executing one in
//! `execute.rs`, and what earlier attempts left unfinished in `unfinished.rs`.

pub(crate) mod backup;
pub(crate) mod blocking;
mod change_set;
pub(crate) mod changes;
pub mod clock;
pub mod console;
pub(crate) mod destroy;
pub mod error;
mod execute;
pub(crate) mod imports;
pub(crate) mod interrupt;
pub(crate) mod leftovers;
pub(crate) mod plan;
pub(crate) mod policy;
pub mod record;
pub(crate) mod resume;
pub(crate) mod rollback_triggers;
pub(crate) mod security;
mod stack;
mod unfinished;
pub(crate) mod verify;
pub(crate) mod watch;

#[cfg(test)]
mod tests;
// The tests name these as `super::*`.
#[cfg(test)]
use self::{change_set::change_set_name, execute::stack_exists_error};

use std::time::Duration;

use cairn_core::StackArtifact;

use self::change_set::run_name;
use self::clock::Clock;
use self::console::{Console, Prompt};
use self::interrupt::Stopped;
use self::plan::Hints;
use crate::aws::cloudformation::status;
use crate::aws::{CloudFormation, Quirks, StackEvent, TemplateStore};

/// Exit code after Ctrl-C (128 + SIGINT), as shells report it.
pub use crate::error::INTERRUPTED_EXIT;
pub use error::{DeployError, DeployResult};

/// How a deploy behaves (from the command line and the environment file).
#[derive(Debug, Clone)]
pub struct DeployOptions {
    /// The application's name.
    pub app: String,
    /// The environment's name.
    pub env: String,
    /// Approve in advance (`--approve`).
    pub approve: bool,
    /// Delete and re-create a stack whose first creation was rolled back (`--recreate`).
    pub recreate: bool,
    /// Let this deploy replace or delete stateful resources in an environment that keeps data.
    pub allow_replace: bool,
    /// How long to wait for one stack's change set and operation.
    pub timeout: Duration,
    /// A person can answer prompts.
    pub interactive: bool,
    /// The environment wants approval for every deploy.
    pub require_approval: bool,
    /// The environment keeps data: termination protection and a protecting stack policy.
    pub retain_data: bool,
    /// Upload every template, not only those over 51,200 bytes.
    pub upload_all: bool,
    /// Bucket for uploaded templates.
    pub template_bucket: Option<String>,
    /// Catch Ctrl-C from the start of the deploy (off in tests).
    pub catch_ctrl_c: bool,
    /// Commands suggested in messages, for this environment.
    pub hints: Hints,
    /// The run's command line, for the resume hint after Ctrl-C.
    pub resume: resume::ResumeCommand,
    /// The synthesis record each template carries into CloudFormation (its `digest`
    /// is filled in per stack); `None` sends the templates as synthesized.
    pub record: Option<record::SynthesisRecord>,
}

impl DeployOptions {
    /// Defaults for environment `env` of `app`.
    pub fn new(app: &str, env: &str) -> Self {
        DeployOptions {
            app: app.to_string(),
            env: env.to_string(),
            approve: false,
            recreate: false,
            allow_replace: false,
            timeout: Duration::from_secs(3600),
            interactive: false,
            require_approval: false,
            retain_data: false,
            upload_all: false,
            template_bucket: None,
            catch_ctrl_c: false,
            hints: Hints::for_env(env),
            resume: resume::ResumeCommand::new("deploy", env, None),
            record: None,
        }
    }
}

/// What happened to a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A change set was executed.
    Deployed,
    /// The template and parameters are what is deployed: nothing to do.
    NoChanges,
}

/// Runs deploys of one environment.
pub struct Deployer<'a> {
    /// CloudFormation.
    pub cfn: &'a dyn CloudFormation,
    /// Where templates too large to send inline are uploaded (`None`: no uploads).
    pub store: Option<&'a dyn TemplateStore>,
    /// Where progress and the review go.
    pub console: &'a mut Console,
    /// Time, for timeouts and change-set names.
    pub clock: &'a dyn Clock,
    /// Asks for approval.
    pub prompt: &'a mut dyn Prompt,
    /// What the endpoint does not support (moto), from [`AwsClients::detect_quirks`](crate::AwsClients::detect_quirks).
    pub quirks: Quirks,
    /// How the deploy behaves.
    pub opts: DeployOptions,
    /// Set once termination protection turned out to be unsupported (moto): warn once.
    protection_unsupported: bool,
    /// The environment's critical alarms, passed as rollback triggers (`None`: no alarms).
    pub rollback: Option<rollback_triggers::RollbackPlan>,
    /// The triggers of the stack being deployed, to name the one that fired.
    guarding: Vec<rollback_triggers::GuardAlarm>,
    /// This run's random part of its change-set names: a change set with another name is
    /// another run's (or a leftover), and cairn never executes it.
    run: String,
    /// The name of this run's latest change set (`cairn-<ms when made>-<run>`).
    change_set: String,
    /// The stack CloudFormation was still changing when a second Ctrl-C stopped the wait.
    left_running: Option<String>,
    /// What the emulator kept of deleted stacks: a stack deployed again drops its entry.
    pub leftovers: Option<leftovers::Ledger>,
    /// Every stack of the environment: the deploy first refuses changes the deploy
    /// would fail on (see `blocking.rs`), which needs all of them (`None`: no check).
    pub environment: Option<&'a [StackArtifact]>,
    /// Backups before a change set touches stateful resources (`backup.rs`; `None`: the
    /// environment file's `[delivery] backup_before_stateful_changes` is off).
    pub backups: Option<&'a dyn crate::aws::backups::BackupApi>,
}

impl<'a> Deployer<'a> {
    /// A deployer with no template store, rollback triggers or environment check; set those fields to add them.
    pub fn new(
        cfn: &'a dyn CloudFormation,
        console: &'a mut Console,
        clock: &'a dyn Clock,
        prompt: &'a mut dyn Prompt,
        opts: DeployOptions,
    ) -> Self {
        Deployer {
            cfn,
            store: None,
            console,
            clock,
            prompt,
            quirks: Quirks::default(),
            opts,
            protection_unsupported: false,
            rollback: None,
            guarding: Vec::new(),
            run: run_name(),
            change_set: String::new(),
            left_running: None,
            leftovers: None,
            environment: None,
            backups: None,
        }
    }

    /// Deploys `stacks` in the given (dependency) order, stopping at the first failure.
    /// Ctrl-C stops it after the current stack (exit code 130), saying which stacks were
    /// deployed and which not.
    pub fn deploy(&mut self, stacks: &[&StackArtifact]) -> DeployResult<Vec<(String, Outcome)>> {
        if self.opts.catch_ctrl_c {
            clock::catch_ctrl_c()?;
        }
        if let Some(all) = self.environment {
            blocking::check(self.cfn, self.console, &self.opts.env, all, stacks)?;
        }
        self.check_template_bucket(stacks)?;
        clock::changes_begin();
        let mut done = Vec::new();
        for (i, stack) in stacks.iter().enumerate() {
            if self.clock.interrupted() {
                let what = format!("stopped (Ctrl-C) before {}: nothing was changed in it", stack.name);
                return Err(self.stopped(what, &done, &stacks[i..]));
            }
            let header = format!("{} ({} of {})", stack.name, i + 1, stacks.len());
            self.console.line(&self.console.style.bold(&header));
            match self.deploy_stack(stack) {
                Ok(outcome) => done.push((stack.name.clone(), outcome)),
                Err(DeployError::Interrupted(what)) => return Err(self.stopped(what, &done, &stacks[i..])),
                Err(e) => {
                    let rest: Vec<&str> = stacks[i + 1..].iter().map(|s| s.name.as_str()).collect();
                    if !rest.is_empty() {
                        return Err(e.noted(format!(
                            "\nnot deployed (stopped at the first failure): {} (the error above), {}",
                            stack.name,
                            rest.join(", ")
                        )));
                    }
                    return Err(e);
                }
            }
        }
        if self.clock.interrupted() {
            // Pressed during the last stack, which was finished first.
            return Err(self.stopped(String::new(), &done, &[]));
        }
        Ok(done)
    }

    /// The exit-130 error after Ctrl-C: `what` happened, then which stacks are in which state.
    fn stopped(&self, what: String, done: &[(String, Outcome)], rest: &[&StackArtifact]) -> DeployError {
        let running = self.left_running.as_deref();
        Stopped {
            what,
            done_word: "deployed",
            resume: self
                .opts
                .resume
                .for_rest(&rest.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(), !done.is_empty()),
            done: done
                .iter()
                .map(|(n, o)| match o {
                    Outcome::Deployed => n.clone(),
                    Outcome::NoChanges => format!("{n} (no changes)"),
                })
                .collect(),
            running,
            not_done: rest.iter().map(|s| s.name.as_str()).filter(|n| Some(*n) != running).collect(),
        }
        .into_error(&self.opts.hints)
    }

    fn check_template_bucket(&mut self, stacks: &[&StackArtifact]) -> DeployResult<()> {
        let big: Vec<&str> = stacks
            .iter()
            .filter(|s| self.opts.upload_all || s.needs_upload() || (self.opts.record.is_some() && record::may_outgrow_inline(s)))
            .map(|s| s.name.as_str())
            .collect();
        if big.is_empty() {
            return Ok(());
        }
        let (Some(store), Some(bucket)) = (self.store, self.opts.template_bucket.as_deref()) else {
            return Err(DeployError::Failed(format!(
                "{} must be uploaded to S3 (templates over 51,200 bytes), but no template bucket is set: \
                 pass --template-bucket or run `cairn bootstrap {}`",
                big.join(", "),
                self.opts.env
            )));
        };
        if !store.bucket_exists(bucket)? {
            return Err(DeployError::Failed(format!(
                "template bucket `{bucket}` does not exist (needed for {}): run `cairn bootstrap {}` to create it, \
                 or pass --template-bucket with an existing bucket",
                big.join(", "),
                self.opts.env
            )));
        }
        Ok(())
    }
}

/// Every failed resource of an operation, one per line.
pub fn failed_list(events: &[StackEvent]) -> String {
    let failed: Vec<&StackEvent> = events.iter().filter(|e| status::failed(&e.status) && !e.is_stack_event()).collect();
    if failed.is_empty() {
        return String::new();
    }
    let mut s = String::from("\nfailed resources:");
    for e in failed {
        s.push_str(&format!(
            "\n  {} ({}) {}: {}",
            e.logical_id,
            e.resource_type,
            e.status,
            e.reason
                .as_deref()
                .map(crate::aws::error::one_line)
                .unwrap_or_else(|| "no reason given".into())
        ));
    }
    s
}
