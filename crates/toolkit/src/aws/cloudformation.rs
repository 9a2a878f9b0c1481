//! The CloudFormation calls cairn makes, as a trait: the SDK client implements it
//! ([`super::sdk::SdkCloudFormation`]) and tests script it
//! (`aws::fake::FakeCloudFormation`). The types carry only what cairn reads.

use super::error::AwsResult;

/// Capabilities every change set and stack operation sends: cairn's templates
/// create IAM roles with generated or explicit names.
pub const CAPABILITIES: [&str; 3] = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"];

/// A point in time, milliseconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Time(pub i64);

impl Time {
    /// The current time.
    pub fn now() -> Time {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        Time(i64::try_from(ms).unwrap_or(i64::MAX))
    }

    /// `HH:MM:SS` in UTC.
    pub fn clock(&self) -> String {
        let secs = self.0.div_euclid(1000).rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// RFC 3339, seconds precision (`2024-05-01T12:00:00Z`).
    pub fn rfc3339(&self) -> String {
        let t = aws_smithy_types::DateTime::from_secs(self.0.div_euclid(1000));
        t.fmt(aws_smithy_types::date_time::Format::DateTime)
            .unwrap_or_else(|_| self.0.to_string())
    }
}

/// A deployed stack as DescribeStacks reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackInfo {
    pub name: String,
    /// The stack's ARN.
    pub id: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub termination_protection: bool,
    pub created: Option<Time>,
    pub updated: Option<Time>,
    pub outputs: Vec<StackOutput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackOutput {
    pub key: String,
    pub value: String,
    pub description: Option<String>,
    pub export_name: Option<String>,
}

/// One line of ListStackResources.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackResource {
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
    pub status_reason: Option<String>,
}

/// One stack event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackEvent {
    pub id: String,
    pub time: Time,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    pub status: String,
    pub reason: Option<String>,
}

impl StackEvent {
    /// An event about the stack itself rather than one of its resources.
    pub fn is_stack_event(&self) -> bool {
        self.resource_type == "AWS::CloudFormation::Stack"
    }
}

/// Where CloudFormation reads the template from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSource {
    Body(String),
    /// An S3 URL (templates over 51,200 bytes).
    Url(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeSetType {
    Create,
    Update,
}

impl ChangeSetType {
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeSetType::Create => "CREATE",
            ChangeSetType::Update => "UPDATE",
        }
    }
}

/// CreateChangeSet's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSetRequest {
    pub stack_name: String,
    pub change_set_name: String,
    pub change_set_type: ChangeSetType,
    pub template: TemplateSource,
    pub description: Option<String>,
    /// Alarms that make CloudFormation roll the operation back (`deploy::rollback_triggers`).
    pub rollback: Option<RollbackConfiguration>,
}

/// CreateStack's and UpdateStack's input (used where ExecuteChangeSet cannot be, see `Quirks`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackRequest {
    pub stack_name: String,
    pub template: TemplateSource,
    pub rollback: Option<RollbackConfiguration>,
}

/// RollbackConfiguration: CloudFormation rolls the operation back if one of these
/// CloudWatch alarms goes to ALARM during it or in the monitoring period after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackConfiguration {
    /// `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>` (at most 5).
    pub alarm_arns: Vec<String>,
    /// Minutes CloudFormation keeps watching after the last resource is done (0 to 180).
    pub monitoring_minutes: u32,
}

/// What CreateChangeSet returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedChangeSet {
    /// The change set's ARN (used for every later call: names are not unique on every endpoint).
    pub id: String,
    pub stack_id: String,
}

/// A change set with every page of its changes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSetInfo {
    pub id: String,
    pub stack_id: String,
    /// CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_COMPLETE, DELETE_*, FAILED.
    pub status: String,
    pub status_reason: Option<String>,
    /// UNAVAILABLE, AVAILABLE, EXECUTE_IN_PROGRESS, EXECUTE_COMPLETE, EXECUTE_FAILED, OBSOLETE.
    pub execution_status: String,
    pub changes: Vec<ResourceChange>,
}

/// One resource change of a change set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceChange {
    /// Add, Modify, Remove, Import, Dynamic.
    pub action: String,
    pub logical_id: String,
    pub physical_id: Option<String>,
    pub resource_type: String,
    /// True, False, Conditional; `None` when the endpoint does not say.
    pub replacement: Option<String>,
    /// Properties whose change causes (or may cause) the replacement.
    pub replacing_properties: Vec<String>,
}

