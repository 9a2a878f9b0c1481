//! Backups before a change set touches a database or table: taken after approval and
//! before execution, waited for, and a failure or Ctrl-C stops the deploy with nothing executed.

use std::cell::RefCell;

use super::*;
use crate::aws::backups::{BackupApi, TableBackup};
use crate::aws::{AwsError, AwsErrorKind, AwsResult};

/// Scripted RDS and DynamoDB: records each call with the number of CloudFormation calls
/// made before it (to place it in the deploy), answers snapshot statuses in turn.
struct FakeBackups<'a> {
    cfn: &'a FakeCloudFormation,
    calls: RefCell<Vec<(usize, String)>>,
    /// Statuses DescribeDBSnapshots answers, one per call (the last one repeats).
    statuses: RefCell<Vec<&'static str>>,
    /// CreateDBSnapshot fails with this message.
    fail: Option<&'static str>,
}

impl<'a> FakeBackups<'a> {
    fn new(cfn: &'a FakeCloudFormation) -> Self {
        FakeBackups {
            cfn,
            calls: RefCell::new(Vec::new()),
            statuses: RefCell::new(vec!["available"]),
            fail: None,
        }
    }
    fn log(&self, call: String) {
        self.calls.borrow_mut().push((self.cfn.calls().len(), call));
    }
    fn names(&self) -> Vec<String> {
        self.calls.borrow().iter().map(|(_, c)| c.clone()).collect()
    }
}

impl BackupApi for FakeBackups<'_> {
    fn create_db_snapshot(&self, instance: &str, snapshot: &str) -> AwsResult<String> {
        self.log(format!("CreateDBSnapshot {instance}"));
        if let Some(m) = self.fail {
            return Err(AwsError::new(AwsErrorKind::Other, m));
        }
        assert!(snapshot.starts_with("shop-dev-data-db-"), "{snapshot}");
        Ok("creating".into())
    }
    fn db_snapshot_status(&self, _: &str) -> AwsResult<String> {
        self.log("DescribeDBSnapshots".into());
        let mut s = self.statuses.borrow_mut();
        Ok(if s.len() > 1 { s.remove(0) } else { s[0] }.to_string())
    }
    fn create_db_cluster_snapshot(&self, cluster: &str, _: &str) -> AwsResult<String> {
        self.log(format!("CreateDBClusterSnapshot {cluster}"));
        Ok("available".into())
    }
    fn db_cluster_snapshot_status(&self, _: &str) -> AwsResult<String> {
        Ok("available".into())
    }
    fn create_table_backup(&self, table: &str, backup: &str) -> AwsResult<TableBackup> {
        self.log(format!("CreateBackup {table}"));
        Ok(TableBackup {
            arn: format!("arn:aws:dynamodb:us-east-1:123456789012:table/{table}/backup/{backup}"),
            status: "CREATING".into(),
        })
    }
}

fn resized() -> (Json, StackArtifact) {
    let old = data_template("db.t3.micro");
    (old, artifact("shop-dev-data", data_template("db.t3.small")))
}

fn db_in_place() -> ResourceChange {
    ResourceChange {
        action: "Modify".into(),
        logical_id: "Db".into(),
        physical_id: Some("shop-dev-data-db".into()),
        resource_type: "AWS::RDS::DBInstance".into(),
        replacement: Some("False".into()),
        ..Default::default()
    }
}

fn run_with(cfn: &FakeCloudFormation, backups: Option<&dyn BackupApi>, stack: &StackArtifact, clock: &FakeClock) -> Run {
    let (mut console, buffer) = Console::buffer();
    let mut prompt = ScriptedPrompt {
        answers: Default::default(),
        questions: Vec::new(),
        presses: Some(clock.presses.clone()),
    };
    let result = {
        let mut d = Deployer::new(cfn, &mut console, clock, &mut prompt, DeployOptions { approve: true, ..opts() });
        d.backups = backups;
        d.deploy(&[stack]).map_err(CliError::from)
    };
    Run {
        result,
        output: buffer.text(),
        questions: prompt.questions,
        clock_now: clock.now(),
    }
}

#[test]
fn an_in_place_change_to_the_database_waits_for_its_snapshot_before_executing() {
    let (old, new) = resized();
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_in_place()]);
    let backups = FakeBackups::new(&cfn);
    *backups.statuses.borrow_mut() = vec!["creating", "creating", "available"];
    let clock = FakeClock::default();
    let run = run_with(&cfn, Some(&backups), &new, &clock);
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert_eq!(
        backups.names(),
        [
            "CreateDBSnapshot shop-dev-data-db",
            "DescribeDBSnapshots",
            "DescribeDBSnapshots",
            "DescribeDBSnapshots"
        ]
    );
    // Waited for it, then executed.
    assert!(clock.sleeps.get() >= 3, "{}", clock.sleeps.get());
    let executed = cfn.calls().iter().position(|c| c.starts_with("ExecuteChangeSet")).unwrap();
    assert!(backups.calls.borrow().iter().all(|(at, _)| *at <= executed), "{:?}", cfn.calls());
    // The change set's physical ID was enough: no lookup of the stack's resources.
    assert!(
        run.output
            .contains("  backing up before the change set touches 1 stateful resource (delivery.backup_before_stateful_changes):"),
        "{}",
        run.output
    );
    assert!(
        run.output
            .contains("    Db (AWS::RDS::DBInstance, to be modified): RDS snapshot shop-dev-data-db-"),
        "{}",
        run.output
    );
    assert!(run.output.contains(" of instance shop-dev-data-db (available)"), "{}", run.output);
}

