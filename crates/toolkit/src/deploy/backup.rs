//! Backups before a change set touches stateful resources (the environment file's
//! `[delivery] backup_before_stateful_changes`): after the change set is reviewed and
//! approved, right before it is executed, cairn takes an RDS snapshot of each database
//! instance or cluster and a DynamoDB on-demand backup of each table the change set
//! modifies or removes, names them, and stops (nothing executed) if one fails.
//!
//! "Touches" means any Modify (with or without replacement), Remove or Dynamic change:
//! an in-place update can lose data too (a DynamoDB TTL turned on deletes items, an engine
//! upgrade or a parameter-group change can go wrong), and the change set cannot tell
//! which in-place changes are harmless. Adding a resource needs no backup: it holds nothing yet.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value as Json;

use super::error::{DeployError, DeployResult};
use super::Deployer;
use crate::aws::backups::BackupApi;
use crate::aws::cloudformation::Time;
use crate::aws::{ChangeSetType, CreatedChangeSet, ResourceChange, StackResource};

/// How a stateful resource type is backed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackupKind {
    /// CreateDBSnapshot of an RDS instance.
    DbSnapshot,
    /// CreateDBClusterSnapshot of an RDS (Aurora) cluster.
    DbClusterSnapshot,
    /// CreateBackup of a DynamoDB table.
    TableBackup,
}

/// One resource a change set touches that gets a backup first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub logical_id: String,
    pub resource_type: String,
    /// Modify, Remove or Dynamic.
    pub action: String,
    pub kind: BackupKind,
    /// The physical ID the change set gives (AWS does for modifications and removals);
    /// else it is looked up in the stack's resources.
    pub physical_id: Option<String>,
}

/// How a resource type is backed up; `None` for a type cairn does not back up.
pub fn backup_kind(resource_type: &str) -> Option<BackupKind> {
    match resource_type {
        "AWS::RDS::DBInstance" => Some(BackupKind::DbSnapshot),
        "AWS::RDS::DBCluster" => Some(BackupKind::DbClusterSnapshot),
        // A global table's replica in this region takes on-demand backups like a table.
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => Some(BackupKind::TableBackup),
        _ => None,
    }
}

/// The changes that need a backup first: a stateful type modified (replaced or not),
/// removed or changed dynamically. An RDS instance that belongs to a cluster (its
/// `DBClusterIdentifier` in the deployed template) is covered by a snapshot of that
/// cluster, as RDS snapshots Aurora instances only through their cluster.
pub fn touched(changes: &[ResourceChange], deployed: Option<&Json>) -> Vec<Touched> {
    let mut out: Vec<Touched> = Vec::new();
    for c in changes {
        if !matches!(c.action.as_str(), "Modify" | "Remove" | "Dynamic") {
            continue;
        }
        let Some(mut kind) = backup_kind(&c.resource_type) else { continue };
        let mut logical_id = c.logical_id.clone();
        let mut resource_type = c.resource_type.clone();
        let mut physical_id = c.physical_id.clone().filter(|p| !p.is_empty());
        if kind == BackupKind::DbSnapshot {
            if let Some(cluster) = cluster_of(deployed, &c.logical_id) {
                kind = BackupKind::DbClusterSnapshot;
                logical_id = cluster;
                resource_type = "AWS::RDS::DBCluster".into();
                physical_id = None;
            }
        }
        if out.iter().any(|t| t.logical_id == logical_id) {
            continue;
        }
        out.push(Touched {
            logical_id,
            resource_type,
            action: c.action.clone(),
            kind,
            physical_id,
        });
    }
    out
}

/// The logical ID of the cluster an RDS instance of the deployed template belongs to
/// (`DBClusterIdentifier: {Ref: Cluster}`); a literal identifier is returned as `=<id>`.
fn cluster_of(deployed: Option<&Json>, logical_id: &str) -> Option<String> {
    let id = deployed?
        .get("Resources")?
        .get(logical_id)?
        .get("Properties")?
        .get("DBClusterIdentifier")?;
    match id {
        Json::String(s) => Some(format!("={s}")),
        Json::Object(o) => o.get("Ref").and_then(Json::as_str).map(str::to_string),
        _ => None,
    }
}

/// The backup's name: `<stack>-<logical id>-<UTC time>`, in the characters RDS and
/// DynamoDB both accept (letters, digits, single hyphens; at most 255), lowercase for
/// RDS, which stores its identifiers lowercase.
pub fn backup_name(stack: &str, logical_id: &str, at: Time, kind: BackupKind) -> String {
    let stamp: String = at.rfc3339().chars().filter(char::is_ascii_digit).collect();
    let stamp = format!("{}-{}", &stamp[..8.min(stamp.len())], &stamp[8.min(stamp.len())..]);
    let room = 255 - stamp.len() - 1;
    let raw: String = format!("{stack}-{logical_id}")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(room)
        .collect();
    let mut name = String::new();
    for c in format!("{raw}-{stamp}").chars() {
        if !(c == '-' && name.ends_with('-')) {
            name.push(c);
        }
    }
    if kind == BackupKind::TableBackup {
        name
    } else {
        name.to_ascii_lowercase()
    }
}

