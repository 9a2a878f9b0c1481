//! CloudFormation rollback triggers: the environment's critical alarms (the
//! manifest's `criticalAlarms`) go with every change set, so CloudFormation rolls a
//! stack back by itself when one of them goes to ALARM during the deployment or in
//! the monitoring period after it (the environment file's
//! `alarms.rollback_monitoring_minutes`, recorded on the alarms).
//!
//! CloudFormation rejects a trigger on an alarm that does not exist, so a deploy
//! passes only the alarms already deployed: those in the deployed template of a
//! stack that is in a stable state. Alarms a deploy creates guard the next one.

use std::collections::{BTreeMap, BTreeSet};

use cairn_core::{metadata, EnvArtifact};
use serde_json::Value as Json;

use crate::aws::cloudformation::status;
use crate::aws::{AwsResult, CloudFormation, RollbackConfiguration, StackEvent, StackInfo};

/// CloudFormation accepts at most five rollback triggers per operation.
pub const MAX_TRIGGERS: usize = 5;

/// A critical alarm of the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardAlarm {
    /// Name of the stack that holds it.
    pub stack: String,
    pub logical_id: String,
    /// The deployed alarm name.
    pub name: String,
    pub arn: String,
}

/// The critical alarms of an environment and how long CloudFormation watches them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackPlan {
    /// In deploy order.
    pub alarms: Vec<GuardAlarm>,
    pub monitoring_minutes: u32,
}

/// The triggers of one stack's change set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Triggers {
    /// Passed to CloudFormation.
    pub guarding: Vec<GuardAlarm>,
    /// Deployed, but over CloudFormation's limit of five.
    pub left_out: Vec<GuardAlarm>,
    /// Alarms of the stack being deployed that do not exist yet: they guard later deploys.
    pub pending: Vec<GuardAlarm>,
    pub monitoring_minutes: u32,
}

impl RollbackPlan {
    /// The plan for `env`; `None` when it has no critical alarms.
    pub fn for_env(env: &EnvArtifact) -> Option<RollbackPlan> {
        let settings = &env.settings;
        let partition = partition(&settings.region);
        let alarms: Vec<GuardAlarm> = env
            .critical_alarms()
            .into_iter()
            .map(|a| GuardAlarm {
                arn: format!(
                    "arn:{partition}:cloudwatch:{}:{}:alarm:{}",
                    settings.region, settings.account, a.alarm_name
                ),
                stack: a.stack,
                logical_id: a.logical_id,
                name: a.alarm_name,
            })
            .collect();
        if alarms.is_empty() {
            return None;
        }
        // The longest period any critical alarm asks for (they normally agree).
        let monitoring_minutes = env
            .stacks
            .iter()
            .filter_map(|s| s.template.get("Resources").and_then(Json::as_object))
            .flat_map(|r| r.values())
            .filter_map(|r| r["Metadata"][metadata::ROLLBACK_MONITORING_MINUTES].as_u64())
            .max()
            .map_or(0, |m| u32::try_from(m.min(180)).unwrap_or(180));
        Some(RollbackPlan {
            alarms,
            monitoring_minutes,
        })
    }

    /// The triggers for the change set of stack `deploying`: the alarms that exist
    /// now, those of `deploying` first, then the others in deploy order.
    pub fn triggers_for(&self, deploying: &str, cfn: &dyn CloudFormation) -> AwsResult<Triggers> {
        let mut deployed: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for stack in self.alarms.iter().map(|a| a.stack.as_str()).collect::<BTreeSet<_>>() {
            deployed.insert(stack, deployed_resources(cfn, stack)?);
        }
        let exists = |a: &GuardAlarm| deployed.get(a.stack.as_str()).is_some_and(|ids| ids.contains(&a.logical_id));
        let (mut existing, mut pending): (Vec<GuardAlarm>, Vec<GuardAlarm>) = self.alarms.iter().cloned().partition(|a| exists(a));
        // Those this deploy creates; the ones of later stacks are named when they come.
        pending.retain(|a| a.stack == deploying);
        existing.sort_by_key(|a| a.stack != deploying);
        let left_out = existing.split_off(existing.len().min(MAX_TRIGGERS));
        Ok(Triggers {
            guarding: existing,
            left_out,
            pending,
            monitoring_minutes: self.monitoring_minutes,
        })
    }
}

