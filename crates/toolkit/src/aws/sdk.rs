//! [`CloudFormation`] on the real SDK client: each call blocks on cairn's runtime.

use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cloudformation::types::{Capability, ChangeSetType as SdkChangeSetType, RequiresRecreation};
use aws_sdk_cloudformation::Client;
use tokio::runtime::Runtime;

use super::cloudformation::*;
use super::error::{from_sdk, AwsError, AwsResult, Target};

/// The SDK's CloudFormation client behind cairn's trait.
#[derive(Clone)]
pub struct SdkCloudFormation {
    client: Client,
    /// The same client without retries, for calls that change something on an emulator.
    single_attempt: Client,
    runtime: &'static Runtime,
    target: Target,
}

impl SdkCloudFormation {
    pub fn new(client: Client, runtime: &'static Runtime, target: Target) -> Self {
        let single_attempt = Client::from_conf(
            client
                .config()
                .to_builder()
                .retry_config(aws_smithy_types::retry::RetryConfig::disabled())
                .build(),
        );
        SdkCloudFormation {
            client,
            single_attempt,
            runtime,
            target,
        }
    }

    /// The client for a call that creates or changes something (deletions are safe to
    /// repeat and keep the retries). The SDK retries an HTTP 500; when an emulator crashed
    /// half-way through (moto keeps the stack a failed CreateStack made), the retry fails
    /// differently ("already exists") and hides the real failure, so against an emulator
    /// such calls are made once.
    fn changing(&self) -> &Client {
        if self.target.emulator().is_some() {
            &self.single_attempt
        } else {
            &self.client
        }
    }

    /// The SDK client, for calls the trait does not cover (drift detection…).
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn err<E>(&self, op: &str, e: &SdkError<E>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        from_sdk("CloudFormation", op, &self.target, e)
    }
}