/// How often a snapshot's status is read while waiting for it.
const POLL: Duration = Duration::from_secs(10);

impl Deployer<'_> {
    /// Backs up what the change set touches, when the environment asks for it. Any
    /// failure discards the change set (nothing executed) and stops the deploy.
    pub(super) fn back_up(
        &mut self,
        name: &str,
        changes: &[ResourceChange],
        deployed: Option<&Json>,
        created: &CreatedChangeSet,
        kind: ChangeSetType,
        deadline: Duration,
    ) -> DeployResult<()> {
        let Some(api) = self.backups else { return Ok(()) };
        let touched = touched(changes, deployed);
        if touched.is_empty() {
            return Ok(());
        }
        self.console.line(&format!(
            "  backing up before the change set touches {} stateful resource{} (delivery.backup_before_stateful_changes):",
            touched.len(),
            if touched.len() == 1 { "" } else { "s" }
        ));
        // The stack's resources only when the change set leaves a physical ID out (moto does).
        let needs_lookup = touched.iter().any(|t| t.physical_id.is_none() && !t.logical_id.starts_with('='));
        let resources = if needs_lookup {
            self.cfn.list_stack_resources(&created.stack_id).map_err(DeployError::from)
        } else {
            Ok(Vec::new())
        };
        let result = resources.and_then(|resources| self.take_all(api, name, &touched, &resources, deadline));
        match result {
            Ok(()) => Ok(()),
            Err(DeployError::Interrupted(what)) => {
                let gone = self.discard(created, kind);
                Err(DeployError::Interrupted(format!(
                    "stopped (Ctrl-C) {what}, before executing {name}'s change set{gone}; nothing was changed in {name}"
                )))
            }
            Err(e) => {
                let gone = self.discard_quietly(created, kind);
                Err(DeployError::Failed(format!(
                    "backup before changing {name} failed: {}; the change set was not executed and nothing was changed in \
                     {name}{gone}. Fix the cause and deploy again (or set `backup_before_stateful_changes = false` in the \
                     environment file's [delivery] table to deploy without backups)",
                    e
                )))
            }
        }
    }

    fn take_all(
        &mut self,
        api: &dyn BackupApi,
        stack: &str,
        touched: &[Touched],
        resources: &[StackResource],
        deadline: Duration,
    ) -> DeployResult<()> {
        let at = Time(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or_default(),
        );
        for t in touched {
            let physical = match (t.logical_id.strip_prefix('='), &t.physical_id) {
                (Some(literal), _) => literal.to_string(),
                (None, Some(p)) => p.clone(),
                (None, None) => resources
                    .iter()
                    .find(|r| r.logical_id == t.logical_id)
                    .and_then(|r| r.physical_id.clone())
                    .filter(|p| !p.is_empty())
                    .ok_or_else(|| {
                        DeployError::Failed(format!(
                            "{} ({}) has no physical ID in stack {stack}, so cairn cannot back it up",
                            t.logical_id, t.resource_type
                        ))
                    })?,
            };
            let shown_id = t.logical_id.trim_start_matches('=');
            let backup = backup_name(stack, shown_id, at, t.kind);
            let what = match t.kind {
                BackupKind::DbSnapshot => {
                    let status = api.create_db_snapshot(&physical, &backup)?;
                    let status = self.wait_snapshot(&backup, status, deadline, |n| api.db_snapshot_status(n))?;
                    format!("RDS snapshot {backup} of instance {physical} ({status})")
                }
                BackupKind::DbClusterSnapshot => {
                    let status = api.create_db_cluster_snapshot(&physical, &backup)?;
                    let status = self.wait_snapshot(&backup, status, deadline, |n| api.db_cluster_snapshot_status(n))?;
                    format!("RDS cluster snapshot {backup} of cluster {physical} ({status})")
                }
                BackupKind::TableBackup => {
                    let b = api.create_table_backup(&physical, &backup)?;
                    format!("DynamoDB backup {backup} of table {physical} ({}, {})", b.status, b.arn)
                }
            };
            self.console
                .line(&format!("    {shown_id} ({}, {}): {what}", t.resource_type, action_word(&t.action)));
        }
        Ok(())
    }

    /// Waits until snapshot `name` is available; fails on any other final status or at the deadline.
    fn wait_snapshot(
        &mut self,
        name: &str,
        mut status: String,
        deadline: Duration,
        read: impl Fn(&str) -> crate::aws::AwsResult<String>,
    ) -> DeployResult<String> {
        loop {
            match status.as_str() {
                "available" => return Ok(status),
                "creating" | "" => {}
                other => return Err(DeployError::Failed(format!("snapshot {name} is {other}, not available"))),
            }
            if self.clock.interrupted() {
                return Err(DeployError::Interrupted(format!(
                    "while snapshot {name} was being made (RDS finishes it)"
                )));
            }
            if self.clock.now() >= deadline {
                return Err(DeployError::Failed(format!(
                    "snapshot {name} was still {status} when the deploy's time ran out (RDS finishes it)"
                )));
            }
            self.clock.sleep(POLL);
            status = read(name)?;
        }
    }
}

