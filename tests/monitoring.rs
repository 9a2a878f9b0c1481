//! Monitoring: every environment gets the alarms of the deployment guide's table with
//! its own thresholds, under the same logical IDs; critical alarms guard deployments
//! (ECS deployment alarms, manifest, rollback monitoring); prod deploys blue/green;
//! alarms notify an encrypted topic; a dashboard gathers everything.

mod support;

use std::collections::BTreeSet;

use cairn_app::Config;
use serde_json::{json, Value as Json};
use support::{absent, array_with, config, probe_config, synth_all, synth_with, ShopTemplate, Template, PROBE};

/// Alarm logical IDs (construct paths) of one stack, without the hash suffix.
fn alarm_paths(t: &Template) -> BTreeSet<String> {
    t.resources_of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(_, r)| r["Metadata"]["cairn:path"].as_str().unwrap().to_string())
        .collect()
}

/// The alarm whose name ends in `-<suffix>` (e.g. `Web-Alarms-Http5xxCritical`).
fn alarm(t: &Template, suffix: &str) -> (String, Json) {
    let wanted = format!("${{AWS::StackName}}-{suffix}");
    let found: Vec<(String, Json)> = t
        .resources_of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, r)| r["Properties"]["AlarmName"]["Fn::Sub"] == wanted.as_str())
        .collect();
    assert_eq!(found.len(), 1, "{}: alarm {suffix}", t.name());
    found.into_iter().next().unwrap()
}

fn threshold(t: &Template, suffix: &str) -> f64 {
    alarm(t, suffix).1["Properties"]["Threshold"].as_f64().unwrap()
}

#[test]
fn every_environment_gets_the_alarms_with_its_own_thresholds() {
    let assembly = synth_all();
    for env in support::shipped() {
        let cfg = config(env);
        let a = &cfg.alarms;
        let service = Template::from_assembly(&assembly, env, "service");
        let data = Template::from_assembly(&assembly, env, "data");
        for (t, suffix, expected) in [
            (&service, "Web-Alarms-Http5xxWarning", a.http_5xx_warning_percent),
            (&service, "Web-Alarms-Http5xxCritical", a.http_5xx_critical_percent),
            (&service, "Web-Alarms-ResponseTimeWarning", a.response_time_warning_seconds),
            (&service, "Web-Alarms-ResponseTimeCritical", a.response_time_critical_seconds),
            (&service, "Web-Alarms-MemoryWarning", a.memory_warning_percent),
            (&service, "Web-Alarms-MemoryCritical", a.memory_critical_percent),
            (&service, "Web-Alarms-CpuWarning", a.cpu_warning_percent),
            (&data, "Database-Alarms-ConnectionsWarning", a.db_connections_warning_percent),
            (&data, "Database-Alarms-ConnectionsCritical", a.db_connections_critical_percent),
            (&data, "Database-Alarms-FreeStorageWarning", a.db_free_storage_warning_percent),
            (&data, "Database-Alarms-FreeStorageCritical", a.db_free_storage_critical_percent),
            (&data, "Jobs-Alarms-DeadLetterMessages", 1.0),
            (&data, "Jobs-Alarms-OldestMessageAge", f64::from(a.queue_oldest_message_age_seconds)),
            (&data, "Orders-Alarms-Throttles", 0.0),
        ] {
            assert_eq!(threshold(t, suffix), expected, "{env}: {suffix}");
        }
        service.resource_count_is("AWS::CloudWatch::Alarm", 7);
        data.resource_count_is("AWS::CloudWatch::Alarm", 7);
        Template::from_assembly(&assembly, env, "network").resource_count_is("AWS::CloudWatch::Alarm", 0);
    }
    // The environment files really differ: dev tolerates more than prod.
    if !support::requires(&["dev", "prod"]) {
        return;
    }
    let (dev, prod) = (
        Template::from_assembly(&assembly, "dev", "service"),
        Template::from_assembly(&assembly, "prod", "service"),
    );
    assert_eq!(threshold(&dev, "Web-Alarms-Http5xxCritical"), 10.0);
    assert_eq!(threshold(&prod, "Web-Alarms-Http5xxCritical"), 5.0);
    assert_eq!(threshold(&prod, "Web-Alarms-ResponseTimeCritical"), 3.0);
}

