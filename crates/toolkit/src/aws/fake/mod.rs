//! A scripted CloudFormation for tests: keeps stacks, change sets and events in
//! memory and plays what moto cannot: asynchronous operations, per-resource
//! events, failures, rollbacks, replacement flags, stacks stuck in progress.
//!
//! By default an execution succeeds over two polls (IN_PROGRESS with resource
//! events, then COMPLETE). Tests script other runs with [`FakeCloudFormation::script_run`]
//! and the changes of the next change set with [`FakeCloudFormation::script_changes`].

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

use serde_json::Value as Json;

use super::cloudformation::*;
use super::error::{AwsError, AwsErrorKind, AwsResult};
use super::templates::TemplateStore;

mod api;
mod state;
mod store;

pub use store::FakeStore;

/// One poll's worth of progress: the stack's status after it and the events it adds.
#[derive(Debug, Clone)]
pub struct Step {
    pub status: String,
    /// (logical ID, type, status, reason); the stack's own events use the stack name and type `AWS::CloudFormation::Stack`.
    pub events: Vec<(String, String, String, Option<String>)>,
}

impl Step {
    pub fn new(status: &str) -> Self {
        Step {
            status: status.into(),
            events: Vec::new(),
        }
    }

    /// Adds a resource event.
    pub fn event(mut self, logical_id: &str, resource_type: &str, status: &str, reason: Option<&str>) -> Self {
        self.events
            .push((logical_id.into(), resource_type.into(), status.into(), reason.map(str::to_string)));
        self
    }
}

#[derive(Debug, Clone, Default)]
struct FakeStack {
    id: String,
    name: String,
    status: String,
    status_reason: Option<String>,
    template: Option<String>,
    /// The template an execution in progress applies when it succeeds.
    pending_template: Option<String>,
    events: Vec<StackEvent>,
    outputs: Vec<StackOutput>,
    termination_protection: bool,
    policy: Option<String>,
    running: VecDeque<Step>,
    /// DescribeStacks of this stack answers HTTP 500 (moto, after a CreateStack it
    /// rejected: the record's outputs name a resource it never made).
    describe_fails: bool,
    /// Left by a failed CreateStack on moto: DeleteStack removes it at once.
    stuck: bool,
}

#[derive(Debug, Clone)]
struct FakeChangeSet {
    id: String,
    name: String,
    stack_id: String,
    kind: ChangeSetType,
    template: String,
    changes: Vec<ResourceChange>,
    status: String,
    status_reason: Option<String>,
    execution_status: String,
    pending_polls: u32,
}

/// Something that happens when a call is made (another deploy acting, Ctrl-C pressed).
type Hook = (String, Box<dyn FnMut(&mut State)>);

#[derive(Default)]
pub struct State {
    stacks: Vec<FakeStack>,
    /// Run by [`State::record`] for each call starting with their prefix.
    hooks: Vec<Hook>,
    /// The region's export registry as ListExports reports it (name → value).
    pub registry: BTreeMap<String, String>,
    change_sets: Vec<FakeChangeSet>,
    /// Every call, e.g. `ExecuteChangeSet shop-dev-data`.
    pub calls: Vec<String>,
    /// Every CreateChangeSet request, as sent.
    pub change_set_requests: Vec<ChangeSetRequest>,
    scripted_changes: HashMap<String, VecDeque<Vec<ResourceChange>>>,
    scripted_runs: HashMap<String, VecDeque<Vec<Step>>>,
    /// Outputs a successful execution sets, per stack name.
    outputs: HashMap<String, Vec<StackOutput>>,
    /// Polls a new change set stays CREATE_PENDING.
    pub change_set_pending_polls: u32,
    /// The next CreateStack fails with this message the way moto's does when export names
    /// collide: the stack is left CREATE_PENDING, without events or resources.
    pub create_stack_error: Option<String>,
    /// The next CreateStack fails with this message the way moto's does when a resource
    /// fails (a 4xx rejection, or HTTP 500 when moto crashes): the stack is left
    /// CREATE_IN_PROGRESS for good; with `true`, DescribeStacks of it answers HTTP 500.
    pub create_stack_stuck: Option<(String, bool)>,
    /// The next ExecuteChangeSet or UpdateStack is refused with this message (nothing runs).
    pub execute_error: Option<String>,
    /// The next DeleteStack fails with this message yet drops the stack's record, as
    /// moto's does when it cannot delete a VPC (DependencyViolation).
    pub delete_drops_record_error: Option<String>,
    /// Operations that answer "not supported by this endpoint".
    pub unsupported: Vec<&'static str>,
    /// Templates served from S3 URLs.
    urls: HashMap<String, String>,
    seq: u64,
}

/// The fake. Single-threaded, like the deploy code.
#[derive(Default)]
pub struct FakeCloudFormation {
    pub state: RefCell<State>,
}

fn validation(message: String) -> AwsError {
    AwsError::new(AwsErrorKind::Validation, format!("AWS rejected the call: {message}"))
}

impl FakeCloudFormation {
    pub fn new() -> Self {
        Self::default()
    }