fn action_word(action: &str) -> &'static str {
    match action {
        "Remove" => "to be removed",
        "Dynamic" => "may change",
        _ => "to be modified",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn change(action: &str, id: &str, t: &str) -> ResourceChange {
        ResourceChange {
            action: action.into(),
            logical_id: id.into(),
            resource_type: t.into(),
            ..Default::default()
        }
    }

    fn ids(t: &[Touched]) -> Vec<(&str, BackupKind)> {
        t.iter().map(|t| (t.logical_id.as_str(), t.kind)).collect()
    }

    #[test]
    fn modifications_and_removals_of_databases_and_tables_are_backed_up() {
        let changes = vec![
            change("Modify", "Db", "AWS::RDS::DBInstance"),
            change("Remove", "Orders", "AWS::DynamoDB::Table"),
            change("Dynamic", "Aurora", "AWS::RDS::DBCluster"),
            change("Modify", "Global", "AWS::DynamoDB::GlobalTable"),
        ];
        assert_eq!(
            ids(&touched(&changes, None)),
            vec![
                ("Db", BackupKind::DbSnapshot),
                ("Orders", BackupKind::TableBackup),
                ("Aurora", BackupKind::DbClusterSnapshot),
                ("Global", BackupKind::TableBackup),
            ]
        );
    }

    #[test]
    fn a_modification_without_replacement_still_counts() {
        let in_place = ResourceChange {
            replacement: Some("False".into()),
            ..change("Modify", "Orders", "AWS::DynamoDB::Table")
        };
        assert_eq!(ids(&touched(&[in_place], None)), vec![("Orders", BackupKind::TableBackup)]);
    }

    #[test]
    fn additions_imports_and_other_types_need_no_backup() {
        let changes = vec![
            change("Add", "Db", "AWS::RDS::DBInstance"),
            change("Import", "Orders", "AWS::DynamoDB::Table"),
            change("Modify", "Uploads", "AWS::S3::Bucket"),
            change("Remove", "Jobs", "AWS::SQS::Queue"),
            change("Modify", "Group", "AWS::RDS::DBSubnetGroup"),
        ];
        assert!(touched(&changes, None).is_empty());
    }

    #[test]
    fn an_instance_of_a_cluster_is_covered_by_one_snapshot_of_the_cluster() {
        let deployed = json!({"Resources": {
            "Writer": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBClusterIdentifier": {"Ref": "Aurora"}}},
            "Reader": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBClusterIdentifier": {"Ref": "Aurora"}}},
            "Other": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBClusterIdentifier": "legacy-cluster"}},
        }});
        let changes = vec![
            change("Modify", "Writer", "AWS::RDS::DBInstance"),
            change("Modify", "Reader", "AWS::RDS::DBInstance"),
            change("Modify", "Aurora", "AWS::RDS::DBCluster"),
            change("Modify", "Other", "AWS::RDS::DBInstance"),
        ];
        assert_eq!(
            ids(&touched(&changes, Some(&deployed))),
            vec![
                ("Aurora", BackupKind::DbClusterSnapshot),
                ("=legacy-cluster", BackupKind::DbClusterSnapshot),
            ]
        );
    }

    #[test]
    fn names_carry_stack_logical_id_and_time_in_characters_rds_and_dynamodb_accept() {
        // 2026-12-01T11:18:33Z
        let at = Time(1_796_123_913_000);
        assert_eq!(at.rfc3339(), "2026-12-01T11:18:33Z");
        assert_eq!(
            backup_name("shop-prod-data", "OrdersTable1A2B", at, BackupKind::TableBackup),
            "shop-prod-data-OrdersTable1A2B-20261201-111833"
        );
        assert_eq!(
            backup_name("shop-prod-data", "Database", at, BackupKind::DbSnapshot),
            "shop-prod-data-database-20261201-111833"
        );
        // No doubled hyphens (RDS refuses them), at most 255 characters.
        assert_eq!(backup_name("a--b", "C", at, BackupKind::DbSnapshot), "a-b-c-20261201-111833");
        let long = backup_name(&"s".repeat(128), &"L".repeat(255), at, BackupKind::TableBackup);
        assert_eq!(long.len(), 255);
        assert!(long.ends_with("-20261201-111833"), "{long}");
    }
}
