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

impl State {
    /// Records a call and runs the hooks that wait for it.
    fn record(&mut self, call: String) {
        self.calls.push(call.clone());
        let mut hooks = std::mem::take(&mut self.hooks);
        for (prefix, f) in hooks.iter_mut() {
            if call.starts_with(prefix.as_str()) {
                f(self);
            }
        }
        hooks.append(&mut self.hooks);
        self.hooks = hooks;
    }

    /// Another run's operation on the live stack `name`: it ends in `status`, with a stack event.
    pub fn set_status(&mut self, name: &str, status: &str) {
        let Some(i) = self.find(name) else { return };
        let id = self.stacks[i].id.clone();
        let event = self.event(&id, name, name, "AWS::CloudFormation::Stack", status, None);
        self.stacks[i].status = status.into();
        self.stacks[i].events.push(event);
    }

    /// See [`FakeCloudFormation::add_foreign_change_set`].
    pub fn add_foreign_change_set(&mut self, stack: &str, name: &str) {
        let Some(i) = self.find(stack) else { return };
        let stack_id = self.stacks[i].id.clone();
        let template = self.stacks[i].template.clone().unwrap_or_default();
        let id = self.next_id("changeSet", name);
        self.change_sets.push(FakeChangeSet {
            id,
            name: name.into(),
            stack_id,
            kind: ChangeSetType::Update,
            template,
            changes: Vec::new(),
            status: "CREATE_COMPLETE".into(),
            status_reason: None,
            execution_status: "AVAILABLE".into(),
            pending_polls: 0,
        });
    }

    fn next_id(&mut self, kind: &str, name: &str) -> String {
        self.seq += 1;
        format!("arn:aws:cloudformation:us-east-1:123456789012:{kind}/{name}/{:04}", self.seq)
    }

    fn event(&mut self, stack_id: &str, _stack: &str, logical: &str, rtype: &str, status: &str, reason: Option<String>) -> StackEvent {
        self.seq += 1;
        let _ = stack_id;
        StackEvent {
            id: format!("ev-{:05}", self.seq),
            time: Time(1_700_000_000_000 + self.seq as i64 * 1000),
            logical_id: logical.into(),
            physical_id: None,
            resource_type: rtype.into(),
            status: status.into(),
            reason,
        }
    }

    /// The stack a name or ARN designates: by ARN any stack, by name only a live one.
    fn find(&self, key: &str) -> Option<usize> {
        if key.starts_with("arn:") {
            return self.stacks.iter().position(|s| s.id == key);
        }
        self.stacks.iter().position(|s| s.name == key && s.status != "DELETE_COMPLETE")
    }

    fn live(&self, name: &str) -> Option<&FakeStack> {
        self.stacks.iter().find(|s| s.name == name && s.status != "DELETE_COMPLETE")
    }

    fn live_mut(&mut self, name: &str) -> Option<&mut FakeStack> {
        self.stacks.iter_mut().find(|s| s.name == name && s.status != "DELETE_COMPLETE")
    }

    /// Applies the next step of a running operation.
    fn advance(&mut self, index: usize) {
        let Some(step) = self.stacks[index].running.pop_front() else {
            return;
        };
        let (id, name) = (self.stacks[index].id.clone(), self.stacks[index].name.clone());
        for (logical, rtype, status, reason) in &step.events {
            let e = self.event(&id, &name, logical, rtype, status, reason.clone());
            self.stacks[index].events.push(e);
        }
        let stack = &mut self.stacks[index];
        stack.status = step.status.clone();
        if stack.running.is_empty() && status::in_progress(&step.status) {
            // Stuck: stays in progress forever.
            stack.running.push_back(Step::new(&step.status));
        }
        if stack.running.is_empty() {
            let ok = status::succeeded(&stack.status);
            if ok {
                if let Some(t) = stack.pending_template.take() {
                    stack.template = Some(t);
                }
                if let Some(o) = self.outputs.get(&name) {
                    self.stacks[index].outputs = o.clone();
                }
            }
            if !status::succeeded(&self.stacks[index].status) {
                self.stacks[index].pending_template = None;
                if self.stacks[index].status == "ROLLBACK_COMPLETE" {
                    // A rolled-back create keeps no resources.
                    self.stacks[index].template = None;
                }
            }
        }
    }