    /// A stack that exists already, in `status`, with `template`.
    pub fn add_stack(&self, name: &str, status: &str, template: &Json) {
        let mut s = self.state.borrow_mut();
        let id = s.next_id("stack", name);
        let ev = s.event(&id, name, name, "AWS::CloudFormation::Stack", status, None);
        s.stacks.push(FakeStack {
            id,
            name: name.into(),
            status: status.into(),
            template: Some(template.to_string()),
            events: vec![ev],
            ..Default::default()
        });
    }

    /// The template body of the newest change set (as sent).
    pub fn last_change_set_template(&self) -> Option<String> {
        self.state.borrow().change_sets.last().map(|c| c.template.clone())
    }

    /// Forgets the events of the live stack `name` (moto's CREATE_PENDING stacks have none).
    pub fn clear_events(&self, name: &str) {
        if let Some(s) = self.state.borrow_mut().live_mut(name) {
            s.events.clear();
        }
    }

    pub fn set_termination_protection_flag(&self, name: &str, on: bool) {
        if let Some(s) = self.state.borrow_mut().live_mut(name) {
            s.termination_protection = on;
        }
    }

    /// The changes the next change set of `stack` reports (instead of computed ones).
    pub fn script_changes(&self, stack: &str, changes: Vec<ResourceChange>) {
        self.state
            .borrow_mut()
            .scripted_changes
            .entry(stack.into())
            .or_default()
            .push_back(changes);
    }

    /// How the next execution (or deletion) of `stack` unfolds, one step per DescribeStacks.
    /// If the last step is still in progress the stack stays there forever.
    pub fn script_run(&self, stack: &str, steps: Vec<Step>) {
        self.state
            .borrow_mut()
            .scripted_runs
            .entry(stack.into())
            .or_default()
            .push_back(steps);
    }

    /// Outputs the stack has after its next successful execution.
    pub fn set_outputs(&self, stack: &str, outputs: &[(&str, &str)]) {
        self.state.borrow_mut().outputs.insert(
            stack.into(),
            outputs
                .iter()
                .map(|(k, v)| StackOutput {
                    key: k.to_string(),
                    value: v.to_string(),
                    ..Default::default()
                })
                .collect(),
        );
    }

    /// Outputs of the live stack `stack` (one added with [`FakeCloudFormation::add_stack`]).
    pub fn set_live_outputs(&self, stack: &str, outputs: &[(&str, &str)]) {
        if let Some(s) = self.state.borrow_mut().live_mut(stack) {
            s.outputs = outputs
                .iter()
                .map(|(k, v)| StackOutput {
                    key: k.to_string(),
                    value: v.to_string(),
                    ..Default::default()
                })
                .collect();
        }
    }

    /// Runs `f` on the state whenever a call starting with `prefix` is made
    /// (e.g. `CreateChangeSet shop-dev-data`), after recording it.
    pub fn on_call(&self, prefix: &str, f: impl FnMut(&mut State) + 'static) {
        self.state.borrow_mut().hooks.push((prefix.to_string(), Box::new(f)));
    }

    /// Ctrl-C is pressed (on `presses`, a `FakeClock`'s) while a call starting with `prefix` runs.
    pub fn ctrl_c_during(&self, prefix: &str, presses: &Rc<Cell<u32>>) {
        let presses = presses.clone();
        self.on_call(prefix, move |_| presses.set(presses.get() + 1));
    }

    /// A change set another run made on the live stack `stack`, waiting (AVAILABLE).
    pub fn add_foreign_change_set(&self, stack: &str, name: &str) {
        self.state.borrow_mut().add_foreign_change_set(stack, name);
    }

    /// Outputs of the live stack `stack` that export: (key, export name, value).
    pub fn set_live_exports(&self, stack: &str, exports: &[(&str, &str, &str)]) {
        if let Some(s) = self.state.borrow_mut().live_mut(stack) {
            s.outputs = exports
                .iter()
                .map(|(k, name, v)| StackOutput {
                    key: k.to_string(),
                    value: v.to_string(),
                    export_name: Some(name.to_string()),
                    ..Default::default()
                })
                .collect();
        }
    }

    pub fn calls(&self) -> Vec<String> {
        self.state.borrow().calls.clone()
    }

    /// Status of the live stack named `name`, if any.
    pub fn status_of(&self, name: &str) -> Option<String> {
        self.state.borrow().live(name).map(|s| s.status.clone())
    }

    pub fn template_of(&self, name: &str) -> Option<String> {
        self.state.borrow().live(name).and_then(|s| s.template.clone())
    }

    pub fn policy_of(&self, name: &str) -> Option<String> {
        self.state.borrow().live(name).and_then(|s| s.policy.clone())
    }

    pub fn protected(&self, name: &str) -> bool {
        self.state.borrow().live(name).is_some_and(|s| s.termination_protection)
    }

    fn log(&self, call: String) {
        self.state.borrow_mut().record(call);
    }

    fn check_supported(&self, op: &'static str) -> AwsResult<()> {
        if self.state.borrow().unsupported.contains(&op) {
            return Err(AwsError::new(
                AwsErrorKind::Unsupported,
                format!("{op} is not supported by moto (http://127.0.0.1:1 answered HTTP 500: it does not implement {op})"),
            ));
        }
        Ok(())
    }
}