#[test]
fn without_backups_or_without_stateful_changes_nothing_is_backed_up() {
    let (old, new) = resized();
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_in_place()]);
    let run = run_with(&cfn, None, &new, &FakeClock::default());
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert!(!run.output.contains("backing up"), "{}", run.output);

    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    let queue_only = ResourceChange {
        action: "Modify".into(),
        logical_id: "Queue".into(),
        resource_type: "AWS::SQS::Queue".into(),
        ..Default::default()
    };
    cfn.script_changes("shop-dev-data", vec![queue_only]);
    let backups = FakeBackups::new(&cfn);
    let run = run_with(&cfn, Some(&backups), &new, &FakeClock::default());
    assert_eq!(run.outcomes(), vec![Outcome::Deployed]);
    assert!(backups.names().is_empty());
    assert!(!run.output.contains("backing up"), "{}", run.output);
}

#[test]
fn a_failed_backup_deletes_the_change_set_and_executes_nothing() {
    let (old, new) = resized();
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_in_place()]);
    let mut backups = FakeBackups::new(&cfn);
    backups.fail = Some("CreateDBSnapshot: DBInstanceNotFound: DBInstance shop-dev-data-db not found");
    let run = run_with(&cfn, Some(&backups), &new, &FakeClock::default());
    let e = run.error();
    assert_eq!(e.exit_code(), 1);
    assert!(
        e.report().starts_with(
            "error: backup before changing shop-dev-data failed: CreateDBSnapshot: DBInstanceNotFound: DBInstance shop-dev-data-db not found; \
             the change set was not executed and nothing was changed in shop-dev-data"
        ),
        "{}",
        e.report()
    );
    assert!(e.report().contains("backup_before_stateful_changes = false"), "{}", e.report());
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);
    assert_eq!(count(&cfn.calls(), "DeleteChangeSet"), 1);
}

#[test]
fn a_snapshot_that_fails_or_outlasts_the_deploy_stops_it() {
    let (old, new) = resized();
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_in_place()]);
    let backups = FakeBackups::new(&cfn);
    *backups.statuses.borrow_mut() = vec!["failed"];
    let run = run_with(&cfn, Some(&backups), &new, &FakeClock::default());
    assert!(
        run.error().report().contains("is failed, not available"),
        "{}",
        run.error().report()
    );
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);

    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_in_place()]);
    let backups = FakeBackups::new(&cfn);
    *backups.statuses.borrow_mut() = vec!["creating"];
    let run = run_with(&cfn, Some(&backups), &new, &FakeClock::default());
    assert!(
        run.error()
            .report()
            .contains("was still creating when the deploy's time ran out (RDS finishes it)"),
        "{}",
        run.error().report()
    );
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);
    assert_eq!(count(&cfn.calls(), "DeleteChangeSet"), 1);
}

#[test]
fn ctrl_c_while_a_snapshot_is_made_stops_before_executing() {
    let (old, new) = resized();
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    cfn.script_changes("shop-dev-data", vec![db_in_place()]);
    let backups = FakeBackups::new(&cfn);
    *backups.statuses.borrow_mut() = vec!["creating"];
    let clock = FakeClock::default();
    clock.ctrl_c_after_sleeps.borrow_mut().push(2);
    let run = run_with(&cfn, Some(&backups), &new, &clock);
    let e = run.error();
    assert_eq!(e.exit_code(), 130, "{}", e.report());
    assert!(
        e.report().contains("stopped (Ctrl-C) while snapshot shop-dev-data-db-")
            && e.report().contains("before executing shop-dev-data's change set"),
        "{}",
        e.report()
    );
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);
    assert_eq!(count(&cfn.calls(), "DeleteChangeSet"), 1);
}

#[test]
fn a_table_without_a_physical_id_in_the_change_set_is_found_in_the_stack() {
    let old = json!({"Resources": {"Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "orders"}}}});
    let mut new = old.clone();
    new["Resources"]["Orders"]["Properties"]["TimeToLiveSpecification"] = json!({"AttributeName": "ttl", "Enabled": true});
    let cfn = FakeCloudFormation::new();
    cfn.add_stack("shop-dev-data", "UPDATE_COMPLETE", &old);
    let backups = FakeBackups::new(&cfn);
    // The fake's stack resources carry no physical ID either: the backup cannot be taken.
    let run = run_with(&cfn, Some(&backups), &artifact("shop-dev-data", new), &FakeClock::default());
    assert!(
        run.error()
            .report()
            .contains("Orders (AWS::DynamoDB::Table) has no physical ID in stack shop-dev-data, so cairn cannot back it up"),
        "{}",
        run.error().report()
    );
    assert!(backups.names().is_empty());
    assert_eq!(count(&cfn.calls(), "ExecuteChangeSet"), 0);
}
