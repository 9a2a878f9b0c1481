//! `cairn deploy` and friends end to end: the real `cairn` binary, without a
//! terminal, against a moto server on a free loopback port (one per test binary;
//! each test deploys an environment of its own name, so their stacks never meet).
//!
//! What moto cannot produce (rollbacks, stacks in progress, per-resource events,
//! replacement flags, timeouts) is covered by the scripted-fake tests of the
//! toolkit crate (`crates/toolkit/src/deploy/tests.rs`).

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use cairn_app::Shop;
use cairn_core::application::{load_env, synthesize};
use cairn_core::{EnvArtifact, StackArtifact};
use serde_json::Value as Json;
use support::moto::Moto;
use support::TempDir;

/// Resource types moto 5 really provisions (visible through each service's API);
/// it accepts others and ignores them.
const PROVISIONED: &[&str] = &[
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::InternetGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::RouteTable",
    "AWS::EC2::Route",
    "AWS::EC2::EIP",
    "AWS::EC2::NatGateway",
    "AWS::EC2::SecurityGroup",
    "AWS::KMS::Key",
    "AWS::RDS::DBSubnetGroup",
    "AWS::RDS::DBInstance",
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::Logs::LogGroup",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::ElasticLoadBalancingV2::TargetGroup",
    "AWS::ElasticLoadBalancingV2::Listener",
    "AWS::ECS::Cluster",
    "AWS::ECS::TaskDefinition",
    "AWS::ECS::Service",
];

/// The settings that make an environment deploy and tear down without a person:
/// dev's in the shipped files. The tests deploy a copy of any environment file with them.
const UNATTENDED: [(&str, &str); 4] = [
    ("require_approval", "false"),
    ("retain_data", "false"),
    ("deletion_protection", "false"),
    ("blue_green", "false"),
];

/// A folder holding one environment file `<name>.toml`: a copy of an environment the
/// project has ([`support::any_environment`]) with the [`UNATTENDED`] settings, then
/// `edits` (exact text replacements) applied.
fn env_copy(name: &str, edits: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new(&format!("deploytest-{name}"));
    let from = support::any_environment();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("stacks/environments/{from}.toml"));
    let mut text = std::fs::read_to_string(shipped).unwrap();
    for (key, value) in UNATTENDED {
        text = text.replacen(&support::line_of(&from, key), &format!("{key} = {value}"), 1);
    }
    for (a, b) in edits {
        assert!(text.contains(a), "`{a}` is not in {from}.toml");
        text = text.replacen(a, b, 1);
    }
    std::fs::write(dir.join(format!("{name}.toml")), text).unwrap();
    dir
}

/// Replaces text in an environment copy.
fn edit(dir: &Path, name: &str, from: &str, to: &str) {
    let file = dir.join(format!("{name}.toml"));
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "`{from}` is not in {}", file.display());
    std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
}

/// Runs `cairn` with test credentials against `endpoint`, without a terminal.
fn cairn(endpoint: &str, args: &[&str], envs: Option<&Path>) -> Output {
    let mut all: Vec<&str> = args.to_vec();
    let dir;
    if let Some(d) = envs {
        dir = d.to_string_lossy().into_owned();
        all.extend(["--environments", dir.as_str()]);
    }
    cairn_with(endpoint, &all, &[], &[])
}

/// Runs `cairn` like [`cairn`] with extra variables set (`set`) and others removed (`remove`).
fn cairn_with(endpoint: &str, args: &[&str], set: &[(&str, &str)], remove: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn"));
    cmd.env("CAIRN_LOCAL_CLOUD_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/local-cloud"));
    cmd.args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("CAIRN_ENVIRONMENTS")
        .env_remove("CAIRN_TEMPLATE_BUCKET")
        .stdin(std::process::Stdio::null());
    for (k, v) in set {
        cmd.env(k, v);
    }
    for k in remove {
        cmd.env_remove(k);
    }
    cmd.output().expect("cairn runs")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[track_caller]
fn assert_ok(o: &Output) -> String {
    let (out, err) = text(o);
    assert!(
        o.status.success(),
        "cairn failed ({:?})\nstdout:\n{out}\nstderr:\n{err}",
        o.status.code()
    );
    out
}

#[track_caller]
fn assert_fails(o: &Output, code: i32) -> String {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(code), "expected exit {code}\nstdout:\n{out}\nstderr:\n{err}");
    err
}

/// The environment as cairn synthesizes it (the templates that get deployed).
fn synth(name: &str, envs: Option<&Path>) -> EnvArtifact {
    let app = match envs {
        Some(dir) => Shop::with_environments_dir(dir),
        None => Shop::default(),
    };
    let env = load_env(&app, name).expect("environment loads");
    let mut assembly = synthesize(&app, &[(name, &env.config)]).unwrap_or_else(|e| panic!("synthesis failed: {e}"));
    assembly.environments.remove(0)
}

/// SDK clients on the moto endpoint.
struct Aws {
    rt: tokio::runtime::Runtime,
    cfn: aws_sdk_cloudformation::Client,
    s3: aws_sdk_s3::Client,
    sqs: aws_sdk_sqs::Client,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl Aws {
    fn new(endpoint: &str) -> Aws {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let config: SdkConfig = rt.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::from_keys("test", "test", None))
                .endpoint_url(endpoint)
                .load(),
        );
        let s3 = aws_sdk_s3::config::Builder::from(&config).force_path_style(true).build();
        Aws {
            cfn: aws_sdk_cloudformation::Client::new(&config),
            s3: aws_sdk_s3::Client::from_conf(s3),
            sqs: aws_sdk_sqs::Client::new(&config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            rt,
        }
    }