impl Triggers {
    /// The RollbackConfiguration to send; `None` when no alarm exists yet.
    pub fn configuration(&self) -> Option<RollbackConfiguration> {
        if self.guarding.is_empty() {
            return None;
        }
        Some(RollbackConfiguration {
            alarm_arns: self.guarding.iter().map(|a| a.arn.clone()).collect(),
            monitoring_minutes: self.monitoring_minutes,
        })
    }

    /// What the deploy prints before the change set.
    pub fn lines(&self) -> Vec<String> {
        let names = |alarms: &[GuardAlarm]| alarms.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", ");
        let mut lines = Vec::new();
        if !self.guarding.is_empty() {
            let after = match self.monitoring_minutes {
                0 => String::new(),
                1 => " and for 1 minute after it".to_string(),
                m => format!(" and for {m} minutes after it"),
            };
            lines.push(format!(
                "  guarded by {} (CloudFormation rolls back if one goes to ALARM during the deploy{after})",
                names(&self.guarding)
            ));
        }
        if !self.left_out.is_empty() {
            lines.push(format!(
                "  not passed (CloudFormation takes at most {MAX_TRIGGERS} rollback triggers): {}",
                names(&self.left_out)
            ));
        }
        if !self.pending.is_empty() {
            lines.push(format!("  new critical alarms, they guard later deploys: {}", names(&self.pending)));
        }
        lines
    }
}

/// Logical IDs of a stack's deployed template, if the stack is in a state where its
/// resources exist (not being created, not rolled back from its creation).
fn deployed_resources(cfn: &dyn CloudFormation, stack: &str) -> AwsResult<BTreeSet<String>> {
    let stable = |info: &StackInfo| status::succeeded(&info.status) || info.status == "UPDATE_ROLLBACK_COMPLETE";
    if !cfn.describe_stack(stack)?.is_some_and(|info| stable(&info)) {
        return Ok(BTreeSet::new());
    }
    let template: Option<Json> = cfn.get_template(stack)?.and_then(|body| serde_json::from_str(&body).ok());
    Ok(template
        .as_ref()
        .and_then(|t| t.get("Resources"))
        .and_then(Json::as_object)
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default())
}

/// The guarding alarms a failed operation names (its status reason or events):
/// the rollback triggers that fired.
pub fn fired<'a>(guarding: &'a [GuardAlarm], info: &StackInfo, events: &[StackEvent]) -> Vec<&'a GuardAlarm> {
    let texts: Vec<&str> = info
        .status_reason
        .iter()
        .map(String::as_str)
        .chain(events.iter().filter_map(|e| e.reason.as_deref()))
        .collect();
    guarding
        .iter()
        .filter(|a| texts.iter().any(|t| t.contains(a.name.as_str())))
        .collect()
}

/// The line a failed deploy adds when rollback triggers fired.
pub fn fired_line(fired: &[&GuardAlarm]) -> Option<String> {
    let first = fired.first()?;
    let names: Vec<&str> = fired.iter().map(|a| a.name.as_str()).collect();
    Some(format!(
        "\nrollback trigger fired: {} went to ALARM, so CloudFormation rolled the deploy back. \
         Its history: `aws cloudwatch describe-alarm-history --alarm-name {}`",
        names.join(", "),
        first.name
    ))
}

