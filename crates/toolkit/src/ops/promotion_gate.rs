//! The promotion gate (`[delivery] requires_previous`, `soak_minutes`): an
//! environment is deployed only with a synthesis the environment before it in
//! promotion order already runs, healthy, for at least the soak time.
//!
//! "Runs the same synthesis" is checked on what CloudFormation holds: each of the
//! previous environment's stacks must be deployed, `*_COMPLETE`, and its template
//! (without cairn's record) equal to that environment's template in the synthesis
//! being deployed. Healthy: none of its critical alarms in ALARM (an alarm that
//! cannot be found counts as not healthy on AWS). The artifact versions
//! (`service.image`, declared with `Knob::artifact`) must be the ones the previous
//! environment runs. Whatever is missing is listed; nothing is changed.

use std::time::Duration;

use cairn_core::EnvArtifact;
use cairn_parity::ArtifactSkew;
use serde_json::Value as Json;

use cairn_core::application::LoadedEnv;
use cairn_core::{Application, EnvironmentConfig};

use crate::aws;
use crate::aws::alarms::AlarmApi;
use crate::aws::cloudformation::{status, Time};
use crate::aws::CloudFormation;
use crate::deploy::record::{split, SynthesisRecord};
use crate::error::{CliError, CliResult};
use crate::ops::environment::{load_envs, synth_env};
use crate::ops::from_dir;
use crate::project::Project;
use crate::ui::Style;

/// How the deploy the gate guards was asked for.
pub struct GateRequest<'a> {
    /// `--from DIR` with the deployed environment's parity record read from it (the
    /// folder is read once, by the deploy): the previous environment is taken from
    /// the same folder.
    pub from: Option<(&'a std::path::Path, Option<&'a cairn_assembly::ParityRecord>)>,
    /// `--endpoint-url`.
    pub endpoint: Option<&'a str>,
    /// `--skip-promotion-gate REASON`.
    pub skip_reason: Option<&'a str>,
}

/// The promotion gate of a deploy of `loaded` (`[delivery] requires_previous`), with
/// its messages: `Ok(Some(reason))` when it is skipped for an emergency, `Ok(None)`
/// when it is open or not asked for; an error listing what is missing when closed.
pub fn check<A: Application + Sync>(
    project: &Project<A>,
    loaded: &LoadedEnv<A::Config>,
    request: &GateRequest<'_>,
    quirks: aws::Quirks,
    style: Style,
) -> CliResult<Option<String>> {
    let delivery = &loaded.delivery;
    if !delivery.requires_previous {
        if let Some(reason) = request.skip_reason {
            eprintln!(
                "{}",
                style.yellow(&format!(
                    "warning: {} has no promotion gate (requires_previous is off); the reason is recorded anyway: {reason}",
                    loaded.name
                ))
            );
        }
        return Ok(request.skip_reason.map(str::to_string));
    }
    let all = load_envs(project, &[])?;
    let pos = all.iter().position(|e| e.name == loaded.name).unwrap_or(0);
    let Some(prev) = pos.checked_sub(1).map(|i| &all[i]) else {
        return Err(CliError::BadInput(format!(
            "{}: [delivery] requires_previous = true, but {} is first in promotion order: no environment comes before it
               fix: remove requires_previous, or give an environment a lower promotion_order",
            loaded.file.display(),
            loaded.name
        )));
    };
    // The previous environment as this same code synthesizes it (from DIR: as the folder holds it).
    let (previous, skew) = match request.from {
        Some((dir, this_record)) => {
            let prev_dir = from_dir::read_env(project, dir, prev).map_err(|e| match e {
                CliError::BadInput(m) => CliError::BadInput(format!(
                    "{m}
  (the promotion gate compares with {}, the environment before {} in promotion order)",
                    prev.name, loaded.name
                )),
                other => other,
            })?;
            let skew = match (&prev_dir.manifest.parity, this_record) {
                (Some(a), Some(b)) => cairn_parity::artifact_skew_in_records(a, b),
                _ => cairn_parity::artifact_skew(&project.knobs(), prev, loaded),
            };
            (prev_dir.artifact, skew)
        }
        None => (
            synth_env(project, &prev.name)?,
            cairn_parity::artifact_skew(&project.knobs(), prev, loaded),
        ),
    };
    let prev_settings = &previous.settings;
    let report = if prev_settings.account != loaded.config.settings(&loaded.name).account {
        GateReport {
            missing: vec![format!(
                "{} lives in account {}, not {}: the gate cannot read it with these credentials",
                prev.name,
                prev_settings.account,
                loaded.config.settings(&loaded.name).account
            )],
            ..Default::default()
        }
    } else {
        let prev_clients = aws::connect(prev_settings, request.endpoint)?;
        // CloudWatch's Query protocol: the same requests to AWS and to moto.
        let alarms = prev_clients.alarms();
        evaluate(
            &prev_clients.cloudformation,
            &alarms,
            &GateInput {
                env: &loaded.name,
                previous: &previous,
                soak: Duration::from_secs(u64::from(delivery.soak_minutes) * 60),
                skew,
                now: crate::aws::cloudformation::Time::now(),
                quirks,
            },
        )?
    };
    if report.missing.is_empty() {
        let runs = report
            .previous_record
            .map(|r| format!(" ({})", r.source().label()))
            .unwrap_or_default();
        println!(
            "promotion gate open: {} runs this synthesis{runs}, healthy{}",
            prev.name,
            if delivery.soak_minutes > 0 {
                format!(", for at least {} minutes", delivery.soak_minutes)
            } else {
                String::new()
            }
        );
        return Ok(request.skip_reason.map(str::to_string));
    }
    let list: String = report.missing.iter().map(|m| format!("\n  - {m}")).collect();
    if let Some(reason) = request.skip_reason {
        eprintln!(
            "{}",
            style.yellow(&format!(
                "EMERGENCY DEPLOY of {}: promotion gate skipped (--skip-promotion-gate \"{reason}\"); it is closed because:{list}\n                   the reason is recorded on every stack deployed",
                loaded.name
            ))
        );
        return Ok(Some(reason.to_string()));
    }
    Err(CliError::Failed(format!(
        "promotion gate: {} may not be deployed yet; {} must run this synthesis, healthy{}:{list}\n         Nothing was changed. Deploy {} with this synthesis first (and wait), or for an emergency pass --skip-promotion-gate \"REASON\"",
        loaded.name,
        prev.name,
        if delivery.soak_minutes > 0 { format!(", for {} minutes", delivery.soak_minutes) } else { String::new() },
        prev.name
    )))
}

