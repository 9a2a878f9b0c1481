//! Local emulators cairn recognizes (moto), and what they implement.
//!
//! moto answers an operation it does not implement with the same bare HTTP 500 page as
//! an operation that crashed on a template, so the status alone cannot tell "not
//! supported" from "the endpoint failed". What moto implements can be known, though:
//! an HTTP 500 is "not supported" only for an operation outside that list.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A local emulator of the AWS APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emulator {
    Moto,
}

/// The CloudFormation operations moto 5.2 implements (`moto/cloudformation/responses.py`);
/// it answers any other with HTTP 500.
const MOTO_CLOUDFORMATION: &[&str] = &[
    "CreateStack",
    "UpdateStack",
    "DeleteStack",
    "DescribeStacks",
    "ListStacks",
    "DescribeStackEvents",
    "DescribeStackResource",
    "DescribeStackResources",
    "ListStackResources",
    "GetTemplate",
    "GetTemplateSummary",
    "ValidateTemplate",
    "CreateChangeSet",
    "DescribeChangeSet",
    "ExecuteChangeSet",
    "DeleteChangeSet",
    "ListChangeSets",
    "ListExports",
    "GetStackPolicy",
    "SetStackPolicy",
    "CreateStackSet",
    "UpdateStackSet",
    "DeleteStackSet",
    "DescribeStackSet",
    "ListStackSets",
    "CreateStackInstances",
    "UpdateStackInstances",
    "DeleteStackInstances",
    "DescribeStackInstance",
    "ListStackInstances",
    "ListStackSetOperations",
    "DescribeStackSetOperation",
    "ListStackSetOperationResults",
    "StopStackSetOperation",
];

impl Emulator {
    /// Its name in messages.
    pub fn name(self) -> &'static str {
        match self {
            Emulator::Moto => "moto",
        }
    }

    /// Whether it implements `op` of `service`; `None` when cairn does not know.
    pub fn implements(self, service: &str, op: &str) -> Option<bool> {
        match (self, service) {
            (Emulator::Moto, "CloudFormation") => Some(MOTO_CLOUDFORMATION.contains(&op)),
            _ => None,
        }
    }
}

/// Which emulator answers at `url`: moto serves `GET /moto-api/` (its dashboard) with
/// 200. Only plain-HTTP endpoints are probed: a second to connect, five to answer (a
/// busy moto is slow, and taking it for AWS would send calls it mishandles); `None`
/// otherwise.
pub fn probe(url: &str) -> Option<Emulator> {
    let rest = url.strip_prefix("http://")?;
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host_port.is_empty() {
        return None;
    }
    let has_port = host_port.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok());
    let addr = if has_port {
        host_port.to_string()
    } else {
        format!("{host_port}:80")
    };
    // `localhost` may resolve to ::1 first while the emulator listens on 127.0.0.1 only.
    let mut stream = addr
        .to_socket_addrs()
        .ok()?
        .find_map(|a| TcpStream::connect_timeout(&a, Duration::from_secs(1)).ok())?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.set_write_timeout(Some(Duration::from_secs(1))).ok()?;
    let request = format!("GET /moto-api/ HTTP/1.0\r\nHost: {host_port}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut head = [0u8; 12];
    let mut n = 0;
    while n < head.len() {
        match stream.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(read) => n += read,
        }
    }
    let ok = head[..n].starts_with(b"HTTP/1.1 200") || head[..n].starts_with(b"HTTP/1.0 200");
    ok.then_some(Emulator::Moto)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moto_implements_what_cairn_deploys_with_but_not_termination_protection_or_drift() {
        for op in [
            "CreateChangeSet",
            "ExecuteChangeSet",
            "UpdateStack",
            "ListExports",
            "SetStackPolicy",
        ] {
            assert_eq!(Emulator::Moto.implements("CloudFormation", op), Some(true), "{op}");
        }
        for op in [
            "UpdateTerminationProtection",
            "DetectStackDrift",
            "CancelUpdateStack",
            "RollbackStack",
        ] {
            assert_eq!(Emulator::Moto.implements("CloudFormation", op), Some(false), "{op}");
        }
        assert_eq!(Emulator::Moto.implements("S3", "PutObject"), None);
    }

    #[test]
    fn only_a_plain_http_endpoint_that_serves_the_moto_api_is_moto() {
        assert_eq!(probe("https://cloudformation.us-east-1.amazonaws.com"), None);
        assert_eq!(probe("not a url"), None);
        // Nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        assert_eq!(probe(&format!("http://127.0.0.1:{port}")), None);
    }
}