    /// The stack's status, `None` if it does not exist.
    fn status(&self, stack: &str) -> Option<String> {
        match self.rt.block_on(self.cfn.describe_stacks().stack_name(stack).send()) {
            Ok(o) => o.stacks().first().and_then(|s| s.stack_status()).map(|s| s.as_str().to_string()),
            Err(e) => {
                let msg = e.as_service_error().and_then(|s| s.message()).unwrap_or_default().to_string();
                assert!(msg.contains("does not exist"), "DescribeStacks {stack}: {e:?}");
                None
            }
        }
    }

    /// (logical ID, type, physical ID) of every resource of a stack.
    fn resources(&self, stack: &str) -> Vec<(String, String, String)> {
        let out = self
            .rt
            .block_on(self.cfn.list_stack_resources().stack_name(stack).send())
            .unwrap_or_else(|e| panic!("ListStackResources {stack}: {e:?}"));
        out.stack_resource_summaries()
            .iter()
            .map(|r| {
                (
                    r.logical_resource_id().unwrap_or_default().to_string(),
                    r.resource_type().unwrap_or_default().to_string(),
                    r.physical_resource_id().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

/// Every stack of `env` is complete and holds the template's resources of the
/// types moto provisions; buckets, queues and tables exist in their services.
fn assert_deployed(aws: &Aws, env: &EnvArtifact) {
    let (mut buckets, mut queues, mut tables) = (0, 0, 0);
    for stack in &env.stacks {
        let status = aws.status(&stack.name).unwrap_or_else(|| panic!("{} was not created", stack.name));
        assert!(
            status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE",
            "{} is {status}",
            stack.name
        );
        let deployed = aws.resources(&stack.name);
        let have: BTreeSet<(&str, &str)> = deployed.iter().map(|(l, t, _)| (l.as_str(), t.as_str())).collect();
        let resources = stack.template["Resources"].as_object().expect("resources");
        let mut checked = 0;
        for (logical, r) in resources {
            let t = r["Type"].as_str().unwrap_or_default();
            if PROVISIONED.contains(&t) {
                assert!(
                    have.contains(&(logical.as_str(), t)),
                    "{}: {logical} ({t}) is not in the stack: {have:?}",
                    stack.name
                );
                checked += 1;
            }
        }
        assert!(
            checked > 0,
            "{} holds no resource type moto provisions; the test would check nothing",
            stack.name
        );
        for (_, t, physical) in &deployed {
            match t.as_str() {
                "AWS::S3::Bucket" => {
                    aws.rt
                        .block_on(aws.s3.head_bucket().bucket(physical).send())
                        .unwrap_or_else(|e| panic!("bucket {physical} does not exist: {e:?}"));
                    buckets += 1;
                }
                "AWS::SQS::Queue" => {
                    // The stack's physical ID is the queue URL; ask SQS by name.
                    let name = physical.rsplit('/').next().unwrap_or_default();
                    aws.rt
                        .block_on(aws.sqs.get_queue_url().queue_name(name).send())
                        .unwrap_or_else(|e| panic!("queue {name} does not exist: {e:?}"));
                    queues += 1;
                }
                "AWS::DynamoDB::Table" => {
                    let table = aws
                        .rt
                        .block_on(aws.dynamodb.describe_table().table_name(physical).send())
                        .unwrap_or_else(|e| panic!("table {physical} does not exist: {e:?}"));
                    assert_eq!(table.table().and_then(|t| t.table_name()), Some(physical.as_str()));
                    tables += 1;
                }
                _ => {}
            }
        }
    }
    assert!(
        buckets > 0 && queues > 0 && tables > 0,
        "buckets {buckets}, queues {queues}, tables {tables}"
    );
}

#[test]
fn deploying_dev_creates_every_stack_and_a_second_deploy_has_no_changes() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("firstdeploy", &[]);
    let env = synth("firstdeploy", Some(&dir));

    let out = assert_ok(&cairn(&moto.url, &["deploy", "firstdeploy", "--approve"], Some(&dir)));
    for stack in &env.stacks {
        assert!(out.contains(&format!("{}: CREATE_COMPLETE", stack.name)), "{out}");
    }
    assert!(
        out.contains(&format!("done firstdeploy: {} deployed, 0 without changes", env.stacks.len())),
        "{out}"
    );
    // No terminal: plain lines only.
    assert!(!out.contains('\x1b') && !out.contains('\r'), "control characters in:\n{out}");
    assert_deployed(&aws, &env);

    let out = assert_ok(&cairn(&moto.url, &["deploy", "firstdeploy"], Some(&dir)));
    assert_eq!(out.matches("  no changes").count(), env.stacks.len(), "{out}");
    assert!(
        out.contains(&format!("done firstdeploy: 0 deployed, {} without changes", env.stacks.len())),
        "{out}"
    );
    assert!(!out.contains("approval needed"), "{out}");

    let out = assert_ok(&cairn(&moto.url, &["status", "firstdeploy"], Some(&dir)));
    for stack in &env.stacks {
        assert!(out.contains(&format!("{}  CREATE_COMPLETE", stack.name)), "{out}");
    }
    let out = assert_ok(&cairn(&moto.url, &["outputs", "firstdeploy", "--format", "json"], Some(&dir)));
    let outputs: Json = serde_json::from_str(&out).expect("outputs --format json prints JSON");
    for stack in &env.stacks {
        assert!(outputs[&stack.name].is_object(), "{out}");
    }
}

#[test]
fn a_changed_environment_file_deploys_an_update_change_set() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("upd", &[]);
    assert_ok(&cairn(&moto.url, &["deploy", "upd", "--approve"], Some(&dir)));
    let before = synth("upd", Some(&dir));

    edit(&dir, "upd", "nginx:1.27", "nginx:1.27.1");
    let after = synth("upd", Some(&dir));
    let changed: Vec<&str> = after
        .stacks
        .iter()
        .filter(|s| before.stack(&s.name).is_none_or(|b| b.body != s.body))
        .map(|s| s.name.as_str())
        .collect();
    assert!(!changed.is_empty(), "changing service.image changed no template");

    let out = assert_ok(&cairn(&moto.url, &["deploy", "upd", "--approve"], Some(&dir)));
    for stack in &after.stacks {
        let status = aws.status(&stack.name).unwrap();
        if changed.contains(&stack.name.as_str()) {
            assert_eq!(status, "UPDATE_COMPLETE", "{}\n{out}", stack.name);
            assert!(out.contains(&format!("{}: UPDATE_COMPLETE", stack.name)), "{out}");
        } else {
            assert_eq!(status, "CREATE_COMPLETE", "{}\n{out}", stack.name);
        }
    }
    assert!(out.contains("  update: ") && out.contains("  ~ modify"), "{out}");
    assert!(out.contains(&format!(
        "done upd: {} deployed, {} without changes",
        changed.len(),
        after.stacks.len() - changed.len()
    )));
    // The deployed template is the new one.
    for name in &changed {
        let body = aws
            .rt
            .block_on(aws.cfn.get_template().stack_name(*name).send())
            .unwrap()
            .template_body()
            .map(str::to_string)
            .unwrap();
        assert_eq!(serde_json::from_str::<Json>(&body).unwrap(), after.stack(name).unwrap().template);
    }
}

#[test]
fn prod_without_a_terminal_or_approve_is_refused_and_creates_nothing() {
    if !support::requires(&["prod"]) {
        return;
    }
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let err = assert_fails(&cairn(&moto.url, &["deploy", "prod"], None), 1);
    assert!(err.contains("environment `prod` requires approval of every deploy"), "{err}");
    assert!(err.contains("pass --approve") && err.contains("Nothing was changed"), "{err}");
    for stack in &synth("prod", None).stacks {
        assert_eq!(aws.status(&stack.name), None, "{} exists", stack.name);
    }
    // destroy refuses an environment that keeps data, --force without a terminal too.
    let err = assert_fails(&cairn(&moto.url, &["destroy", "prod", "--approve"], None), 1);
    assert!(err.contains("keeps data") && err.contains("--force"), "{err}");
    let err = assert_fails(&cairn(&moto.url, &["destroy", "prod", "--force", "--approve"], None), 1);
    assert!(err.contains("needs its name typed on a terminal"), "{err}");
}

#[test]
fn broader_access_without_approve_is_refused_and_leaves_no_stack() {
    // A first deploy creates IAM roles: approval is needed, and without a terminal
    // or --approve nothing may be left behind (not even a REVIEW_IN_PROGRESS stack).
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("noapprove", &[]);
    let env = synth("noapprove", Some(&dir));
    let o = cairn(&moto.url, &["deploy", "noapprove"], Some(&dir));
    let err = assert_fails(&o, 1);
    assert!(err.contains("needs approval (it broadens IAM or network access"), "{err}");
    let (out, _) = text(&o);
    assert!(
        out.contains("approval needed:") && out.contains("(AWS::IAM::Role) AssumeRolePolicyDocument: Allow sts:AssumeRole"),
        "{out}"
    );
    for stack in &env.stacks {
        assert_eq!(aws.status(&stack.name), None, "{} exists", stack.name);
    }
}

#[test]
fn an_unreachable_endpoint_gives_one_clear_line() {
    let port = support::moto::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let err = assert_fails(&cairn(&url, &["deploy", &support::any_environment(), "--approve"], None), 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: cannot reach {url} (connection refused) for GetCallerIdentity")),
        "{err}"
    );
    assert!(err.contains("make local-cloud"), "{err}");
    for debug in ["DispatchFailure", "ConnectorError", "{ ", "Some("] {
        assert!(!err.contains(debug), "an SDK struct leaks into: {err}");
    }
}

/// `outputs` of an environment that is not deployed fails with nothing on stdout: no `{}`
/// for a script to take as "no outputs".
#[test]
fn outputs_of_an_undeployed_environment_print_nothing_on_stdout() {
    let moto = Moto::shared();
    let dir = env_copy("nooutputs", &[]);
    for format in ["json", "text"] {
        let o = cairn(&moto.url, &["outputs", "nooutputs", "--format", format], Some(&dir));
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{format}: {out}{err}");
        assert_eq!(out, "", "{format}: nothing on stdout on failure; stderr: {err}");
        assert!(
            err.contains("not deployed: shop-nooutputs-network, shop-nooutputs-data, shop-nooutputs-service"),
            "{err}"
        );
    }
}

#[test]
fn credentials_of_another_account_are_refused() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("otheracct", &[("account = \"123456789012\"", "account = \"210987654321\"")]);
    let err = assert_fails(&cairn(&moto.url, &["deploy", "otheracct", "--approve"], Some(&dir)), 1);
    assert!(
        err.contains("belong to account 123456789012, but environment `otheracct` lives in account 210987654321"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    for stack in &synth("otheracct", Some(&dir)).stacks {
        assert_eq!(aws.status(&stack.name), None);
    }
}

#[test]
fn bootstrap_creates_the_template_bucket_and_deploy_passes_templates_by_url() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("upl", &[]);
    let bucket = "cairn-tests-templates-upl";

    // Without the bucket: a clear error, nothing created.
    let err = assert_fails(
        &cairn(
            &moto.url,
            &["deploy", "upl", "--approve", "--upload-templates", "--template-bucket", bucket],
            Some(&dir),
        ),
        1,
    );
    assert!(
        err.contains(&format!("template bucket `{bucket}` does not exist")) && err.contains("cairn bootstrap upl"),
        "{err}"
    );

    let out = assert_ok(&cairn(&moto.url, &["bootstrap", "upl", "--template-bucket", bucket], Some(&dir)));
    assert!(out.contains("cairn-bootstrap: CREATE_COMPLETE"), "{out}");
    aws.rt
        .block_on(aws.s3.head_bucket().bucket(bucket).send())
        .expect("the bootstrap bucket exists");
    let out = assert_ok(&cairn(&moto.url, &["bootstrap", "upl", "--template-bucket", bucket], Some(&dir)));
    assert!(out.contains("already bootstrapped"), "{out}");

    let env = synth("upl", Some(&dir));
    let out = assert_ok(&cairn(
        &moto.url,
        &["deploy", "upl", "--approve", "--upload-templates", "--template-bucket", bucket],
        Some(&dir),
    ));
    assert_eq!(
        out.matches(&format!("uploaded to s3://{bucket}/cairn/shop/upl/")).count(),
        env.stacks.len(),
        "{out}"
    );
    let listed = aws.rt.block_on(aws.s3.list_objects_v2().bucket(bucket).send()).unwrap();
    assert_eq!(listed.contents().len(), env.stacks.len());
    assert_deployed(&aws, &env);
}

#[test]
fn destroy_deletes_stacks_in_reverse_dependency_order() {
    // moto cannot delete a VPC whose NAT gateway it created (the gateway's network
    // interface stays behind: DependencyViolation), so the network stack stays;
    // every stack that depends on it is deleted, dependents first.
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("gone", &[]);
    let env = synth("gone", Some(&dir));
    let deletable: Vec<&StackArtifact> = env.stacks.iter().filter(|s| !s.depends_on.is_empty()).collect();
    assert!(deletable.len() >= 2, "the test wants at least two stacks that depend on another");
    assert_ok(&cairn(&moto.url, &["deploy", "gone", "--approve"], Some(&dir)));
    let mut args = vec!["destroy", "gone"];
    args.extend(deletable.iter().map(|s| s.id.as_str()));
    let err = assert_fails(&cairn(&moto.url, &args, Some(&dir)), 1);
    assert!(err.contains("pass --approve"), "{err}");
    assert!(
        aws.status(&deletable[0].name).is_some(),
        "nothing may be deleted without confirmation"
    );

    args.push("--approve");
    let out = assert_ok(&cairn(&moto.url, &args, Some(&dir)));
    let positions: Vec<usize> = deletable
        .iter()
        .map(|s| {
            out.find(&format!("{}: deleted", s.name))
                .unwrap_or_else(|| panic!("{} not deleted:\n{out}", s.name))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] > w[1]), "not in reverse dependency order:\n{out}");
    for stack in &deletable {
        assert_eq!(aws.status(&stack.name), None, "{} still exists", stack.name);
    }
    let err = assert_fails(&cairn(&moto.url, &["outputs", "gone", deletable[0].id.as_str()], Some(&dir)), 1);
    assert!(err.contains("not deployed"), "{err}");
}

#[test]
fn a_create_that_fails_on_moto_leaves_no_stack_and_the_next_deploy_is_not_blocked() {
    // moto creates new stacks with CreateStack; when that fails (here: an export name
    // that another stack already has) moto keeps a CREATE_PENDING stack, which blocked
    // every later deploy ("cannot update a stack in this state").
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("dupexp", &[]);
    let env = synth("dupexp", Some(&dir));
    let first = &env.stacks[0];
    let export = first.template["Outputs"]
        .as_object()
        .and_then(|o| o.values().find_map(|v| v["Export"]["Name"].as_str()))
        .unwrap_or_else(|| panic!("{} has no export", first.name))
        .to_string();
    let blocker = serde_json::json!({
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"Taken": {"Value": {"Ref": "Queue"}, "Export": {"Name": export}}}
    });
    aws.rt
        .block_on(
            aws.cfn
                .create_stack()
                .stack_name("cairn-tests-blocker-dupexp")
                .template_body(blocker.to_string())
                .send(),
        )
        .expect("the blocking stack is created");

    let o = cairn(&moto.url, &["deploy", "dupexp", "--approve"], Some(&dir));
    let err = assert_fails(&o, 1);
    assert!(err.contains("Export names must be unique"), "{err}");
    assert!(
        err.contains(&format!("cairn deleted the half-created stack {} the call left", first.name))
            && err.contains("Either another stack holds the exports of the same name"),
        "{err}"
    );
    assert_eq!(aws.status(&first.name), None, "the failed create left {}", first.name);

    // The next deploy starts from scratch rather than refusing the stack's state: it
    // reaches CreateStack again (whether moto still sees the export as taken depends on
    // its bookkeeping of the deleted stack's exports).
    let o = cairn(&moto.url, &["deploy", "dupexp", "--approve", first.id.as_str()], Some(&dir));
    let (out, err) = text(&o);
    assert!(!err.contains("cannot update a stack in this state"), "{out}\n{err}");
    assert!(out.contains(&format!("creating {} with CreateStack", first.name)), "{out}\n{err}");
    assert!(o.status.success() || err.contains("Export names must be unique"), "{out}\n{err}");
}

#[test]
fn missing_credentials_are_reported_as_such_not_as_a_network_problem() {
    // No keys, no profile; the instance-metadata lookup (pointed at moto, which does not
    // serve it) fails the way it does on a machine without an instance role. The
    // endpoint is not on this machine (a local one gets test keys, see below) and is
    // never reached: credentials are resolved before the first request.
    let moto = Moto::shared();
    let home_dir = TempDir::new("deploytest-nohome");
    let home = home_dir.path().to_string_lossy().into_owned();
    let missing = format!("{home}/missing");
    let o = cairn_with(
        "http://192.0.2.1:9",
        &["status", &support::any_environment()],
        &[
            ("HOME", home.as_str()),
            ("AWS_CONFIG_FILE", missing.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", missing.as_str()),
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", moto.url.as_str()),
        ],
        &[
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        ],
    );
    let err = assert_fails(&o, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: no AWS credentials found"), "{err}");
    assert!(err.contains("AWS_PROFILE") && err.contains("aws sso login"), "{err}");
    assert!(!err.contains("cannot reach"), "{err}");
}

#[test]
fn a_local_endpoint_works_without_credentials() {
    // What the README shows: only AWS_ENDPOINT_URL, no keys, no profile.
    let moto = Moto::shared();
    let o = cairn_with(
        &moto.url,
        &["status", &support::any_environment()],
        &[("AWS_CONFIG_FILE", "/nonexistent"), ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")],
        &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(!err.contains("credentials"), "{err}");
}

#[test]
fn a_malformed_endpoint_or_a_zero_timeout_is_bad_input() {
    let env = support::any_environment();
    let err = assert_fails(&cairn("not-a-url", &["status", &env], None), 2);
    assert!(
        err.starts_with("error: AWS_ENDPOINT_URL=`not-a-url` is not a usable endpoint (it must start with http:// or https://)"),
        "{err}"
    );
    assert!(err.contains("http://127.0.0.1:5000") && err.lines().count() == 1, "{err}");
    let err = assert_fails(
        &cairn("http://127.0.0.1:1", &["status", &env, "--endpoint-url", "not-a-url"], None),
        2,
    );
    assert!(
        err.starts_with("error: --endpoint-url `not-a-url` is not a usable endpoint"),
        "{err}"
    );

    let err = assert_fails(&cairn("http://127.0.0.1:1", &["deploy", &env, "--timeout", "0s"], None), 2);
    assert!(err.contains("the timeout must be more than 0"), "{err}");
    assert!(!err.contains("is not a duration"), "{err}");
}

/// Runs `cairn` like [`cairn`], and sends it SIGINT (Ctrl-C) once a line of its
/// standard output contains `at`. Fails if no line does.
fn cairn_interrupted(endpoint: &str, args: &[&str], envs: &Path, at: &str) -> Output {
    use std::io::{BufRead, BufReader, Read};
    let dir = envs.to_string_lossy().into_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .env("CAIRN_LOCAL_CLOUD_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/local-cloud"))
        .args(args)
        .args(["--environments", dir.as_str()])
        .env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("CAIRN_ENVIRONMENTS")
        .env_remove("CAIRN_TEMPLATE_BUCKET")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cairn runs");
    let pid = child.id().to_string();
    let mut stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let mut stdout = Vec::new();
    let mut sent = false;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap_or_default();
        if !sent && line.contains(at) {
            let status = Command::new("kill").args(["-INT", pid.as_str()]).status().expect("kill runs");
            assert!(status.success());
            sent = true;
        }
        stdout.extend_from_slice(line.as_bytes());
        stdout.push(b'\n');
    }
    let status = child.wait().unwrap();
    let stderr = err_reader.join().unwrap();
    assert!(sent, "no line contained `{at}`:\n{}", String::from_utf8_lossy(&stdout));
    Output { status, stdout, stderr }
}

/// The stacks a Ctrl-C summary line (`deployed: a, b` / `not deleted: none`) lists.
fn listed<'a>(err: &'a str, label: &str) -> Vec<&'a str> {
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no `{label}:` line in:\n{err}"));
    if line == "none" {
        Vec::new()
    } else {
        line.split(", ").collect()
    }
}

#[test]
fn ctrl_c_during_a_deploy_stops_after_the_current_stack_with_exit_130() {
    // Reported: SIGINT while the network stack deployed, yet data and service were
    // deployed too and cairn exited 0.
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("sigint", &[]);
    let env = synth("sigint", Some(&dir));
    let network = &env.stacks[0].name;
    let o = cairn_interrupted(
        &moto.url,
        &["deploy", "sigint", "--approve"],
        &dir,
        &format!("creating {network} with CreateStack"),
    );
    let err = assert_fails(&o, 130);
    let (deployed, not_deployed) = (listed(&err, "deployed"), listed(&err, "not deployed"));
    // Stopped after the stack it was creating: at most that one deployed, the rest untouched.
    assert!(deployed.iter().all(|s| s == network), "{err}");
    assert!(not_deployed.len() >= env.stacks.len() - 1, "{err}");
    for stack in &env.stacks {
        let status = aws.status(&stack.name);
        assert_eq!(
            status.is_some(),
            deployed.contains(&stack.name.as_str()),
            "{} is {status:?}:\n{err}",
            stack.name
        );
    }
    // The hint repeats the run's arguments for the stacks not deployed.
    let resume = resume_hint(&err);
    let mut expected = vec!["cairn", "deploy", "sigint"];
    if !deployed.is_empty() {
        expected.extend(not_deployed.iter().copied());
    }
    let dir_arg = dir.to_string_lossy().into_owned();
    expected.extend(["--environments", dir_arg.as_str(), "--approve"]);
    assert_eq!(resume, expected, "{err}");
    let (out, _) = text(&o);
    assert!(!out.contains("done sigint"), "{out}");

    // Resuming with the hint, as pasted, deploys the rest.
    let out = assert_ok(&cairn_with(&moto.url, &resume[1..], &[], &[]));
    assert!(out.contains("done sigint"), "{out}");
}

#[test]
fn ctrl_c_during_destroy_stops_after_the_current_stack_with_exit_130() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("sigdel", &[]);
    let env = synth("sigdel", Some(&dir));
    assert_ok(&cairn(&moto.url, &["deploy", "sigdel", "--approve"], Some(&dir)));
    let first = &env.stacks.last().unwrap().name;
    let o = cairn_interrupted(
        &moto.url,
        &["destroy", "sigdel", "--approve"],
        &dir,
        &format!("{first} (1 of {})", env.stacks.len()),
    );
    let err = assert_fails(&o, 130);
    let (deleted, kept) = (listed(&err, "deleted"), listed(&err, "not deleted"));
    assert!(!kept.is_empty(), "Ctrl-C did not stop the destroy:\n{err}");
    for stack in &env.stacks {
        let exists = aws.status(&stack.name).is_some();
        assert_eq!(exists, kept.contains(&stack.name.as_str()), "{}:\n{err}", stack.name);
        assert_eq!(!exists, deleted.contains(&stack.name.as_str()), "{}:\n{err}", stack.name);
    }
    let dir_arg = dir.to_string_lossy().into_owned();
    let mut expected = vec!["cairn", "destroy", "sigdel"];
    expected.extend(kept.iter().copied());
    expected.extend(["--environments", dir_arg.as_str(), "--approve"]);
    assert_eq!(resume_hint(&err), expected, "{err}");
}

