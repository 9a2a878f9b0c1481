//! Drift detection against a scripted CloudFormation, and its renderings.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use cairn_core::EnvArtifact;
use serde_json::json;

use super::render::{markdown, text, to_json};
use super::{detect, detection_error, drifted, StackDrift};
use crate::aws::drift::{DetectionStatus, DriftApi, PropertyDifference, ResourceDrift};
use crate::aws::{AwsError, AwsErrorKind, AwsResult};
use crate::deploy::clock::fake::FakeClock;
use crate::error::DRIFT_UNSUPPORTED_EXIT as EXIT_UNSUPPORTED;
use crate::ui::Style;

/// DriftApi answering like CloudFormation: a detection id per DetectStackDrift,
/// scripted statuses per stack (IN_PROGRESS polls, then the final one), and the
/// resource drifts of each stack.
#[derive(Default)]
struct Scripted {
    statuses: RefCell<BTreeMap<String, VecDeque<DetectionStatus>>>,
    drifts: BTreeMap<String, Vec<ResourceDrift>>,
    unsupported: bool,
    calls: RefCell<Vec<String>>,
}

fn status(s: &str, drift: Option<&str>, reason: Option<&str>) -> DetectionStatus {
    DetectionStatus {
        status: s.into(),
        stack_drift_status: drift.map(str::to_string),
        reason: reason.map(str::to_string),
    }
}

impl DriftApi for Scripted {
    fn detect_stack_drift(&self, stack: &str) -> AwsResult<String> {
        self.calls.borrow_mut().push(format!("DetectStackDrift {stack}"));
        if self.unsupported {
            return Err(AwsError::new(
                AwsErrorKind::Unsupported,
                // What `aws::error` makes of moto's bare HTTP 500.
                "DetectStackDrift is not supported by moto (http://127.0.0.1:5000 answered HTTP 500: it does not \
                 implement DetectStackDrift)",
            ));
        }
        // Real ids are UUIDs; the stack name is kept to answer per stack.
        Ok(format!("b78ac9b0-dec1-11e7-a451-503a3e3b8a{}|{stack}", stack.len()))
    }
    fn detection_status(&self, id: &str) -> AwsResult<DetectionStatus> {
        let stack = id.split('|').nth(1).unwrap_or_default().to_string();
        self.calls.borrow_mut().push(format!("DescribeStackDriftDetectionStatus {stack}"));
        let mut statuses = self.statuses.borrow_mut();
        let queue = statuses.entry(stack).or_default();
        Ok(if queue.len() > 1 {
            queue.pop_front().unwrap_or_default()
        } else {
            queue
                .front()
                .cloned()
                .unwrap_or_else(|| status("DETECTION_COMPLETE", Some("IN_SYNC"), None))
        })
    }
    fn resource_drifts(&self, stack: &str) -> AwsResult<Vec<ResourceDrift>> {
        self.calls.borrow_mut().push(format!("DescribeStackResourceDrifts {stack}"));
        Ok(self.drifts.get(stack).cloned().unwrap_or_default())
    }
}

fn queue_modified() -> ResourceDrift {
    ResourceDrift {
        logical_id: "JobsDF1CC2D4".into(),
        physical_id: Some("https://sqs.us-east-1.amazonaws.com/123456789012/shop-dev-data-JobsDF1CC2D4-1X2Y3Z".into()),
        resource_type: "AWS::SQS::Queue".into(),
        status: "MODIFIED".into(),
        differences: vec![
            PropertyDifference {
                path: "/VisibilityTimeout".into(),
                expected: "30".into(),
                actual: "120".into(),
                kind: "NOT_EQUAL".into(),
            },
            PropertyDifference {
                path: "/Tags/3".into(),
                expected: "null".into(),
                actual: "{\"Key\":\"Owner\",\"Value\":\"ops\"}".into(),
                kind: "ADD".into(),
            },
        ],
    }
}

fn policy_deleted() -> ResourceDrift {
    ResourceDrift {
        logical_id: "UploadsPolicyCA80B555".into(),
        physical_id: Some("shop-dev-data-uploads4f6eb0fd-1abc".into()),
        resource_type: "AWS::S3::BucketPolicy".into(),
        status: "DELETED".into(),
        differences: Vec::new(),
    }
}

fn env() -> EnvArtifact {
    use indexmap::IndexMap;
    let stack = |id: &str, paths: &[(&str, &str)]| cairn_core::StackArtifact {
        id: id.into(),
        name: format!("shop-dev-{id}"),
        template: json!({}),
        body: String::new(),
        depends_on: Vec::new(),
        paths: paths
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<IndexMap<_, _>>(),
        suppressions: Vec::new(),
    };
    EnvArtifact {
        app: "shop".into(),
        settings: cairn_core::EnvSettings {
            name: "dev".into(),
            account: "123456789012".into(),
            region: "us-east-1".into(),
            retain_data: false,
            require_approval: false,
            tags: Default::default(),
        },
        stacks: vec![
            stack("network", &[]),
            stack(
                "data",
                &[
                    ("JobsDF1CC2D4", "data/Jobs/Resource"),
                    ("UploadsPolicyCA80B555", "data/Uploads/Policy"),
                ],
            ),
            stack("service", &[]),
        ],
    }
}

fn listed() -> Vec<(String, bool)> {
    vec![
        ("shop-dev-network".into(), true),
        ("shop-dev-data".into(), true),
        ("shop-dev-service".into(), false),
    ]
}