/// One line of ListChangeSets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSetSummary {
    pub id: String,
    pub name: String,
    /// The ARN of the stack it belongs to.
    pub stack_id: String,
    pub status: String,
    pub execution_status: String,
}

/// The CloudFormation API as cairn uses it. Methods taking `stack` accept a name or an ARN.
pub trait CloudFormation {
    /// DescribeStacks for one stack; `None` if it does not exist.
    fn describe_stack(&self, stack: &str) -> AwsResult<Option<StackInfo>>;
    /// GetTemplate (the template as deployed, `Original` stage); `None` if the stack does not exist.
    fn get_template(&self, stack: &str) -> AwsResult<Option<String>>;
    /// ListStackResources, every page.
    fn list_stack_resources(&self, stack: &str) -> AwsResult<Vec<StackResource>>;
    /// DescribeStackEvents, newest first: every page up to and excluding the event
    /// `until` (an event ID), or at most `limit` events.
    fn stack_events(&self, stack: &str, until: Option<&str>, limit: usize) -> AwsResult<Vec<StackEvent>>;
    /// ListChangeSets of a stack (given by ARN: only that stack's, even where the
    /// endpoint lists more).
    fn list_change_sets(&self, stack: &str) -> AwsResult<Vec<ChangeSetSummary>>;
    /// CreateChangeSet; always sends ChangeSetType and [`CAPABILITIES`].
    fn create_change_set(&self, request: &ChangeSetRequest) -> AwsResult<CreatedChangeSet>;
    /// DescribeChangeSet by ARN, every page of changes.
    fn describe_change_set(&self, change_set_id: &str) -> AwsResult<ChangeSetInfo>;
    fn execute_change_set(&self, change_set_id: &str) -> AwsResult<()>;
    fn delete_change_set(&self, change_set_id: &str) -> AwsResult<()>;
    /// CreateStack; returns the stack's ARN.
    fn create_stack(&self, request: &StackRequest) -> AwsResult<String>;
    /// UpdateStack; returns the stack's ARN.
    fn update_stack(&self, request: &StackRequest) -> AwsResult<String>;
    /// ListExports, every page: (export name, value) of the region's export registry.
    fn list_exports(&self) -> AwsResult<Vec<(String, String)>>;
    fn delete_stack(&self, stack: &str) -> AwsResult<()>;
    fn set_termination_protection(&self, stack: &str, enabled: bool) -> AwsResult<()>;
    fn set_stack_policy(&self, stack: &str, policy_body: &str) -> AwsResult<()>;
    /// GetStackPolicy; `None` when the stack has none.
    fn get_stack_policy(&self, stack: &str) -> AwsResult<Option<String>>;
}

/// How a stack's status reads.
pub mod status {
    /// Still moving: CloudFormation is working on it.
    pub fn in_progress(s: &str) -> bool {
        s.ends_with("_IN_PROGRESS")
    }

    /// A resource or stack status that means "done with this one".
    pub fn settled(s: &str) -> bool {
        !in_progress(s)
    }

    pub fn failed(s: &str) -> bool {
        s.ends_with("_FAILED")
    }

    /// A stack status after a successful create or update.
    pub fn succeeded(s: &str) -> bool {
        matches!(s, "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE")
    }

    /// Rolled back (the operation failed, CloudFormation undid it).
    pub fn rolled_back(s: &str) -> bool {
        matches!(s, "ROLLBACK_COMPLETE" | "UPDATE_ROLLBACK_COMPLETE" | "IMPORT_ROLLBACK_COMPLETE")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_in_utc() {
        let t = Time(1_700_000_000_123); // 2023-11-14T22:13:20Z
        assert_eq!(t.clock(), "22:13:20");
        assert_eq!(t.rfc3339(), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn statuses_classify() {
        assert!(status::in_progress("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
        assert!(status::in_progress("REVIEW_IN_PROGRESS"));
        assert!(status::settled("ROLLBACK_COMPLETE"));
        assert!(status::failed("UPDATE_ROLLBACK_FAILED"));
        assert!(status::succeeded("UPDATE_COMPLETE") && !status::succeeded("UPDATE_ROLLBACK_COMPLETE"));
        assert!(status::rolled_back("UPDATE_ROLLBACK_COMPLETE"));
    }
}