/// What the gate looks at.
pub struct GateInput<'a> {
    /// The environment being deployed (`prod`).
    pub env: &'a str,
    /// The environment before it in promotion order, as synthesized with the same
    /// code (`staging`).
    pub previous: &'a EnvArtifact,
    /// How long the previous environment must have run the synthesis.
    pub soak: Duration,
    /// Artifact versions that differ between the previous environment and this one.
    pub skew: Vec<ArtifactSkew>,
    /// Now.
    pub now: Time,
    /// What the endpoint does differently (moto): templates are compared as they were
    /// sent there, and a missing alarm does not count against the gate on an emulator,
    /// which does not create alarms from templates.
    pub quirks: crate::aws::Quirks,
}

/// The gate's findings: what is missing (empty: the gate is open) and what was seen.
#[derive(Debug, Default)]
pub struct GateReport {
    /// Each thing missing, one sentence each.
    pub missing: Vec<String>,
    /// The record of the previous environment's newest stack, if it has one.
    pub previous_record: Option<SynthesisRecord>,
    /// Since when the previous environment runs this synthesis.
    pub since: Option<Time>,
}

/// Evaluates the gate against the previous environment's stacks (`cfn`) and alarms.
pub fn evaluate(cfn: &dyn CloudFormation, alarms: &dyn AlarmApi, input: &GateInput) -> CliResult<GateReport> {
    let prev = input.previous.name();
    let mut report = GateReport::default();
    let mut since: Option<Time> = None;
    for stack in &input.previous.stacks {
        let Some(info) = cfn.describe_stack(&stack.name)? else {
            report.missing.push(format!("{prev}'s stack {} is not deployed", stack.name));
            continue;
        };
        if !matches!(info.status.as_str(), "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE") {
            let why = if status::in_progress(&info.status) {
                "is being changed"
            } else {
                "is not healthy"
            };
            report
                .missing
                .push(format!("{prev}'s stack {} {why} ({})", stack.name, info.status));
            continue;
        }
        let deployed: Option<(Json, Option<SynthesisRecord>)> = cfn
            .get_template(&info.id)?
            .and_then(|b| serde_json::from_str::<Json>(&b).ok())
            .map(split);
        let Some((template, record)) = deployed else {
            report
                .missing
                .push(format!("{prev}'s stack {} has no readable template", stack.name));
            continue;
        };
        if template != *input.quirks.as_sent(&stack.template) {
            let runs = record
                .as_ref()
                .map(|r| format!(" (it runs {}, deployed {})", r.source().label(), r.deployed_at))
                .unwrap_or_default();
            report.missing.push(format!(
                "{prev}'s stack {} does not run this synthesis{runs}: deploy {prev} with it first",
                stack.name
            ));
            continue;
        }
        let mut stack_since = info.updated.or(info.created);
        if let Some(at) = record.as_ref().and_then(|r| parse_time(&r.deployed_at)) {
            stack_since = Some(stack_since.map_or(at, |t| t.max(at)));
        }
        if let Some(t) = stack_since {
            since = Some(since.map_or(t, |s| s.max(t)));
        }
        if record.is_some() && report.previous_record.is_none() {
            report.previous_record = record;
        }
    }
    report.since = since;
    if report.missing.is_empty() && !input.soak.is_zero() {
        match since {
            Some(t) => {
                let ran = Duration::from_millis(u64::try_from(input.now.0 - t.0).unwrap_or(0));
                if ran < input.soak {
                    report.missing.push(format!(
                        "{prev} has run this synthesis for {} (since {}); {} requires {} (soak_minutes)",
                        minutes(ran),
                        t.rfc3339(),
                        input.env,
                        minutes(input.soak)
                    ));
                }
            }
            None => report.missing.push(format!(
                "cairn cannot tell since when {prev} runs this synthesis, so its soak time is unknown"
            )),
        }
    }
    let names: Vec<String> = input.previous.critical_alarms().into_iter().map(|a| a.alarm_name).collect();
    if !names.is_empty() {
        let states = alarms.alarm_states(&names)?;
        for name in &names {
            match states.iter().find(|(n, _)| n == name).map(|(_, s)| s.as_str()) {
                Some("ALARM") => report.missing.push(format!("{prev}'s critical alarm {name} is in ALARM")),
                Some(_) => {}
                None if input.quirks.emulator.is_some() => {}
                None => report
                    .missing
                    .push(format!("{prev}'s critical alarm {name} was not found, so its health is unknown")),
            }
        }
    }
    for skew in &input.skew {
        report.missing.push(format!(
            "{} would run {} = {}, but {prev} runs {}: promote what {prev} runs (set {} in {}'s file to {})",
            input.env,
            skew.field,
            value(&skew.to),
            value(&skew.from),
            skew.field,
            input.env,
            value(&skew.from)
        ));
    }
    Ok(report)
}

