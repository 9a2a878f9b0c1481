//! `cairn drift <env>`: CloudFormation drift detection. Every resource of the
//! environment's deployed stacks that was modified or deleted outside
//! CloudFormation, with the expected and actual value of each property.
//!
//! Detection starts on every deployed stack at once (DetectStackDrift), is polled
//! until done (DescribeStackDriftDetectionStatus), then the drifted resources are
//! listed (DescribeStackResourceDrifts, MODIFIED and DELETED). An endpoint without
//! drift detection (moto) ends with exit code 3 and says so.

use std::time::Duration;

use aws_sdk_cloudformation::types::StackResourceDriftStatus;
use cairn_core::{Application, EnvArtifact};
use clap::Args;
use serde_json::{json, Value as Json};

use crate::aws::error::from_sdk;
use crate::aws::{self, AwsClients, AwsError, AwsErrorKind, AwsResult, EndpointArgs};
use crate::commands::parity::Format;
use crate::deploy::clock::{parse_duration, Clock, SystemClock};
use crate::error::{CliError, CliResult};
use crate::project::Project;
use crate::ui::Style;

/// Exit code when the endpoint does not implement drift detection.
pub const EXIT_UNSUPPORTED: u8 = 3;

/// How often detection status is polled.
const POLL: Duration = Duration::from_secs(2);

#[derive(Debug, Args)]
#[command(
    about = "Detect resources changed outside CloudFormation (drift) in an environment",
    long_about = "Detect resources changed outside CloudFormation (drift) in an environment.\n\n\
Runs CloudFormation drift detection on every deployed stack of the environment and lists each\n\
resource modified or deleted outside CloudFormation, with the expected and actual value of every\n\
property that differs. Resources CloudFormation cannot check are not listed.",
    after_help = "Examples:\n  cairn drift prod\n  cairn drift staging data --format json\n\n\
Exit codes: 0 no drift, 1 drift found or failure, 2 bad input, 3 the endpoint does not implement\n\
drift detection (e.g. moto)."
)]
pub struct DriftArgs {
    /// The environment to check.
    pub env: String,
    /// Stacks to check (names or ids); default: all.
    pub stacks: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// How long to wait for detection (e.g. 90s, 10m).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub endpoint: EndpointArgs,
}

/// DescribeStackDriftDetectionStatus's answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DetectionStatus {
    /// DETECTION_IN_PROGRESS, DETECTION_COMPLETE or DETECTION_FAILED.
    pub status: String,
    /// DRIFTED, IN_SYNC, NOT_CHECKED or UNKNOWN.
    pub stack_drift_status: Option<String>,
    pub reason: Option<String>,
}

/// One property of a drifted resource.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropertyDifference {
    /// JSON pointer into the properties (`/VisibilityTimeout`, `/Tags/1/Value`).
    pub path: String,
    pub expected: String,
    pub actual: String,
    /// ADD, REMOVE or NOT_EQUAL.
    pub kind: String,
}

/// One resource DescribeStackResourceDrifts reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceDrift {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    /// MODIFIED, DELETED (IN_SYNC and NOT_CHECKED are not asked for).
    pub status: String,
    pub differences: Vec<PropertyDifference>,
}

/// The drift-detection calls (not in deploy's `CloudFormation` trait: only this
/// command uses them). The SDK implements them below; tests script them.
pub trait DriftApi {
    /// DetectStackDrift: starts detection, returns its id.
    fn detect_stack_drift(&self, stack: &str) -> AwsResult<String>;
    /// DescribeStackDriftDetectionStatus.
    fn detection_status(&self, detection_id: &str) -> AwsResult<DetectionStatus>;
    /// DescribeStackResourceDrifts of MODIFIED and DELETED resources, every page.
    fn resource_drifts(&self, stack: &str) -> AwsResult<Vec<ResourceDrift>>;
}

/// [`DriftApi`] on the SDK client of an environment.
pub struct SdkDrift<'a> {
    clients: &'a AwsClients,
}

