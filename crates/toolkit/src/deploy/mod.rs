//! Deploying an environment's stacks through change sets.
//!
//! Per stack: look at its state ([`plan`]) → create a change set and wait for it →
//! print its changes ([`changes`]) → approval → execute → follow the events
//! ([`watch`]) → report outputs or every failed resource. Everything runs
//! against the [`CloudFormation`] trait, so the same code deploys to AWS, to a
//! local endpoint and to the scripted fake of the tests.

pub mod blocking;
pub mod changes;
pub mod clock;
pub mod console;
pub mod destroy;
pub mod imports;
pub mod interrupt;
pub mod leftovers;
pub mod plan;
pub mod policy;
pub mod resume;
pub mod rollback_triggers;
pub mod security;
pub mod verify;
pub mod watch;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cairn_core::StackArtifact;
use serde_json::Value as Json;

use self::clock::{format_duration, Clock};
use self::console::{is_yes, Console, Prompt};
use self::interrupt::Stopped;
use self::plan::{Hints, Plan};
use self::watch::{watch, Watch, WatchEnd};
use crate::aws::cloudformation::status;
use crate::aws::templates::template_key;
use crate::aws::{
    AwsErrorKind, AwsResult, ChangeSetInfo, ChangeSetRequest, ChangeSetType, CloudFormation, CreatedChangeSet, Quirks, StackEvent,
    StackInfo, StackRequest, TemplateSource, TemplateStore,
};
use crate::error::{CliError, CliResult};

/// Whether CreateStack failed because a stack of that name exists (AWS: `Stack [name]
/// already exists`; moto: `Stack name already exists`), not over a resource that does.
fn stack_exists_error(message: &str, name: &str) -> bool {
    message.contains("AlreadyExistsException")
        || message.contains(&format!("Stack [{name}] already exists"))
        || message.contains(&format!("Stack {name} already exists"))
}

/// What to add when moto refuses a CreateStack over something an earlier run left: after a
/// `cairn destroy` or a failed create it could not finish, moto drops the stack's record but
/// keeps its exports registered (`Export names must be unique`) or resources it made (e.g.
/// `DB instance already exists`), and nothing but a restart clears them.
fn moto_leftovers(message: &str, emulator: &str, recorded: bool) -> String {
    let export = message.contains("Export names must be unique");
    let resource = message.contains("already exists") && !message.contains("Stack ");
    if !export && !resource {
        return String::new();
    }
    let what = if export { "the exports" } else { "resources" };
    if recorded {
        // `cairn destroy` recorded what moto kept of this very stack.
        return format!(
            ". This is a {emulator} limitation, not a conflict in your stacks: {emulator} still holds {what} of this \
             stack, whose deletion it could not finish (`cairn status` lists what it kept), and only a restart clears \
             them: `make local-cloud-stop local-cloud`, then deploy again"
        );
    }
    format!(
        ". Either another stack holds {what} of the same name, or {emulator} does: it keeps {what} of a stack whose \
         deletion or creation it could not finish (see what the earlier `cairn destroy` or deploy reported), and only a \
         restart clears them (`make local-cloud-stop local-cloud`)"
    )
}

/// Exit code after Ctrl-C (128 + SIGINT), as shells report it.
pub const INTERRUPTED_EXIT: u8 = 130;

/// How a deploy behaves (from the command line and the environment file).
#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub app: String,
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
    pub hints: Hints,
    /// The run's command line, for the resume hint after Ctrl-C.
    pub resume: resume::ResumeCommand,
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
        }
    }
}

/// What happened to a stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Deployed,
    NoChanges,
}

/// Runs deploys of one environment.
pub struct Deployer<'a> {
    pub cfn: &'a dyn CloudFormation,
    pub store: Option<&'a dyn TemplateStore>,
    pub console: &'a mut Console,
    pub clock: &'a dyn Clock,
    pub prompt: &'a mut dyn Prompt,
    pub quirks: Quirks,
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
    /// would fail on (see [`blocking`]), which needs all of them (`None`: no check).
    pub environment: Option<&'a [StackArtifact]>,
}

