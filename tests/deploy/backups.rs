//! Backups before a change set touches a database or a table (`[delivery]
//! backup_before_stateful_changes`), against moto: its RDS instance and DynamoDB table
//! are real there, and so are its snapshots and on-demand backups.

use super::*;

/// An environment copy (network and data stacks only are deployed) with the key set.
fn backup_env(name: &str, on: bool) -> TempDir {
    let dir = env_copy(name, &[]);
    let file = dir.join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&file).unwrap();
    let key = format!("backup_before_stateful_changes = {on}");
    // Whatever the shipped file's [delivery] table says, this test's value wins.
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("backup_before_stateful_changes"))
        .collect();
    let text = lines.join("\n");
    let text = if text.contains("\n[delivery]\n") {
        text.replacen("\n[delivery]\n", &format!("\n[delivery]\n{key}\n"), 1)
    } else {
        format!("{text}\n\n[delivery]\n{key}\n")
    };
    std::fs::write(&file, text).unwrap();
    dir
}

/// A larger database instance class: the data stack's RDS instance is modified in place.
/// (A tag would touch the table too, but moto cannot update the stack's buckets: it
/// fails with HTTP 500 on their missing BucketName; the table is covered below.)
fn resize(dir: &Path, name: &str) {
    let file = dir.join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&file).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("instance_class = "))
        .unwrap_or_else(|| panic!("no instance_class in {}", file.display()))
        .to_string();
    let bigger = if line.contains("db.t3.large") {
        "db.t3.xlarge"
    } else {
        "db.t3.large"
    };
    std::fs::write(&file, text.replacen(&line, &format!("instance_class = \"{bigger}\""), 1)).unwrap();
}

/// The word after `label` on the line that has it (`… DynamoDB backup NAME of table …`).
fn named_after<'a>(out: &'a str, label: &str) -> Option<&'a str> {
    out.lines()
        .find_map(|l| l.split_once(label).map(|(_, rest)| rest))
        .and_then(|rest| rest.split_whitespace().next())
}

fn rds(endpoint: &str, aws: &Aws) -> aws_sdk_rds::Client {
    let config: SdkConfig = aws.rt.block_on(
        aws_config::defaults(BehaviorVersion::latest())
            .http_client(cairn_toolkit::http_client())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::from_keys("test", "test", None))
            .endpoint_url(endpoint)
            .load(),
    );
    aws_sdk_rds::Client::new(&config)
}

/// The physical ID of the data stack's resource of type `t`.
fn physical(aws: &Aws, stack: &str, t: &str) -> String {
    aws.resources(stack)
        .into_iter()
        .find(|(_, ty, _)| ty == t)
        .map(|(_, _, p)| p)
        .unwrap_or_else(|| panic!("no {t} in {stack}"))
}

fn table_backups(aws: &Aws, table: &str) -> Vec<String> {
    let out = aws
        .rt
        .block_on(aws.dynamodb.list_backups().table_name(table).send())
        .unwrap_or_else(|e| panic!("ListBackups {table}: {e:?}"));
    out.backup_summaries()
        .iter()
        .filter_map(|b| b.backup_name().map(str::to_string))
        .collect()
}

fn snapshots_of(aws: &Aws, rds: &aws_sdk_rds::Client, instance: &str) -> Vec<String> {
    let out = aws
        .rt
        .block_on(rds.describe_db_snapshots().db_instance_identifier(instance).send())
        .unwrap_or_else(|e| panic!("DescribeDBSnapshots {instance}: {e:?}"));
    // Manual ones only: moto makes an automated snapshot when it creates an instance.
    out.db_snapshots()
        .iter()
        .filter(|s| s.snapshot_type() == Some("manual"))
        .filter_map(|s| s.db_snapshot_identifier().map(str::to_string))
        .collect()
}

/// The names of the change sets of `stack` (moto lists every stack's: only this one's).
fn change_sets(aws: &Aws, stack: &str) -> Vec<String> {
    let sets = aws.rt.block_on(aws.cfn.list_change_sets().stack_name(stack).send()).unwrap();
    sets.summaries()
        .iter()
        .filter(|c| c.stack_name() == Some(stack))
        .filter_map(|c| c.change_set_name().map(str::to_string))
        .collect()
}

