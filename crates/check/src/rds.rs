//! RDS databases: encryption, private, backups, deletion protection and
//! snapshots where data is kept, closed security groups, Multi-AZ, log exports,
//! credentials from Secrets Manager. Instances in an Aurora cluster are judged by
//! their cluster's settings.

use serde_json::Value as Json;

use crate::ec2::open_ingress;
use crate::model::{as_i64, is_true, items, text, Cx, Res};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const ENCRYPTION: Rule = Rule {
    id: "RDS-ENCRYPTION",
    title: "RDS storage is encrypted",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set StorageEncrypted: true (and a KmsKeyId to use your own key)",
};
pub(crate) const PUBLIC: Rule = Rule {
    id: "RDS-PUBLIC",
    title: "RDS instances are not publicly accessible",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set PubliclyAccessible: false explicitly (the default depends on the subnets) and use private subnets",
};
pub(crate) const BACKUPS: Rule = Rule {
    id: "RDS-BACKUPS",
    title: "RDS keeps automated backups for at least 7 days",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set BackupRetentionPeriod to 7 or more (database.backup_retention_days)",
};
pub(crate) const DELETION_PROTECTION: Rule = Rule {
    id: "RDS-DELETION-PROTECTION",
    title: "RDS has deletion protection where data is kept",
    severity: Severity::Error,
    applies_to: AppliesTo::RetainDataOnly,
    fix: "set DeletionProtection: true (database.deletion_protection)",
};
pub(crate) const SNAPSHOT_ON_DELETE: Rule = Rule {
    id: "RDS-SNAPSHOT-ON-DELETE",
    title: "RDS is snapshotted on delete and replace where data is kept",
    severity: Severity::Error,
    applies_to: AppliesTo::RetainDataOnly,
    fix: "set DeletionPolicy and UpdateReplacePolicy to Snapshot (removal::for_database)",
};
pub(crate) const OPEN_SECURITY_GROUP: Rule = Rule {
    id: "RDS-SG-OPEN",
    title: "RDS security groups are not open to 0.0.0.0/0 or ::/0",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "give the database its own security group that admits only the service's security group on the database port",
};
pub(crate) const MULTI_AZ: Rule = Rule {
    id: "RDS-MULTI-AZ",
    title: "RDS instances are Multi-AZ where data is kept",
    severity: Severity::Warning,
    applies_to: AppliesTo::RetainDataOnly,
    fix: "set MultiAZ: true (database.multi_az) so a zone outage does not take the database down",
};
pub(crate) const LOG_EXPORTS: Rule = Rule {
    id: "RDS-LOG-EXPORTS",
    title: "RDS exports its logs to CloudWatch Logs",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set EnableCloudwatchLogsExports (e.g. [\"postgresql\", \"upgrade\"] for PostgreSQL)",
};
pub(crate) const CREDENTIALS: Rule = Rule {
    id: "RDS-CREDENTIALS",
    title: "RDS master credentials live in Secrets Manager only",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set ManageMasterUserPassword: true, or MasterUserPassword to a {{resolve:secretsmanager:…}} reference",
};

pub(crate) const ENHANCED_MONITORING: Rule = Rule {
    id: "RDS-ENHANCED-MONITORING",
    title: "RDS instances have Enhanced Monitoring (OS metrics)",
    severity: Severity::Warning,
    applies_to: AppliesTo::Always,
    fix: "set MonitoringInterval (1-60 s) and a MonitoringRoleArn (DatabaseProps::monitoring_interval_seconds, default 60)",
};
pub(crate) const AUTO_MINOR_UPGRADE: Rule = Rule {
    id: "RDS-AUTO-MINOR-UPGRADE",
    title: "RDS instances take minor engine upgrades (security fixes) automatically",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set AutoMinorVersionUpgrade: true explicitly (cairn's Database does)",
};

pub(crate) const RULES: &[Rule] = &[
    ENCRYPTION,
    PUBLIC,
    BACKUPS,
    DELETION_PROTECTION,
    SNAPSHOT_ON_DELETE,
    OPEN_SECURITY_GROUP,
    MULTI_AZ,
    LOG_EXPORTS,
    CREDENTIALS,
    ENHANCED_MONITORING,
    AUTO_MINOR_UPGRADE,
];

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    for db in cx.of_type("AWS::RDS::DBInstance") {
        // PubliclyAccessible belongs to the instance even inside a cluster.
        match db.prop("PubliclyAccessible") {
            Some(v) if is_true(Some(v)) => out.add(&PUBLIC, db, "PubliclyAccessible is true"),
            Some(Json::Bool(false)) => {}
            Some(Json::String(s)) if s.eq_ignore_ascii_case("false") => {}
            _ => out.add(
                &PUBLIC,
                db,
                "PubliclyAccessible is not set to false (it defaults to public with public subnets)",
            ),
        }
        // Per instance, in a cluster too.
        let interval = as_i64(db.prop("MonitoringInterval")).unwrap_or(0);
        if interval <= 0 || db.prop("MonitoringRoleArn").is_none() {
            out.add(
                &ENHANCED_MONITORING,
                db,
                "Enhanced Monitoring is off (MonitoringInterval 0 or unset, or no MonitoringRoleArn)",
            );
        }
        match db.prop("AutoMinorVersionUpgrade") {
            Some(v) if is_true(Some(v)) => {}
            Some(_) => out.add(
                &AUTO_MINOR_UPGRADE,
                db,
                "AutoMinorVersionUpgrade is false: security fixes wait for a person",
            ),
            None => out.add(
                &AUTO_MINOR_UPGRADE,
                db,
                "AutoMinorVersionUpgrade is not set explicitly (say true so the template shows it)",
            ),
        }
        if db.prop("DBClusterIdentifier").is_some() {
            continue;
        }
        common(cx, db, "VPCSecurityGroups", out);
        if !is_true(db.prop("MultiAZ")) {
            out.add(&MULTI_AZ, db, "the instance runs in a single Availability Zone");
        }
    }
    for cluster in cx.of_type("AWS::RDS::DBCluster") {
        common(cx, cluster, "VpcSecurityGroupIds", out);
    }
}

/// Rules that apply alike to a standalone instance and to a cluster.
fn common(cx: &Cx, db: &Res, security_groups: &str, out: &mut Out) {
    // A read replica inherits encryption, credentials and backups from its source.
    let replica = db.prop("SourceDBInstanceIdentifier").is_some();
    if !replica && !is_true(db.prop("StorageEncrypted")) {
        out.add(&ENCRYPTION, db, "StorageEncrypted is not true");
    }
    let days = as_i64(db.prop("BackupRetentionPeriod")).unwrap_or(1);
    if !replica && days < 7 {
        out.add(&BACKUPS, db, format!("backups are kept {days} day(s)"));
    }
    if !is_true(db.prop("DeletionProtection")) {
        out.add(
            &DELETION_PROTECTION,
            db,
            "deletion protection is off in an environment that keeps data",
        );
    }
    let keeps = |policy: &str| matches!(db.body.get(policy).and_then(Json::as_str), Some("Snapshot" | "Retain"));
    let missing: Vec<&str> = ["DeletionPolicy", "UpdateReplacePolicy"]
        .into_iter()
        .filter(|p| !keeps(p))
        .collect();
    if !missing.is_empty() {
        out.add(
            &SNAPSHOT_ON_DELETE,
            db,
            format!("{} is not Snapshot (or Retain)", missing.join(" and ")),
        );
    }

    let groups = items(db.prop(security_groups));
    if groups.is_empty() {
        out.add(
            &OPEN_SECURITY_GROUP,
            db,
            format!("no {security_groups}: the VPC's default security group is used"),
        );
    }
    for g in groups {
        if let Some(sg) = cx.resolve(db.stack, g) {
            for (holder, what) in open_ingress(cx, sg) {
                out.add(&OPEN_SECURITY_GROUP, db, format!("security group {} admits {what}", holder.path()));
            }
        }
    }

    if items(db.prop("EnableCloudwatchLogsExports")).is_empty() {
        out.add(
            &LOG_EXPORTS,
            db,
            "no logs are exported to CloudWatch Logs (EnableCloudwatchLogsExports)",
        );
    }

    if !is_true(db.prop("ManageMasterUserPassword")) {
        if let Some(password) = db.prop("MasterUserPassword") {
            let from_secrets_manager = text(password).is_some_and(|t| t.contains("{{resolve:secretsmanager:"));
            if !from_secrets_manager {
                out.add(
                    &CREDENTIALS,
                    db,
                    "MasterUserPassword is not a Secrets Manager reference (the password would be in the template)",
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::testing::{all, check, hits, r};

    /// A private, encrypted Postgres instance with its own security group that
    /// admits only the service's group, snapshotted on delete.
    fn database(change: impl FnOnce(&mut Json, &mut Json)) -> Vec<(&'static str, Json)> {
        let mut db = r(
            "AWS::RDS::DBInstance",
            "data/Database/Resource",
            json!({
                "Engine": "postgres",
                "DBInstanceClass": "db.t3.micro",
                "AllocatedStorage": "20",
                "StorageEncrypted": true,
                "PubliclyAccessible": false,
                "MultiAZ": true,
                "BackupRetentionPeriod": 7,
                "DeletionProtection": true,
                "EnableCloudwatchLogsExports": ["postgresql", "upgrade"],
                "AutoMinorVersionUpgrade": true,
                "MonitoringInterval": 60,
                "MonitoringRoleArn": {"Fn::GetAtt": ["DatabaseMonitoringRole", "Arn"]},
                "MasterUsername": "shop",
                "MasterUserPassword": {"Fn::Join": ["", ["{{resolve:secretsmanager:", {"Ref": "DatabaseSecret"}, ":SecretString:password}}"]]},
                "DBSubnetGroupName": {"Ref": "DatabaseSubnets"},
                "VPCSecurityGroups": [{"Fn::GetAtt": ["DatabaseSg", "GroupId"]}]
            }),
        );
        db["DeletionPolicy"] = json!("Snapshot");
        db["UpdateReplacePolicy"] = json!("Snapshot");
        let mut sg = r(
            "AWS::EC2::SecurityGroup",
            "data/Database/SecurityGroup",
            json!({"GroupDescription": "Database", "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "SourceSecurityGroupId": "sg-0123", "Description": "From the service"}]}),
        );
        change(&mut db, &mut sg);
        vec![
            (
                "DatabaseSecret",
                r("AWS::SecretsManager::Secret", "data/Database/Secret", json!({})),
            ),
            ("DatabaseSubnets", r("AWS::RDS::DBSubnetGroup", "data/Database/Subnets", json!({}))),
            ("DatabaseSg", sg),
            ("Database", db),
        ]
    }

    fn set(db: &mut Json, key: &str, value: Json) {
        db["Properties"][key] = value;
    }

    #[test]
    fn compliant_database_passes_every_rule() {
        assert_eq!(all(&check(true, database(|_, _| {}))), Vec::<String>::new());
    }

    #[test]
    fn unencrypted_storage() {
        let report = check(false, database(|db, _| set(db, "StorageEncrypted", json!(false))));
        assert_eq!(hits(&report, "RDS-ENCRYPTION"), ["data/Database/Resource"]);
    }

    #[test]
    fn public_or_unset_accessibility() {
        let report = check(false, database(|db, _| set(db, "PubliclyAccessible", json!("true"))));
        assert_eq!(hits(&report, "RDS-PUBLIC"), ["data/Database/Resource"]);
        let report = check(false, database(|db, _| set(db, "PubliclyAccessible", json!(null))));
        assert_eq!(hits(&report, "RDS-PUBLIC"), ["data/Database/Resource"]);
    }

    #[test]
    fn short_or_default_backups() {
        let report = check(false, database(|db, _| set(db, "BackupRetentionPeriod", json!("3"))));
        assert_eq!(hits(&report, "RDS-BACKUPS"), ["data/Database/Resource"]);
        assert!(report.findings[0].message.contains("3 day"));
        let report = check(false, database(|db, _| set(db, "BackupRetentionPeriod", json!(null))));
        assert_eq!(hits(&report, "RDS-BACKUPS"), ["data/Database/Resource"]);
    }

    #[test]
    fn deletion_protection_only_where_data_is_kept() {
        let off = || database(|db, _| set(db, "DeletionProtection", json!(false)));
        assert_eq!(hits(&check(true, off()), "RDS-DELETION-PROTECTION"), ["data/Database/Resource"]);
        assert!(hits(&check(false, off()), "RDS-DELETION-PROTECTION").is_empty());
    }

    #[test]
    fn snapshot_on_delete_only_where_data_is_kept() {
        let delete = || database(|db, _| db["UpdateReplacePolicy"] = json!("Delete"));
        let report = check(true, delete());
        assert_eq!(hits(&report, "RDS-SNAPSHOT-ON-DELETE"), ["data/Database/Resource"]);
        assert!(report
            .findings
            .iter()
            .any(|f| f.message.starts_with("UpdateReplacePolicy is not Snapshot")));
        assert!(hits(&check(false, delete()), "RDS-SNAPSHOT-ON-DELETE").is_empty());
    }

    #[test]
    fn open_or_default_security_group() {
        let report = check(
            false,
            database(|_, sg| {
                sg["Properties"]["SecurityGroupIngress"][0]["CidrIp"] = json!("0.0.0.0/0");
            }),
        );
        assert_eq!(hits(&report, "RDS-SG-OPEN"), ["data/Database/Resource"]);
        assert!(report
            .findings
            .iter()
            .any(|f| f.message.contains("data/Database/SecurityGroup admits 0.0.0.0/0 on port 5432/tcp")));
        let report = check(false, database(|db, _| set(db, "VPCSecurityGroups", json!(null))));
        assert_eq!(hits(&report, "RDS-SG-OPEN"), ["data/Database/Resource"]);
    }

    #[test]
    fn single_az_is_a_warning_where_data_is_kept() {
        let single = || database(|db, _| set(db, "MultiAZ", json!(false)));
        let report = check(true, single());
        assert_eq!(hits(&report, "RDS-MULTI-AZ"), ["data/Database/Resource"]);
        assert_eq!((report.errors(), report.warnings()), (0, 1));
        assert!(hits(&check(false, single()), "RDS-MULTI-AZ").is_empty());
    }

    #[test]
    fn enhanced_monitoring_off_is_a_warning_and_minor_upgrades_must_be_on() {
        let report = check(false, database(|db, _| set(db, "MonitoringInterval", json!(0))));
        assert_eq!(hits(&report, "RDS-ENHANCED-MONITORING"), ["data/Database/Resource"]);
        assert_eq!(report.errors(), 0);
        let report = check(
            false,
            database(|db, _| {
                db["Properties"].as_object_mut().unwrap().remove("MonitoringRoleArn");
            }),
        );
        assert_eq!(hits(&report, "RDS-ENHANCED-MONITORING"), ["data/Database/Resource"]);
        let report = check(false, database(|db, _| set(db, "AutoMinorVersionUpgrade", json!(false))));
        assert_eq!(hits(&report, "RDS-AUTO-MINOR-UPGRADE"), ["data/Database/Resource"]);
        let report = check(
            false,
            database(|db, _| {
                db["Properties"].as_object_mut().unwrap().remove("AutoMinorVersionUpgrade");
            }),
        );
        assert_eq!(hits(&report, "RDS-AUTO-MINOR-UPGRADE"), ["data/Database/Resource"]);
    }

    #[test]
    fn no_log_exports() {
        let report = check(false, database(|db, _| set(db, "EnableCloudwatchLogsExports", json!([]))));
        assert_eq!(hits(&report, "RDS-LOG-EXPORTS"), ["data/Database/Resource"]);
    }

    #[test]
    fn password_in_the_template() {
        let report = check(false, database(|db, _| set(db, "MasterUserPassword", json!("hunter2hunter2"))));
        assert_eq!(hits(&report, "RDS-CREDENTIALS"), ["data/Database/Resource"]);
        // SSM SecureString is not Secrets Manager.
        let report = check(
            false,
            database(|db, _| set(db, "MasterUserPassword", json!("{{resolve:ssm-secure:/db/password:1}}"))),
        );
        assert_eq!(hits(&report, "RDS-CREDENTIALS"), ["data/Database/Resource"]);
        // RDS-managed secrets are fine.
        let report = check(
            false,
            database(|db, _| {
                set(db, "MasterUserPassword", json!(null));
                db["Properties"].as_object_mut().unwrap().remove("MasterUserPassword");
                set(db, "ManageMasterUserPassword", json!(true));
            }),
        );
        assert!(hits(&report, "RDS-CREDENTIALS").is_empty());
    }

    #[test]
    fn instances_of_a_cluster_are_judged_by_the_cluster() {
        let report = check(
            true,
            vec![
                (
                    "Cluster",
                    r(
                        "AWS::RDS::DBCluster",
                        "data/Cluster/Resource",
                        json!({"Engine": "aurora-postgresql", "StorageEncrypted": false, "BackupRetentionPeriod": 1}),
                    ),
                ),
                (
                    "Writer",
                    r(
                        "AWS::RDS::DBInstance",
                        "data/Cluster/Writer",
                        json!({"DBClusterIdentifier": {"Ref": "Cluster"}, "PubliclyAccessible": false}),
                    ),
                ),
            ],
        );
        assert_eq!(hits(&report, "RDS-ENCRYPTION"), ["data/Cluster/Resource"]);
        assert_eq!(hits(&report, "RDS-BACKUPS"), ["data/Cluster/Resource"]);
        assert!(hits(&report, "RDS-MULTI-AZ").is_empty());
        assert!(hits(&report, "RDS-PUBLIC").is_empty());
    }
}
