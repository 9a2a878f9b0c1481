//! CloudFormation's drift-detection calls, which only `cairn drift` makes (so they
//! are not in deploy's [`CloudFormation`](super::CloudFormation) trait): the trait
//! [`DriftApi`], its answers, and [`SdkDrift`], the SDK's implementation. Tests
//! script the trait (`crate::drift`'s tests).

use aws_sdk_cloudformation::types::StackResourceDriftStatus;

use super::error::from_sdk;
use super::{AwsClients, AwsError, AwsErrorKind, AwsResult};

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

/// The drift-detection calls (not in deploy's `CloudFormation` trait: only
/// `cairn drift` makes them). [`SdkDrift`] implements them; tests script them.
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

impl<'a> SdkDrift<'a> {
    pub fn new(clients: &'a AwsClients) -> Self {
        SdkDrift { clients }
    }
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
