//! One stack, start to end: its plan, the change set, the review of its changes and
//! approval, execution, following the events, and the outcome (outputs, or every
//! failed resource and whether CloudFormation rolled back).

use cairn_core::ui::Columns;
use std::time::Duration;

use cairn_core::StackArtifact;

use super::change_set::change_set_name;
use super::clock::format_duration;
use super::console::is_yes;
use super::error::{DeployError, DeployResult};
use super::plan::{self, Plan};
use super::watch::{watch, Watch, WatchEnd};
use super::{changes, failed_list, policy, rollback_triggers, Deployer, Outcome};
use crate::aws::cloudformation::status;
use crate::aws::{AwsErrorKind, ChangeSetInfo, ChangeSetRequest, ChangeSetType, CreatedChangeSet, StackEvent, StackInfo};

impl Deployer<'_> {
    /// One stack, start to end.
    pub fn deploy_stack(&mut self, stack: &StackArtifact) -> DeployResult<Outcome> {
        let started = self.clock.now();
        let deadline = started + self.opts.timeout;
        let name = stack.name.as_str();
        let current = self.cfn.describe_stack(name).map_err(|e| self.undescribable(name, e))?;
        let plan = plan::plan(name, current.as_ref(), self.opts.recreate, &self.opts.hints, self.quirks.emulator)
            .map_err(|m| DeployError::Failed(m.to_string()))?;
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
            return Err(DeployError::Interrupted(format!(
                "stopped (Ctrl-C) before {name}'s change set was made: nothing was changed in {name}"
            )));
        }
        let kind = if existing.is_some() {
            ChangeSetType::Update
        } else {
            ChangeSetType::Create
        };
        let served = self.write_unserved_imports(stack)?;
        let stack = served.as_ref().unwrap_or(stack);
        let (old_template, old_record) = match &existing {
            Some(info) => match self.cfn.get_template(&info.id)?.and_then(|b| serde_json::from_str(&b).ok()) {
                Some(t) => {
                    let (t, r) = super::record::split(t);
                    (Some(t), r)
                }
                None => (None, None),
            },
            None => (None, None),
        };
        // Unchanged templates keep the record they have: it names the synthesis that last
        // changed the stack, and a new one alone would be a change (see `record`).
        let keep = old_record.filter(|_| old_template.as_ref() == Some(&*self.quirks.as_sent(&stack.template)));
        let template = self.template_source(stack, keep.as_ref())?;

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
            return Err(DeployError::Interrupted(format!(
                "stopped (Ctrl-C) before executing {name}'s change set{gone}; nothing was changed in {name}"
            )));
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
            return Err(DeployError::Failed(format!(
                "CloudFormation could not make a change set for {name}: {}; nothing was changed{gone}",
                crate::aws::error::one_line(&reason)
            )));
        }

        let template_diff = changes::template_diff(old_template.as_ref(), &stack.template);
        self.show_changes(&cs, kind, &template_diff);
        let review = changes::review(&cs.changes, &template_diff);
        if self.opts.retain_data && review.stateful_certain && !self.opts.allow_replace {
            let gone = self.discard_quietly(&created, kind);
            return Err(DeployError::Failed(format!(
                "the change set for {name} {}; environment `{}` keeps data and its stack policy forbids replacing or \
                 deleting stateful resources. Nothing was changed. If this is intended and the data is backed up, run `{} --allow-replace`{gone}",
                review.stateful.join(", "),
                self.opts.env,
                self.opts.hints.deploy
            )));
        }
        self.approve(name, &review, &created, kind)?;
        if self.clock.interrupted() {
            let gone = self.discard(&created, kind);
            return Err(DeployError::Interrupted(format!(
                "stopped (Ctrl-C) before executing {name}'s change set{gone}; nothing was changed in {name}"
            )));
        }
        self.back_up(name, &cs.changes, old_template.as_ref(), &created, kind, deadline)?;
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
            WatchEnd::TimedOut { status, events } => Err(DeployError::Failed(format!(
                "stopped waiting after {}: {name} is still {status}; CloudFormation carries on. Follow it with `{}`{}",
                format_duration(self.opts.timeout),
                self.opts.hints.watch,
                failed_list(&events)
            ))),
            WatchEnd::Interrupted { status } => {
                self.left_running = Some(name.to_string());
                Err(DeployError::Interrupted(format!(
                    "stopped watching {name} (Ctrl-C twice); it is {status} and CloudFormation carries on without cairn. \
                         Resume watching with `{}`",
                    self.opts.hints.watch
                )))
            }
        }
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
    fn approve(&mut self, name: &str, review: &changes::Review, created: &CreatedChangeSet, kind: ChangeSetType) -> DeployResult<()> {
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
            return Err(DeployError::Failed(format!(
                "{name} needs approval ({}) and there is no terminal to ask on: run it on a terminal, or pass --approve \
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
            return Err(DeployError::Interrupted(format!(
                "stopped (Ctrl-C) at the approval of {name}'s change set{gone}; nothing was changed in {name}"
            )));
        }
        let gone = self.discard_quietly(created, kind);
        Err(DeployError::Declined(format!("not approved: nothing was changed in {name}{gone}")))
    }

    /// Turns on termination protection and sets the stack policy (environments that keep data).
    fn protect(&mut self, info: &StackInfo, policy: &str) -> DeployResult<()> {
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
    ) -> DeployResult<Outcome> {
        let name = stack.name.as_str();
        let Some(info) = info else {
            return Err(DeployError::Failed(format!("{name} disappeared while it was being deployed")));
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
                    self.console.line(&format!("  warning: {e}"));
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
        Err(DeployError::Failed(format!("{what}{fired}{}", failed_list(events))))
    }

    /// The environment's deployed critical alarms as rollback triggers of `stack`'s
    /// change set, and which alarms guard it printed.
    fn rollback_configuration(&mut self, stack: &str) -> DeployResult<Option<crate::aws::RollbackConfiguration>> {
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
        let keys: Vec<[String; 1]> = shown.iter().map(|o| [o.key.clone()]).collect();
        let columns = Columns::fit("    ", keys.iter().map(|k| &k[..]));
        for o in shown {
            self.console
                .line(&columns.line(&[o.key.clone(), o.value.clone()], &|_, c| c.to_string()));
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