impl DriftApi for SdkDrift<'_> {
    fn detect_stack_drift(&self, stack: &str) -> AwsResult<String> {
        let c = self.clients;
        let out = c
            .block_on(c.cloudformation.client().detect_stack_drift().stack_name(stack).send())
            .map_err(|e| from_sdk("CloudFormation", "DetectStackDrift", &c.target, &e))?;
        out.stack_drift_detection_id()
            .map(str::to_string)
            .ok_or_else(|| AwsError::new(AwsErrorKind::Other, "DetectStackDrift returned no detection id"))
    }

    fn detection_status(&self, detection_id: &str) -> AwsResult<DetectionStatus> {
        let c = self.clients;
        let out = c
            .block_on(
                c.cloudformation
                    .client()
                    .describe_stack_drift_detection_status()
                    .stack_drift_detection_id(detection_id)
                    .send(),
            )
            .map_err(|e| from_sdk("CloudFormation", "DescribeStackDriftDetectionStatus", &c.target, &e))?;
        Ok(DetectionStatus {
            status: out.detection_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
            stack_drift_status: out.stack_drift_status().map(|s| s.as_str().to_string()),
            reason: out.detection_status_reason().map(str::to_string),
        })
    }

    fn resource_drifts(&self, stack: &str) -> AwsResult<Vec<ResourceDrift>> {
        let c = self.clients;
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = c
                .block_on(
                    c.cloudformation
                        .client()
                        .describe_stack_resource_drifts()
                        .stack_name(stack)
                        .stack_resource_drift_status_filters(StackResourceDriftStatus::Modified)
                        .stack_resource_drift_status_filters(StackResourceDriftStatus::Deleted)
                        .set_next_token(token.take())
                        .send(),
                )
                .map_err(|e| from_sdk("CloudFormation", "DescribeStackResourceDrifts", &c.target, &e))?;
            out.extend(page.stack_resource_drifts().iter().map(|d| {
                ResourceDrift {
                    logical_id: d.logical_resource_id().unwrap_or_default().to_string(),
                    physical_id: d.physical_resource_id().map(str::to_string),
                    resource_type: d.resource_type().unwrap_or_default().to_string(),
                    status: d.stack_resource_drift_status().map(|s| s.as_str().to_string()).unwrap_or_default(),
                    differences: d
                        .property_differences()
                        .iter()
                        .map(|p| PropertyDifference {
                            path: p.property_path().unwrap_or_default().to_string(),
                            expected: p.expected_value().unwrap_or_default().to_string(),
                            actual: p.actual_value().unwrap_or_default().to_string(),
                            kind: p.difference_type().map(|t| t.as_str().to_string()).unwrap_or_default(),
                        })
                        .collect(),
                }
            }));
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => return Ok(out),
            }
        }
    }
}

/// What detection found for one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackDrift {
    NotDeployed,
    Checked {
        /// DRIFTED, IN_SYNC, NOT_CHECKED or UNKNOWN.
        status: String,
        /// Why detection failed (partly), when it did.
        reason: Option<String>,
        resources: Vec<ResourceDrift>,
    },
    TimedOut,
}

/// Runs detection on `stacks` (name, deployed?) and waits for all of them.
/// An endpoint without drift detection is an error of kind `Unsupported`.
pub fn detect(api: &dyn DriftApi, stacks: &[(String, bool)], timeout: Duration, clock: &dyn Clock) -> AwsResult<Vec<(String, StackDrift)>> {
    let started = clock.now();
    let mut running: Vec<(usize, String)> = Vec::new();
    for (i, (name, deployed)) in stacks.iter().enumerate() {
        if *deployed {
            running.push((i, api.detect_stack_drift(name)?));
        }
    }
    let mut results: Vec<(String, StackDrift)> = stacks.iter().map(|(n, _)| (n.clone(), StackDrift::NotDeployed)).collect();
    while !running.is_empty() {
        let mut still = Vec::new();
        for (i, id) in running {
            let status = api.detection_status(&id)?;
            match status.status.as_str() {
                "DETECTION_IN_PROGRESS" => still.push((i, id)),
                // A failed detection still reports the resources it could check.
                _ => {
                    let resources = api.resource_drifts(&stacks[i].0)?;
                    results[i].1 = StackDrift::Checked {
                        status: status.stack_drift_status.unwrap_or_else(|| "UNKNOWN".into()),
                        reason: status.reason.filter(|_| status.status == "DETECTION_FAILED"),
                        resources,
                    };
                }
            }
        }
        running = still;
        if running.is_empty() {
            break;
        }
        if clock.interrupted() || clock.now().saturating_sub(started) >= timeout {
            for (i, _) in running {
                results[i].1 = StackDrift::TimedOut;
            }
            break;
        }
        clock.sleep(POLL);
    }
    Ok(results)
}