/// The words of the `resume with `…`` hint (plain words: the tests' paths need no quoting).
fn resume_hint(err: &str) -> Vec<&str> {
    let line = err.lines().last().unwrap_or_default();
    let command = line
        .strip_prefix("resume with `")
        .and_then(|l| l.split('`').next())
        .unwrap_or_else(|| panic!("no resume hint at the end of:\n{err}"));
    assert!(!command.contains('\''), "{command}");
    command.split(' ').collect()
}

#[test]
fn a_change_set_another_run_made_blocks_the_deploy_and_is_never_executed() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("other", &[]);
    let env = synth("other", Some(&dir));
    assert_ok(&cairn(&moto.url, &["deploy", "other", "--approve"], Some(&dir)));
    let data = &env.stacks[1];
    let body = aws
        .rt
        .block_on(aws.cfn.get_template().stack_name(&data.name).send())
        .unwrap()
        .template_body()
        .unwrap()
        .to_string();
    let mut changed: Json = serde_json::from_str(&body).unwrap();
    changed["Description"] = Json::String("changed by another run".into());
    let created = aws
        .rt
        .block_on(
            aws.cfn
                .create_change_set()
                .stack_name(&data.name)
                .change_set_name("someone-elses-review")
                .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Update)
                .template_body(changed.to_string())
                .send(),
        )
        .expect("the other change set is created");

    edit(&dir, "other", "nginx:1.27", "nginx:1.27.1");
    let err = assert_fails(&cairn(&moto.url, &["deploy", "other", "--approve"], Some(&dir)), 1);
    assert!(
        err.contains(&format!(
            "error: {} has a change set this deploy did not make: someone-elses-review",
            data.name
        )),
        "{err}"
    );
    assert!(err.contains("never executes another run's change set"), "{err}");
    // Left as it was: not executed, not deleted.
    let cs = aws
        .rt
        .block_on(aws.cfn.describe_change_set().change_set_name(created.id().unwrap()).send())
        .unwrap();
    assert_eq!(cs.execution_status().map(|s| s.as_str()), Some("AVAILABLE"));
    let now = aws
        .rt
        .block_on(aws.cfn.get_template().stack_name(&data.name).send())
        .unwrap()
        .template_body()
        .unwrap()
        .to_string();
    assert_eq!(now, body);
}

