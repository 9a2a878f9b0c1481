//! Deleting stacks (`cairn destroy`): reverse dependency order, one at a time,
//! following the events like a deploy.

use std::time::Duration;

use super::clock::{format_duration, Clock};
use super::console::Console;
use super::error::{DeployError, DeployResult};
use super::failed_list;
use super::interrupt::Stopped;
use super::leftovers::Ledger;
use super::plan::Hints;
use super::resume::ResumeCommand;
use super::watch::{watch, Watch, WatchEnd};
use crate::aws::cloudformation::status;
use crate::aws::{AwsError, AwsErrorKind, CloudFormation, Emulator, StackInfo, StackResource};

/// What moto 5.2 keeps of a network stack whose VPC it cannot delete (measured: its NAT
/// gateway's network interface stays in the VPC, so the VPC's DeleteVpc fails with
/// DependencyViolation and these stay with it, the internet gateway still attached).
const MOTO_KEEPS_WITH_THE_VPC: [&str; 8] = [
    "AWS::EC2::VPC",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::NatGateway",
    "AWS::EC2::EIP",
    "AWS::EC2::RouteTable",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::FlowLog",
];

/// Not a resource of the stack: the NAT gateway's network interface moto keeps in the VPC.
const MOTO_KEEPS_OUTSIDE_THE_STACK: &str = "the NAT gateway's network interface";

/// What moto 5.2 keeps of a stack it reports deleted (measured on the example's data stack:
/// the security group of its RDS instance stays in the VPC).
fn moto_keeps_after_deleting(resources: &[StackResource]) -> Vec<String> {
    if !resources.iter().any(|r| r.resource_type == "AWS::RDS::DBInstance") {
        return Vec::new();
    }
    named(resources, &["AWS::EC2::SecurityGroup"])
}

/// `AWS::EC2::VPC vpc-1`, one per resource of the given types, in the types' order.
fn named(resources: &[StackResource], types: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for t in types {
        for r in resources.iter().filter(|r| r.resource_type == *t) {
            out.push(format!("{t} {}", r.physical_id.as_deref().unwrap_or(&r.logical_id)));
        }
    }
    out
}

pub struct Destroyer<'a> {
    pub cfn: &'a dyn CloudFormation,
    pub console: &'a mut Console,
    pub clock: &'a dyn Clock,
    /// Turn termination protection off first.
    pub force: bool,
    pub timeout: Duration,
    pub hints: Hints,
    /// The run's command line, for the resume hint after Ctrl-C.
    pub resume: ResumeCommand,
    /// The emulator behind the endpoint, to explain its failures.
    pub emulator: Option<Emulator>,
    /// Where to record what the emulator keeps of deleted stacks (for `status`).
    pub leftovers: Option<Ledger>,
}

