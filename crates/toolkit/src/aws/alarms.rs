//! The CloudWatch call the promotion gate makes (DescribeAlarms), as a trait:
//! [`QueryAlarms`] implements it and unit tests script it.

use super::call::{Caller, CLOUDWATCH};
use super::error::AwsResult;
use super::xml::XmlNode;

/// Alarm states by name.
pub trait AlarmApi {
    /// The state (`OK`, `ALARM`, `INSUFFICIENT_DATA`) of each named alarm that
    /// exists, as `(name, state)`; alarms that do not exist are left out.
    fn alarm_states(&self, names: &[String]) -> AwsResult<Vec<(String, String)>>;
}

/// [`AlarmApi`] through CloudWatch's Query protocol (DescribeAlarms), which AWS and
/// moto both speak (the SDK's RPC v2 CBOR is one moto 5 lacks).
pub struct QueryAlarms {
    caller: Caller,
}

impl QueryAlarms {
    pub fn new(caller: Caller) -> Self {
        QueryAlarms { caller }
    }
}

impl AlarmApi for QueryAlarms {
    fn alarm_states(&self, names: &[String]) -> AwsResult<Vec<(String, String)>> {
        let mut states = Vec::new();
        // DescribeAlarms takes at most 100 names per call.
        for chunk in names.chunks(100) {
            let mut next: Option<String> = None;
            loop {
                let mut params: Vec<(String, String)> = chunk
                    .iter()
                    .enumerate()
                    .map(|(i, name)| (format!("AlarmNames.member.{}", i + 1), name.clone()))
                    .collect();
                if let Some(token) = &next {
                    params.push(("NextToken".to_string(), token.clone()));
                }
                let answer = self.caller.query(&CLOUDWATCH, "DescribeAlarms", &params)?;
                states.extend(alarm_states(&answer));
                next = answer.find("NextToken").map(|t| t.text.clone()).filter(|t| !t.is_empty());
                if next.is_none() {
                    break;
                }
            }
        }
        Ok(states)
    }
}

/// `(AlarmName, StateValue)` of each metric and composite alarm of a DescribeAlarms answer.
fn alarm_states(answer: &XmlNode) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for list in ["MetricAlarms", "CompositeAlarms"] {
        for alarms in answer.find_all(list) {
            for alarm in &alarms.children {
                if let (Some(name), Some(state)) = (alarm.child_text("AlarmName"), alarm.child_text("StateValue")) {
                    out.push((name.to_string(), state.to_string()));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_alarms_answers_are_read_per_member() {
        let xml = "<DescribeAlarmsResponse><DescribeAlarmsResult><MetricAlarms>\
            <member><AlarmName>shop-a&amp;b</AlarmName><Dimensions><member><Name>X</Name></member></Dimensions><StateValue>ALARM</StateValue></member>\
            <member><AlarmName>shop-ok</AlarmName><StateValue>OK</StateValue></member>\
            </MetricAlarms><CompositeAlarms><member><AlarmName>shop-c</AlarmName><StateValue>INSUFFICIENT_DATA</StateValue></member>\
            </CompositeAlarms></DescribeAlarmsResult></DescribeAlarmsResponse>";
        let answer = XmlNode::parse(xml).expect("parses");
        assert_eq!(
            alarm_states(&answer),
            vec![
                ("shop-a&b".to_string(), "ALARM".to_string()),
                ("shop-ok".to_string(), "OK".to_string()),
                ("shop-c".to_string(), "INSUFFICIENT_DATA".to_string())
            ]
        );
    }
}
