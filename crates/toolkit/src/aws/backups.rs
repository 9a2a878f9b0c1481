//! The backup calls `deploy` makes before changing a stateful resource (RDS snapshots,
//! DynamoDB on-demand backups), as a trait: the SDK clients implement it
//! ([`SdkBackups`]) and the deploy tests script it.

use tokio::runtime::Runtime;

use super::error::{from_sdk, AwsError, AwsErrorKind, AwsResult, Target};

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

/// [`BackupApi`] on the SDK's RDS and DynamoDB clients; each call blocks on cairn's runtime.
pub struct SdkBackups {
    rds: aws_sdk_rds::Client,
    dynamodb: aws_sdk_dynamodb::Client,
    runtime: &'static Runtime,
    target: Target,
}

impl SdkBackups {
    pub fn new(sdk_config: &aws_config::SdkConfig, runtime: &'static Runtime, target: Target) -> Self {
        SdkBackups {
            rds: aws_sdk_rds::Client::new(sdk_config),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk_config),
            runtime,
            target,
        }
    }
}

fn missing(op: &str, what: &str) -> AwsError {
    AwsError::new(AwsErrorKind::Other, format!("{op} returned no {what}"))
}

impl BackupApi for SdkBackups {
    fn create_db_snapshot(&self, instance: &str, snapshot: &str) -> AwsResult<String> {
        let out = self
            .runtime
            .block_on(
                self.rds
                    .create_db_snapshot()
                    .db_instance_identifier(instance)
                    .db_snapshot_identifier(snapshot)
                    .send(),
            )
            .map_err(|e| from_sdk("RDS", "CreateDBSnapshot", &self.target, &e))?;
        let s = out.db_snapshot().ok_or_else(|| missing("CreateDBSnapshot", "snapshot"))?;
        Ok(s.status().unwrap_or("creating").to_string())
    }

    fn db_snapshot_status(&self, snapshot: &str) -> AwsResult<String> {
        let out = self
            .runtime
            .block_on(self.rds.describe_db_snapshots().db_snapshot_identifier(snapshot).send())
            .map_err(|e| from_sdk("RDS", "DescribeDBSnapshots", &self.target, &e))?;
        let s = out
            .db_snapshots()
            .first()
            .ok_or_else(|| missing("DescribeDBSnapshots", "snapshot"))?;
        Ok(s.status().unwrap_or_default().to_string())
    }

    fn create_db_cluster_snapshot(&self, cluster: &str, snapshot: &str) -> AwsResult<String> {
        let out = self
            .runtime
            .block_on(
                self.rds
                    .create_db_cluster_snapshot()
                    .db_cluster_identifier(cluster)
                    .db_cluster_snapshot_identifier(snapshot)
                    .send(),
            )
            .map_err(|e| from_sdk("RDS", "CreateDBClusterSnapshot", &self.target, &e))?;
        let s = out
            .db_cluster_snapshot()
            .ok_or_else(|| missing("CreateDBClusterSnapshot", "snapshot"))?;
        Ok(s.status().unwrap_or("creating").to_string())
    }

    fn db_cluster_snapshot_status(&self, snapshot: &str) -> AwsResult<String> {
        let out = self
            .runtime
            .block_on(
                self.rds
                    .describe_db_cluster_snapshots()
                    .db_cluster_snapshot_identifier(snapshot)
                    .send(),
            )
            .map_err(|e| from_sdk("RDS", "DescribeDBClusterSnapshots", &self.target, &e))?;
        let s = out
            .db_cluster_snapshots()
            .first()
            .ok_or_else(|| missing("DescribeDBClusterSnapshots", "snapshot"))?;
        Ok(s.status().unwrap_or_default().to_string())
    }

    fn create_table_backup(&self, table: &str, backup: &str) -> AwsResult<TableBackup> {
        let out = self
            .runtime
            .block_on(self.dynamodb.create_backup().table_name(table).backup_name(backup).send())
            .map_err(|e| from_sdk("DynamoDB", "CreateBackup", &self.target, &e))?;
        let d = out.backup_details().ok_or_else(|| missing("CreateBackup", "backup"))?;
        Ok(TableBackup {
            arn: d.backup_arn().to_string(),
            status: d.backup_status().as_str().to_string(),
        })
    }
}
