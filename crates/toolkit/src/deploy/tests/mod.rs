//! The deploy logic against the scripted fake: what moto cannot produce
//! (asynchronous operations, per-resource failures, rollbacks, stacks in
//! progress, replacement flags, timeouts, Ctrl-C).

use std::time::Duration;

use cairn_core::StackArtifact;
use indexmap::IndexMap;
use serde_json::{json, Value as Json};

use super::clock::fake::FakeClock;
use super::clock::Clock;
use super::console::{Console, ScriptedPrompt};
use super::destroy::Destroyer;
use super::plan::Hints;
use super::*;
use crate::aws::fake::{FakeCloudFormation, FakeStore, Step};
use crate::aws::ResourceChange;
use crate::error::{CliError, CliResult};

mod backups;
mod blocking_changes;
mod concurrent_runs;
mod create_and_update;
mod ctrl_c;
mod destroying;
mod moto_quirks;
mod review;
mod watching;

fn artifact(name: &str, template: Json) -> StackArtifact {
    let body = serde_json::to_string_pretty(&template).unwrap() + "\n";
    StackArtifact {
        id: name.rsplit('-').next().unwrap().to_string(),
        name: name.to_string(),
        template,
        body,
        depends_on: Vec::new(),
        paths: IndexMap::new(),
        suppressions: Vec::new(),
    }
}

fn data_template(class: &str) -> Json {
    json!({"Resources": {
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {"DBInstanceClass": class, "Engine": "postgres"}},
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"VisibilityTimeout": 30}}
    }})
}

fn service_template() -> Json {
    json!({"Resources": {
        "TaskRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}}}
    }})
}

fn opts() -> DeployOptions {
    DeployOptions::new("shop", "dev")
}

/// What one deploy run produced.
struct Run {
    result: CliResult<Vec<(String, Outcome)>>,
    output: String,
    questions: Vec<String>,
    clock_now: Duration,
}

impl Run {
    fn error(&self) -> &CliError {
        self.result
            .as_ref()
            .err()
            .unwrap_or_else(|| panic!("expected a failure; output:\n{}", self.output))
    }
    fn outcomes(&self) -> Vec<Outcome> {
        match &self.result {
            Ok(v) => v.iter().map(|(_, o)| o.clone()).collect(),
            Err(e) => panic!("deploy failed: {}\noutput:\n{}", e.report(), self.output),
        }
    }
}

fn deploy_with(cfn: &FakeCloudFormation, opts: DeployOptions, stacks: &[&StackArtifact], answers: &[&str], clock: &FakeClock) -> Run {
    deploy_full(cfn, opts, stacks, answers, clock, None, Quirks::default())
}

fn deploy_full(
    cfn: &FakeCloudFormation,
    opts: DeployOptions,
    stacks: &[&StackArtifact],
    answers: &[&str],
    clock: &FakeClock,
    store: Option<&dyn TemplateStore>,
    quirks: Quirks,
) -> Run {
    let (mut console, buffer) = Console::buffer();
    let mut prompt = ScriptedPrompt {
        answers: answers.iter().map(|a| a.to_string()).collect(),
        questions: Vec::new(),
        presses: Some(clock.presses.clone()),
    };
    let result = {
        let mut d = Deployer::new(cfn, &mut console, clock, &mut prompt, opts);
        d.store = store;
        d.quirks = quirks;
        d.deploy(stacks).map_err(CliError::from)
    };
    let output = buffer.text();
    assert!(
        !output.contains('\x1b') && !output.contains('\r'),
        "plain output has control characters:\n{output}"
    );
    Run {
        result,
        output,
        questions: prompt.questions,
        clock_now: clock.now(),
    }
}

fn deploy(cfn: &FakeCloudFormation, opts: DeployOptions, stacks: &[&StackArtifact]) -> Run {
    deploy_with(cfn, opts, stacks, &[], &FakeClock::default())
}

fn count(calls: &[String], prefix: &str) -> usize {
    calls.iter().filter(|c| c.starts_with(prefix)).count()
}

fn db_replacement() -> ResourceChange {
    ResourceChange {
        action: "Modify".into(),
        logical_id: "Db".into(),
        resource_type: "AWS::RDS::DBInstance".into(),
        replacement: Some("True".into()),
        replacing_properties: vec!["DBName".into()],
        ..Default::default()
    }
}

fn network_template() -> Json {
    json!({"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}})
}

/// The three stacks of `dev`, in deploy order, all new.
fn three_stacks() -> (StackArtifact, StackArtifact, StackArtifact) {
    (
        artifact("shop-dev-network", network_template()),
        artifact("shop-dev-data", data_template("db.t3.micro")),
        artifact("shop-dev-service", service_template()),
    )
}

fn approved() -> DeployOptions {
    DeployOptions { approve: true, ..opts() }
}
