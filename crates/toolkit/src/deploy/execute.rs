//! Executing a reviewed change set, and the emulator's ways around its gaps (moto:
//! CreateStack or UpdateStack from the reviewed template, import values it cannot serve).

use std::collections::BTreeMap;

use cairn_core::StackArtifact;

use super::error::{DeployError, DeployResult};
use super::{imports, Deployer};
use crate::aws::{AwsResult, ChangeSetType, CreatedChangeSet, StackRequest, TemplateSource};

impl Deployer<'_> {
    /// Starts the operation; returns the stack's ARN and the last event before it.
    pub(super) fn execute(
        &mut self,
        stack: &StackArtifact,
        created: &CreatedChangeSet,
        kind: ChangeSetType,
        template: &TemplateSource,
        rollback: Option<crate::aws::RollbackConfiguration>,
    ) -> DeployResult<(String, Option<String>)> {
        if kind == ChangeSetType::Create && self.quirks.create_with_create_stack {
            let emulator = self.quirks.emulator.unwrap_or("this endpoint");
            self.console.line(&format!(
                "  note: {emulator}'s ExecuteChangeSet does not resolve Fn::ImportValue or register exports; \
                 creating {} with CreateStack from the reviewed template",
                stack.name
            ));
            self.cfn.delete_stack(&created.stack_id)?;
            if self.clock.interrupted() {
                return Err(DeployError::Interrupted(format!(
                    "stopped (Ctrl-C) before creating {}: its reviewed change set was deleted; nothing was created",
                    stack.name
                )));
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
                    return Err(DeployError::Failed(format!(
                        "creating {name} failed: another deploy of this environment created {name} meanwhile ({e}); \
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
                    // As sent: on moto the keys go without their tags, and then this is not the cause.
                    let kms = if has_tagged_kms_key(&self.quirks.as_sent(&stack.template)) {
                        format!(
                            ". {emulator} cannot create an AWS::KMS::Key that has tags (a bug in its CloudFormation support, not in the \
                             template): to try this environment on the local cloud, set `customer_managed_key = false` in the \
                             [encryption] table of its file (AWS-managed keys)"
                        )
                    } else {
                        String::new()
                    };
                    return Err(DeployError::Failed(format!(
                        "creating {} failed: {e}{cleanup}{why}{kms}",
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
                return Err(DeployError::Interrupted(format!(
                    "stopped (Ctrl-C) before updating {}: its reviewed change set was deleted; nothing was changed",
                    stack.name
                )));
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
                DeployError::Failed(format!(
                    "updating {} failed: {e}; {emulator} does not roll back, so part of the update may be applied \
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
            return Err(DeployError::Failed(format!("{e}{cleanup}")));
        }
        Ok((created.stack_id.clone(), until))
    }

    pub(super) fn newest_event(&self, stack: &str) -> AwsResult<Option<String>> {
        Ok(self.cfn.stack_events(stack, None, 1)?.into_iter().next().map(|e| e.id))
    }

    /// moto: the imports of `stack` its export registry cannot serve (an export an update
    /// added or changed), written as the exporting stacks' current output values
    /// ([`imports`]). `None` when nothing needs writing.
    pub(super) fn write_unserved_imports(&mut self, stack: &StackArtifact) -> DeployResult<Option<StackArtifact>> {
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
        let body = serde_json::to_string_pretty(&template).map_err(|e| DeployError::Failed(e.to_string()))? + "\n";
        Ok(Some(StackArtifact {
            template,
            body,
            ..stack.clone()
        }))
    }
}

/// Whether CreateStack failed because a stack of that name exists (AWS: `Stack [name]
/// already exists`; moto: `Stack name already exists`), not over a resource that does.
pub(super) fn stack_exists_error(message: &str, name: &str) -> bool {
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

/// Whether `template` has a KMS key with tags (moto 5 fails to create one).
fn has_tagged_kms_key(template: &serde_json::Value) -> bool {
    template["Resources"].as_object().is_some_and(|r| {
        r.values()
            .any(|r| r["Type"] == "AWS::KMS::Key" && r["Properties"].get("Tags").is_some())
    })
}