/// A prompt that is never answered (deploys here are approved in advance).
struct NoPrompt;

impl cairn_toolkit::deploy::console::Prompt for NoPrompt {
    fn ask(&mut self, _: &str) -> Option<String> {
        None
    }
}

/// A stack that exports the ARN of each of `queues`, as cairn names exports.
fn exporting(name: &str, queues: &[&str]) -> StackArtifact {
    let mut resources = serde_json::Map::new();
    let mut outputs = serde_json::Map::new();
    for q in queues {
        resources.insert(q.to_string(), serde_json::json!({"Type": "AWS::SQS::Queue"}));
        outputs.insert(
            format!("ExportsOutputFnGetAtt{q}Arn"),
            serde_json::json!({"Value": {"Fn::GetAtt": [q, "Arn"]}, "Export": {"Name": format!("{name}:ExportsOutputFnGetAtt{q}Arn")}}),
        );
    }
    artifact(name, serde_json::json!({"Resources": resources, "Outputs": outputs}), &[])
}

/// A stack whose role may send to each of `queues` of `producer` (imported).
fn importing(name: &str, producer: &str, queues: &[&str]) -> StackArtifact {
    let arns: Vec<Json> = queues
        .iter()
        .map(|q| serde_json::json!({"Fn::ImportValue": format!("{producer}:ExportsOutputFnGetAtt{q}Arn")}))
        .collect();
    artifact(
        name,
        serde_json::json!({"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "send", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": arns}]}}]
        }}}}),
        &[producer],
    )
}

