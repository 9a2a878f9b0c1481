//! `deploy --verify PATH`: once the stacks are deployed, request the load balancer's
//! URL with PATH (e.g. `/health`) and report the status and latency. A non-2xx answer
//! or no answer in time fails the deploy, with how to roll back.
//!
//! The load balancer's URL is the stack output whose value refers to the `DNSName`
//! of an `AWS::ElasticLoadBalancingV2::LoadBalancer`. A plain HTTP/1.1 GET over a TCP
//! connection is all it takes (no HTTP client dependency); `https://` is not supported
//! yet and is refused before anything is deployed.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use cairn_core::StackArtifact;
use serde_json::Value as Json;

use super::console::Console;
use super::error::{DeployError, DeployResult};
use crate::aws::CloudFormation;

/// Where the deployed load balancer's URL will be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlOutput {
    pub stack: String,
    pub output: String,
}

/// What the endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub reason: String,
    pub elapsed: Duration,
}

/// Why there is no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    TimedOut(Duration),
    Unreachable(String),
    /// Not an `http://` URL, or an answer that is not HTTP.
    Unsupported(String),
}

/// The output holding the load balancer's URL, checked before deploying: it must exist
/// and be `http://` (checked again on the deployed value).
pub fn find_url_output(stacks: &[StackArtifact]) -> DeployResult<UrlOutput> {
    for stack in stacks {
        let resources = stack.template.get("Resources").and_then(Json::as_object);
        let is_load_balancer = |id: &str| {
            resources
                .and_then(|r| r.get(id))
                .is_some_and(|r| r["Type"] == "AWS::ElasticLoadBalancingV2::LoadBalancer")
        };
        let Some(outputs) = stack.template.get("Outputs").and_then(Json::as_object) else {
            continue;
        };
        for (key, output) in outputs {
            let value = &output["Value"];
            if !dns_names(value).iter().any(|id| is_load_balancer(id)) {
                continue;
            }
            if value.to_string().contains("https://") {
                return Err(DeployError::BadInput(format!(
                    "--verify requests http:// only, and the load balancer ({} output {key}) serves https://; \
                     check it with curl after the deploy. Nothing was deployed",
                    stack.name
                )));
            }
            return Ok(UrlOutput {
                stack: stack.name.clone(),
                output: key.clone(),
            });
        }
    }
    Err(DeployError::BadInput(
        "--verify needs a stack output with the load balancer's URL (a value referring to the DNSName of an \
         AWS::ElasticLoadBalancingV2::LoadBalancer), and this environment has none. Nothing was deployed"
            .into(),
    ))
}

/// Logical IDs in `{"Fn::GetAtt": [id, "DNSName"]}` anywhere in `v`.
fn dns_names(v: &Json) -> Vec<String> {
    let mut out = Vec::new();
    match v {
        Json::Object(m) => {
            if let Some(Json::Array(a)) = m.get("Fn::GetAtt") {
                if a.get(1).and_then(Json::as_str) == Some("DNSName") {
                    out.extend(a.first().and_then(Json::as_str).map(str::to_string));
                }
            }
            m.values().for_each(|x| out.extend(dns_names(x)));
        }
        Json::Array(a) => a.iter().for_each(|x| out.extend(dns_names(x))),
        _ => {}
    }
    out
}

/// Requests `<deployed URL><path>` and fails the deploy on anything but a 2xx answer
/// in time. `local_endpoint`: the CloudFormation endpoint when it is not AWS (moto's
/// load balancers serve nothing), in which case the check is skipped with a note.
pub fn run(
    cfn: &dyn CloudFormation,
    console: &mut Console,
    target: &UrlOutput,
    path: &str,
    timeout: Duration,
    local_endpoint: Option<&str>,
    redeploy_hint: &str,
) -> DeployResult<()> {
    if let Some(endpoint) = local_endpoint {
        console.line(&format!(
            "verify: skipped, the stacks went to a local endpoint ({endpoint}) whose load balancers serve no traffic"
        ));
        return Ok(());
    }
    let base = cfn
        .describe_stack(&target.stack)?
        .and_then(|info| info.outputs.into_iter().find(|o| o.key == target.output))
        .map(|o| o.value)
        .ok_or_else(|| {
            DeployError::Failed(format!(
                "verification failed: {} has no output {} with the load balancer's URL; the stacks are deployed",
                target.stack, target.output
            ))
        })?;
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let rollback = format!(
        "The stacks are deployed. To roll back, deploy the previous version again (check it out, then `{redeploy_hint}`); \
         during a blue/green bake time, `aws ecs stop-service-deployment --stop-type ROLLBACK` returns the traffic to the previous revision at once"
    );
    match get(&url, timeout) {
        Ok(a) if (200..300).contains(&a.status) => {
            console.line(&format!(
                "verify: GET {url} → {} {} in {} ms",
                a.status,
                a.reason,
                a.elapsed.as_millis()
            ));
            Ok(())
        }
        Ok(a) => Err(DeployError::Failed(format!(
            "verification failed: GET {url} answered {} {} in {} ms (expected 2xx). {rollback}",
            a.status,
            a.reason,
            a.elapsed.as_millis()
        ))),
        Err(Failure::TimedOut(t)) => Err(DeployError::Failed(format!(
            "verification failed: GET {url} got no answer within {} s. {rollback}",
            t.as_secs_f64()
        ))),
        Err(Failure::Unreachable(why) | Failure::Unsupported(why)) => {
            Err(DeployError::Failed(format!("verification failed: GET {url}: {why}. {rollback}")))
        }
    }
}

