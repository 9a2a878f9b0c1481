//! The critical alarms of a synthesized environment: `deploy` passes them to
//! CloudFormation as rollback triggers and the manifest lists them.

use serde_json::Value as Json;

use crate::synth::EnvArtifact;

/// A critical alarm of an environment: deploy passes these as rollback triggers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CriticalAlarm {
    /// Id of the stack holding the alarm (`service`).
    pub stack: String,
    /// The alarm's logical ID.
    pub logical_id: String,
    /// The alarm's construct path.
    pub path: String,
    /// The alarm's name once deployed (`AlarmName` with the stack name filled in).
    pub alarm_name: String,
}

impl EnvArtifact {
    /// Alarms marked `cairn:alarm-severity = critical`, in deploy order.
    pub fn critical_alarms(&self) -> Vec<CriticalAlarm> {
        let mut alarms = Vec::new();
        for stack in &self.stacks {
            let Some(resources) = stack.template.get("Resources").and_then(Json::as_object) else {
                continue;
            };
            for (id, r) in resources {
                if r["Type"] != "AWS::CloudWatch::Alarm" || r["Metadata"][crate::metadata::ALARM_SEVERITY] != "critical" {
                    continue;
                }
                let name = match &r["Properties"]["AlarmName"] {
                    Json::String(s) => s.clone(),
                    Json::Object(o) => o
                        .get("Fn::Sub")
                        .and_then(Json::as_str)
                        .map(|s| s.replace("${AWS::StackName}", &stack.name))
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                if name.is_empty() {
                    continue;
                }
                let path = r["Metadata"][crate::metadata::PATH].as_str().unwrap_or_default().to_string();
                alarms.push(CriticalAlarm {
                    stack: stack.name.clone(),
                    logical_id: id.clone(),
                    path,
                    alarm_name: name,
                });
            }
        }
        alarms
    }
}
