//! `cairn deploy` and friends end to end: the real `cairn` binary, without a
//! terminal, against a moto server on a free loopback port (one per test binary;
//! each test deploys an environment of its own name, so their stacks never meet).
//!
//! What moto cannot produce (rollbacks, stacks in progress, per-resource events,
//! replacement flags, timeouts) is covered by the scripted-fake tests of the
//! toolkit crate (`crates/toolkit/src/deploy/tests.rs`).

#[path = "../support/mod.rs"]
mod support;

mod backups;
mod bootstrap_and_destroy;
mod concurrency;
mod first_deploys;
mod github_oidc;
mod interrupts;
mod promotion;

mod prelude {
    pub(crate) use std::collections::BTreeSet;
    pub(crate) use std::path::Path;
    pub(crate) use std::process::{Command, Output};

    pub(crate) use crate::support::moto::Moto;
    pub(crate) use crate::support::TempDir;
    pub(crate) use aws_config::{BehaviorVersion, Region, SdkConfig};
    pub(crate) use aws_credential_types::Credentials;
    pub(crate) use aws_sdk_cloudformation::error::ProvideErrorMetadata;
    pub(crate) use cairn_app::Shop;
    pub(crate) use cairn_core::application::{load_env, synthesize};
    pub(crate) use cairn_core::{EnvArtifact, StackArtifact};
    pub(crate) use serde_json::Value as Json;
}
use prelude::*;

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
                .http_client(cairn_toolkit::http_client())
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

    /// The stack's deployed template without cairn's synthesis record (which it must have).
    fn deployed_template(&self, stack: &str) -> Json {
        let body = self
            .rt
            .block_on(self.cfn.get_template().stack_name(stack).send())
            .unwrap()
            .template_body()
            .map(str::to_string)
            .unwrap();
        let mut template: Json = serde_json::from_str(&body).unwrap();
        let metadata = template["Metadata"].as_object_mut().expect("cairn adds Metadata");
        let record = metadata.shift_remove("cairn:synthesis").expect("the synthesis record");
        assert!(record["digest"].as_str().is_some_and(|d| d.len() == 64), "{record}");
        assert!(record["deployedBy"].as_str().is_some_and(|a| a.starts_with("arn:")), "{record}");
        if metadata.is_empty() {
            template.as_object_mut().unwrap().shift_remove("Metadata");
        }
        template
    }

    /// `template` as moto holds it: cairn sends KMS keys to moto without their tags.
    fn as_on_moto(template: &Json) -> Json {
        let mut t = template.clone();
        if let Some(resources) = t["Resources"].as_object_mut() {
            for r in resources.values_mut() {
                if r["Type"] == "AWS::KMS::Key" {
                    r["Properties"].as_object_mut().map(|p| p.shift_remove("Tags"));
                }
            }
        }
        t
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
            // At once: spawning `kill` takes long enough on a busy machine for a deploy on
            // moto to get past the point the test means to interrupt.
            let pid: i32 = pid.parse().expect("a process id");
            // SAFETY: kill(2) on the child this test spawned and has not waited for yet.
            assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0, "SIGINT to cairn");
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
