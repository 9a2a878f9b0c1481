//! The CloudWatch call the promotion gate makes (DescribeAlarms), as a trait: the
//! SDK client implements it ([`SdkAlarms`]) and unit tests script it.

use tokio::runtime::Runtime;

use super::error::{from_sdk, AwsResult, Target};

/// Alarm states by name.
pub trait AlarmApi {
    /// The state (`OK`, `ALARM`, `INSUFFICIENT_DATA`) of each named alarm that
    /// exists, as `(name, state)`; alarms that do not exist are left out.
    fn alarm_states(&self, names: &[String]) -> AwsResult<Vec<(String, String)>>;
}

/// [`AlarmApi`] on the SDK's CloudWatch client; each call blocks on cairn's runtime.
pub struct SdkAlarms {
    cloudwatch: aws_sdk_cloudwatch::Client,
    runtime: &'static Runtime,
    target: Target,
}

impl SdkAlarms {
    pub fn new(sdk_config: &aws_config::SdkConfig, runtime: &'static Runtime, target: Target) -> Self {
        SdkAlarms {
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk_config),
            runtime,
            target,
        }
    }
}

impl AlarmApi for SdkAlarms {
    fn alarm_states(&self, names: &[String]) -> AwsResult<Vec<(String, String)>> {
        let mut states = Vec::new();
        // DescribeAlarms takes at most 100 names per call.
        for chunk in names.chunks(100) {
            let mut next: Option<String> = None;
            loop {
                let out = self
                    .runtime
                    .block_on(
                        self.cloudwatch
                            .describe_alarms()
                            .set_alarm_names(Some(chunk.to_vec()))
                            .set_next_token(next.clone())
                            .send(),
                    )
                    .map_err(|e| from_sdk("CloudWatch", "DescribeAlarms", &self.target, &e))?;
                for alarm in out.metric_alarms() {
                    if let (Some(name), Some(state)) = (alarm.alarm_name(), alarm.state_value()) {
                        states.push((name.to_string(), state.as_str().to_string()));
                    }
                }
                for alarm in out.composite_alarms() {
                    if let (Some(name), Some(state)) = (alarm.alarm_name(), alarm.state_value()) {
                        states.push((name.to_string(), state.as_str().to_string()));
                    }
                }
                next = out.next_token().map(str::to_string);
                if next.is_none() {
                    break;
                }
            }
        }
        Ok(states)
    }
}

/// [`AlarmApi`] for moto 5, which speaks only CloudWatch's older query protocol while
/// the SDK speaks RPC v2 CBOR: DescribeAlarms as a form POST over plain HTTP to the
/// loopback endpoint (moto checks no signature). Never used for AWS itself.
pub struct EmulatorAlarms {
    /// `host:port` of the emulator.
    address: String,
    region: String,
}

impl EmulatorAlarms {
    /// For an `http://HOST:PORT` endpoint; `None` for anything else.
    pub fn new(endpoint: &str, region: &str) -> Option<Self> {
        let rest = endpoint.strip_prefix("http://")?;
        let address = rest.split('/').next()?.to_string();
        if address.is_empty() {
            return None;
        }
        Some(EmulatorAlarms {
            address,
            region: region.to_string(),
        })
    }

    fn post(&self, body: &str) -> Result<String, std::io::Error> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(&self.address)?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(30)))?;
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded; charset=utf-8\r\n\
             Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/{}/monitoring/aws4_request, SignedHeaders=host, Signature=0\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.address,
            self.region,
            body.len()
        );
        stream.write_all(request.as_bytes())?;
        let mut response = String::new();
        stream.read_to_string(&mut response)?;
        Ok(response)
    }
}

impl AlarmApi for EmulatorAlarms {
    fn alarm_states(&self, names: &[String]) -> AwsResult<Vec<(String, String)>> {
        let mut body = String::from("Action=DescribeAlarms&Version=2010-08-01");
        for (i, name) in names.iter().enumerate() {
            body.push_str(&format!("&AlarmNames.member.{}={}", i + 1, form_encode(name)));
        }
        let response = self.post(&body).map_err(|e| {
            super::error::AwsError::new(
                super::error::AwsErrorKind::Other,
                format!("DescribeAlarms on {}: {e}", self.address),
            )
        })?;
        if !response.starts_with("HTTP/1.1 200") && !response.starts_with("HTTP/1.0 200") {
            let status = response.lines().next().unwrap_or("no answer").to_string();
            return Err(super::error::AwsError::new(
                super::error::AwsErrorKind::Other,
                format!("DescribeAlarms on {}: {status}", self.address),
            ));
        }
        Ok(parse_alarm_states(&response))
    }
}

/// `(AlarmName, StateValue)` of each alarm of a DescribeAlarms XML answer: each
/// alarm has one name and one state, the state after the name (dimensions between).
fn parse_alarm_states(xml: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find("<AlarmName>") {
        let after = &rest[at + "<AlarmName>".len()..];
        let Some(end) = after.find("</AlarmName>") else { break };
        let name = xml_unescape(&after[..end]);
        let next_alarm = after.find("<AlarmName>").unwrap_or(after.len());
        let scope = &after[..next_alarm];
        if let Some(s) = scope.find("<StateValue>") {
            let value = &scope[s + "<StateValue>".len()..];
            if let Some(e) = value.find("</StateValue>") {
                out.push((name, xml_unescape(&value[..e])));
            }
        }
        rest = &after[next_alarm..];
    }
    out
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
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
            </MetricAlarms></DescribeAlarmsResult></DescribeAlarmsResponse>";
        assert_eq!(
            parse_alarm_states(xml),
            vec![
                ("shop-a&b".to_string(), "ALARM".to_string()),
                ("shop-ok".to_string(), "OK".to_string())
            ]
        );
        assert_eq!(form_encode("shop-prod 5xx/x"), "shop-prod%205xx%2Fx");
        assert!(EmulatorAlarms::new("https://monitoring.amazonaws.com", "us-east-1").is_none());
        assert!(EmulatorAlarms::new("http://127.0.0.1:5000", "us-east-1").is_some());
    }
}