fn artifact(name: &str, template: Json, depends_on: &[&str]) -> StackArtifact {
    StackArtifact {
        id: name.rsplit('-').next().unwrap().to_string(),
        name: name.to_string(),
        body: serde_json::to_string_pretty(&template).unwrap() + "\n",
        template,
        depends_on: depends_on.iter().map(|s| s.to_string()).collect(),
        paths: Default::default(),
        suppressions: Vec::new(),
    }
}

#[test]
fn updates_that_add_an_export_and_its_import_deploy_on_moto_in_one_run() {
    // Reported: adding a queue with a grant to the service failed with `No export named …`
    // on the first `deploy` (moto registers exports only at CreateStack).
    use cairn_toolkit::deploy::clock::SystemClock;
    use cairn_toolkit::deploy::console::Console;
    use cairn_toolkit::deploy::{DeployOptions, Deployer, Outcome};
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let settings = synth(&support::any_environment(), None).settings;
    let clients = cairn_toolkit::aws::connect(&settings, Some(&moto.url)).unwrap();
    let quirks = clients.detect_quirks();
    assert_eq!(quirks.emulator, Some("moto"));
    let (producer, consumer) = ("cairn-tests-exports-data", "cairn-tests-exports-service");
    let deploy = |stacks: &[&StackArtifact]| {
        let (mut console, buffer) = Console::buffer();
        let clock = SystemClock::new();
        let mut prompt = NoPrompt;
        let opts = DeployOptions {
            approve: true,
            ..DeployOptions::new("shop", "exports")
        };
        let mut d = Deployer::new(&clients.cloudformation, &mut console, &clock, &mut prompt, opts);
        d.quirks = quirks;
        let result = d.deploy(stacks);
        let out = buffer.text();
        match result {
            Ok(v) => (v.into_iter().map(|(_, o)| o).collect::<Vec<_>>(), out),
            Err(e) => panic!("deploy failed: {e}\n{out}"),
        }
    };
    let arn_of = |queue: &str| {
        let out = aws.rt.block_on(aws.cfn.describe_stacks().stack_name(producer).send()).unwrap();
        let key = format!("ExportsOutputFnGetAtt{queue}Arn");
        out.stacks()[0]
            .outputs()
            .iter()
            .find(|o| o.output_key() == Some(key.as_str()))
            .and_then(|o| o.output_value())
            .unwrap_or_else(|| panic!("{producer} has no output {key}"))
            .to_string()
    };
    let deployed_policy = || {
        let body = aws
            .rt
            .block_on(aws.cfn.get_template().stack_name(consumer).send())
            .unwrap()
            .template_body()
            .unwrap()
            .to_string();
        let t: Json = serde_json::from_str(&body).unwrap();
        t["Resources"]["Role"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"].clone()
    };

    let (outcomes, _) = deploy(&[&exporting(producer, &["Jobs"]), &importing(consumer, producer, &["Jobs"])]);
    assert_eq!(outcomes, vec![Outcome::Deployed, Outcome::Deployed]);

    // An update adds a queue and its grant: both stacks update in this one run.
    let (producer2, consumer2) = (
        exporting(producer, &["Jobs", "Extra"]),
        importing(consumer, producer, &["Jobs", "Extra"]),
    );
    let (outcomes, out) = deploy(&[&producer2, &consumer2]);
    assert_eq!(outcomes, vec![Outcome::Deployed, Outcome::Deployed], "{out}");
    assert!(
        out.contains(&format!("{producer}: UPDATE_COMPLETE")) && out.contains(&format!("{consumer}: UPDATE_COMPLETE")),
        "{out}"
    );
    assert_eq!(aws.status(consumer).as_deref(), Some("UPDATE_COMPLETE"));
    let extra = arn_of("Extra");
    assert!(extra.contains("Extra"), "{extra}");
    // The grant names the new queue; the import moto can serve stays an import.
    assert_eq!(
        deployed_policy(),
        serde_json::json!([{"Fn::ImportValue": format!("{producer}:ExportsOutputFnGetAttJobsArn")}, extra])
    );

    // Again: nothing to do.
    let (outcomes, out) = deploy(&[&producer2, &consumer2]);
    assert_eq!(outcomes, vec![Outcome::NoChanges, Outcome::NoChanges], "{out}");

    // Another shape: the grant of the new queue goes, then a third queue comes with one.
    let (outcomes, out) = deploy(&[&producer2, &importing(consumer, producer, &["Jobs"])]);
    assert_eq!(outcomes, vec![Outcome::NoChanges, Outcome::Deployed], "{out}");
    let (outcomes, out) = deploy(&[
        &exporting(producer, &["Jobs", "Extra", "Third"]),
        &importing(consumer, producer, &["Third", "Jobs"]),
    ]);
    assert_eq!(outcomes, vec![Outcome::Deployed, Outcome::Deployed], "{out}");
    assert_eq!(
        deployed_policy(),
        serde_json::json!([arn_of("Third"), {"Fn::ImportValue": format!("{producer}:ExportsOutputFnGetAttJobsArn")}])
    );
}

#[test]
fn two_deploys_of_one_environment_at_once_never_both_execute_the_update() {
    // Reported: both ran the same update and printed each other's events.
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("twice", &[]);
    assert_ok(&cairn(&moto.url, &["deploy", "twice", "--approve"], Some(&dir)));
    edit(&dir, "twice", "nginx:1.27", "nginx:1.27.1");
    let service = synth("twice", Some(&dir)).stacks.last().unwrap().name.clone();
    let runs: Vec<Output> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| cairn(&moto.url, &["deploy", "twice", "--approve"], Some(&dir))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut executed = 0;
    for o in &runs {
        let (out, err) = text(o);
        let updates = out.matches(&format!("{service}: UPDATE_COMPLETE")).count();
        executed += updates;
        // Each run prints at most one update's events: its own.
        assert!(out.matches("UPDATE_IN_PROGRESS").count() <= 1, "{out}");
        if !o.status.success() {
            assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
            assert!(
                err.contains("has a change set this deploy did not make") || err.contains("changed while this deploy prepared"),
                "{out}\n{err}"
            );
            assert!(err.contains("deploy again"), "{err}");
        }
    }
    // Exactly one: the run whose change set sorts first proceeds, the other refuses.
    assert_eq!(executed, 1, "not exactly one run executed the update:\n{runs:?}");
    // Whatever the interleaving, the environment ends deployed and a rerun is clean.
    assert_ok(&cairn(&moto.url, &["deploy", "twice", "--approve"], Some(&dir)));
    assert_eq!(aws.status(&service).as_deref(), Some("UPDATE_COMPLETE"));
    let out = assert_ok(&cairn(&moto.url, &["deploy", "twice", "--approve"], Some(&dir)));
    assert!(out.contains("done twice: 0 deployed, 3 without changes"), "{out}");
}

#[test]
fn ctrl_c_as_a_deploy_starts_leaves_no_change_set_or_review_stack_behind() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("sigearly", &[]);
    let env = synth("sigearly", Some(&dir));
    let o = cairn_interrupted(&moto.url, &["deploy", "sigearly", "--approve"], &dir, "deploying sigearly:");
    let err = assert_fails(&o, 130);
    let deployed = listed(&err, "deployed");
    for stack in &env.stacks {
        // Deployed, or not there at all (no REVIEW_IN_PROGRESS stack holding a change set).
        let status = aws.status(&stack.name);
        assert_eq!(
            status.is_some(),
            deployed.contains(&stack.name.as_str()),
            "{} is {status:?}:\n{err}",
            stack.name
        );
    }
    assert!(deployed.len() < env.stacks.len(), "{err}");
}

