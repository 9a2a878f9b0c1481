//! The backup calls `deploy` makes before changing a stateful resource (RDS snapshots,
//! DynamoDB on-demand backups), as a trait: [`AwsBackups`] implements it and the
//! deploy tests script it.

use super::call::{Caller, DYNAMODB, RDS};
use super::error::{AwsError, AwsErrorKind, AwsResult};

/// A DynamoDB on-demand backup as CreateBackup reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableBackup {
    /// The backup's ARN (what RestoreTableFromBackup takes).
    pub arn: String,
    /// CREATING or AVAILABLE. The backup holds the table as it was at the request
    /// either way, so the deploy does not wait for it.
    pub status: String,
}

/// RDS and DynamoDB backups, as `deploy` uses them.
pub trait BackupApi {
    /// CreateDBSnapshot of `instance` named `snapshot`; returns its status.
    fn create_db_snapshot(&self, instance: &str, snapshot: &str) -> AwsResult<String>;
    /// The status of DB snapshot `snapshot` (DescribeDBSnapshots).
    fn db_snapshot_status(&self, snapshot: &str) -> AwsResult<String>;
    /// CreateDBClusterSnapshot of `cluster` named `snapshot`; returns its status.
    fn create_db_cluster_snapshot(&self, cluster: &str, snapshot: &str) -> AwsResult<String>;
    /// The status of DB cluster snapshot `snapshot` (DescribeDBClusterSnapshots).
    fn db_cluster_snapshot_status(&self, snapshot: &str) -> AwsResult<String>;
    /// CreateBackup of table `table` named `backup`.
    fn create_table_backup(&self, table: &str, backup: &str) -> AwsResult<TableBackup>;
}

/// [`BackupApi`] through RDS's Query API and DynamoDB's JSON API; each call blocks on
/// cairn's runtime.
pub struct AwsBackups {
    caller: Caller,
}

impl AwsBackups {
    pub fn new(caller: Caller) -> Self {
        AwsBackups { caller }
    }

    /// The `Status` of the `what` element (`DBSnapshot`) of an RDS answer.
    fn rds_status(&self, action: &str, params: &[(&str, &str)], what: &str, default: &str) -> AwsResult<String> {
        let params: Vec<(String, String)> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let answer = self.caller.query(&RDS, action, &params)?;
        let item = answer.find(what).ok_or_else(|| missing(action, "snapshot"))?;
        Ok(item.child_text("Status").filter(|s| !s.is_empty()).unwrap_or(default).to_string())
    }
}

fn missing(op: &str, what: &str) -> AwsError {
    AwsError::new(AwsErrorKind::Other, format!("{op} returned no {what}"))
}

impl BackupApi for AwsBackups {
    fn create_db_snapshot(&self, instance: &str, snapshot: &str) -> AwsResult<String> {
        self.rds_status(
            "CreateDBSnapshot",
            &[("DBInstanceIdentifier", instance), ("DBSnapshotIdentifier", snapshot)],
            "DBSnapshot",
            "creating",
        )
    }

    fn db_snapshot_status(&self, snapshot: &str) -> AwsResult<String> {
        self.rds_status("DescribeDBSnapshots", &[("DBSnapshotIdentifier", snapshot)], "DBSnapshot", "")
    }

    fn create_db_cluster_snapshot(&self, cluster: &str, snapshot: &str) -> AwsResult<String> {
        self.rds_status(
            "CreateDBClusterSnapshot",
            &[("DBClusterIdentifier", cluster), ("DBClusterSnapshotIdentifier", snapshot)],
            "DBClusterSnapshot",
            "creating",
        )
    }

    fn db_cluster_snapshot_status(&self, snapshot: &str) -> AwsResult<String> {
        self.rds_status(
            "DescribeDBClusterSnapshots",
            &[("DBClusterSnapshotIdentifier", snapshot)],
            "DBClusterSnapshot",
            "",
        )
    }

    fn create_table_backup(&self, table: &str, backup: &str) -> AwsResult<TableBackup> {
        let answer = self.caller.json(
            &DYNAMODB,
            "CreateBackup",
            &serde_json::json!({ "TableName": table, "BackupName": backup }),
        )?;
        let details = answer.get("BackupDetails").ok_or_else(|| missing("CreateBackup", "backup"))?;
        let text = |k: &str| details.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        Ok(TableBackup {
            arn: text("BackupArn"),
            status: text("BackupStatus"),
        })
    }
}