/// The AWS partition of a region.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use cairn_core::{EnvSettings, StackArtifact};
    use indexmap::IndexMap;
    use serde_json::json;

    use super::*;
    use crate::aws::fake::{FakeCloudFormation, Step};
    use crate::deploy::clock::fake::FakeClock;
    use crate::deploy::console::{Console, ScriptedPrompt};
    use crate::deploy::DeployResult;
    use crate::deploy::{DeployOptions, Deployer};

    fn alarm(name: &str, severity: &str, minutes: Option<u32>) -> Json {
        let mut metadata = json!({ "cairn:alarm-severity": severity });
        if let Some(m) = minutes {
            metadata[cairn_core::metadata::ROLLBACK_MONITORING_MINUTES] = json!(m);
        }
        json!({
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": { "AlarmName": { "Fn::Sub": format!("${{AWS::StackName}}-{name}") }, "Threshold": 5 },
            "Metadata": metadata,
        })
    }

    fn stack(name: &str, resources: Json) -> StackArtifact {
        let template = json!({ "Resources": resources });
        StackArtifact {
            id: name.rsplit('-').next().unwrap().to_string(),
            name: name.to_string(),
            body: serde_json::to_string_pretty(&template).unwrap() + "\n",
            template,
            depends_on: Vec::new(),
            paths: IndexMap::new(),
            suppressions: Vec::new(),
        }
    }

    fn data() -> StackArtifact {
        stack(
            "shop-dev-data",
            json!({
                "Queue": { "Type": "AWS::SQS::Queue", "Properties": { "VisibilityTimeout": 30 } },
                "DbConnectionsCritical": alarm("Database-Alarms-ConnectionsCritical", "critical", Some(10)),
                "DbConnectionsWarning": alarm("Database-Alarms-ConnectionsWarning", "warning", None),
            }),
        )
    }

    fn service() -> StackArtifact {
        stack(
            "shop-dev-service",
            json!({
                "Http5xxCritical": alarm("Web-Alarms-Http5xxCritical", "critical", Some(10)),
                "LatencyCritical": alarm("Web-Alarms-ResponseTimeCritical", "critical", Some(10)),
            }),
        )
    }

    fn env(stacks: Vec<StackArtifact>) -> EnvArtifact {
        EnvArtifact {
            app: "shop".into(),
            settings: EnvSettings {
                name: "dev".into(),
                account: "123456789012".into(),
                region: "eu-west-1".into(),
                retain_data: false,
                require_approval: false,
                tags: IndexMap::new(),
            },
            stacks,
        }
    }

    fn deploy(cfn: &FakeCloudFormation, plan: Option<RollbackPlan>, stacks: &[&StackArtifact]) -> (DeployResult<()>, String) {
        let (mut console, buffer) = Console::buffer();
        let mut prompt = ScriptedPrompt::default();
        let clock = FakeClock::default();
        let result = {
            let mut d = Deployer::new(cfn, &mut console, &clock, &mut prompt, DeployOptions::new("shop", "dev"));
            d.rollback = plan;
            d.deploy(stacks).map(|_| ())
        };
        (result, buffer.text())
    }

    const ARN: &str = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:";

    #[test]
    fn the_plan_holds_the_critical_alarms_with_arns_and_the_monitoring_period() {
        let plan = RollbackPlan::for_env(&env(vec![data(), service()])).unwrap();
        let arns: Vec<&str> = plan.alarms.iter().map(|a| a.arn.as_str()).collect();
        assert_eq!(
            arns,
            [
                format!("{ARN}shop-dev-data-Database-Alarms-ConnectionsCritical"),
                format!("{ARN}shop-dev-service-Web-Alarms-Http5xxCritical"),
                format!("{ARN}shop-dev-service-Web-Alarms-ResponseTimeCritical"),
            ]
        );
        assert_eq!(plan.monitoring_minutes, 10);
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert!(RollbackPlan::for_env(&env(vec![stack("shop-dev-network", json!({}))])).is_none());
    }

    #[test]
    fn a_first_deploy_passes_the_alarms_of_stacks_deployed_before_and_names_those_that_guard_later_deploys() {
        let cfn = FakeCloudFormation::new();
        let (data, service) = (data(), service());
        let plan = RollbackPlan::for_env(&env(vec![data.clone(), service.clone()]));
        let (result, output) = deploy(&cfn, plan, &[&data, &service]);
        result.unwrap_or_else(|e| panic!("{e}\n{output}"));
        let requests = cfn.state.borrow().change_set_requests.clone();
        // Nothing exists before the data stack: no triggers, CloudFormation would reject them.
        assert_eq!(requests[0].stack_name, "shop-dev-data");
        assert_eq!(requests[0].rollback, None);
        // The service stack's change set is guarded by the data stack's alarm, now deployed.
        assert_eq!(
            requests[1].rollback,
            Some(RollbackConfiguration {
                alarm_arns: vec![format!("{ARN}shop-dev-data-Database-Alarms-ConnectionsCritical")],
                monitoring_minutes: 10,
            })
        );
        assert!(
            output.contains("new critical alarms, they guard later deploys: shop-dev-data-Database-Alarms-ConnectionsCritical"),
            "{output}"
        );
        assert!(
            output.contains("guarded by shop-dev-data-Database-Alarms-ConnectionsCritical (CloudFormation rolls back if one goes to ALARM during the deploy and for 10 minutes after it)"),
            "{output}"
        );
    }

    #[test]
    fn an_update_passes_every_deployed_critical_alarm_its_own_first() {
        let cfn = FakeCloudFormation::new();
        let (data, service) = (data(), service());
        cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data.template);
        cfn.add_stack("shop-dev-service", "CREATE_COMPLETE", &service.template);
        let mut changed = service.clone();
        changed.template["Resources"]["Http5xxCritical"]["Properties"]["Threshold"] = json!(3);
        changed.body = serde_json::to_string_pretty(&changed.template).unwrap();
        let plan = RollbackPlan::for_env(&env(vec![data.clone(), changed.clone()]));
        let (result, output) = deploy(&cfn, plan, &[&changed]);
        result.unwrap_or_else(|e| panic!("{e}\n{output}"));
        let sent = cfn.state.borrow().change_set_requests[0].rollback.clone().unwrap();
        assert_eq!(
            sent.alarm_arns,
            [
                format!("{ARN}shop-dev-service-Web-Alarms-Http5xxCritical"),
                format!("{ARN}shop-dev-service-Web-Alarms-ResponseTimeCritical"),
                format!("{ARN}shop-dev-data-Database-Alarms-ConnectionsCritical"),
            ]
        );
        assert!(!output.contains("new critical alarms"), "{output}");
    }

    #[test]
    fn more_than_five_critical_alarms_pass_the_first_five_and_say_which_were_left_out() {
        let mut resources = serde_json::Map::new();
        for i in 0..7 {
            resources.insert(format!("Alarm{i}"), alarm(&format!("A{i}"), "critical", Some(5)));
        }
        let many = stack("shop-dev-service", Json::Object(resources));
        let cfn = FakeCloudFormation::new();
        cfn.add_stack("shop-dev-service", "UPDATE_COMPLETE", &many.template);
        let plan = RollbackPlan::for_env(&env(vec![many.clone()])).unwrap();
        let triggers = plan.triggers_for("shop-dev-service", &cfn).unwrap();
        assert_eq!(triggers.configuration().unwrap().alarm_arns.len(), MAX_TRIGGERS);
        assert_eq!(triggers.left_out.len(), 2);
        assert!(triggers.lines()[1].contains("at most 5 rollback triggers"));
    }

    #[test]
    fn a_stack_whose_creation_was_rolled_back_has_no_alarms_to_trigger_on() {
        let cfn = FakeCloudFormation::new();
        let data = data();
        cfn.add_stack("shop-dev-data", "ROLLBACK_COMPLETE", &data.template);
        let plan = RollbackPlan::for_env(&env(vec![data])).unwrap();
        let triggers = plan.triggers_for("shop-dev-data", &cfn).unwrap();
        assert_eq!(triggers.configuration(), None);
        assert_eq!(triggers.pending.len(), 1);
    }

    #[test]
    fn a_rollback_names_the_alarm_that_fired() {
        let cfn = FakeCloudFormation::new();
        let (data, service) = (data(), service());
        cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &data.template);
        cfn.add_stack("shop-dev-service", "UPDATE_COMPLETE", &service.template);
        let mut changed = service.clone();
        changed.template["Resources"]["Http5xxCritical"]["Properties"]["Threshold"] = json!(4);
        changed.body = serde_json::to_string_pretty(&changed.template).unwrap();
        let reason = format!("Rollback triggered: alarm {ARN}shop-dev-service-Web-Alarms-Http5xxCritical is in ALARM state");
        cfn.script_run(
            "shop-dev-service",
            vec![
                Step::new("UPDATE_IN_PROGRESS").event("Http5xxCritical", "AWS::CloudWatch::Alarm", "UPDATE_COMPLETE", None),
                Step::new("UPDATE_ROLLBACK_IN_PROGRESS").event(
                    "shop-dev-service",
                    "AWS::CloudFormation::Stack",
                    "UPDATE_ROLLBACK_IN_PROGRESS",
                    Some(&reason),
                ),
                Step::new("UPDATE_ROLLBACK_COMPLETE"),
            ],
        );
        let plan = RollbackPlan::for_env(&env(vec![data, changed.clone()]));
        let (result, output) = deploy(&cfn, plan, &[&changed]);
        let message = result.expect_err("the deploy fails").to_string();
        assert!(message.contains("UPDATE_ROLLBACK_COMPLETE"), "{message}");
        assert!(
            message.contains("rollback trigger fired: shop-dev-service-Web-Alarms-Http5xxCritical went to ALARM"),
            "{message}\n{output}"
        );
    }
}