impl<'a> Deployer<'a> {
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
        }
    }

    /// Deploys `stacks` in the given (dependency) order, stopping at the first failure.
    /// Ctrl-C stops it after the current stack (exit code 130), saying which stacks were
    /// deployed and which not.
    pub fn deploy(&mut self, stacks: &[&StackArtifact]) -> CliResult<Vec<(String, Outcome)>> {
        if self.opts.catch_ctrl_c {
            clock::catch_ctrl_c()?;
        }
        if let Some(all) = self.environment {
            blocking::check(self.cfn, self.console, &self.opts.env, all, stacks)?;
        }
        self.check_template_bucket(stacks)?;
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
                Err(e) if e.exit_code() == INTERRUPTED_EXIT => return Err(self.stopped(e.message, &done, &stacks[i..])),
                Err(mut e) => {
                    let rest: Vec<&str> = stacks[i + 1..].iter().map(|s| s.name.as_str()).collect();
                    if !rest.is_empty() {
                        e.message.push_str(&format!(
                            "\nnot deployed (stopped at the first failure): {} (the error above), {}",
                            stack.name,
                            rest.join(", ")
                        ));
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
    fn stopped(&self, what: String, done: &[(String, Outcome)], rest: &[&StackArtifact]) -> CliError {
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

    fn check_template_bucket(&mut self, stacks: &[&StackArtifact]) -> CliResult<()> {
        let big: Vec<&str> = stacks
            .iter()
            .filter(|s| self.opts.upload_all || s.needs_upload())
            .map(|s| s.name.as_str())
            .collect();
        if big.is_empty() {
            return Ok(());
        }
        let (Some(store), Some(bucket)) = (self.store, self.opts.template_bucket.as_deref()) else {
            return Err(CliError::failure(format!(
                "error: {} must be uploaded to S3 (templates over 51,200 bytes), but no template bucket is set: \
                 pass --template-bucket or run `cairn bootstrap {}`",
                big.join(", "),
                self.opts.env
            )));
        };
        if !store.bucket_exists(bucket)? {
            return Err(CliError::failure(format!(
                "error: template bucket `{bucket}` does not exist (needed for {}): run `cairn bootstrap {}` to create it, \
                 or pass --template-bucket with an existing bucket",
                big.join(", "),
                self.opts.env
            )));
        }
        Ok(())
    }

    /// One stack, start to end.
    pub fn deploy_stack(&mut self, stack: &StackArtifact) -> CliResult<Outcome> {
        let started = self.clock.now();
        let deadline = started + self.opts.timeout;
        let name = stack.name.as_str();
        let current = self.cfn.describe_stack(name).map_err(|e| self.undescribable(name, e))?;
        let plan = plan::plan(name, current.as_ref(), self.opts.recreate, &self.opts.hints, self.quirks.emulator)
            .map_err(|m| CliError::failure(format!("error: {m}")))?;
        let existing = match plan {
            Plan::Create => None,
            Plan::Update(info) => Some(info),
            Plan::ReviewLeftover(info) => {
                self.clear_review_leftover(&info, deadline)?;
                None
            }
            Plan::Recreate(info) => {
                self.delete_before_recreate(&info, deadline)?;
                None
            }
        };
        if let Some(info) = &existing {
            self.refuse_foreign_change_sets(&info.id, name, None)?;
        }
        // Another run's operation on the stack shows as new events (moto reports no update times).
        let last_seen_event = match &existing {
            Some(info) => self.newest_event(&info.id)?,
            None => None,
        };
        if self.clock.interrupted() {
            return Err(CliError::with_code(
                INTERRUPTED_EXIT,
                format!("stopped (Ctrl-C) before {name}'s change set was made: nothing was changed in {name}"),
            ));
        }
        let kind = if existing.is_some() {
            ChangeSetType::Update
        } else {
            ChangeSetType::Create
        };
        let served = self.write_unserved_imports(stack)?;
        let stack = served.as_ref().unwrap_or(stack);
        let template = self.template_source(stack)?;
        let old_template: Option<Json> = match &existing {
            Some(info) => self.cfn.get_template(&info.id)?.and_then(|b| serde_json::from_str(&b).ok()),
            None => None,
        };

        let rollback = self.rollback_configuration(name)?;
        // Named when it is made, so that names sort by creation (see refuse_foreign_change_sets).
        self.change_set = change_set_name(&self.run);
        let created = self.cfn.create_change_set(&ChangeSetRequest {
            stack_name: name.to_string(),
            change_set_name: self.change_set.clone(),
            change_set_type: kind,
            template: template.clone(),
            description: Some(format!("cairn deploy {} ({})", self.opts.env, self.change_set)),
            rollback: rollback.clone(),
        })?;
        let cs = self.wait_change_set(name, &created, kind, deadline)?;
        if self.clock.interrupted() {
            let gone = self.discard(&created, kind);
            return Err(CliError::with_code(
                INTERRUPTED_EXIT,
                format!("stopped (Ctrl-C) before executing {name}'s change set{gone}; nothing was changed in {name}"),
            ));
        }
        if cs.status == "FAILED" {
            let reason = cs.status_reason.clone().unwrap_or_else(|| "no reason given".into());
            if kind == ChangeSetType::Update && no_changes(&reason) {
                let _ = self.cfn.delete_change_set(&created.id);
                self.console.line("  no changes");
                if let Some(info) = &existing {
                    if self.opts.retain_data {
                        self.protect(info, &policy::protecting_policy())?;
                    }
                }
                return Ok(Outcome::NoChanges);
            }
            let gone = self.discard_quietly(&created, kind);
            return Err(CliError::failure(format!(
                "error: CloudFormation could not make a change set for {name}: {}; nothing was changed{gone}",
                crate::aws::error::one_line(&reason)
            )));
        }

        let template_diff = changes::template_diff(old_template.as_ref(), &stack.template);
        self.show_changes(&cs, kind, &template_diff);
        let review = changes::review(&cs.changes, &template_diff);
        if self.opts.retain_data && review.stateful_certain && !self.opts.allow_replace {
            let gone = self.discard_quietly(&created, kind);
            return Err(CliError::failure(format!(
                "error: the change set for {name} {}; environment `{}` keeps data and its stack policy forbids replacing or \
                 deleting stateful resources. Nothing was changed. If this is intended and the data is backed up, run `{} --allow-replace`{gone}",
                review.stateful.join(", "),
                self.opts.env,
                self.opts.hints.deploy
            )));
        }
        self.approve(name, &review, &created, kind)?;
        if self.clock.interrupted() {
            let gone = self.discard(&created, kind);
            return Err(CliError::with_code(
                INTERRUPTED_EXIT,
                format!("stopped (Ctrl-C) before executing {name}'s change set{gone}; nothing was changed in {name}"),
            ));
        }
        self.refuse_concurrent_change(name, &created, kind, existing.as_ref(), last_seen_event.as_deref())?;
        if let Some(info) = &existing {
            if self.opts.retain_data {
                let policy = if self.opts.allow_replace {
                    self.console.line("  stack policy relaxed for this deploy (--allow-replace)");
                    policy::permissive_policy()
                } else {
                    policy::protecting_policy()
                };
                self.protect(info, &policy)?;
            }
        }
        let (stack_id, until) = self.execute(stack, &created, kind, &template, rollback)?;
        let end = watch(
            self.cfn,
            self.console,
            self.clock,
            Watch {
                stack_name: name,
                stack_id: &stack_id,
                until,
                total: cs.changes.len(),
                deadline,
                stop_at_presses: 2,
            },
        );
        if self.opts.retain_data && self.opts.allow_replace && existing.is_some() {
            // Put the protection back whatever happened; a later deploy would too.
            if let Err(e) = self.cfn.set_stack_policy(&stack_id, &policy::protecting_policy()) {
                if e.kind != AwsErrorKind::Unsupported {
                    self.console.line(&format!(
                        "  warning: could not restore the protecting stack policy of {name} ({e}); the next deploy restores it"
                    ));
                }
            }
        }
        match end? {
            WatchEnd::Settled { info, events } => self.finish(stack, kind, info, &events, started),
            WatchEnd::TimedOut { status, events } => Err(CliError::failure(format!(
                "error: stopped waiting after {}: {name} is still {status}; CloudFormation carries on. Follow it with `{}`{}",
                format_duration(self.opts.timeout),
                self.opts.hints.watch,
                failed_list(&events)
            ))),
            WatchEnd::Interrupted { status } => {
                self.left_running = Some(name.to_string());
                Err(CliError::with_code(
                    INTERRUPTED_EXIT,
                    format!(
                        "stopped watching {name} (Ctrl-C twice); it is {status} and CloudFormation carries on without cairn. \
                         Resume watching with `{}`",
                        self.opts.hints.watch
                    ),
                ))
            }
        }
    }

    /// A stack that only exists as an unexecuted review holds no resources: remove it and
    /// create the stack anew. REVIEW_IN_PROGRESS: an earlier CREATE change set that was
    /// never executed (kept if someone else's change set waits there for review).
    /// CREATE_PENDING (moto only, never a CloudFormation stack status): a CreateStack that
    /// failed before creating anything; removed only if its events show no operation began.
    fn clear_review_leftover(&mut self, info: &StackInfo, deadline: Duration) -> CliResult<()> {
        if info.status == "REVIEW_IN_PROGRESS" {
            self.refuse_foreign_change_sets(&info.id, &info.name, None)?;
            self.console.line(&format!(
                "  note: {} is REVIEW_IN_PROGRESS from an earlier change set that was never executed; it holds no resources: deleting it first",
                info.name
            ));
        } else {
            if !self.never_started(&info.id)? {
                return Err(CliError::failure(format!(
                    "error: {} is {} and its events show an operation that started, so it may hold resources; cairn leaves it alone. \
                     Look at it with `{}` and delete it with `{} {}` before deploying again",
                    info.name, info.status, self.opts.hints.status, self.opts.hints.destroy, info.name
                )));
            }
            self.console.line(&format!(
                "  note: {} is {} from an earlier create that failed before creating anything; it holds no resources: deleting it first",
                info.name, info.status
            ));
        }
        self.cfn.delete_stack(&info.id)?;
        self.wait_gone(&info.id, &info.name, deadline)
    }

    /// Whether a stack's events show that no operation ever began on it (none, or only the
    /// review). Events rather than ListStackResources: moto instantiates the template's
    /// resources when a never-created stack's resources are listed.
    fn never_started(&self, stack: &str) -> CliResult<bool> {
        let events = self.cfn.stack_events(stack, None, 50)?;
        Ok(events.iter().all(|e| e.is_stack_event() && e.status == "REVIEW_IN_PROGRESS"))
    }

    /// After a create failed before any resource was created: removes the stack the
    /// failed call left behind (moto's CREATE_PENDING stack, or the REVIEW_IN_PROGRESS
    /// stack of the change set) so that the next deploy can proceed. Returns what to add
    /// to the error. A stack in any other state, or one whose events show that an operation
    /// began, is left alone.
    fn remove_failed_create(&mut self, name: &str) -> String {
        let info = match self.cfn.describe_stack(name) {
            Ok(Some(info)) if matches!(info.status.as_str(), "CREATE_PENDING" | "REVIEW_IN_PROGRESS") => info,
            Ok(Some(info)) => return format!("; {name} is left {} (see `{}`)", info.status, self.opts.hints.status),
            Ok(None) => return "; nothing was created".to_string(),
            Err(_) => return String::new(),
        };
        match self.never_started(&info.id) {
            Ok(true) => {}
            _ => return format!("; {name} is left {} (see `{}`)", info.status, self.opts.hints.status),
        }
        match self.cfn.delete_stack(&info.id) {
            Ok(()) => format!(
                "; the stack was never created, and cairn removed the empty {} stack {name} the attempt left, so the next deploy starts clean",
                info.status
            ),
            Err(e) => format!(
                "; {name} is left {} with no resources and could not be removed ({e}); the next deploy removes it",
                info.status
            ),
        }
    }

    /// DescribeStacks of the stack failed. On moto an HTTP 500 there comes from a stack
    /// whose CreateStack it rejected (left by a cairn before the deletion in
    /// [`Self::remove_stuck_create`]): say so and how to remove it.
    fn undescribable(&self, name: &str, e: crate::aws::AwsError) -> CliError {
        match self.quirks.emulator {
            Some(emulator) if e.kind == AwsErrorKind::Other => CliError::failure(format!(
                "error: {e}. On {emulator} this is a stack whose creation it rejected and never finished (its record names \
                 a resource {emulator} never made): delete it with `{} {name}` or restart {emulator} (`make local-cloud-stop \
                 local-cloud`), then deploy again",
                self.opts.hints.destroy
            )),
            _ => e.into(),
        }
    }

    /// After the emulator's CreateStack failed (create_with_create_stack: moto). moto runs
    /// CreateStack synchronously, so the stack record the failed call made never finishes:
    /// it stays CREATE_IN_PROGRESS (or CREATE_PENDING) with whatever resources were made
    /// before the failure, and after a rejected resource DescribeStacks of it answers HTTP 500
    /// (its outputs name the resource that was never made). The record is this call's
    /// (another run's would have made the call fail with "already exists"): delete it, by
    /// name when it cannot be described, so that the next deploy starts from nothing.
    /// Returns what to add to the error.
    fn remove_stuck_create(&mut self, name: &str, emulator: &str) -> String {
        let target = match self.cfn.describe_stack(name) {
            Ok(None) => return "; nothing was created".to_string(),
            Ok(Some(info)) if matches!(info.status.as_str(), "CREATE_IN_PROGRESS" | "CREATE_PENDING") => info.id,
            Ok(Some(info)) => return format!("; {name} is left {} (see `{}`)", info.status, self.opts.hints.status),
            Err(_) => name.to_string(),
        };
        let deleted = self.cfn.delete_stack(&target);
        let gone = matches!(self.cfn.describe_stack(name), Ok(None));
        match deleted {
            Ok(()) if gone => {
                format!("; {emulator} never finishes a failed create, so cairn deleted the half-created stack {name} the call left")
            }
            // moto's DeleteStack of such a stack can fail re-reading its template, yet drop the record.
            Err(e) if gone => format!(
                "; {emulator} never finishes a failed create, so cairn deleted the half-created stack {name} the call left; \
                 {emulator}'s deletion failed half-way ({e}), so resources it had made for {name} may remain and make the \
                 next create fail with `already exists` until {emulator} is restarted (`make local-cloud-stop local-cloud`)"
            ),
            Ok(()) | Err(_) => format!(
                "; {emulator} left {name} half-created and stuck for good (it never finishes a failed create), and cairn could \
                 not delete it{}: run `{} {name}` or restart {emulator} (`make local-cloud-stop local-cloud`)",
                deleted.err().map(|e| format!(" ({e})")).unwrap_or_default(),
                self.opts.hints.destroy
            ),
        }
    }

    /// `--recreate`: delete a stack whose first creation was rolled back.
    fn delete_before_recreate(&mut self, info: &StackInfo, deadline: Duration) -> CliResult<()> {
        self.console.line(&format!(
            "  {} is {} (its first creation failed); deleting it before creating it again (--recreate)",
            info.name, info.status
        ));
        let until = self.newest_event(&info.id)?;
        self.cfn.delete_stack(&info.id)?;
        match watch(
            self.cfn,
            self.console,
            self.clock,
            Watch {
                stack_name: &info.name,
                stack_id: &info.id,
                until,
                total: 0,
                deadline,
                stop_at_presses: 2,
            },
        )? {
            WatchEnd::Settled { info: None, .. } => Ok(()),
            WatchEnd::Settled { info: Some(i), .. } if i.status == "DELETE_COMPLETE" => Ok(()),
            WatchEnd::Settled { info: Some(i), events } => Err(CliError::failure(format!(
                "error: deleting {} for --recreate ended {}: {}{}",
                info.name,
                i.status,
                i.status_reason.unwrap_or_default(),
                failed_list(&events)
            ))),
            WatchEnd::TimedOut { status, .. } => Err(CliError::failure(format!(
                "error: stopped waiting for the deletion of {} ({status}); follow it with `{}`",
                info.name, self.opts.hints.watch
            ))),
            WatchEnd::Interrupted { status } => Err(CliError::with_code(
                INTERRUPTED_EXIT,
                format!(
                    "stopped watching the deletion of {} ({status}); resume with `{}`",
                    info.name, self.opts.hints.watch
                ),
            )),
        }
    }

    fn wait_gone(&mut self, id: &str, name: &str, deadline: Duration) -> CliResult<()> {
        loop {
            match self.cfn.describe_stack(id)? {
                None => return Ok(()),
                Some(i) if i.status == "DELETE_COMPLETE" => return Ok(()),
                Some(i) if !status::in_progress(&i.status) || i.status == "REVIEW_IN_PROGRESS" => {
                    if i.status != "REVIEW_IN_PROGRESS" {
                        return Err(CliError::failure(format!("error: deleting {name} ended {}", i.status)));
                    }
                }
                Some(_) => {}
            }
            if self.clock.now() >= deadline {
                return Err(CliError::failure(format!(
                    "error: {name} was not deleted in time; see `{}`",
                    self.opts.hints.status
                )));
            }
            if self.clock.interrupts() >= 2 {
                return Err(CliError::with_code(
                    INTERRUPTED_EXIT,
                    format!(
                        "stopped waiting (Ctrl-C twice) for the deletion of the empty stack {name}; CloudFormation carries on: \
                         see `{}`",
                        self.opts.hints.status
                    ),
                ));
            }
            self.clock.sleep(Duration::from_secs(1));
        }
    }

    fn template_source(&mut self, stack: &StackArtifact) -> CliResult<TemplateSource> {
        let body = stack.deploy_body();
        if !self.opts.upload_all && !stack.needs_upload() {
            return Ok(TemplateSource::Body(body));
        }
        let (Some(store), Some(bucket)) = (self.store, self.opts.template_bucket.clone()) else {
            return Err(CliError::failure(format!(
                "error: {} needs a template bucket: pass --template-bucket or run `cairn bootstrap {}`",
                stack.name, self.opts.env
            )));
        };
        let key = template_key(&self.opts.app, &self.opts.env, &stack.name, &body);
        let url = store.upload(&bucket, &key, &body)?;
        self.console
            .line(&format!("  template ({} bytes) uploaded to s3://{bucket}/{key}", body.len()));
        Ok(TemplateSource::Url(url))
    }

    /// Waits until CloudFormation has prepared this run's change set. After a first
    /// Ctrl-C it keeps waiting, so that the change set can be deleted rather than left
    /// half-made; a second Ctrl-C stops the wait and says whether it could be deleted.
    fn wait_change_set(
        &mut self,
        name: &str,
        created: &CreatedChangeSet,
        kind: ChangeSetType,
        deadline: Duration,
    ) -> CliResult<ChangeSetInfo> {
        let mut delay = Duration::from_millis(500);
        let mut said = false;
        loop {
            let cs = self.cfn.describe_change_set(&created.id)?;
            match cs.status.as_str() {
                "CREATE_COMPLETE" | "FAILED" => return Ok(cs),
                s if s.starts_with("DELETE") => {
                    return Err(CliError::failure(format!(
                        "error: the change set {} was deleted ({s}) while cairn waited for it; nothing was changed",
                        created.id
                    )))
                }
                _ => {}
            }
            let presses = self.clock.interrupts();
            if presses >= 2 {
                let gone = self.discard(created, kind);
                return Err(CliError::with_code(
                    INTERRUPTED_EXIT,
                    format!(
                        "stopped waiting (Ctrl-C twice) while CloudFormation prepared {name}'s change set ({}){gone}; nothing was executed",
                        cs.status
                    ),
                ));
            }
            if presses == 1 && !said {
                said = true;
                self.console.line(&format!(
                    "  Ctrl-C: {name}'s change set will not be executed; cairn waits until CloudFormation has prepared it, \
                     deletes it and stops. Press Ctrl-C again to stop waiting"
                ));
            }
            if self.clock.now() >= deadline {
                let gone = self.discard_quietly(created, kind);
                return Err(CliError::failure(format!(
                    "error: the change set was not ready after {}; nothing was changed{gone}",
                    format_duration(self.opts.timeout)
                )));
            }
            self.clock.sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }

    /// Removes what this run's unexecuted change set left: the change set, and for a new
    /// stack the REVIEW_IN_PROGRESS stack it made, unless another change set waits on it.
    /// Says how it went, as the end of a sentence about the change set.
    fn discard(&mut self, created: &CreatedChangeSet, kind: ChangeSetType) -> String {
        let others = self
            .cfn
            .list_change_sets(&created.stack_id)
            .map(|l| l.iter().any(|c| c.id != created.id && pending(c)))
            .unwrap_or(true);
        let whole_stack = kind == ChangeSetType::Create && !others;
        let result = if whole_stack {
            self.cfn.delete_stack(&created.stack_id)
        } else {
            self.cfn.delete_change_set(&created.id)
        };
        match result {
            Ok(()) if whole_stack => ": cairn deleted it and the empty stack it had made".to_string(),
            Ok(()) => ": cairn deleted it".to_string(),
            Err(e) => format!(
                ", which is left ({e}): delete it with `aws cloudformation delete-change-set --change-set-name {}`",
                created.id
            ),
        }
    }

    /// [`Self::discard`] where only a failure is worth saying.
    fn discard_quietly(&mut self, created: &CreatedChangeSet, kind: ChangeSetType) -> String {
        let said = self.discard(created, kind);
        if said.starts_with(": cairn deleted") {
            String::new()
        } else {
            format!("; cairn could not delete its change set{said}")
        }
    }

    /// Refuses when the stack has a change set this run did not make that may still run:
    /// another deploy may be reviewing or executing it. Nothing is executed then; this
    /// run's own change set (`ours`) is deleted. Two runs that made their change sets at
    /// the same moment must not both refuse: once this run has its own, an unexecuted
    /// change set made later by another cairn run (its name sorts after ours: names start
    /// with the time they were made) does not block it. That run made its change set after
    /// ours existed, so its own check sees ours, sorting first, and refuses: exactly one of
    /// them proceeds (given one clock: runs on machines whose clocks differ are still kept
    /// apart by the check that the stack did not move).
    fn refuse_foreign_change_sets(
        &mut self,
        stack_id: &str,
        name: &str,
        ours: Option<(&CreatedChangeSet, ChangeSetType)>,
    ) -> CliResult<()> {
        let ours_id = ours.map(|(o, _)| o.id.clone());
        let later_run = |c: &crate::aws::ChangeSetSummary| {
            ours.is_some()
                && c.name.starts_with(RUN_PREFIX)
                && c.name.as_str() > self.change_set.as_str()
                && c.execution_status != "EXECUTE_IN_PROGRESS"
        };
        let foreign: Vec<crate::aws::ChangeSetSummary> = self
            .cfn
            .list_change_sets(stack_id)?
            .into_iter()
            .filter(|c| pending(c) && Some(&c.id) != ours_id.as_ref() && !later_run(c))
            .collect();
        if foreign.is_empty() {
            return Ok(());
        }
        let listed: Vec<String> = foreign
            .iter()
            .map(|c| format!("{} ({}, {})", c.name, c.status, c.execution_status))
            .collect();
        let delete: Vec<String> = foreign
            .iter()
            .map(|c| {
                format!(
                    "`aws cloudformation delete-change-set --stack-name {name} --change-set-name {}`",
                    c.name
                )
            })
            .collect();
        // Checked before this run looks at the stack's changes: say that it blocks anyway.
        let before_changes = if ours.is_none() {
            format!(" (checked before looking at {name}'s changes: it blocks this deploy even if {name} has none)")
        } else {
            String::new()
        };
        let gone = ours.map(|(o, kind)| self.discard_quietly(o, kind)).unwrap_or_default();
        Err(CliError::failure(format!(
            "error: {name} has a change set this deploy did not make: {}{before_changes}. Another deploy of this environment \
             may be reviewing or executing it, and cairn never executes another run's change set: nothing was changed in \
             {name}{gone}. Wait for that deploy to finish; if the change set is a leftover, delete it ({}) and deploy again",
            listed.join(", "),
            delete.join(", ")
        )))
    }

    /// Just before executing: refuses if the stack moved since this run read it (another
    /// deploy updated it, or is updating it: its status, update time or newest event
    /// changed) or another change set appeared on it.
    fn refuse_concurrent_change(
        &mut self,
        name: &str,
        created: &CreatedChangeSet,
        kind: ChangeSetType,
        read: Option<&StackInfo>,
        last_seen_event: Option<&str>,
    ) -> CliResult<()> {
        let now = self.cfn.describe_stack(&created.stack_id)?;
        let moved = match (kind, &now, read) {
            (_, None, _) => Some("deleted".to_string()),
            (ChangeSetType::Create, Some(i), _) if i.status != "REVIEW_IN_PROGRESS" => Some(i.status.clone()),
            // moto gives each CREATE change set a stack of its own: the name may now
            // resolve to another run's.
            (ChangeSetType::Create, Some(_), _) => match self.cfn.describe_stack(name)? {
                Some(i) if i.id != created.stack_id => Some(format!("{}, another run's stack of that name", i.status)),
                _ => None,
            },
            (ChangeSetType::Update, Some(i), Some(before)) => {
                let operated = self.newest_event(&created.stack_id)?.as_deref() != last_seen_event;
                (i.status != before.status || i.updated != before.updated || operated).then(|| i.status.clone())
            }
            (ChangeSetType::Update, Some(_), None) => None,
        };
        if let Some(status) = moved {
            let gone = self.discard_quietly(created, kind);
            return Err(CliError::failure(format!(
                "error: {name} changed while this deploy prepared its change set (it is now {status}): another deploy of this \
                 environment is running or just ran. Nothing was executed{gone}. Wait for it to finish (`{}`), then deploy again",
                self.opts.hints.watch
            )));
        }
        self.refuse_foreign_change_sets(&created.stack_id, name, Some((created, kind)))
    }

    /// moto: the imports of `stack` its export registry cannot serve (an export an update
    /// added or changed), written as the exporting stacks' current output values
    /// ([`imports`]). `None` when nothing needs writing.
    fn write_unserved_imports(&mut self, stack: &StackArtifact) -> CliResult<Option<StackArtifact>> {
        if !self.quirks.update_with_update_stack {
            return Ok(None);
        }
        let wanted = imports::imported_names(&stack.template);
        if wanted.is_empty() {
            return Ok(None);
        }
        let registry: BTreeMap<String, String> = self.cfn.list_exports()?.into_iter().collect();
        let mut current = BTreeMap::new();
        for producer in &stack.depends_on {
            if let Some(info) = self.cfn.describe_stack(producer)? {
                current.extend(info.outputs.into_iter().filter_map(|o| o.export_name.map(|n| (n, o.value))));
            }
        }
        let values = imports::unserved(&wanted, &registry, &current);
        if values.is_empty() {
            return Ok(None);
        }
        let emulator = self.quirks.emulator.unwrap_or("this endpoint");
        let names: Vec<&str> = values.keys().map(String::as_str).collect();
        self.console.line(&format!(
            "  note: {emulator} registers exports only when a stack is created, so it lacks the current value of {}; \
             cairn writes those values (from the exporting stacks' outputs) into the template of {} it sends",
            names.join(", "),
            stack.name
        ));
        let template = imports::write_values(&stack.template, &values);
        let body = serde_json::to_string_pretty(&template).map_err(|e| CliError::failure(format!("error: {e}")))? + "\n";
        Ok(Some(StackArtifact {
            template,
            body,
            ..stack.clone()
        }))
    }

    fn show_changes(&mut self, cs: &ChangeSetInfo, kind: ChangeSetType, template_diff: &cairn_diff::TemplateDiff) {
        let what = match kind {
            ChangeSetType::Create => "create",
            ChangeSetType::Update => "update",
        };
        if cs.changes.is_empty() {
            self.console
                .line(&format!("  {what}: no resource changes (outputs or stack settings change)"));
            return;
        }
        self.console
            .line(&format!("  {what}: {}", changes::summary(&cs.changes, template_diff)));
        for line in changes::change_lines(&cs.changes, template_diff, self.console.style) {
            self.console.line(&line);
        }
    }

    /// Nothing executes without approval when the environment, a stateful
    /// replacement or removal, or broader access calls for it.
    fn approve(&mut self, name: &str, review: &changes::Review, created: &CreatedChangeSet, kind: ChangeSetType) -> CliResult<()> {
        let mut reasons: Vec<String> = Vec::new();
        if self.opts.require_approval {
            reasons.push(format!("environment `{}` requires approval of every deploy", self.opts.env));
        }
        for s in &review.stateful {
            reasons.push(format!("it {s}"));
        }
        if !review.broadening.is_empty() {
            reasons.push(format!("it broadens IAM or network access ({} grants)", review.broadening.len()));
        }
        if reasons.is_empty() {
            return Ok(());
        }
        self.console.line("  approval needed:");
        for r in &reasons {
            self.console.line(&format!("    - {r}"));
        }
        const SHOWN: usize = 25;
        for b in review.broadening.iter().take(SHOWN) {
            self.console.line(&format!("        {}", self.console.style.yellow(b)));
        }
        if review.broadening.len() > SHOWN {
            self.console
                .line(&format!("        … and {} more", review.broadening.len() - SHOWN));
        }
        if self.opts.approve {
            self.console.line("  approved with --approve");
            return Ok(());
        }
        if !self.opts.interactive {
            let gone = self.discard_quietly(created, kind);
            return Err(CliError::failure(format!(
                "error: {name} needs approval ({}) and there is no terminal to ask on: run it on a terminal, or pass --approve \
                 to approve in advance. Nothing was changed{gone}",
                reasons.join("; ")
            )));
        }
        let answer = self.prompt.ask(&format!("Deploy these changes to {name}? [y/N]"));
        if is_yes(answer.as_deref()) {
            return Ok(());
        }
        if answer.is_none() && self.clock.interrupted() {
            let gone = self.discard(created, kind);
            return Err(CliError::with_code(
                INTERRUPTED_EXIT,
                format!("stopped (Ctrl-C) at the approval of {name}'s change set{gone}; nothing was changed in {name}"),
            ));
        }
        let gone = self.discard_quietly(created, kind);
        Err(CliError::failure(format!("not approved: nothing was changed in {name}{gone}")))
    }

    /// Starts the operation; returns the stack's ARN and the last event before it.
    fn execute(
        &mut self,
        stack: &StackArtifact,
        created: &CreatedChangeSet,
        kind: ChangeSetType,
        template: &TemplateSource,
        rollback: Option<crate::aws::RollbackConfiguration>,
    ) -> CliResult<(String, Option<String>)> {
        if kind == ChangeSetType::Create && self.quirks.create_with_create_stack {
            let emulator = self.quirks.emulator.unwrap_or("this endpoint");
            self.console.line(&format!(
                "  note: {emulator}'s ExecuteChangeSet does not resolve Fn::ImportValue or register exports; \
                 creating {} with CreateStack from the reviewed template",
                stack.name
            ));
            self.cfn.delete_stack(&created.stack_id)?;
            if self.clock.interrupted() {
                return Err(CliError::with_code(
                    INTERRUPTED_EXIT,
                    format!(
                        "stopped (Ctrl-C) before creating {}: its reviewed change set was deleted; nothing was created",
                        stack.name
                    ),
                ));
            }
            let id = match self.cfn.create_stack(&StackRequest {
                stack_name: stack.name.clone(),
                template: template.clone(),
                rollback,
            }) {
                Ok(id) => id,
                // Another run's CreateStack came first (the check before executing cannot
                // close that window on moto): its stack is not this run's to remove.
                Err(e) if stack_exists_error(&e.message, &stack.name) => {
                    return Err(CliError::failure(format!(
                        "error: creating {name} failed: another deploy of this environment created {name} meanwhile ({e}); \
                         nothing was created by this run. Wait for that deploy to finish (`{}`), then deploy again",
                        self.opts.hints.watch,
                        name = stack.name
                    )));
                }
                Err(e) => {
                    // Asked first: deleting the stuck stack may change what moto holds.
                    let recorded = self
                        .leftovers
                        .as_ref()
                        .is_some_and(|l| matches!(l.current(self.cfn, &stack.name), Ok(Some(_))));
                    let cleanup = self.remove_stuck_create(&stack.name, emulator);
                    let why = moto_leftovers(&e.message, emulator, recorded);
                    return Err(CliError::failure(format!(
                        "error: creating {} failed: {e}{cleanup}{why}",
                        stack.name
                    )));
                }
            };
            return Ok((id, None));
        }
        let until = self.newest_event(&created.stack_id)?;
        if kind == ChangeSetType::Update && self.quirks.update_with_update_stack {
            let emulator = self.quirks.emulator.unwrap_or("this endpoint");
            self.console.line(&format!(
                "  note: {emulator}'s ExecuteChangeSet of an update leaves the stack without outputs; \
                 updating {} with UpdateStack from the reviewed template",
                stack.name
            ));
            if self.clock.interrupted() {
                self.cfn.delete_change_set(&created.id)?;
                return Err(CliError::with_code(
                    INTERRUPTED_EXIT,
                    format!(
                        "stopped (Ctrl-C) before updating {}: its reviewed change set was deleted; nothing was changed",
                        stack.name
                    ),
                ));
            }
            // The change set is deleted only after UpdateStack: until then another run sees
            // it and refuses, so that no run slips in between (moto updates synchronously,
            // and afterwards the stack's new events make other runs refuse).
            let updated = self.cfn.update_stack(&StackRequest {
                stack_name: stack.name.clone(),
                template: template.clone(),
                rollback,
            });
            if let Err(e) = self.cfn.delete_change_set(&created.id) {
                self.console.line(&format!(
                    "  warning: could not delete {}'s reviewed change set ({e}); the next deploy refuses it as a leftover: \
                     `aws cloudformation delete-change-set --change-set-name {}`",
                    stack.name, created.id
                ));
            }
            let id = updated.map_err(|e| {
                CliError::failure(format!(
                    "error: updating {} failed: {e}; {emulator} does not roll back, so part of the update may be applied \
                         (see `{}`)",
                    stack.name, self.opts.hints.status
                ))
            })?;
            return Ok((id, until));
        }
        if let Err(e) = self.cfn.execute_change_set(&created.id) {
            let cleanup = match kind {
                ChangeSetType::Create => self.remove_failed_create(&stack.name),
                // Left AVAILABLE, it would look like another run's to the next deploy.
                ChangeSetType::Update => self.discard_quietly(created, kind),
            };
            return Err(CliError::failure(format!("error: {e}{cleanup}")));
        }
        Ok((created.stack_id.clone(), until))
    }

    fn newest_event(&self, stack: &str) -> AwsResult<Option<String>> {
        Ok(self.cfn.stack_events(stack, None, 1)?.into_iter().next().map(|e| e.id))
    }

    /// Turns on termination protection and sets the stack policy (environments that keep data).
    fn protect(&mut self, info: &StackInfo, policy: &str) -> CliResult<()> {
        if !info.termination_protection && !self.protection_unsupported {
            match self.cfn.set_termination_protection(&info.id, true) {
                Ok(()) => self.console.line("  termination protection: on"),
                Err(e) if e.kind == AwsErrorKind::Unsupported => {
                    self.protection_unsupported = true;
                    self.console.line(&format!("  warning: termination protection not set: {e}"));
                }
                Err(e) => return Err(e.into()),
            }
        }
        match self.cfn.set_stack_policy(&info.id, policy) {
            Ok(()) => Ok(()),
            Err(e) if e.kind == AwsErrorKind::Unsupported => {
                self.console.line(&format!("  warning: stack policy not set: {e}"));
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    fn finish(
        &mut self,
        stack: &StackArtifact,
        kind: ChangeSetType,
        info: Option<StackInfo>,
        events: &[StackEvent],
        started: Duration,
    ) -> CliResult<Outcome> {
        let name = stack.name.as_str();
        let Some(info) = info else {
            return Err(CliError::failure(format!("error: {name} disappeared while it was being deployed")));
        };
        let took = format_duration(self.clock.now().saturating_sub(started));
        if status::succeeded(&info.status) {
            if kind == ChangeSetType::Create && self.opts.retain_data {
                self.protect(&info, &policy::protecting_policy())?;
            }
            let done = format!("  {name}: {} in {took}", info.status);
            self.console.line(&self.console.style.green(&done));
            if let Some(ledger) = &self.leftovers {
                if let Err(e) = ledger.clear(name) {
                    self.console
                        .line(&format!("  warning: {}", e.message.trim_start_matches("error: ")));
                }
            }
            self.print_outputs(&info);
            return Ok(Outcome::Deployed);
        }
        let reason = info
            .status_reason
            .as_deref()
            .map(|r| format!(" ({})", crate::aws::error::one_line(r)))
            .unwrap_or_default();
        let verb = if kind == ChangeSetType::Create { "creating" } else { "updating" };
        let what = match info.status.as_str() {
            "ROLLBACK_COMPLETE" => format!(
                "{verb} {name} failed{reason}. Rolled back: yes, CloudFormation deleted what it had created; the stack is now \
                 ROLLBACK_COMPLETE and cannot be updated. Fix the cause, then run `{} --recreate`",
                self.opts.hints.deploy
            ),
            "UPDATE_ROLLBACK_COMPLETE" => format!(
                "{verb} {name} failed{reason}. Rolled back: yes, the stack is back to its previous state (UPDATE_ROLLBACK_COMPLETE)"
            ),
            "ROLLBACK_FAILED" | "UPDATE_ROLLBACK_FAILED" => {
                let next = plan::plan(name, Some(&info), false, &self.opts.hints, self.quirks.emulator)
                    .err()
                    .unwrap_or_default();
                format!("{verb} {name} failed{reason}. Rolled back: no, the rollback failed too. {next}")
            }
            s => format!("{verb} {name} ended {s}{reason}. Rolled back: no (rollback was disabled or did not start)"),
        };
        let fired = rollback_triggers::fired(&self.guarding, &info, events);
        let fired = rollback_triggers::fired_line(&fired).unwrap_or_default();
        Err(CliError::failure(format!("error: {what}{fired}{}", failed_list(events))))
    }

    /// The environment's deployed critical alarms as rollback triggers of `stack`'s
    /// change set, and which alarms guard it printed.
    fn rollback_configuration(&mut self, stack: &str) -> CliResult<Option<crate::aws::RollbackConfiguration>> {
        self.guarding.clear();
        let Some(plan) = &self.rollback else { return Ok(None) };
        let triggers = plan.triggers_for(stack, self.cfn)?;
        for line in triggers.lines() {
            self.console.line(&line);
        }
        self.guarding = triggers.guarding.clone();
        Ok(triggers.configuration())
    }

    fn print_outputs(&mut self, info: &StackInfo) {
        let (plumbing, shown): (Vec<_>, Vec<_>) = info.outputs.iter().partition(|o| o.key.starts_with("ExportsOutput"));
        if shown.is_empty() && plumbing.is_empty() {
            return;
        }
        self.console.line("  outputs:");
        let width = shown.iter().map(|o| o.key.len()).max().unwrap_or(0);
        for o in shown {
            self.console.line(&format!("    {:<width$}  {}", o.key, o.value));
        }
        if !plumbing.is_empty() {
            self.console
                .line(&format!("    (+{} exports for other stacks of this environment)", plumbing.len()));
        }
    }
}

/// "didn't contain changes" (CloudFormation's and moto's words for an empty update).
fn no_changes(reason: &str) -> bool {
    reason.contains("didn't contain changes") || reason.contains("No updates are to be performed")
}

/// `cairn-<milliseconds since 1970>-<8 random hex digits>`: one name per run, so that
/// a change set of another run (or a leftover) is never mistaken for this run's.
fn run_name() -> String {
    let ms = now_ms();
    // RandomState is seeded randomly for each instance.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(ms);
    h.write_u32(std::process::id());
    format!("{:08x}", h.finish() as u32)
}

/// A change set's name: the time it is made (ms, zero-padded, so names sort by creation
/// on one machine's clock), then the run's random part.
fn change_set_name(run: &str) -> String {
    format!("{RUN_PREFIX}{:013}-{run}", now_ms())
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}

/// How every run's change-set name starts; the time in milliseconds follows, zero-padded
/// so that names sort by time.
const RUN_PREFIX: &str = "cairn-";

/// A change set that may still be executed, or is being made: it blocks other runs.
fn pending(c: &crate::aws::ChangeSetSummary) -> bool {
    matches!(c.execution_status.as_str(), "AVAILABLE" | "EXECUTE_IN_PROGRESS")
        || matches!(c.status.as_str(), "CREATE_PENDING" | "CREATE_IN_PROGRESS")
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