fn value(v: &Option<Json>) -> String {
    match v {
        Some(Json::String(s)) => format!("`{s}`"),
        Some(other) => format!("`{other}`"),
        None => "nothing (unset)".to_string(),
    }
}

fn minutes(d: Duration) -> String {
    let m = d.as_secs() / 60;
    if m == 1 {
        "1 minute".to_string()
    } else {
        format!("{m} minutes")
    }
}

/// An RFC 3339 time as cairn writes it in records.
pub fn parse_time(text: &str) -> Option<Time> {
    let t = aws_smithy_types::DateTime::from_str(text, aws_smithy_types::date_time::Format::DateTime).ok()?;
    Some(Time(t.secs() * 1000 + i64::from(t.subsec_nanos() / 1_000_000)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::error::AwsResult;
    use crate::aws::fake::FakeCloudFormation;
    use crate::deploy::record::with_record;
    use cairn_core::{EnvSettings, StackArtifact};
    use serde_json::json;

    struct Alarms(Vec<(String, String)>);
    impl AlarmApi for Alarms {
        fn alarm_states(&self, _: &[String]) -> AwsResult<Vec<(String, String)>> {
            Ok(self.0.clone())
        }
    }

    fn staging(template: Json) -> EnvArtifact {
        EnvArtifact {
            app: "shop".into(),
            settings: EnvSettings {
                name: "staging".into(),
                account: "123456789012".into(),
                region: "us-east-1".into(),
                retain_data: false,
                require_approval: false,
                tags: Default::default(),
            },
            stacks: vec![StackArtifact {
                id: "app".into(),
                name: "shop-staging-app".into(),
                body: template.to_string(),
                template,
                depends_on: vec![],
                paths: Default::default(),
                suppressions: vec![],
            }],
        }
    }

    fn record(at: &str) -> SynthesisRecord {
        SynthesisRecord {
            commit: Some("a".repeat(40)),
            dirty: false,
            digest: "d".into(),
            deployed_at: at.into(),
            deployed_by: "arn:aws:iam::123456789012:user/ci".into(),
            emergency: None,
        }
    }

    fn input<'a>(previous: &'a EnvArtifact, soak_minutes: u64, now: &str) -> GateInput<'a> {
        GateInput {
            env: "prod",
            previous,
            soak: Duration::from_secs(soak_minutes * 60),
            skew: vec![],
            now: parse_time(now).unwrap(),
            quirks: crate::aws::Quirks::default(),
        }
    }

    #[test]
    fn the_gate_opens_only_when_the_previous_environment_runs_the_synthesis_long_enough() {
        let template = json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}});
        let prev = staging(template.clone());
        let cfn = FakeCloudFormation::new();
        let alarms = Alarms(vec![]);
        // Not deployed at all.
        let report = evaluate(&cfn, &alarms, &input(&prev, 30, "2026-12-01T12:00:00Z")).unwrap();
        assert_eq!(report.missing, vec!["staging's stack shop-staging-app is not deployed"]);

        // Deployed with another template.
        let other = json!({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}});
        cfn.add_stack(
            "shop-staging-app",
            "UPDATE_COMPLETE",
            &with_record(&other, &record("2026-12-01T10:00:00Z")),
        );
        let report = evaluate(&cfn, &alarms, &input(&prev, 30, "2026-12-01T12:00:00Z")).unwrap();
        assert_eq!(report.missing.len(), 1, "{:?}", report.missing);
        assert!(
            report.missing[0].contains("does not run this synthesis (it runs aaaaaaa"),
            "{:?}",
            report.missing
        );

        // The same synthesis, deployed at 11:45: 15 of 30 minutes.
        let cfn = FakeCloudFormation::new();
        cfn.add_stack(
            "shop-staging-app",
            "UPDATE_COMPLETE",
            &with_record(&template, &record("2026-12-01T11:45:00Z")),
        );
        let report = evaluate(&cfn, &alarms, &input(&prev, 30, "2026-12-01T12:00:00Z")).unwrap();
        assert_eq!(
            report.missing,
            vec!["staging has run this synthesis for 15 minutes (since 2026-12-01T11:45:00Z); prod requires 30 minutes (soak_minutes)"]
        );
        // At 12:15 the soak time has passed.
        let report = evaluate(&cfn, &alarms, &input(&prev, 30, "2026-12-01T12:15:00Z")).unwrap();
        assert!(report.missing.is_empty(), "{:?}", report.missing);
        assert_eq!(report.previous_record.unwrap().commit, Some("a".repeat(40)));
    }

    #[test]
    fn a_failed_stack_an_alarm_in_alarm_and_image_skew_close_the_gate() {
        let template = json!({"Resources": {
            "Errors": {"Type": "AWS::CloudWatch::Alarm",
                       "Metadata": {"cairn:alarm-severity": "critical"},
                       "Properties": {"AlarmName": "shop-staging-errors"}}}});
        let prev = staging(template.clone());
        let names: Vec<String> = prev.critical_alarms().into_iter().map(|a| a.alarm_name).collect();
        assert_eq!(names, vec!["shop-staging-errors"], "the fixture has one critical alarm");
        let cfn = FakeCloudFormation::new();
        cfn.add_stack("shop-staging-app", "UPDATE_ROLLBACK_COMPLETE", &template);
        let mut gate = input(&prev, 0, "2026-12-01T12:00:00Z");
        gate.skew = vec![ArtifactSkew {
            field: "service.image".into(),
            from: Some(json!("shop:1.4")),
            to: Some(json!("shop:1.5")),
        }];
        let alarms = Alarms(vec![("shop-staging-errors".into(), "ALARM".into())]);
        let report = evaluate(&cfn, &alarms, &gate).unwrap();
        assert_eq!(
            report.missing,
            vec![
                "staging's stack shop-staging-app is not healthy (UPDATE_ROLLBACK_COMPLETE)",
                "staging's critical alarm shop-staging-errors is in ALARM",
                "prod would run service.image = `shop:1.5`, but staging runs `shop:1.4`: promote what staging runs (set service.image in prod's file to `shop:1.4`)",
            ]
        );
        // A missing alarm is unknown health on AWS, not on an endpoint that does not create alarms.
        let cfn = FakeCloudFormation::new();
        cfn.add_stack("shop-staging-app", "CREATE_COMPLETE", &template);
        gate.skew.clear();
        let report = evaluate(&cfn, &Alarms(vec![]), &gate).unwrap();
        assert_eq!(
            report.missing,
            vec!["staging's critical alarm shop-staging-errors was not found, so its health is unknown"]
        );
        gate.quirks = crate::aws::Quirks::moto();
        assert!(evaluate(&cfn, &Alarms(vec![]), &gate).unwrap().missing.is_empty());
    }
}
