//! Following a stack operation: print each new event as it happens, keep a
//! progress line on a terminal, stop at a settled status, the timeout or Ctrl-C.

use std::collections::BTreeSet;
use std::time::Duration;

use super::clock::{format_duration, Clock};
use super::console::Console;
use crate::aws::cloudformation::status;
use crate::aws::{AwsResult, CloudFormation, StackEvent, StackInfo};
use crate::ui::Style;

/// How often DescribeStacks/DescribeStackEvents are polled.
pub const POLL: Duration = Duration::from_secs(2);

/// What to follow.
pub struct Watch<'a> {
    pub stack_name: &'a str,
    /// The stack's ARN (a name stops resolving once the stack is deleted).
    pub stack_id: &'a str,
    /// The newest event before the operation began; only later ones are shown.
    pub until: Option<String>,
    /// Resources the operation touches (for "N of M").
    pub total: usize,
    /// When to give up, on the clock's scale.
    pub deadline: Duration,
    /// Ctrl-C presses that stop the watching: 1 to stop at once (`status --watch`);
    /// 2 where the first press means "finish this stack, then stop" (deploy, destroy).
    pub stop_at_presses: u32,
}

/// How watching ended.
#[derive(Debug)]
pub enum WatchEnd {
    /// CloudFormation is done; `info` is `None` if the stack is gone.
    Settled { info: Option<StackInfo>, events: Vec<StackEvent> },
    /// The deadline passed while the stack was still in `status`.
    TimedOut { status: String, events: Vec<StackEvent> },
    /// Ctrl-C (`stop_at_presses` times): the operation goes on without us.
    Interrupted { status: String },
}

/// Follows the stack until it settles.
pub fn watch(cfn: &dyn CloudFormation, console: &mut Console, clock: &dyn Clock, w: Watch<'_>) -> AwsResult<WatchEnd> {
    let started = clock.now();
    let mut until = w.until.clone();
    let mut events: Vec<StackEvent> = Vec::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut finishing_said = false;
    loop {
        let info = cfn.describe_stack(w.stack_id)?;
        let current = info.as_ref().map(|i| i.status.clone()).unwrap_or_else(|| "DELETE_COMPLETE".into());
        // Pressed (again) during that call: stop now rather than after one more call (each
        // can take seconds on a slow endpoint), unless the stack is done and worth reporting.
        if !status::settled(&current) && clock.interrupts() >= w.stop_at_presses.max(1) {
            console.clear_progress();
            return Ok(WatchEnd::Interrupted { status: current });
        }
        let mut fresh = cfn.stack_events(w.stack_id, until.as_deref(), 1000)?;
        fresh.reverse();
        for e in &fresh {
            console.line(&event_line(e, console.style));
            if !e.is_stack_event() && status::settled(&e.status) {
                done.insert(e.logical_id.clone());
            }
        }
        if let Some(newest) = fresh.last() {
            until = Some(newest.id.clone());
        }
        events.extend(fresh);
        if status::settled(&current) {
            console.clear_progress();
            return Ok(WatchEnd::Settled { info, events });
        }
        let presses = clock.interrupts();
        if presses >= w.stop_at_presses.max(1) {
            console.clear_progress();
            return Ok(WatchEnd::Interrupted { status: current });
        }
        if presses > 0 && !finishing_said {
            finishing_said = true;
            console.line(&format!(
                "  Ctrl-C: CloudFormation is already changing {} and carries on either way; cairn waits for it to finish, \
                 then stops. Press Ctrl-C again to stop waiting",
                w.stack_name
            ));
        }
        if clock.now() >= w.deadline {
            console.clear_progress();
            return Ok(WatchEnd::TimedOut { status: current, events });
        }
        console.progress(&format!(
            "{}: {} of {} resources done · {} · {}",
            w.stack_name,
            done.len().min(w.total),
            w.total,
            current,
            format_duration(clock.now().saturating_sub(started))
        ));
        clock.sleep(POLL);
    }
}

/// `12:00:03  Orders  AWS::DynamoDB::Table  CREATE_COMPLETE  reason`.
pub fn event_line(e: &StackEvent, style: Style) -> String {
    let status = color_status(&e.status, style);
    let reason = e.reason.as_deref().map(crate::aws::error::one_line).unwrap_or_default();
    let line = format!(
        "  {}  {:<36}  {:<34}  {status}  {reason}",
        e.time.clock(),
        e.logical_id,
        e.resource_type
    );
    line.trim_end().to_string()
}

pub fn color_status(s: &str, style: Style) -> String {
    if status::failed(s) {
        style.red(s)
    } else if s.contains("ROLLBACK") || s.starts_with("DELETE") {
        style.yellow(s)
    } else if s.ends_with("_COMPLETE") {
        style.green(s)
    } else {
        s.to_string()
    }
}