impl Destroyer<'_> {
    /// Deletes the named stacks in the order given (callers pass reverse deploy order).
    /// Returns how many were deleted; stops at the first failure. Ctrl-C stops it after
    /// the current stack (exit code 130), saying which stacks were deleted and which not.
    pub fn destroy(&mut self, names: &[&str]) -> DeployResult<usize> {
        let mut deleted = 0;
        let mut gone: Vec<&str> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            if self.clock.interrupted() {
                let what = format!("stopped (Ctrl-C) before {name}: it was not touched");
                return Err(self.stopped(what, &gone, None, &names[i..]));
            }
            let header = format!("{name} ({} of {})", i + 1, names.len());
            self.console.line(&self.console.style.bold(&header));
            match self.destroy_stack(name) {
                Ok(true) => {
                    deleted += 1;
                    gone.push(name);
                }
                Ok(false) => gone.push(name),
                Err(DeployError::Interrupted(what)) => {
                    let running = what.starts_with("stopped watching").then_some(*name);
                    return Err(self.stopped(what, &gone, running, &names[i..]));
                }
                Err(e) => {
                    let rest = &names[i + 1..];
                    if !rest.is_empty() {
                        return Err(e.noted(format!(
                            "\nnot deleted (stopped at the first failure): {name} (the error above), {}",
                            rest.join(", ")
                        )));
                    }
                    return Err(e);
                }
            }
        }
        if self.clock.interrupted() {
            return Err(self.stopped(String::new(), &gone, None, &[]));
        }
        Ok(deleted)
    }

    fn stopped(&self, what: String, gone: &[&str], running: Option<&str>, rest: &[&str]) -> DeployError {
        Stopped {
            what,
            done_word: "deleted",
            resume: self.resume.for_rest(rest, !gone.is_empty()),
            done: gone.iter().map(|n| n.to_string()).collect(),
            running,
            not_done: rest.iter().copied().filter(|n| Some(*n) != running).collect(),
        }
        .into_error(&self.hints)
    }

    /// DeleteStack failed. moto can fail it half-way yet drop the stack's record (it
    /// deletes what it can, then DeleteVpc fails with DependencyViolation), so `status`
    /// would show the stack as not deployed while resources remain: say which and why.
    fn delete_failed(&mut self, name: &str, info: &StackInfo, resources: &[StackResource], e: AwsError) -> DeployError {
        let still_there = match self.cfn.describe_stack(&info.id) {
            Ok(None) => false,
            Ok(Some(i)) => i.status != "DELETE_COMPLETE",
            Err(_) => true,
        };
        if still_there {
            return DeployError::Failed(format!("deleting {name} failed: {e}"));
        }
        let (kept, why) = match self.emulator {
            Some(Emulator::Moto) => (
                self.record_kept(info, named(resources, &MOTO_KEEPS_WITH_THE_VPC), true),
                "a moto limitation: it cannot delete a VPC whose NAT gateway it created (the gateway's network interface \
                 stays in it), yet drops the stack's record and keeps its exports registered, so deploying the stack again \
                 fails with `Export names must be unique` until moto is restarted",
            ),
            _ => (
                "some of its resources".to_string(),
                "the endpoint dropped the stack's record although the deletion failed",
            ),
        };
        DeployError::Failed(format!(
            "deleting {name} failed: {}. The endpoint no longer lists {name}, so `{}` shows it as not deployed, but \
             resources are left behind: {kept} ({why}). Restart the local endpoint to clear them (`make local-cloud-stop \
             local-cloud`)",
            e.message.trim_end_matches('.'),
            self.hints.status
        ))
    }

    /// moto answers DescribeStacks of a stack whose CreateStack it rejected with HTTP 500
    /// (the record's outputs name a resource it never made), yet DeleteStack by name
    /// removes it: delete it, and say so.
    fn delete_undescribable(&mut self, name: &str, e: AwsError) -> DeployResult<bool> {
        self.console.line(&format!(
            "  note: moto cannot describe {name} ({e}): a stack whose creation it rejected and never finished; deleting it by name"
        ));
        self.cfn.delete_stack(name).map_err(|d| {
            DeployError::Failed(format!(
                "deleting {name} failed: {d}. moto keeps a broken record of it; restart moto to clear it \
                 (`make local-cloud-stop local-cloud`)"
            ))
        })?;
        match self.cfn.describe_stack(name) {
            Ok(None) => {
                let line = format!("  {name}: deleted");
                self.console.line(&self.console.style.green(&line));
                Ok(true)
            }
            _ => Err(DeployError::Failed(format!(
                "{name} is still listed after DeleteStack; restart moto to clear it (`make local-cloud-stop local-cloud`)"
            ))),
        }
    }

    /// Deletes one stack; `false` if it was not deployed.
    pub fn destroy_stack(&mut self, name: &str) -> DeployResult<bool> {
        let started = self.clock.now();
        let info = match self.cfn.describe_stack(name) {
            Ok(Some(info)) => info,
            Ok(None) => {
                self.console.line("  not deployed");
                return Ok(false);
            }
            Err(e) if self.emulator == Some(Emulator::Moto) && e.kind == AwsErrorKind::Other => {
                return self.delete_undescribable(name, e);
            }
            Err(e) => return Err(e.into()),
        };
        let stuck = self.emulator == Some(Emulator::Moto);
        if stuck && status::in_progress(&info.status) {
            // moto finishes operations within their call: in progress there is stuck.
            self.console.line(&format!(
                "  note: {name} is {}, left stuck by an earlier call moto failed (moto never finishes it): deleting it",
                info.status
            ));
        } else if status::in_progress(&info.status) && info.status != "REVIEW_IN_PROGRESS" {
            return Err(DeployError::Failed(format!(
                "{name} is {}: another operation is running. Wait for it (`{}`), then destroy again",
                info.status, self.hints.watch
            )));
        }
        if info.termination_protection {
            if !self.force {
                return Err(DeployError::Failed(format!(
                    "{name} has termination protection; it is only removed with `{} --force` (and a typed confirmation)",
                    self.hints.destroy
                )));
            }
            self.cfn.set_termination_protection(&info.id, false)?;
            self.console.line("  termination protection: off (--force)");
        }
        // moto may fail to list a stuck stack's resources (the rejected one): none then.
        let resources = match self.cfn.list_stack_resources(&info.id) {
            Err(_) if stuck && status::in_progress(&info.status) => Vec::new(),
            listed => listed?,
        };
        let until = self.cfn.stack_events(&info.id, None, 1)?.into_iter().next().map(|e| e.id);
        if let Err(e) = self.cfn.delete_stack(&info.id) {
            return Err(self.delete_failed(name, &info, &resources, e));
        }
        let end = watch(
            self.cfn,
            self.console,
            self.clock,
            Watch {
                stack_name: name,
                stack_id: &info.id,
                until,
                total: resources.len(),
                deadline: started + self.timeout,
                stop_at_presses: 2,
            },
        )?;
        match end {
            WatchEnd::Settled { info: None, .. } => {}
            WatchEnd::Settled { info: Some(i), .. } if i.status == "DELETE_COMPLETE" => {}
            WatchEnd::Settled { info: Some(i), events } => {
                return Err(DeployError::Failed(format!(
                    "deleting {name} ended {}{}. Remove or fix what blocks it (resources with data, exports still imported \
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
                return Err(DeployError::Failed(format!(
                    "stopped waiting after {}: {name} is still {status}; follow it with `{}`{}",
                    format_duration(self.timeout),
                    self.hints.watch,
                    failed_list(&events)
                )))
            }
            WatchEnd::Interrupted { status } => {
                return Err(DeployError::Interrupted(format!(
                    "stopped watching {name} (Ctrl-C twice); it is {status} and CloudFormation carries on. Resume watching with `{}`",
                    self.hints.watch
                )))
            }
        }
        let took = format_duration(self.clock.now().saturating_sub(started));
        let line = format!("  {name}: deleted in {took}");
        self.console.line(&self.console.style.green(&line));
        if self.emulator == Some(Emulator::Moto) {
            let kept = moto_keeps_after_deleting(&resources);
            if !kept.is_empty() {
                let kept = self.record_kept(&info, kept, false);
                self.console.line(&format!(
                    "  note: moto keeps {kept} of {name} (a moto limitation); `{}` lists it until moto is restarted \
                     (`make local-cloud-stop local-cloud`)",
                    self.hints.status
                ));
            }
        }
        Ok(true)
    }

    /// Records what moto kept of `name` for `status`, and returns it as a list for a
    /// message (`with_interface`: the NAT gateway's network interface stays too). A
    /// failure to record is said, not fatal: the stack is deleted either way.
    fn record_kept(&mut self, info: &StackInfo, mut kept: Vec<String>, with_interface: bool) -> String {
        if with_interface {
            kept.push(MOTO_KEEPS_OUTSIDE_THE_STACK.to_string());
        }
        let list = if kept.is_empty() {
            "some of its resources".to_string()
        } else {
            kept.join(", ")
        };
        if let Some(ledger) = &self.leftovers {
            let exports = info
                .outputs
                .iter()
                .filter_map(|o| o.export_name.clone().map(|n| (n, o.value.clone())))
                .collect();
            if let Err(e) = ledger.record(&info.name, &info.id, kept, exports) {
                self.console.line(&format!("  warning: {e}"));
            }
        }
        list
    }
}
