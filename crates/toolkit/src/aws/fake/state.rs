//! The fake's bookkeeping: calls and their hooks, stacks, events, and the changes between two templates.

use super::*;

impl State {
    /// Records a call and runs the hooks that wait for it.
    pub(super) fn record(&mut self, call: String) {
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

    pub(super) fn next_id(&mut self, kind: &str, name: &str) -> String {
        self.seq += 1;
        format!("arn:aws:cloudformation:us-east-1:123456789012:{kind}/{name}/{:04}", self.seq)
    }

    pub(super) fn event(
        &mut self,
        stack_id: &str,
        _stack: &str,
        logical: &str,
        rtype: &str,
        status: &str,
        reason: Option<String>,
    ) -> StackEvent {
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
    pub(super) fn find(&self, key: &str) -> Option<usize> {
        if key.starts_with("arn:") {
            return self.stacks.iter().position(|s| s.id == key);
        }
        self.stacks.iter().position(|s| s.name == key && s.status != "DELETE_COMPLETE")
    }

    pub(super) fn live(&self, name: &str) -> Option<&FakeStack> {
        self.stacks.iter().find(|s| s.name == name && s.status != "DELETE_COMPLETE")
    }

    pub(super) fn live_mut(&mut self, name: &str) -> Option<&mut FakeStack> {
        self.stacks.iter_mut().find(|s| s.name == name && s.status != "DELETE_COMPLETE")
    }

    /// Applies the next step of a running operation.
    pub(super) fn advance(&mut self, index: usize) {
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
    pub(super) fn default_run(name: &str, verb: &str, resources: &[(String, String)]) -> Vec<Step> {
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
pub(super) fn resources(template: Option<&str>) -> BTreeMap<String, (String, Json)> {
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
pub(super) fn diff(old: Option<&str>, new: &str) -> Vec<ResourceChange> {
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

pub(super) fn change(action: &str, id: &str, t: &str) -> ResourceChange {
    ResourceChange {
        action: action.into(),
        logical_id: id.into(),
        resource_type: t.into(),
        ..Default::default()
    }
}
