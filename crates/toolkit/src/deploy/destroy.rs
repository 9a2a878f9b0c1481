//! Deleting stacks (`cairn destroy`): reverse dependency order, one at a time,
//! following the events like a deploy.

use std::time::Duration;

use super::clock::{format_duration, Clock};
use super::console::Console;
use super::plan::Hints;
use super::watch::{watch, Watch, WatchEnd};
use super::{failed_list, INTERRUPTED_EXIT};
use crate::aws::cloudformation::status;
use crate::aws::CloudFormation;
use crate::error::{CliError, CliResult};

pub struct Destroyer<'a> {
    pub cfn: &'a dyn CloudFormation,
    pub console: &'a mut Console,
    pub clock: &'a dyn Clock,
    /// Turn termination protection off first.
    pub force: bool,
    pub timeout: Duration,
    pub hints: Hints,
}

impl Destroyer<'_> {
    /// Deletes the named stacks in the order given (callers pass reverse deploy order).
    /// Returns how many were deleted; stops at the first failure.
    pub fn destroy(&mut self, names: &[&str]) -> CliResult<usize> {
        let mut deleted = 0;
        for (i, name) in names.iter().enumerate() {
            let header = format!("{name} ({} of {})", i + 1, names.len());
            self.console.line(&self.console.style.bold(&header));
            match self.destroy_stack(name) {
                Ok(true) => deleted += 1,
                Ok(false) => {}
                Err(mut e) => {
                    let rest = &names[i + 1..];
                    if !rest.is_empty() {
                        e.message
                            .push_str(&format!("\nnot deleted (stopped at the first failure): {}", rest.join(", ")));
                    }
                    return Err(e);
                }
            }
        }
        Ok(deleted)
    }

    /// Deletes one stack; `false` if it was not deployed.
    pub fn destroy_stack(&mut self, name: &str) -> CliResult<bool> {
        let started = self.clock.now();
        let Some(info) = self.cfn.describe_stack(name)? else {
            self.console.line("  not deployed");
            return Ok(false);
        };
        if status::in_progress(&info.status) && info.status != "REVIEW_IN_PROGRESS" {
            return Err(CliError::failure(format!(
                "error: {name} is {}: another operation is running. Wait for it (`{}`), then destroy again",
                info.status, self.hints.watch
            )));
        }
        if info.termination_protection {
            if !self.force {
                return Err(CliError::failure(format!(
                    "error: {name} has termination protection; it is only removed with `{} --force` (and a typed confirmation)",
                    self.hints.destroy
                )));
            }
            self.cfn.set_termination_protection(&info.id, false)?;
            self.console.line("  termination protection: off (--force)");
        }
        let total = self.cfn.list_stack_resources(&info.id)?.len();
        let until = self.cfn.stack_events(&info.id, None, 1)?.into_iter().next().map(|e| e.id);
        self.cfn.delete_stack(&info.id)?;
        let end = watch(
            self.cfn,
            self.console,
            self.clock,
            Watch {
                stack_name: name,
                stack_id: &info.id,
                until,
                total,
                deadline: started + self.timeout,
            },
        )?;
        match end {
            WatchEnd::Settled { info: None, .. } => {}
            WatchEnd::Settled { info: Some(i), .. } if i.status == "DELETE_COMPLETE" => {}
            WatchEnd::Settled { info: Some(i), events } => {
                return Err(CliError::failure(format!(
                    "error: deleting {name} ended {}{}. Remove or fix what blocks it (resources with data, exports still imported \
                     by other stacks), then run `{}` again{}",
                    i.status,
                    i.status_reason
                        .map(|r| format!(" ({})", crate::aws::error::one_line(&r)))
                        .unwrap_or_default(),
                    self.hints.destroy,
                    failed_list(&events)
                )))
            }
            WatchEnd::TimedOut { status, events } => {
                return Err(CliError::failure(format!(
                    "error: stopped waiting after {}: {name} is still {status}; follow it with `{}`{}",
                    format_duration(self.timeout),
                    self.hints.watch,
                    failed_list(&events)
                )))
            }
            WatchEnd::Interrupted { status } => {
                return Err(CliError::with_code(
                    INTERRUPTED_EXIT,
                    format!(
                        "stopped watching {name} (Ctrl-C); it is {status} and CloudFormation carries on. Resume watching with `{}`",
                        self.hints.watch
                    ),
                ))
            }
        }
        let took = format_duration(self.clock.now().saturating_sub(started));
        let line = format!("  {name}: deleted in {took}");
        self.console.line(&self.console.style.green(&line));
        Ok(true)
    }
}