#[test]
fn two_first_deploys_of_one_environment_at_once_never_both_create_a_stack() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("twonew", &[]);
    let env = synth("twonew", Some(&dir));
    let runs: Vec<Output> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| s.spawn(|| cairn(&moto.url, &["deploy", "twonew", "--approve"], Some(&dir))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for stack in &env.stacks {
        let created: usize = runs
            .iter()
            .map(|o| text(o).0.matches(&format!("{}: CREATE_COMPLETE", stack.name)).count())
            .sum();
        assert!(created <= 1, "{} was created twice:\n{runs:?}", stack.name);
    }
    for o in runs.iter().filter(|o| !o.status.success()) {
        let (out, err) = text(o);
        assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
        assert!(
            err.contains("has a change set this deploy did not make")
                || err.contains("changed while this deploy prepared")
                || err.contains("another deploy of this environment created"),
            "{out}\n{err}"
        );
        assert!(err.contains("deploy again"), "{err}");
    }
    assert_ok(&cairn(&moto.url, &["deploy", "twonew", "--approve"], Some(&dir)));
    for stack in &env.stacks {
        assert_eq!(aws.status(&stack.name).as_deref(), Some("CREATE_COMPLETE"), "{}", stack.name);
    }
}

#[test]
fn moto_says_not_supported_only_for_what_it_lacks_and_the_endpoint_failed_for_a_crash() {
    // Termination protection (retain_data): moto does not implement it.
    let moto = Moto::shared();
    let dir = env_copy(
        "keeps",
        &[
            ("retain_data = false", "retain_data = true"),
            ("deletion_protection = false", "deletion_protection = true"),
        ],
    );
    let out = assert_ok(&cairn(
        &moto.url,
        &["deploy", "keeps", "--approve", "--allow-parity-drift"],
        Some(&dir),
    ));
    assert!(
        out.contains("warning: termination protection not set: UpdateTerminationProtection is not supported by moto"),
        "{out}"
    );

    // A template moto crashes on (Tags on a KMS key): the endpoint failed, not "not supported".
    use cairn_toolkit::deploy::clock::SystemClock;
    use cairn_toolkit::deploy::console::Console;
    use cairn_toolkit::deploy::{DeployOptions, Deployer};
    let settings = synth(&support::any_environment(), None).settings;
    let clients = cairn_toolkit::aws::connect(&settings, Some(&moto.url)).unwrap();
    let key = artifact(
        "cairn-tests-crash",
        serde_json::json!({"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {
            "KeyPolicy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
            "Tags": [{"Key": "a", "Value": "b"}]}}}}),
        &[],
    );
    let (mut console, buffer) = Console::buffer();
    let clock = SystemClock::new();
    let mut prompt = NoPrompt;
    let opts = DeployOptions {
        approve: true,
        ..DeployOptions::new("shop", "crash")
    };
    let mut d = Deployer::new(&clients.cloudformation, &mut console, &clock, &mut prompt, opts);
    d.quirks = clients.detect_quirks();
    let e = cairn_toolkit::error::CliError::from(d.deploy(&[&key]).unwrap_err());
    assert!(
        e.report().contains("CreateStack: the endpoint failed (HTTP 500)") && e.report().contains("its log has the cause"),
        "{}\n{}",
        e.report(),
        buffer.text()
    );
    assert!(!e.report().contains("not supported"), "{}", e.report());
}