#[test]
fn polls_until_done_and_lists_modified_and_deleted_resources() {
    let mut api = Scripted::default();
    api.statuses.borrow_mut().insert(
        "shop-dev-data".into(),
        VecDeque::from([
            status("DETECTION_IN_PROGRESS", None, None),
            status("DETECTION_IN_PROGRESS", None, None),
            status("DETECTION_COMPLETE", Some("DRIFTED"), None),
        ]),
    );
    api.drifts.insert("shop-dev-data".into(), vec![queue_modified(), policy_deleted()]);
    let clock = FakeClock::default();
    let results = detect(&api, &listed(), Duration::from_secs(600), &clock).unwrap();
    assert_eq!(drifted(&results), 2);
    assert_eq!(
        results[0].1,
        StackDrift::Checked {
            status: "IN_SYNC".into(),
            reason: None,
            resources: vec![]
        }
    );
    assert_eq!(results[2].1, StackDrift::NotDeployed);
    // Both detections start before any wait; the undeployed stack is never asked.
    let calls = api.calls.borrow();
    assert_eq!(calls[..2], ["DetectStackDrift shop-dev-network", "DetectStackDrift shop-dev-data"]);
    assert!(!calls.iter().any(|c| c.contains("service")), "{calls:?}");
    assert_eq!(clock.sleeps.get(), 2);

    let out = text(&env(), &results, Style::new(false));
    assert!(
        out.contains("shop-dev-data     DRIFTED: 2 resources changed outside CloudFormation"),
        "{out}"
    );
    assert!(
        out.contains("    data/Jobs/Resource (JobsDF1CC2D4, AWS::SQS::Queue)  MODIFIED\n"),
        "{out}"
    );
    assert!(
        out.contains("      /VisibilityTimeout  expected 30  actual 120  (NOT_EQUAL)\n"),
        "{out}"
    );
    assert!(
        out.contains("data/Uploads/Policy (UploadsPolicyCA80B555, AWS::S3::BucketPolicy)  DELETED"),
        "{out}"
    );
    assert!(out.contains("shop-dev-service  not deployed"), "{out}");
    assert!(out.ends_with("drift: 2 resources changed outside CloudFormation\n"), "{out}");

    let j = to_json(&env(), &results);
    assert_eq!(j["drifted"], json!(2));
    let r = &j["stacks"][1]["resources"][0];
    assert_eq!(r["path"], json!("data/Jobs/Resource"));
    assert_eq!(
        r["differences"][0],
        json!({"path": "/VisibilityTimeout", "expected": "30", "actual": "120", "kind": "NOT_EQUAL"})
    );
    let md = markdown(&env(), &results);
    assert!(
        md.contains("| shop-dev-data | `data/Uploads/Policy (UploadsPolicyCA80B555, AWS::S3::BucketPolicy)` | **DELETED** |"),
        "{md}"
    );
}

#[test]
fn a_failed_detection_still_reports_what_it_checked() {
    let mut api = Scripted::default();
    api.statuses.borrow_mut().insert(
        "shop-dev-data".into(),
        VecDeque::from([status(
            "DETECTION_FAILED",
            Some("DRIFTED"),
            Some("Failed to detect drift on resources [DatabaseB269D8BB]: access denied"),
        )]),
    );
    api.drifts.insert("shop-dev-data".into(), vec![queue_modified()]);
    let results = detect(&api, &listed(), Duration::from_secs(600), &FakeClock::default()).unwrap();
    let out = text(&env(), &results, Style::new(false));
    assert!(
        out.contains("detection incomplete: Failed to detect drift on resources [DatabaseB269D8BB]"),
        "{out}"
    );
    assert_eq!(drifted(&results), 1);
}

#[test]
fn detection_that_never_finishes_times_out() {
    let api = Scripted::default();
    api.statuses.borrow_mut().insert(
        "shop-dev-network".into(),
        VecDeque::from([status("DETECTION_IN_PROGRESS", None, None)]),
    );
    let clock = FakeClock::default();
    let results = detect(&api, &listed(), Duration::from_secs(30), &clock).unwrap();
    assert_eq!(results[0].1, StackDrift::TimedOut);
    assert!(clock.now.get() >= Duration::from_secs(30) && clock.now.get() < Duration::from_secs(34));
}

#[test]
fn an_endpoint_without_drift_detection_exits_3_and_says_so() {
    let api = Scripted {
        unsupported: true,
        ..Default::default()
    };
    let e = detect(&api, &listed(), Duration::from_secs(600), &FakeClock::default()).unwrap_err();
    let cli = detection_error(e);
    assert_eq!(cli.exit_code(), EXIT_UNSUPPORTED);
    let m = &cli.report();
    assert!(
        m.starts_with("error: DetectStackDrift is not supported by moto (http://127.0.0.1:5000 answered HTTP 500")
            && m.ends_with("run `cairn drift` against AWS"),
        "{m}"
    );
    // Said once: not nested in a second "does not implement (…)".
    assert_eq!(m.matches("does not implement").count(), 1, "{m}");
    assert!(!m.contains("))"), "{m}");
    // Other failures keep exit code 1.
    let other = detection_error(AwsError::new(AwsErrorKind::AccessDenied, "access denied for DetectStackDrift"));
    assert_eq!(other.exit_code(), 1);
}