#[test]
fn alarms_watch_the_right_metrics_with_metric_math_where_a_ratio_is_needed() {
    if !support::requires(&["dev", "staging", "prod"]) {
        return;
    }
    let assembly = synth_all();
    let service = Template::from_assembly(&assembly, "staging", "service");
    let lb = json!({ "Fn::GetAtt": ["WebLB720665E7", "LoadBalancerFullName"] });
    let metric = |id: &str, name: &str, stat: &str| {
        json!({
            "Id": id,
            "MetricStat": {
                "Metric": { "Namespace": "AWS/ApplicationELB", "MetricName": name, "Dimensions": [{ "Name": "LoadBalancer", "Value": lb }] },
                "Period": 60,
                "Stat": stat,
            },
            "ReturnData": false,
        })
    };
    let (_, critical) = alarm(&service, "Web-Alarms-Http5xxCritical");
    support::matches(
        &json!({
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "EvaluationPeriods": 3,
            "DatapointsToAlarm": 2,
            "Metrics": [
                { "Id": "e1", "Expression": "100 * FILL(m1, 0) / m2", "ReturnData": true },
                metric("m1", "HTTPCode_Target_5XX_Count", "Sum"),
                metric("m2", "RequestCount", "Sum"),
            ],
            "Namespace": absent(),
        }),
        &critical["Properties"],
    )
    .unwrap();
    let (_, latency) = alarm(&service, "Web-Alarms-ResponseTimeCritical");
    support::matches(
        &json!({ "MetricName": "TargetResponseTime", "ExtendedStatistic": "p95", "Statistic": absent(), "Dimensions": [{ "Name": "LoadBalancer", "Value": lb }] }),
        &latency["Properties"],
    )
    .unwrap();
    let (_, memory) = alarm(&service, "Web-Alarms-MemoryCritical");
    support::matches(
        &json!({
            "Namespace": "AWS/ECS", "MetricName": "MemoryUtilization", "Statistic": "Average",
            "Dimensions": [
                { "Name": "ClusterName", "Value": { "Ref": "ClusterEB0386A7" } },
                { "Name": "ServiceName", "Value": { "Fn::GetAtt": ["WebServiceD04B5F3E", "Name"] } },
            ],
        }),
        &memory["Properties"],
    )
    .unwrap();
    // "CPU over 15 minutes": three 5-minute periods in a row.
    let (_, cpu) = alarm(&service, "Web-Alarms-CpuWarning");
    support::matches(
        &json!({ "MetricName": "CPUUtilization", "Period": 300, "EvaluationPeriods": 3, "DatapointsToAlarm": 3 }),
        &cpu["Properties"],
    )
    .unwrap();

    // Connections as a share of max_connections, derived from each instance class.
    for (env, max) in [("dev", 112), ("staging", 225), ("prod", 450)] {
        let data = Template::from_assembly(&assembly, env, "data");
        let (_, connections) = alarm(&data, "Database-Alarms-ConnectionsCritical");
        support::matches(
            &json!({
                "Metrics": [
                    { "Id": "e1", "Expression": format!("100 * m1 / {max}") },
                    { "Id": "m1", "MetricStat": { "Metric": { "Namespace": "AWS/RDS", "MetricName": "DatabaseConnections",
                        "Dimensions": [{ "Name": "DBInstanceIdentifier", "Value": { "Ref": "DatabaseB269D8BB" } }] }, "Stat": "Maximum" } },
                ],
            }),
            &connections["Properties"],
        )
        .unwrap_or_else(|e| panic!("{env}: {e}"));
        let (_, storage) = alarm(&data, "Database-Alarms-FreeStorageCritical");
        let gb = config(env).database.allocated_storage_gb as u64;
        support::matches(
            &json!({ "ComparisonOperator": "LessThanThreshold", "Metrics": [{ "Expression": format!("100 * m1 / {}", gb << 30) }, { "Id": "m1" }] }),
            &storage["Properties"],
        )
        .unwrap_or_else(|e| panic!("{env}: {e}"));
    }
    let data = Template::from_assembly(&assembly, "prod", "data");
    let (_, dlq) = alarm(&data, "Jobs-Alarms-DeadLetterMessages");
    support::matches(
        &json!({ "ComparisonOperator": "GreaterThanOrEqualToThreshold", "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{ "Name": "QueueName", "Value": { "Fn::GetAtt": ["JobsDeadLetterQueueFA298334", "QueueName"] } }] }),
        &dlq["Properties"],
    )
    .unwrap();
    let (_, throttles) = alarm(&data, "Orders-Alarms-Throttles");
    support::matches(
        &json!({ "ComparisonOperator": "GreaterThanThreshold", "Metrics": [
            { "Expression": "FILL(m1, 0) + FILL(m2, 0)" },
            { "MetricStat": { "Metric": { "MetricName": "ReadThrottleEvents" } } },
            { "MetricStat": { "Metric": { "MetricName": "WriteThrottleEvents" } } },
        ] }),
        &throttles["Properties"],
    )
    .unwrap();
}

#[test]
fn alarm_logical_ids_and_names_are_the_same_in_every_environment() {
    if !support::requires(&["dev", "staging", "prod"]) {
        return;
    }
    let assembly = synth_all();
    for stack in ["data", "service"] {
        let ids = |env: &str| -> BTreeSet<String> {
            Template::from_assembly(&assembly, env, stack)
                .resources_of_type("AWS::CloudWatch::Alarm")
                .into_iter()
                .map(|(id, r)| format!("{id} {}", r["Properties"]["AlarmName"]))
                .collect()
        };
        assert_eq!(ids("dev"), ids("staging"), "{stack}");
        assert_eq!(ids("dev"), ids("prod"), "{stack}");
    }
    // Each alarm lives next to what it watches.
    let t = Template::from_assembly(&assembly, "dev", "data");
    let paths = alarm_paths(&t);
    assert!(paths.contains("data/Database/Alarms/ConnectionsCritical/Resource"), "{paths:?}");
    assert!(paths.contains("data/Jobs/Alarms/DeadLetterMessages/Resource"), "{paths:?}");
    // Tags like every other resource.
    t.all_resources(
        "AWS::CloudWatch::Alarm",
        json!({ "Properties": { "Tags": array_with(json!([{ "Key": "Environment", "Value": "dev" }, { "Key": "ManagedBy", "Value": "cairn" }])) } }),
    );
}

#[test]
fn critical_alarms_are_in_the_manifest_with_their_deployed_names_and_rollback_monitoring() {
    let assembly = synth_all();
    for env in &assembly.environments {
        let n = &env.settings.name;
        let names: Vec<String> = env.critical_alarms().into_iter().map(|a| a.alarm_name).collect();
        assert_eq!(
            names,
            [
                format!("shop-{n}-data-Database-Alarms-ConnectionsCritical"),
                format!("shop-{n}-data-Database-Alarms-FreeStorageCritical"),
                format!("shop-{n}-service-Web-Alarms-Http5xxCritical"),
                format!("shop-{n}-service-Web-Alarms-ResponseTimeCritical"),
                format!("shop-{n}-service-Web-Alarms-MemoryCritical"),
            ]
        );
        let minutes = config(n).alarms.rollback_monitoring_minutes;
        let service = Template::of(env.stack("service").unwrap());
        for (id, r) in service.resources_of_type("AWS::CloudWatch::Alarm") {
            let severity = &r["Metadata"]["cairn:alarm-severity"];
            assert!(severity == "warning" || severity == "critical", "{id}: {severity}");
        }
        let (_, critical) = alarm(&service, "Web-Alarms-Http5xxCritical");
        assert_eq!(critical["Metadata"]["cairn:alarm-severity"], "critical");
        assert_eq!(critical["Metadata"]["cairn:rollback-monitoring-minutes"], minutes);
        let (_, warning) = alarm(&service, "Web-Alarms-Http5xxWarning");
        assert_eq!(warning["Metadata"]["cairn:alarm-severity"], "warning");
        assert!(warning["Metadata"].get("cairn:rollback-monitoring-minutes").is_none());
    }
}

#[test]
fn alarms_notify_a_topic_encrypted_with_the_environment_key_whose_subscriptions_come_from_the_file() {
    if !support::requires(&["staging", "prod"]) {
        return;
    }
    let assembly = synth_all();
    let data = Template::from_assembly(&assembly, "prod", "data");
    data.resource_count_is("AWS::SNS::Topic", 1);
    let key = data.find_resources("AWS::KMS::Key", json!({}));
    let key_id = key.first().expect("prod has its key").0.clone();
    data.has_resource_properties("AWS::SNS::Topic", json!({ "KmsMasterKeyId": { "Fn::GetAtt": [key_id, "Arn"] } }));
    data.resource_count_is("AWS::SNS::Subscription", 0);
    let topic_id = "MonitoringAlarmTopicAF62D4F1";
    data.all_resources(
        "AWS::CloudWatch::Alarm",
        json!({ "Properties": { "AlarmActions": [{ "Ref": topic_id }] } }),
    );
    let topic = json!({ "Fn::ImportValue": format!("shop-prod-data:ExportsOutputRef{topic_id}") });
    Template::from_assembly(&assembly, "prod", "service")
        .all_resources("AWS::CloudWatch::Alarm", json!({ "Properties": { "AlarmActions": [topic] } }));
    // Criticals also announce their recovery.
    let (_, critical) = alarm(&Template::from_assembly(&assembly, "prod", "service"), "Web-Alarms-Http5xxCritical");
    assert_eq!(critical["Properties"]["OKActions"], json!([topic]));

    let mut cfg: Config = config("staging");
    cfg.alarms.emails = vec!["ops@example.com".into(), "oncall@example.com".into()];
    let assembly = synth_with("staging", &cfg).unwrap();
    let network = Template::from_assembly(&assembly, "staging", "data");
    network.resource_count_is("AWS::SNS::Subscription", 2);
    network.has_resource_properties(
        "AWS::SNS::Subscription",
        json!({ "Protocol": "email", "Endpoint": "oncall@example.com" }),
    );
}

#[test]
fn critical_5xx_and_latency_alarms_stop_ecs_deployments_next_to_the_circuit_breaker() {
    let assembly = synth_all();
    for env in support::shipped() {
        let service = Template::from_assembly(&assembly, env, "service");
        let (http, _) = alarm(&service, "Web-Alarms-Http5xxCritical");
        let (latency, _) = alarm(&service, "Web-Alarms-ResponseTimeCritical");
        service.has_resource_properties(
            "AWS::ECS::Service",
            json!({
                "DeploymentConfiguration": {
                    "Alarms": { "AlarmNames": [{ "Ref": http }, { "Ref": latency }], "Enable": true, "Rollback": true },
                    "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
                },
            }),
        );
    }
}

#[test]
fn prod_deploys_blue_green_and_the_others_roll() {
    if !support::requires(&["prod"]) {
        return;
    }
    let assembly = synth_all();
    let prod = Template::from_assembly(&assembly, "prod", "service");
    let bake = config("prod").deploy.bake_time_minutes;
    let tgs = prod.resources_of_type("AWS::ElasticLoadBalancingV2::TargetGroup");
    assert_eq!(tgs.len(), 2);
    let alternate = tgs
        .iter()
        .find(|(id, _)| id.starts_with("WebAlternateTargetGroup"))
        .unwrap()
        .0
        .clone();
    let rule = prod.resources_of_type("AWS::ElasticLoadBalancingV2::ListenerRule")[0].0.clone();
    let role = prod
        .resources_of_type("AWS::IAM::Role")
        .into_iter()
        .find(|(id, _)| id.starts_with("WebDeploymentRole"))
        .unwrap()
        .0;
    prod.has_resource_properties(
        "AWS::ECS::Service",
        json!({
            "DeploymentConfiguration": { "Strategy": "BLUE_GREEN", "BakeTimeInMinutes": bake },
            "LoadBalancers": [{
                "TargetGroupArn": { "Ref": "WebTargetGroupF21B1CCA" },
                "AdvancedConfiguration": {
                    "AlternateTargetGroupArn": { "Ref": alternate },
                    "ProductionListenerRule": { "Ref": rule },
                    "RoleArn": { "Fn::GetAtt": [role, "Arn"] },
                },
            }],
        }),
    );
    // Every request goes through the production rule, whose weights ECS flips.
    prod.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        json!({
            "ListenerArn": { "Ref": "WebLBHttpListenerA86CA375" },
            "Priority": 1,
            "Conditions": [{ "Field": "path-pattern", "PathPatternConfig": { "Values": ["/*"] } }],
            "Actions": [{ "Type": "forward", "ForwardConfig": { "TargetGroups": [
                { "TargetGroupArn": { "Ref": "WebTargetGroupF21B1CCA" }, "Weight": 100 },
                { "TargetGroupArn": { "Ref": alternate }, "Weight": 0 },
            ] } }],
        }),
    );
    // ECS assumes the role; it may change only this service's target groups and rule.
    prod.has_resource_properties(
        "AWS::IAM::Role",
        json!({ "AssumeRolePolicyDocument": { "Statement": [{ "Principal": { "Service": "ecs.amazonaws.com" }, "Action": "sts:AssumeRole" }] } }),
    );
    prod.has_resource_properties(
        "AWS::IAM::Policy",
        json!({
            "Roles": [{ "Ref": role }],
            "PolicyDocument": { "Statement": [
                { "Action": ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                  "Resource": [{ "Ref": "WebTargetGroupF21B1CCA" }, { "Ref": alternate }] },
                { "Action": "elasticloadbalancing:ModifyRule", "Resource": { "Ref": rule } },
                { "Action": ["elasticloadbalancing:DescribeListeners", "elasticloadbalancing:DescribeRules",
                             "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth"], "Resource": "*" },
            ] },
        }),
    );

    for env in support::shipped().into_iter().filter(|e| *e != "prod") {
        let t = Template::from_assembly(&assembly, env, "service");
        t.has_resource_properties(
            "AWS::ECS::Service",
            json!({
                "DeploymentConfiguration": { "Strategy": "ROLLING", "BakeTimeInMinutes": absent() },
                "LoadBalancers": [{ "AdvancedConfiguration": absent() }],
            }),
        );
        t.resource_count_is("AWS::ElasticLoadBalancingV2::TargetGroup", 1);
        t.resource_count_is("AWS::ElasticLoadBalancingV2::ListenerRule", 0);
    }

    // With a certificate the rule sits on the HTTPS listener (HTTP only redirects).
    let mut cfg = config("prod");
    cfg.service.certificate_arn = Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".into());
    let assembly = synth_with("prod", &cfg).unwrap();
    Template::from_assembly(&assembly, "prod", "service").has_resource_properties(
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        json!({ "ListenerArn": { "Ref": "WebLBHttpsListenerD51F97A4" } }),
    );
}

#[test]
fn the_dashboard_in_the_service_stack_shows_service_database_queue_table_and_every_alarm() {
    let assembly = synth_with(PROBE, &probe_config()).unwrap();
    let service = Template::from_assembly(&assembly, PROBE, "service");
    service.resource_count_is("AWS::CloudWatch::Dashboard", 1);
    let (_, dashboard) = &service.resources_of_type("AWS::CloudWatch::Dashboard")[0];
    assert_eq!(dashboard["Properties"]["DashboardName"], json!({ "Fn::Sub": "${AWS::StackName}" }));
    let sub = &dashboard["Properties"]["DashboardBody"]["Fn::Sub"];
    let body = sub[0].as_str().unwrap();
    let vars = sub[1].as_object().unwrap();
    // The body is valid JSON once the variables are filled in.
    let mut filled = body.replace("${AWS::Region}", "us-east-1");
    for name in vars.keys() {
        filled = filled.replace(&format!("${{{name}}}"), "x");
    }
    let parsed: Json = serde_json::from_str(&filled).expect("the dashboard body is JSON");
    let widgets = parsed["widgets"].as_array().unwrap();
    for namespace in ["AWS/ApplicationELB", "AWS/ECS", "AWS/RDS", "AWS/SQS", "AWS/DynamoDB"] {
        assert!(body.contains(&format!("\"{namespace}\"")), "no {namespace} graph");
    }
    let alarms = widgets.iter().find(|w| w["type"] == "alarm").expect("an alarm widget");
    assert_eq!(alarms["properties"]["alarms"].as_array().unwrap().len(), 14);
    // Every referenced value appears once, whether from this stack or imported.
    let values: Vec<&Json> = vars.values().collect();
    for (i, v) in values.iter().enumerate() {
        assert!(!values[i + 1..].contains(v), "{v} twice");
    }
    assert!(values.contains(&&json!({ "Fn::ImportValue": "shop-probe-data:ExportsOutputRefOrdersA9B65338" })));
}

#[test]
fn a_changed_threshold_changes_only_its_alarm() {
    let base = probe_config();
    let mut changed = base.clone();
    // A value the file does not have already.
    let new = if base.alarms.memory_critical_percent == 90.0 { 95.0 } else { 90.0 };
    changed.alarms.memory_critical_percent = new;
    let a = synth_with(PROBE, &base).unwrap();
    let b = synth_with(PROBE, &changed).unwrap();
    let (ta, tb) = (
        Template::from_assembly(&a, PROBE, "service"),
        Template::from_assembly(&b, PROBE, "service"),
    );
    let differing: Vec<String> = ta
        .logical_ids()
        .into_iter()
        .filter(|id| ta.json()["Resources"][id] != tb.json()["Resources"][id])
        .collect();
    assert_eq!(differing.len(), 1, "{differing:?}");
    assert!(differing[0].starts_with("WebAlarmsMemoryCritical"));
    assert_eq!(threshold(&tb, "Web-Alarms-MemoryCritical"), new);
}

#[test]
fn an_instance_class_without_known_memory_is_a_synthesis_error_naming_the_database() {
    // A config built in code skips the environment file's validation: the Database construct
    // refuses the class itself (before the alarms need its max_connections).
    let mut cfg = probe_config();
    cfg.database.instance_class = "db.z9.large".into();
    let err = synth_with(PROBE, &cfg).expect_err("synthesis fails").to_string();
    assert!(err.contains("probe/data/Database"), "{err}");
    assert!(
        err.contains("`db.z9.large` is not an instance class RDS for PostgreSQL offers"),
        "{err}"
    );
    assert!(err.contains("instance_class") && err.contains("db.m7g.large"), "{err}");
}

#[test]
fn current_instance_classes_get_a_connections_alarm() {
    // Memory 8 GiB (m6i.large, m8g.large) and 16 GiB (r7g.large): max_connections 901 and 1802.
    for (class, max) in [("db.m6i.large", 901), ("db.r7g.large", 1802), ("db.m8g.large", 901)] {
        let mut cfg = probe_config();
        cfg.database.instance_class = class.into();
        let assembly = synth_with(PROBE, &cfg).unwrap_or_else(|e| panic!("{class}: {e}"));
        let data = Template::from_assembly(&assembly, PROBE, "data");
        let (_, connections) = alarm(&data, "Database-Alarms-ConnectionsCritical");
        support::matches(
            &json!({ "Metrics": [{ "Expression": format!("100 * m1 / {max}") }, { "Id": "m1" }] }),
            &connections["Properties"],
        )
        .unwrap_or_else(|e| panic!("{class}: {e}"));
    }
}

#[test]
fn thresholds_are_validated_when_the_environment_file_loads() {
    use cairn_core::config::Validate;
    let mut cfg = probe_config();
    assert!(cfg.validate().is_empty());
    cfg.alarms.http_5xx_warning_percent = cfg.alarms.http_5xx_critical_percent + 1.0; // above the critical
    cfg.alarms.db_free_storage_warning_percent = cfg.alarms.db_free_storage_critical_percent - 1.0; // below the critical
    cfg.alarms.memory_critical_percent = 120.0;
    cfg.alarms.rollback_monitoring_minutes = 500;
    cfg.alarms.emails = vec!["not-an-address".into()];
    cfg.deploy.bake_time_minutes = 2000;
    let keys: BTreeSet<String> = cfg.validate().into_iter().map(|e| e.key).collect();
    for key in [
        "alarms.http_5xx_warning_percent",
        "alarms.db_free_storage_warning_percent",
        "alarms.memory_critical_percent",
        "alarms.rollback_monitoring_minutes",
        "alarms.emails",
        "deploy.bake_time_minutes",
    ] {
        assert!(keys.contains(key), "{key} not reported: {keys:?}");
    }
}