/// A plain HTTP/1.1 GET of an `http://` URL; only the status line is read.
pub fn get(url: &str, timeout: Duration) -> Result<Answer, Failure> {
    let started = Instant::now();
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Failure::Unsupported(format!("only http:// URLs can be verified, not `{url}`")))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = split_host_port(authority).ok_or_else(|| Failure::Unsupported(format!("`{authority}` is not a host")))?;
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Failure::Unreachable(format!("cannot resolve {host}: {e}")))?
        .collect();
    let remaining = |started: Instant| timeout.checked_sub(started.elapsed()).filter(|d| !d.is_zero());
    let mut stream = None;
    let mut last_error = format!("{host} has no address");
    for addr in addrs {
        let Some(left) = remaining(started) else {
            return Err(Failure::TimedOut(timeout));
        };
        match TcpStream::connect_timeout(&addr, left) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) if timed_out(&e) => return Err(Failure::TimedOut(timeout)),
            Err(e) => last_error = format!("cannot connect to {addr}: {e}"),
        }
    }
    let mut stream = stream.ok_or(Failure::Unreachable(last_error))?;
    let io = |e: std::io::Error| {
        if timed_out(&e) {
            Failure::TimedOut(timeout)
        } else {
            Failure::Unreachable(e.to_string())
        }
    };
    let left = remaining(started).ok_or(Failure::TimedOut(timeout))?;
    stream.set_write_timeout(Some(left)).map_err(io)?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: cairn-verify\r\nAccept: */*\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(io)?;
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 8192 {
        let left = remaining(started).ok_or(Failure::TimedOut(timeout))?;
        stream.set_read_timeout(Some(left)).map_err(io)?;
        match stream.read(&mut buf).map_err(io)? {
            0 => break,
            n => head.extend_from_slice(&buf[..n]),
        }
    }
    let elapsed = started.elapsed();
    let line = String::from_utf8_lossy(&head);
    let line = line.lines().next().unwrap_or_default();
    let mut parts = line.splitn(3, ' ');
    let (version, code, reason) = (parts.next(), parts.next(), parts.next().unwrap_or_default());
    match (version, code.and_then(|c| c.parse::<u16>().ok())) {
        (Some(v), Some(status)) if v.starts_with("HTTP/") => Ok(Answer {
            status,
            reason: reason.trim().to_string(),
            elapsed,
        }),
        _ => Err(Failure::Unsupported(format!("the answer is not HTTP: `{line}`"))),
    }
}

fn split_host_port(authority: &str) -> Option<(&str, u16)> {
    if authority.is_empty() {
        return None;
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => Some((host, port.parse().ok()?)),
        Some(_) => None,
        None => Some((authority, 80)),
    }
}

fn timed_out(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;
    use std::thread;

    use indexmap::IndexMap;
    use serde_json::json;

    use super::*;
    use crate::aws::fake::FakeCloudFormation;
    use crate::error::CliError;

    /// A one-request HTTP server on 127.0.0.1 answering `status_line` after `delay`;
    /// returns its base URL and the request line it received.
    fn server(status_line: &'static str, delay: Duration) -> (String, thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let handle = thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            thread::sleep(delay);
            let mut stream = stream;
            let _ = stream.write_all(format!("{status_line}\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok").as_bytes());
            request_line.trim().to_string()
        });
        (url, handle)
    }

    fn service_stack() -> StackArtifact {
        let template = json!({
            "Resources": { "WebLB": { "Type": "AWS::ElasticLoadBalancingV2::LoadBalancer", "Properties": {} } },
            "Outputs": { "LoadBalancerUrl": { "Value": { "Fn::Join": ["", ["http://", { "Fn::GetAtt": ["WebLB", "DNSName"] }]] } } },
        });
        StackArtifact {
            id: "service".into(),
            name: "shop-dev-service".into(),
            body: template.to_string(),
            template,
            depends_on: Vec::new(),
            paths: IndexMap::new(),
            suppressions: Vec::new(),
        }
    }

    /// Deployed service stack whose URL output points at `url`, then the verification.
    fn verify_against(url: &str, timeout: Duration, local: Option<&str>) -> (DeployResult<()>, String) {
        let cfn = FakeCloudFormation::new();
        let stack = service_stack();
        cfn.add_stack(&stack.name, "UPDATE_COMPLETE", &stack.template);
        cfn.set_live_outputs(&stack.name, &[("LoadBalancerUrl", url)]);
        let target = find_url_output(&[stack]).unwrap();
        assert_eq!(target.output, "LoadBalancerUrl");
        let (mut console, buffer) = Console::buffer();
        let result = run(&cfn, &mut console, &target, "/health", timeout, local, "cairn deploy dev");
        (result, buffer.text())
    }

    #[test]
    fn a_200_passes_and_reports_status_and_latency() {
        let (url, handle) = server("HTTP/1.1 200 OK", Duration::ZERO);
        let (result, output) = verify_against(&url, Duration::from_secs(5), None);
        result.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(handle.join().unwrap(), "GET /health HTTP/1.1");
        assert!(output.contains(&format!("verify: GET {url}/health → 200 OK in ")), "{output}");
        assert!(output.trim_end().ends_with(" ms"), "{output}");
    }

    #[test]
    fn a_500_fails_the_deploy_with_exit_1_and_how_to_roll_back() {
        let (url, _handle) = server("HTTP/1.1 500 Internal Server Error", Duration::ZERO);
        let (result, _) = verify_against(&url, Duration::from_secs(5), None);
        let e = CliError::from(result.expect_err("a 500 fails the deploy"));
        assert_eq!(e.exit_code(), 1);
        assert!(e.report().contains("answered 500 Internal Server Error"), "{}", e.report());
        assert!(
            e.report().contains("To roll back") && e.report().contains("`cairn deploy dev`"),
            "{}",
            e.report()
        );
    }

    #[test]
    fn no_answer_in_time_fails_the_deploy() {
        let (url, _handle) = server("HTTP/1.1 200 OK", Duration::from_millis(1500));
        let (result, _) = verify_against(&url, Duration::from_millis(300), None);
        let e = CliError::from(result.expect_err("a time-out fails the deploy"));
        assert!(e.report().contains("no answer within 0.3 s"), "{}", e.report());
    }

    #[test]
    fn nothing_listening_fails_the_deploy() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let (result, _) = verify_against(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2), None);
        assert!(result.expect_err("refused").to_string().contains("cannot connect"));
    }

    #[test]
    fn a_local_endpoint_skips_the_check_with_a_note() {
        let (result, output) = verify_against("http://unused.invalid", Duration::from_secs(1), Some("http://127.0.0.1:5000"));
        result.unwrap();
        assert!(
            output.contains("verify: skipped, the stacks went to a local endpoint (http://127.0.0.1:5000)"),
            "{output}"
        );
    }

    #[test]
    fn https_and_missing_outputs_are_refused_before_deploying() {
        let mut stack = service_stack();
        stack.template["Outputs"]["LoadBalancerUrl"]["Value"]["Fn::Join"][1][0] = json!("https://");
        let e = CliError::from(find_url_output(&[stack]).expect_err("https is refused"));
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.report().contains("http:// only") && e.report().contains("Nothing was deployed"),
            "{}",
            e.report()
        );

        let mut stack = service_stack();
        stack.template["Outputs"] = json!({});
        assert!(find_url_output(&[stack]).unwrap_err().to_string().contains("has none"));
    }

    #[test]
    fn urls_are_split_into_host_port_and_path() {
        assert_eq!(split_host_port("example.com"), Some(("example.com", 80)));
        assert_eq!(split_host_port("127.0.0.1:8080"), Some(("127.0.0.1", 8080)));
        assert_eq!(split_host_port(":80"), None);
        assert!(matches!(
            get("https://example.com", Duration::from_secs(1)),
            Err(Failure::Unsupported(_))
        ));
    }
}
