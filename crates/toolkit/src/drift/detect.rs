//! Detection itself: started on every deployed stack at once (DetectStackDrift),
//! polled until done (DescribeStackDriftDetectionStatus), then the drifted resources
//! listed (DescribeStackResourceDrifts, MODIFIED and DELETED).

use std::time::Duration;

use crate::aws::drift::{DriftApi, ResourceDrift};
use crate::aws::{AwsError, AwsErrorKind, AwsResult};
use crate::deploy::clock::Clock;
use crate::error::CliError;

/// How often detection status is polled.
const POLL: Duration = Duration::from_secs(2);

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

/// What a failed detection call means for the user. An `Unsupported` error already
/// names the operation, the endpoint and why; it is said once, with the way out.
pub fn detection_error(e: AwsError) -> CliError {
    if e.kind == AwsErrorKind::Unsupported {
        return CliError::DriftUnsupported(e);
    }
    e.into()
}