    /// The default run of an operation: resource events, then the final status.
    fn default_run(name: &str, verb: &str, resources: &[(String, String)]) -> Vec<Step> {
        let stack_type = "AWS::CloudFormation::Stack";
        let mut first =
            Step::new(&format!("{verb}_IN_PROGRESS")).event(name, stack_type, &format!("{verb}_IN_PROGRESS"), Some("User Initiated"));
        for (id, t) in resources {
            first = first
                .event(id, t, &format!("{verb}_IN_PROGRESS"), None)
                .event(id, t, &format!("{verb}_COMPLETE"), None);
        }
        vec![
            first,
            Step::new(&format!("{verb}_COMPLETE")).event(name, stack_type, &format!("{verb}_COMPLETE"), None),
        ]
    }
}

/// Resources of a template: logical ID → (type, properties).
fn resources(template: Option<&str>) -> BTreeMap<String, (String, Json)> {
    let parsed: Option<Json> = template.and_then(|t| serde_json::from_str(t).ok());
    parsed
        .as_ref()
        .and_then(|t| t.get("Resources"))
        .and_then(Json::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        (
                            v.get("Type").and_then(Json::as_str).unwrap_or_default().to_string(),
                            v.get("Properties").cloned().unwrap_or(Json::Null),
                        ),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Add/Modify/Remove between two templates (no replacement info, like moto).
fn diff(old: Option<&str>, new: &str) -> Vec<ResourceChange> {
    let (a, b) = (resources(old), resources(Some(new)));
    let mut out = Vec::new();
    for (id, (t, props)) in &b {
        match a.get(id) {
            None => out.push(change("Add", id, t)),
            Some((_, old_props)) if old_props != props => out.push(change("Modify", id, t)),
            _ => {}
        }
    }
    for (id, (t, _)) in &a {
        if !b.contains_key(id) {
            out.push(change("Remove", id, t));
        }
    }
    out
}

fn change(action: &str, id: &str, t: &str) -> ResourceChange {
    ResourceChange {
        action: action.into(),
        logical_id: id.into(),
        resource_type: t.into(),
        ..Default::default()
    }
}

impl CloudFormation for FakeCloudFormation {
    fn describe_stack(&self, stack: &str) -> AwsResult<Option<StackInfo>> {
        self.log(format!("DescribeStacks {stack}"));
        let mut s = self.state.borrow_mut();
        let Some(i) = s.find(stack) else { return Ok(None) };
        if s.stacks[i].describe_fails {
            return Err(AwsError::new(
                AwsErrorKind::Other,
                "DescribeStacks: the endpoint failed (HTTP 500): http://127.0.0.1:5000 answered with no AWS error",
            ));
        }
        s.advance(i);
        let st = &s.stacks[i];
        Ok(Some(StackInfo {
            name: st.name.clone(),
            id: st.id.clone(),
            status: st.status.clone(),
            status_reason: st.status_reason.clone(),
            termination_protection: st.termination_protection,
            created: None,
            updated: None,
            outputs: st.outputs.clone(),
        }))
    }

    fn get_template(&self, stack: &str) -> AwsResult<Option<String>> {
        self.log(format!("GetTemplate {stack}"));
        let s = self.state.borrow();
        Ok(s.find(stack).and_then(|i| s.stacks[i].template.clone()))
    }

    fn list_stack_resources(&self, stack: &str) -> AwsResult<Vec<StackResource>> {
        let s = self.state.borrow();
        let i = s
            .find(stack)
            .ok_or_else(|| validation(format!("Stack with id {stack} does not exist")))?;
        Ok(resources(s.stacks[i].template.as_deref())
            .into_iter()
            .map(|(id, (t, _))| StackResource {
                logical_id: id,
                resource_type: t,
                status: "CREATE_COMPLETE".into(),
                ..Default::default()
            })
            .collect())
    }

    fn stack_events(&self, stack: &str, until: Option<&str>, limit: usize) -> AwsResult<Vec<StackEvent>> {
        self.log(format!("DescribeStackEvents {stack}"));
        let s = self.state.borrow();
        let i = s.find(stack).ok_or_else(|| validation(format!("Stack [{stack}] does not exist")))?;
        Ok(s.stacks[i]
            .events
            .iter()
            .rev()
            .take_while(|e| Some(e.id.as_str()) != until)
            .take(limit)
            .cloned()
            .collect())
    }

    fn list_change_sets(&self, stack: &str) -> AwsResult<Vec<ChangeSetSummary>> {
        let s = self.state.borrow();
        let i = s.find(stack).ok_or_else(|| validation(format!("Stack [{stack}] does not exist")))?;
        let id = s.stacks[i].id.clone();
        Ok(s.change_sets
            .iter()
            .filter(|c| c.stack_id == id)
            .map(|c| ChangeSetSummary {
                id: c.id.clone(),
                name: c.name.clone(),
                stack_id: c.stack_id.clone(),
                status: c.status.clone(),
                execution_status: c.execution_status.clone(),
            })
            .collect())
    }

    fn create_change_set(&self, r: &ChangeSetRequest) -> AwsResult<CreatedChangeSet> {
        self.log(format!("CreateChangeSet {} {}", r.stack_name, r.change_set_type.as_str()));
        let mut s = self.state.borrow_mut();
        s.change_set_requests.push(r.clone());
        let template = match &r.template {
            TemplateSource::Body(b) => b.clone(),
            TemplateSource::Url(u) => s
                .urls
                .get(u)
                .cloned()
                .ok_or_else(|| validation(format!("TemplateURL must reference a valid S3 object: {u}")))?,
        };
        let index = match (r.change_set_type, s.find(&r.stack_name)) {
            (ChangeSetType::Update, None) => return Err(validation(format!("Stack [{}] does not exist", r.stack_name))),
            (ChangeSetType::Update, Some(i)) => i,
            (ChangeSetType::Create, Some(i)) if s.stacks[i].status == "REVIEW_IN_PROGRESS" => i,
            (ChangeSetType::Create, Some(_)) => return Err(validation(format!("Stack [{}] already exists", r.stack_name))),
            (ChangeSetType::Create, None) => {
                let id = s.next_id("stack", &r.stack_name);
                let ev = s.event(
                    &id,
                    &r.stack_name,
                    &r.stack_name,
                    "AWS::CloudFormation::Stack",
                    "REVIEW_IN_PROGRESS",
                    Some("User Initiated".into()),
                );
                s.stacks.push(FakeStack {
                    id,
                    name: r.stack_name.clone(),
                    status: "REVIEW_IN_PROGRESS".into(),
                    events: vec![ev],
                    ..Default::default()
                });
                s.stacks.len() - 1
            }
        };
        let stack_id = s.stacks[index].id.clone();
        let changes = match s.scripted_changes.get_mut(&r.stack_name).and_then(VecDeque::pop_front) {
            Some(c) => c,
            None => diff(s.stacks[index].template.as_deref(), &template),
        };
        let empty = r.change_set_type == ChangeSetType::Update && changes.is_empty();
        let id = s.next_id("changeSet", &r.change_set_name);
        let pending = s.change_set_pending_polls;
        s.change_sets.push(FakeChangeSet {
            id: id.clone(),
            name: r.change_set_name.clone(),
            stack_id: stack_id.clone(),
            kind: r.change_set_type,
            template,
            changes,
            status: if empty { "FAILED".into() } else { "CREATE_COMPLETE".into() },
            status_reason: empty.then(|| {
                "The submitted information didn't contain changes. Submit different information to create a change set.".to_string()
            }),
            execution_status: if empty { "UNAVAILABLE".into() } else { "AVAILABLE".into() },
            pending_polls: pending,
        });
        Ok(CreatedChangeSet { id, stack_id })
    }

    fn describe_change_set(&self, change_set_id: &str) -> AwsResult<ChangeSetInfo> {
        let mut s = self.state.borrow_mut();
        let cs = s
            .change_sets
            .iter_mut()
            .find(|c| c.id == change_set_id)
            .ok_or_else(|| validation(format!("ChangeSet [{change_set_id}] does not exist")))?;
        let status = if cs.pending_polls > 0 {
            cs.pending_polls -= 1;
            "CREATE_PENDING".to_string()
        } else {
            cs.status.clone()
        };
        Ok(ChangeSetInfo {
            id: cs.id.clone(),
            stack_id: cs.stack_id.clone(),
            status,
            status_reason: cs.status_reason.clone(),
            execution_status: cs.execution_status.clone(),
            changes: cs.changes.clone(),
        })
    }

    fn execute_change_set(&self, change_set_id: &str) -> AwsResult<()> {
        let mut s = self.state.borrow_mut();
        let ci = s
            .change_sets
            .iter()
            .position(|c| c.id == change_set_id)
            .ok_or_else(|| validation(format!("ChangeSet [{change_set_id}] does not exist")))?;
        if s.change_sets[ci].execution_status != "AVAILABLE" {
            return Err(validation(format!(
                "ChangeSet [{change_set_id}] cannot be executed in its current status"
            )));
        }
        if let Some(message) = s.execute_error.take() {
            return Err(validation(message));
        }
        s.change_sets[ci].execution_status = "EXECUTE_COMPLETE".into();
        let cs = s.change_sets[ci].clone();
        let i = s.find(&cs.stack_id).ok_or_else(|| validation("stack gone".into()))?;
        let name = s.stacks[i].name.clone();
        s.record(format!("ExecuteChangeSet {name}"));
        let verb = if cs.kind == ChangeSetType::Create { "CREATE" } else { "UPDATE" };
        let touched: Vec<(String, String)> = cs.changes.iter().map(|c| (c.logical_id.clone(), c.resource_type.clone())).collect();
        let run = match s.scripted_runs.get_mut(&name).and_then(VecDeque::pop_front) {
            Some(r) => r,
            None => State::default_run(&name, verb, &touched),
        };
        let stack = &mut s.stacks[i];
        stack.pending_template = Some(cs.template);
        stack.running = run.into();
        // The delete of changed sets after execution, as CloudFormation does.
        s.change_sets.retain(|c| c.stack_id != cs.stack_id || c.id == cs.id);
        Ok(())
    }

    fn delete_change_set(&self, change_set_id: &str) -> AwsResult<()> {
        self.log("DeleteChangeSet".into());
        let mut s = self.state.borrow_mut();
        if s.change_sets.iter().any(|c| c.id == change_set_id && c.pending_polls > 0) {
            // As CloudFormation: a change set still being made cannot be deleted.
            return Err(validation(format!(
                "InvalidChangeSetStatus: ChangeSet [{change_set_id}] cannot be deleted in its current status CREATE_PENDING"
            )));
        }
        let before = s.change_sets.len();
        s.change_sets.retain(|c| c.id != change_set_id);
        if s.change_sets.len() == before {
            return Err(validation(format!("ChangeSet [{change_set_id}] does not exist")));
        }
        Ok(())
    }

    fn create_stack(&self, r: &StackRequest) -> AwsResult<String> {
        self.log(format!("CreateStack {}", r.stack_name));
        let mut s = self.state.borrow_mut();
        if s.find(&r.stack_name).is_some() {
            return Err(validation(format!("Stack [{}] already exists", r.stack_name)));
        }
        let template = match &r.template {
            TemplateSource::Body(b) => b.clone(),
            TemplateSource::Url(u) => s.urls.get(u).cloned().unwrap_or_default(),
        };
        let id = s.next_id("stack", &r.stack_name);
        if let Some(message) = s.create_stack_error.take() {
            s.stacks.push(FakeStack {
                id,
                name: r.stack_name.clone(),
                status: "CREATE_PENDING".into(),
                ..Default::default()
            });
            return Err(validation(message));
        }
        if let Some((message, describe_fails)) = s.create_stack_stuck.take() {
            s.stacks.push(FakeStack {
                id,
                name: r.stack_name.clone(),
                status: "CREATE_IN_PROGRESS".into(),
                describe_fails,
                stuck: true,
                ..Default::default()
            });
            return Err(validation(message));
        }
        let touched: Vec<(String, String)> = resources(Some(&template)).into_iter().map(|(k, (t, _))| (k, t)).collect();
        let run = match s.scripted_runs.get_mut(&r.stack_name).and_then(VecDeque::pop_front) {
            Some(run) => run,
            None => State::default_run(&r.stack_name, "CREATE", &touched),
        };
        s.stacks.push(FakeStack {
            id: id.clone(),
            name: r.stack_name.clone(),
            status: "CREATE_IN_PROGRESS".into(),
            pending_template: Some(template),
            running: run.into(),
            ..Default::default()
        });
        Ok(id)
    }

    fn update_stack(&self, r: &StackRequest) -> AwsResult<String> {
        self.log(format!("UpdateStack {}", r.stack_name));
        let mut s = self.state.borrow_mut();
        if let Some(message) = s.execute_error.take() {
            return Err(validation(message));
        }
        let i = s
            .find(&r.stack_name)
            .ok_or_else(|| validation(format!("Stack [{}] does not exist", r.stack_name)))?;
        let template = match &r.template {
            TemplateSource::Body(b) => b.clone(),
            TemplateSource::Url(u) => s.urls.get(u).cloned().unwrap_or_default(),
        };
        let touched: Vec<(String, String)> = diff(s.stacks[i].template.as_deref(), &template)
            .into_iter()
            .map(|c| (c.logical_id, c.resource_type))
            .collect();
        let name = s.stacks[i].name.clone();
        let run = match s.scripted_runs.get_mut(&name).and_then(VecDeque::pop_front) {
            Some(run) => run,
            None => State::default_run(&name, "UPDATE", &touched),
        };
        let stack = &mut s.stacks[i];
        stack.pending_template = Some(template);
        stack.running = run.into();
        Ok(stack.id.clone())
    }

    fn list_exports(&self) -> AwsResult<Vec<(String, String)>> {
        Ok(self.state.borrow().registry.clone().into_iter().collect())
    }

    fn delete_stack(&self, stack: &str) -> AwsResult<()> {
        let mut s = self.state.borrow_mut();
        let Some(i) = s.find(stack) else { return Ok(()) };
        let name = s.stacks[i].name.clone();
        s.record(format!("DeleteStack {name}"));
        if s.stacks[i].termination_protection {
            return Err(validation(format!(
                "Stack [{name}] cannot be deleted while TerminationProtection is enabled"
            )));
        }
        let id = s.stacks[i].id.clone();
        if let Some(message) = s.delete_drops_record_error.take() {
            // moto: the name no longer resolves; the id answers DELETE_COMPLETE.
            s.stacks[i].status = "DELETE_COMPLETE".into();
            return Err(AwsError::new(AwsErrorKind::Other, format!("DeleteStack failed: {message}")));
        }
        s.change_sets.retain(|c| c.stack_id != id);
        if s.stacks[i].stuck || matches!(s.stacks[i].status.as_str(), "REVIEW_IN_PROGRESS" | "CREATE_PENDING") {
            s.stacks[i].status = "DELETE_COMPLETE".into();
            return Ok(());
        }
        let touched: Vec<(String, String)> = resources(s.stacks[i].template.as_deref())
            .into_iter()
            .map(|(k, (t, _))| (k, t))
            .collect();
        let run = match s.scripted_runs.get_mut(&name).and_then(VecDeque::pop_front) {
            Some(run) => run,
            None => State::default_run(&name, "DELETE", &touched),
        };
        s.stacks[i].running = run.into();
        Ok(())
    }

    fn set_termination_protection(&self, stack: &str, enabled: bool) -> AwsResult<()> {
        self.log(format!("UpdateTerminationProtection {stack} {enabled}"));
        self.check_supported("UpdateTerminationProtection")?;
        let mut s = self.state.borrow_mut();
        let i = s.find(stack).ok_or_else(|| validation(format!("Stack [{stack}] does not exist")))?;
        s.stacks[i].termination_protection = enabled;
        Ok(())
    }

    fn set_stack_policy(&self, stack: &str, policy_body: &str) -> AwsResult<()> {
        self.log(format!("SetStackPolicy {stack}"));
        self.check_supported("SetStackPolicy")?;
        let mut s = self.state.borrow_mut();
        let i = s.find(stack).ok_or_else(|| validation(format!("Stack [{stack}] does not exist")))?;
        s.stacks[i].policy = Some(policy_body.to_string());
        Ok(())
    }

    fn get_stack_policy(&self, stack: &str) -> AwsResult<Option<String>> {
        let s = self.state.borrow();
        let i = s.find(stack).ok_or_else(|| validation(format!("Stack [{stack}] does not exist")))?;
        Ok(s.stacks[i].policy.clone())
    }
}

/// A template bucket for the fake: uploads become URLs the fake serves.
pub struct FakeStore<'a> {
    pub cfn: &'a FakeCloudFormation,
    pub buckets: Vec<String>,
}

impl TemplateStore for FakeStore<'_> {
    fn bucket_exists(&self, bucket: &str) -> AwsResult<bool> {
        Ok(self.buckets.iter().any(|b| b == bucket))
    }

    fn upload(&self, bucket: &str, key: &str, body: &str) -> AwsResult<String> {
        let url = super::templates::template_url(bucket, key, "us-east-1", false);
        let mut s = self.cfn.state.borrow_mut();
        s.record(format!("PutObject s3://{bucket}/{key}"));
        s.urls.insert(url.clone(), body.to_string());
        Ok(url)
    }
}