#[test]
fn a_change_to_the_database_is_preceded_by_a_snapshot_named_in_the_output() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let rds = rds(&moto.url, &aws);
    let name = "bkon";
    let dir = backup_env(name, true);
    let data = format!("shop-{name}-data");
    let out = assert_ok(&cairn(&moto.url, &["deploy", name, "network", "data", "--approve"], Some(&dir)));
    // Creating holds nothing to back up.
    assert!(!out.contains("backing up"), "{out}");
    let instance = physical(&aws, &data, "AWS::RDS::DBInstance");
    assert!(snapshots_of(&aws, &rds, &instance).is_empty());

    resize(&dir, name);
    // moto's update of an RDS instance drops it from the stack, and the stack's outputs that
    // name it then fail (HTTP 500) after the update: the exit code is moto's, the backup is cairn's.
    let o = cairn(&moto.url, &["deploy", name, "data", "--approve"], Some(&dir));
    let (out, err) = text(&o);
    assert!(
        out.contains("  backing up before the change set touches 1 stateful resource (delivery.backup_before_stateful_changes):"),
        "{out}\n{err}"
    );
    let snapshot = named_after(&out, "RDS snapshot ").unwrap_or_else(|| panic!("{out}"));
    assert!(snapshot.starts_with(&format!("{data}-database")), "{snapshot}");
    assert!(
        out.contains(&format!(
            "(AWS::RDS::DBInstance, to be modified): RDS snapshot {snapshot} of instance {instance} (available)"
        )),
        "{out}"
    );
    // After the review, before the stack is changed.
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("`{s}` not in {out}"));
    assert!(at("  ~ modify") < at("backing up"), "{out}");
    assert!(!err.contains("backup before changing"), "{err}");

    // Readable back through RDS.
    assert_eq!(snapshots_of(&aws, &rds, &instance), vec![snapshot.to_string()]);
    let found = aws
        .rt
        .block_on(rds.describe_db_snapshots().db_snapshot_identifier(snapshot).send())
        .unwrap_or_else(|e| panic!("DescribeDBSnapshots {snapshot}: {e:?}"));
    let s = found.db_snapshots().first().unwrap_or_else(|| panic!("no snapshot {snapshot}"));
    assert_eq!(s.db_instance_identifier(), Some(instance.as_str()));
    assert_eq!(s.status(), Some("available"));
}

#[test]
fn without_the_key_no_backup_is_taken() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let rds = rds(&moto.url, &aws);
    let name = "bkoff";
    let dir = backup_env(name, false);
    let data = format!("shop-{name}-data");
    assert_ok(&cairn(&moto.url, &["deploy", name, "network", "data", "--approve"], Some(&dir)));
    let instance = physical(&aws, &data, "AWS::RDS::DBInstance");

    resize(&dir, name);
    let o = cairn(&moto.url, &["deploy", name, "data", "--approve"], Some(&dir));
    let (out, err) = text(&o);
    assert!(out.contains("  ~ modify") && out.contains("AWS::RDS::DBInstance"), "{out}\n{err}");
    assert!(!out.contains("backing up") && !out.contains("snapshot"), "{out}");
    assert!(snapshots_of(&aws, &rds, &instance).is_empty());
}