/// Number of drifted resources.
pub fn drifted(results: &[(String, StackDrift)]) -> usize {
    results
        .iter()
        .map(|(_, d)| match d {
            StackDrift::Checked { resources, .. } => resources.len(),
            _ => 0,
        })
        .sum()
}

/// The construct path of a logical ID, from the synthesis (`data/Jobs/Resource`).
fn construct_path(env: &EnvArtifact, stack: &str, logical_id: &str) -> Option<String> {
    env.stacks.iter().find(|s| s.name == stack)?.paths.get(logical_id).cloned()
}

fn resource_label(env: &EnvArtifact, stack: &str, r: &ResourceDrift) -> String {
    match construct_path(env, stack, &r.logical_id) {
        Some(path) => format!("{path} ({}, {})", r.logical_id, r.resource_type),
        None => format!("{} ({})", r.logical_id, r.resource_type),
    }
}

/// The findings as text.
pub fn text(env: &EnvArtifact, results: &[(String, StackDrift)], style: Style) -> String {
    let s = &env.settings;
    let mut out = format!(
        "{} {} (account {}, {})\n",
        style.bold("Drift of"),
        style.bold(&s.name),
        s.account,
        s.region
    );
    let width = results.iter().map(|(n, _)| n.chars().count()).max().unwrap_or(0);
    for (name, drift) in results {
        let pad = " ".repeat(width - name.chars().count());
        match drift {
            StackDrift::NotDeployed => out.push_str(&format!("  {name}{pad}  {}\n", style.dim("not deployed"))),
            StackDrift::TimedOut => out.push_str(&format!("  {name}{pad}  {}\n", style.yellow("detection did not finish in time"))),
            StackDrift::Checked { status, reason, resources } => {
                let head = if resources.is_empty() {
                    style.green(status)
                } else {
                    style.red(&format!(
                        "{status}: {} resource{} changed outside CloudFormation",
                        resources.len(),
                        if resources.len() == 1 { "" } else { "s" }
                    ))
                };
                out.push_str(&format!("  {name}{pad}  {head}\n"));
                if let Some(r) = reason {
                    out.push_str(&format!("    {}\n", style.yellow(&format!("detection incomplete: {r}"))));
                }
                for r in resources {
                    out.push_str(&format!("    {}  {}\n", resource_label(env, name, r), style.red(&r.status)));
                    for d in &r.differences {
                        out.push_str(&format!(
                            "      {}  expected {}  actual {}  ({})\n",
                            d.path,
                            if d.expected.is_empty() { "—" } else { &d.expected },
                            if d.actual.is_empty() { "—" } else { &d.actual },
                            d.kind
                        ));
                    }
                }
            }
        }
    }
    let n = drifted(results);
    out.push_str(&if n == 0 {
        style.green("drift: none found")
    } else {
        style.red(&format!(
            "drift: {n} resource{} changed outside CloudFormation",
            if n == 1 { "" } else { "s" }
        ))
    });
    out.push('\n');
    out
}

/// The findings as Markdown.
pub fn markdown(env: &EnvArtifact, results: &[(String, StackDrift)]) -> String {
    let mut out = format!(
        "## Drift of {}\n\n| Stack | Resource | Status | Property | Expected | Actual |\n|---|---|---|---|---|---|\n",
        env.name()
    );
    let cell = |s: &str| {
        if s.is_empty() {
            "—".to_string()
        } else {
            format!("`{}`", s.replace('|', "\\|").replace('`', "'"))
        }
    };
    for (name, drift) in results {
        match drift {
            StackDrift::NotDeployed => out.push_str(&format!("| {name} | | not deployed | | | |\n")),
            StackDrift::TimedOut => out.push_str(&format!("| {name} | | detection did not finish | | | |\n")),
            StackDrift::Checked { status, resources, .. } if resources.is_empty() => {
                out.push_str(&format!("| {name} | | {status} | | | |\n"))
            }
            StackDrift::Checked { resources, .. } => {
                for r in resources {
                    let label = resource_label(env, name, r);
                    if r.differences.is_empty() {
                        out.push_str(&format!("| {name} | `{label}` | **{}** | | | |\n", r.status));
                    }
                    for d in &r.differences {
                        out.push_str(&format!(
                            "| {name} | `{label}` | **{}** | `{}` | {} | {} |\n",
                            r.status,
                            d.path,
                            cell(&d.expected),
                            cell(&d.actual)
                        ));
                    }
                }
            }
        }
    }
    out.push_str(&format!("\n{} resource(s) changed outside CloudFormation.\n", drifted(results)));
    out
}