/// CloudFormation's answer for an unknown stack: `ValidationError` "Stack with id X does not exist".
fn stack_missing<E: ProvideErrorMetadata>(e: &SdkError<E>) -> bool {
    e.as_service_error()
        .is_some_and(|s| s.code() == Some("ValidationError") && s.message().is_some_and(|m| m.contains("does not exist")))
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<Time> {
    t.and_then(|d| d.to_millis().ok()).map(Time)
}

/// The stack name, capabilities, template and rollback configuration of a
/// [`StackRequest`] on a CreateStack or UpdateStack call (two builder types, the same setters).
macro_rules! with_stack_request {
    ($call:expr, $request:expr) => {{
        let request: &StackRequest = $request;
        let call = $call.stack_name(&request.stack_name).set_capabilities(Some(capabilities()));
        let call = match &request.template {
            TemplateSource::Body(b) => call.template_body(b),
            TemplateSource::Url(u) => call.template_url(u),
        };
        call.set_rollback_configuration(request.rollback.as_ref().map(rollback_configuration))
    }};
}

fn capabilities() -> Vec<Capability> {
    CAPABILITIES.iter().map(|c| Capability::from(*c)).collect()
}

impl CloudFormation for SdkCloudFormation {
    fn describe_stack(&self, stack: &str) -> AwsResult<Option<StackInfo>> {
        let out = match self.runtime.block_on(self.client.describe_stacks().stack_name(stack).send()) {
            Ok(o) => o,
            Err(e) if stack_missing(&e) => return Ok(None),
            Err(e) => return Err(self.err("DescribeStacks", &e)),
        };
        Ok(out.stacks().first().map(|s| StackInfo {
            name: s.stack_name().unwrap_or(stack).to_string(),
            id: s.stack_id().unwrap_or_default().to_string(),
            status: s.stack_status().map(|x| x.as_str().to_string()).unwrap_or_default(),
            status_reason: s.stack_status_reason().map(str::to_string),
            termination_protection: s.enable_termination_protection().unwrap_or(false),
            created: time(s.creation_time()),
            updated: time(s.last_updated_time()),
            outputs: s
                .outputs()
                .iter()
                .map(|o| StackOutput {
                    key: o.output_key().unwrap_or_default().to_string(),
                    value: o.output_value().unwrap_or_default().to_string(),
                    description: o.description().map(str::to_string),
                    export_name: o.export_name().map(str::to_string),
                })
                .collect(),
        }))
    }

    fn get_template(&self, stack: &str) -> AwsResult<Option<String>> {
        match self.runtime.block_on(
            self.client
                .get_template()
                .stack_name(stack)
                .template_stage(aws_sdk_cloudformation::types::TemplateStage::Original)
                .send(),
        ) {
            Ok(o) => Ok(o.template_body().map(str::to_string)),
            Err(e) if stack_missing(&e) => Ok(None),
            Err(e) => Err(self.err("GetTemplate", &e)),
        }
    }

    fn list_stack_resources(&self, stack: &str) -> AwsResult<Vec<StackResource>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .runtime
                .block_on(
                    self.client
                        .list_stack_resources()
                        .stack_name(stack)
                        .set_next_token(token.take())
                        .send(),
                )
                .map_err(|e| self.err("ListStackResources", &e))?;
            out.extend(page.stack_resource_summaries().iter().map(|r| StackResource {
                logical_id: r.logical_resource_id().unwrap_or_default().to_string(),
                physical_id: r.physical_resource_id().map(str::to_string),
                resource_type: r.resource_type().unwrap_or_default().to_string(),
                status: r.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                status_reason: r.resource_status_reason().map(str::to_string),
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    fn stack_events(&self, stack: &str, until: Option<&str>, limit: usize) -> AwsResult<Vec<StackEvent>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .runtime
                .block_on(
                    self.client
                        .describe_stack_events()
                        .stack_name(stack)
                        .set_next_token(token.take())
                        .send(),
                )
                .map_err(|e| self.err("DescribeStackEvents", &e))?;
            for e in page.stack_events() {
                let id = e.event_id().unwrap_or_default();
                if Some(id) == until || out.len() >= limit {
                    return Ok(out);
                }
                out.push(StackEvent {
                    id: id.to_string(),
                    time: time(e.timestamp()).unwrap_or_default(),
                    logical_id: e.logical_resource_id().unwrap_or_default().to_string(),
                    physical_id: e.physical_resource_id().map(str::to_string),
                    resource_type: e.resource_type().unwrap_or_default().to_string(),
                    status: e.resource_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    reason: e.resource_status_reason().map(str::to_string),
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    fn list_change_sets(&self, stack: &str) -> AwsResult<Vec<ChangeSetSummary>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .runtime
                .block_on(self.client.list_change_sets().stack_name(stack).set_next_token(token.take()).send())
                .map_err(|e| self.err("ListChangeSets", &e))?;
            // moto lists every stack's change sets whatever StackName says.
            let own = |s: &&aws_sdk_cloudformation::types::ChangeSetSummary| {
                s.stack_id() == Some(stack) || (!stack.starts_with("arn:") && s.stack_name() == Some(stack))
            };
            out.extend(page.summaries().iter().filter(own).map(|s| ChangeSetSummary {
                id: s.change_set_id().unwrap_or_default().to_string(),
                name: s.change_set_name().unwrap_or_default().to_string(),
                stack_id: s.stack_id().unwrap_or_default().to_string(),
                status: s.status().map(|x| x.as_str().to_string()).unwrap_or_default(),
                execution_status: s.execution_status().map(|x| x.as_str().to_string()).unwrap_or_default(),
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    fn create_change_set(&self, request: &ChangeSetRequest) -> AwsResult<CreatedChangeSet> {
        let kind = match request.change_set_type {
            ChangeSetType::Create => SdkChangeSetType::Create,
            ChangeSetType::Update => SdkChangeSetType::Update,
        };
        let mut call = self
            .changing()
            .create_change_set()
            .stack_name(&request.stack_name)
            .change_set_name(&request.change_set_name)
            .change_set_type(kind)
            .set_capabilities(Some(capabilities()))
            .set_description(request.description.clone());
        call = match &request.template {
            TemplateSource::Body(b) => call.template_body(b),
            TemplateSource::Url(u) => call.template_url(u),
        };
        call = call.set_rollback_configuration(request.rollback.as_ref().map(rollback_configuration));
        let out = self.runtime.block_on(call.send()).map_err(|e| self.err("CreateChangeSet", &e))?;
        Ok(CreatedChangeSet {
            id: out.id().unwrap_or_default().to_string(),
            stack_id: out.stack_id().unwrap_or_default().to_string(),
        })
    }

    fn describe_change_set(&self, change_set_id: &str) -> AwsResult<ChangeSetInfo> {
        let mut info = ChangeSetInfo::default();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .runtime
                .block_on(
                    self.client
                        .describe_change_set()
                        .change_set_name(change_set_id)
                        .set_next_token(token.take())
                        .send(),
                )
                .map_err(|e| self.err("DescribeChangeSet", &e))?;
            info.id = page.change_set_id().unwrap_or(change_set_id).to_string();
            info.stack_id = page.stack_id().unwrap_or_default().to_string();
            info.status = page.status().map(|s| s.as_str().to_string()).unwrap_or_default();
            info.status_reason = page.status_reason().map(str::to_string);
            info.execution_status = page.execution_status().map(|s| s.as_str().to_string()).unwrap_or_default();
            for change in page.changes() {
                let Some(rc) = change.resource_change() else { continue };
                let replacing_properties = rc
                    .details()
                    .iter()
                    .filter_map(|d| d.target())
                    .filter(|t| {
                        matches!(
                            t.requires_recreation(),
                            Some(RequiresRecreation::Always) | Some(RequiresRecreation::Conditionally)
                        )
                    })
                    .filter_map(|t| t.name().map(str::to_string))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                info.changes.push(ResourceChange {
                    action: rc.action().map(|a| a.as_str().to_string()).unwrap_or_default(),
                    logical_id: rc.logical_resource_id().unwrap_or_default().to_string(),
                    physical_id: rc.physical_resource_id().map(str::to_string),
                    resource_type: rc.resource_type().unwrap_or_default().to_string(),
                    replacement: rc.replacement().map(|r| r.as_str().to_string()),
                    replacing_properties,
                });
            }
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(info),
            }
        }
    }

    fn execute_change_set(&self, change_set_id: &str) -> AwsResult<()> {
        self.runtime
            .block_on(self.changing().execute_change_set().change_set_name(change_set_id).send())
            .map(|_| ())
            .map_err(|e| self.err("ExecuteChangeSet", &e))
    }

    fn delete_change_set(&self, change_set_id: &str) -> AwsResult<()> {
        self.runtime
            .block_on(self.client.delete_change_set().change_set_name(change_set_id).send())
            .map(|_| ())
            .map_err(|e| self.err("DeleteChangeSet", &e))
    }

    fn create_stack(&self, request: &StackRequest) -> AwsResult<String> {
        let call = with_stack_request!(self.changing().create_stack(), request);
        let out = self.runtime.block_on(call.send()).map_err(|e| self.err("CreateStack", &e))?;
        Ok(out.stack_id().unwrap_or_default().to_string())
    }

    fn update_stack(&self, request: &StackRequest) -> AwsResult<String> {
        let call = with_stack_request!(self.changing().update_stack(), request);
        let out = self.runtime.block_on(call.send()).map_err(|e| self.err("UpdateStack", &e))?;
        Ok(out.stack_id().unwrap_or_default().to_string())
    }

    fn list_exports(&self) -> AwsResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self
                .runtime
                .block_on(self.client.list_exports().set_next_token(token.take()).send())
                .map_err(|e| self.err("ListExports", &e))?;
            out.extend(
                page.exports()
                    .iter()
                    .map(|e| (e.name().unwrap_or_default().to_string(), e.value().unwrap_or_default().to_string())),
            );
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }

    fn delete_stack(&self, stack: &str) -> AwsResult<()> {
        self.runtime
            .block_on(self.client.delete_stack().stack_name(stack).send())
            .map(|_| ())
            .map_err(|e| self.err("DeleteStack", &e))
    }

    fn set_termination_protection(&self, stack: &str, enabled: bool) -> AwsResult<()> {
        self.runtime
            .block_on(
                self.client
                    .update_termination_protection()
                    .stack_name(stack)
                    .enable_termination_protection(enabled)
                    .send(),
            )
            .map(|_| ())
            .map_err(|e| self.err("UpdateTerminationProtection", &e))
    }

    fn set_stack_policy(&self, stack: &str, policy_body: &str) -> AwsResult<()> {
        self.runtime
            .block_on(
                self.client
                    .set_stack_policy()
                    .stack_name(stack)
                    .stack_policy_body(policy_body)
                    .send(),
            )
            .map(|_| ())
            .map_err(|e| self.err("SetStackPolicy", &e))
    }

    fn get_stack_policy(&self, stack: &str) -> AwsResult<Option<String>> {
        self.runtime
            .block_on(self.client.get_stack_policy().stack_name(stack).send())
            .map(|o| o.stack_policy_body().filter(|b| !b.is_empty()).map(str::to_string))
            .map_err(|e| self.err("GetStackPolicy", &e))
    }
}

/// The SDK's RollbackConfiguration: one `AWS::CloudWatch::Alarm` trigger per ARN.
fn rollback_configuration(r: &super::RollbackConfiguration) -> aws_sdk_cloudformation::types::RollbackConfiguration {
    use aws_sdk_cloudformation::types::{RollbackConfiguration, RollbackTrigger};
    let triggers = r
        .alarm_arns
        .iter()
        .map(|arn| RollbackTrigger::builder().arn(arn).r#type("AWS::CloudWatch::Alarm").build())
        .collect();
    RollbackConfiguration::builder()
        .set_rollback_triggers(Some(triggers))
        .monitoring_time_in_minutes(i32::try_from(r.monitoring_minutes).unwrap_or(180))
        .build()
}
