//! The CloudFormation calls the deploy code makes, played on the fake's state.

use super::state::{diff, resources};
use super::*;

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