/// The findings as JSON.
pub fn to_json(env: &EnvArtifact, results: &[(String, StackDrift)]) -> Json {
    let stacks: Vec<Json> = results
        .iter()
        .map(|(name, drift)| match drift {
            StackDrift::NotDeployed => json!({"name": name, "deployed": false}),
            StackDrift::TimedOut => json!({"name": name, "deployed": true, "status": null, "timedOut": true}),
            StackDrift::Checked { status, reason, resources } => json!({
                "name": name,
                "deployed": true,
                "status": status,
                "reason": reason,
                "resources": resources.iter().map(|r| json!({
                    "logicalId": r.logical_id,
                    "path": construct_path(env, name, &r.logical_id),
                    "physicalId": r.physical_id,
                    "type": r.resource_type,
                    "status": r.status,
                    "differences": r.differences.iter().map(|d| json!({
                        "path": d.path, "expected": d.expected, "actual": d.actual, "kind": d.kind,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            }),
        })
        .collect();
    json!({
        "environment": env.name(),
        "account": env.settings.account,
        "region": env.settings.region,
        "drifted": drifted(results),
        "stacks": stacks,
    })
}

/// What a failed detection call means for the user. An `Unsupported` error already
/// names the operation, the endpoint and why; it is said once, with the way out.
fn detection_error(e: AwsError) -> CliError {
    if e.kind == AwsErrorKind::Unsupported {
        return CliError::with_code(
            EXIT_UNSUPPORTED,
            format!(
                "error: {}: drift detection needs AWS CloudFormation itself, local emulators such as moto \
                 lack it; run `cairn drift` against AWS",
                e.message
            ),
        );
    }
    e.into()
}

pub fn run<A: Application>(project: &Project<A>, args: &DriftArgs, style: Style) -> CliResult {
    let artifact = crate::commands::deploy::synth_env(project, &args.env)?;
    let stacks = crate::commands::deploy::select_stacks(&artifact, &args.stacks)?;
    let settings = &artifact.settings;
    let clients = aws::connect(settings, args.endpoint.endpoint_url.as_deref())?;
    clients.check_account(settings)?;
    let mut listed = Vec::new();
    for s in &stacks {
        let deployed = crate::commands::diff::deployed_template(&clients.cloudformation, &s.name)?.is_some();
        listed.push((s.name.clone(), deployed));
    }
    if !listed.iter().any(|(_, d)| *d) {
        return Err(CliError::failure(format!(
            "error: no stack of environment `{}` is deployed; nothing to check",
            settings.name
        )));
    }
    let api = SdkDrift { clients: &clients };
    let results = detect(&api, &listed, args.timeout, &SystemClock::new()).map_err(detection_error)?;
    let output = match args.format {
        Format::Text => text(&artifact, &results, style),
        Format::Markdown => markdown(&artifact, &results),
        Format::Json => serde_json::to_string_pretty(&to_json(&artifact, &results)).map_err(|e| CliError::failure(e.to_string()))? + "\n",
    };
    print!("{output}");
    let timed_out = results.iter().any(|(_, d)| *d == StackDrift::TimedOut);
    let n = drifted(&results);
    if n > 0 {
        return Err(CliError::with_code(
            1,
            format!(
                "error: {n} resource{} of {} changed outside CloudFormation (listed above)",
                if n == 1 { "" } else { "s" },
                settings.name
            ),
        ));
    }
    if timed_out {
        return Err(CliError::failure(format!(
            "error: drift detection did not finish within {}s; run again with a longer --timeout",
            args.timeout.as_secs()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::{BTreeMap, VecDeque};

    use super::*;
    use crate::deploy::clock::fake::FakeClock;

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
        let m = &cli.message;
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
}