#[test]
fn destroying_a_network_stack_on_moto_says_what_is_left_and_why() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("leftvpc", &[]);
    let env = synth("leftvpc", Some(&dir));
    let network = &env.stacks[0].name;
    assert_ok(&cairn(&moto.url, &["deploy", "leftvpc", "--approve"], Some(&dir)));
    let err = assert_fails(&cairn(&moto.url, &["destroy", "leftvpc", "--approve"], Some(&dir)), 1);
    assert!(
        err.contains(&format!(
            "error: deleting {network} failed: DeleteStack failed: DependencyViolation"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "The endpoint no longer lists {network}, so `cairn status leftvpc` shows it as not deployed"
        )),
        "{err}"
    );
    assert!(err.contains("resources are left behind: AWS::EC2::VPC vpc-"), "{err}");
    assert!(
        err.contains("AWS::EC2::NatGateway nat-") && err.contains("a moto limitation"),
        "{err}"
    );
    assert!(!err.contains("not supported"), "{err}");
    assert_eq!(aws.status(network), None);
    assert!(
        err.contains("AWS::EC2::InternetGateway igw-") && err.contains("the NAT gateway's network interface"),
        "{err}"
    );
    // Status shows it as not deployed, and what moto kept of it.
    let out = assert_ok(&cairn(&moto.url, &["status", "leftvpc"], Some(&dir)));
    assert!(
        out.contains(&format!("{network}  not deployed\n  moto left behind: AWS::EC2::VPC vpc-")),
        "{out}"
    );
    let json = assert_ok(&cairn(&moto.url, &["status", "leftvpc", "--format", "json"], Some(&dir)));
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let left = &doc["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == network.as_str())
        .unwrap()["leftBehind"];
    assert!(left[0].as_str().is_some_and(|r| r.starts_with("AWS::EC2::VPC vpc-")), "{doc}");
    // Deploying it again meets moto's kept exports: named as moto's limitation.
    let err = assert_fails(&cairn(&moto.url, &["deploy", "leftvpc", "--approve"], Some(&dir)), 1);
    assert!(
        err.contains("Export names must be unique")
            && err.contains("This is a moto limitation")
            && err.contains("make local-cloud-stop local-cloud")
            && !err.contains("starts clean"),
        "{err}"
    );
}
