//! Stacks an earlier attempt left unfinished: an unexecuted review, moto's stuck or
//! pending creations, a first creation rolled back (`--recreate`). Removed when they
//! provably hold nothing, refused otherwise.

use std::time::Duration;

use super::error::{DeployError, DeployResult};
use super::watch::{watch, Watch, WatchEnd};
use super::{failed_list, Deployer};
use crate::aws::cloudformation::status;
use crate::aws::{AwsErrorKind, StackInfo};

impl Deployer<'_> {
    /// A stack that only exists as an unexecuted review holds no resources: remove it and
    /// create the stack anew. REVIEW_IN_PROGRESS: an earlier CREATE change set that was
    /// never executed (kept if someone else's change set waits there for review).
    /// CREATE_PENDING (moto only, never a CloudFormation stack status): a CreateStack that
    /// failed before creating anything; removed only if its events show no operation began.
    pub(super) fn clear_review_leftover(&mut self, info: &StackInfo, deadline: Duration) -> DeployResult<()> {
        if info.status == "REVIEW_IN_PROGRESS" {
            self.refuse_foreign_change_sets(&info.id, &info.name, None)?;
            self.console.line(&format!(
                "  note: {} is REVIEW_IN_PROGRESS from an earlier change set that was never executed; it holds no resources: deleting it first",
                info.name
            ));
        } else {
            if !self.never_started(&info.id)? {
                return Err(DeployError::Failed(format!(
                    "{} is {} and its events show an operation that started, so it may hold resources; cairn leaves it alone. \
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
    fn never_started(&self, stack: &str) -> DeployResult<bool> {
        let events = self.cfn.stack_events(stack, None, 50)?;
        Ok(events.iter().all(|e| e.is_stack_event() && e.status == "REVIEW_IN_PROGRESS"))
    }

    /// After a create failed before any resource was created: removes the stack the
    /// failed call left behind (moto's CREATE_PENDING stack, or the REVIEW_IN_PROGRESS
    /// stack of the change set) so that the next deploy can proceed. Returns what to add
    /// to the error. A stack in any other state, or one whose events show that an operation
    /// began, is left alone.
    pub(super) fn remove_failed_create(&mut self, name: &str) -> String {
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
    pub(super) fn undescribable(&self, name: &str, e: crate::aws::AwsError) -> DeployError {
        match self.quirks.emulator {
            Some(emulator) if e.kind == AwsErrorKind::Other => DeployError::Failed(format!(
                "{e}. On {emulator} this is a stack whose creation it rejected and never finished (its record names \
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
    pub(super) fn remove_stuck_create(&mut self, name: &str, emulator: &str) -> String {
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
    pub(super) fn delete_before_recreate(&mut self, info: &StackInfo, deadline: Duration) -> DeployResult<()> {
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
            WatchEnd::Settled { info: Some(i), events } => Err(DeployError::Failed(format!(
                "deleting {} for --recreate ended {}: {}{}",
                info.name,
                i.status,
                i.status_reason.unwrap_or_default(),
                failed_list(&events)
            ))),
            WatchEnd::TimedOut { status, .. } => Err(DeployError::Failed(format!(
                "stopped waiting for the deletion of {} ({status}); follow it with `{}`",
                info.name, self.opts.hints.watch
            ))),
            WatchEnd::Interrupted { status } => Err(DeployError::Interrupted(format!(
                "stopped watching the deletion of {} ({status}); resume with `{}`",
                info.name, self.opts.hints.watch
            ))),
        }
    }

    fn wait_gone(&mut self, id: &str, name: &str, deadline: Duration) -> DeployResult<()> {
        loop {
            match self.cfn.describe_stack(id)? {
                None => return Ok(()),
                Some(i) if i.status == "DELETE_COMPLETE" => return Ok(()),
                Some(i) if !status::in_progress(&i.status) || i.status == "REVIEW_IN_PROGRESS" => {
                    if i.status != "REVIEW_IN_PROGRESS" {
                        return Err(DeployError::Failed(format!("deleting {name} ended {}", i.status)));
                    }
                }
                Some(_) => {}
            }
            if self.clock.now() >= deadline {
                return Err(DeployError::Failed(format!(
                    "{name} was not deleted in time; see `{}`",
                    self.opts.hints.status
                )));
            }
            if self.clock.interrupts() >= 2 {
                return Err(DeployError::Interrupted(format!(
                    "stopped waiting (Ctrl-C twice) for the deletion of the empty stack {name}; CloudFormation carries on: \
                         see `{}`",
                    self.opts.hints.status
                )));
            }
            self.clock.sleep(Duration::from_secs(1));
        }
    }
}