#[test]
fn a_failing_backup_stops_the_deploy_before_anything_changes() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let rds = rds(&moto.url, &aws);
    let name = "bkfail";
    let dir = backup_env(name, true);
    let data = format!("shop-{name}-data");
    assert_ok(&cairn(&moto.url, &["deploy", name, "network", "data", "--approve"], Some(&dir)));
    let before = synth(name, Some(&dir));
    // (moto keeps listing the change sets cairn deleted after the first deploy's review.)
    let sets_before = change_sets(&aws, &data);
    // The instance deleted behind cairn's back: CreateDBSnapshot cannot find it.
    let instance = physical(&aws, &data, "AWS::RDS::DBInstance");
    aws.rt
        .block_on(
            rds.delete_db_instance()
                .db_instance_identifier(&instance)
                .skip_final_snapshot(true)
                .send(),
        )
        .unwrap_or_else(|e| panic!("DeleteDBInstance {instance}: {e:?}"));

    resize(&dir, name);
    let o = cairn(&moto.url, &["deploy", name, "data", "--approve"], Some(&dir));
    let err = assert_fails(&o, 1);
    let (out, _) = text(&o);
    assert!(out.contains("backing up before the change set touches"), "{out}");
    assert!(err.contains(&format!("backup before changing {data} failed: ")), "{err}");
    assert!(err.contains("CreateDBSnapshot"), "the failed call is named: {err}");
    assert!(
        err.contains(&format!("the change set was not executed and nothing was changed in {data}")),
        "{err}"
    );
    assert!(!out.contains("UPDATE_COMPLETE") && !out.contains("UpdateStack"), "{out}");
    // Nothing executed: the deployed template is the one from before, and no change set is left.
    assert_eq!(
        aws.deployed_template(&data),
        Aws::as_on_moto(&before.stack(&data).unwrap().template)
    );
    assert_eq!(change_sets(&aws, &data), sets_before, "the reviewed change set is deleted");
    assert_eq!(aws.status(&data).as_deref(), Some("CREATE_COMPLETE"));
}

#[test]
fn a_change_to_a_table_is_preceded_by_an_on_demand_backup() {
    // The engine on its own stack (the shop's data stack cannot be updated on moto
    // with the table changed, see `resize`): a table whose tags change.
    use cairn_toolkit::deploy::clock::SystemClock;
    use cairn_toolkit::deploy::console::Console;
    use cairn_toolkit::deploy::{DeployOptions, Deployer, Outcome};
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let settings = synth(&support::any_environment(), None).settings;
    let clients = cairn_toolkit::connect(&settings, Some(&moto.url)).unwrap();
    let backups = clients.backups();
    let stack = "cairn-tests-backup-table";
    let table = |tag: &str| {
        artifact(
            stack,
            serde_json::json!({"Resources": {"Orders": {"Type": "AWS::DynamoDB::Table", "Properties": {
                "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "orderId", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "orderId", "KeyType": "HASH"}],
                "Tags": [{"Key": "Release", "Value": tag}]
            }}}}),
            &[],
        )
    };
    let deploy = |s: &StackArtifact| {
        let (mut console, buffer) = Console::buffer();
        let clock = SystemClock::new();
        let mut prompt = NoPrompt;
        let opts = DeployOptions {
            approve: true,
            ..DeployOptions::new("shop", "backups")
        };
        let mut d = Deployer::new(&clients.cloudformation, &mut console, &clock, &mut prompt, opts);
        d.quirks = clients.detect_quirks();
        d.backups = Some(&backups);
        let result = d.deploy(&[s]);
        let out = buffer.text();
        match result {
            Ok(v) => (v.into_iter().map(|(_, o)| o).collect::<Vec<_>>(), out),
            Err(e) => panic!("deploy failed: {e}\n{out}"),
        }
    };
    let (outcomes, out) = deploy(&table("1"));
    assert_eq!(outcomes, vec![Outcome::Deployed], "{out}");
    assert!(!out.contains("backing up"), "{out}");
    let physical = physical(&aws, stack, "AWS::DynamoDB::Table");

    let (outcomes, out) = deploy(&table("2"));
    assert_eq!(outcomes, vec![Outcome::Deployed], "{out}");
    let backup = named_after(&out, "DynamoDB backup ").unwrap_or_else(|| panic!("{out}"));
    assert!(backup.starts_with(&format!("{stack}-Orders-")), "{backup}");
    assert!(
        out.contains(&format!(
            "Orders (AWS::DynamoDB::Table, to be modified): DynamoDB backup {backup} of table {physical} ("
        )),
        "{out}"
    );
    assert!(out.contains(&format!("{stack}: UPDATE_COMPLETE")), "{out}");
    assert_eq!(table_backups(&aws, &physical), vec![backup.to_string()]);
}
