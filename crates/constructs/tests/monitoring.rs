//! Alarms and monitoring: every alarm notifies the encrypted alarm topic, missing data is
//! not a breach, critical alarms stop deployments and carry the rollback-monitoring time;
//! validation of alarm props and thresholds.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::cloudwatch::{Alarm, AlarmProps, AlarmSource, Comparison, Metric, MissingData, Severity, Stat};
use cairn_constructs::monitoring::{AlarmThresholds, Monitoring, MonitoringProps};
use cairn_constructs::rds::{Database, DatabaseProps};
use cairn_constructs::sqs::{Queue, QueueProps};
use cairn_constructs::{
    Cluster, ClusterProps, ContainerProps, FargateServiceProps, LoadBalancedFargateService, LoadBalancedFargateServiceProps, Vpc, VpcProps,
};
use cairn_constructs::{Table, TableProps};
use cairn_core::Value;
use common::{assert_refused, stack};
use serde_json::json;

fn alarm_props(evaluation_periods: u32, datapoints_to_alarm: u32, threshold: f64) -> AlarmProps {
    AlarmProps {
        description: "jobs are failing".into(),
        source: AlarmSource::Metric(Metric::new(
            "AWS/SQS",
            "NumberOfMessagesSent",
            vec![("QueueName", Value::str("jobs"))],
            Stat::Sum,
        )),
        comparison: Comparison::GreaterThan,
        threshold,
        evaluation_periods,
        datapoints_to_alarm,
        missing_data: MissingData::NotBreaching,
        severity: Severity::Warning,
        actions: vec![],
    }
}

#[test]
fn an_alarm_is_named_after_its_stack_and_path_and_tagged_with_its_severity() {
    // GIVEN
    let stack = stack("monitoring");

    // WHEN
    Alarm::new(&stack, "Jobs", alarm_props(3, 2, 10.0)).unwrap();

    // THEN
    Template::from_tree_stack(&stack).has_resource(
        "AWS::CloudWatch::Alarm",
        json!({
            "Metadata": { "cairn:alarm-severity": "warning" },
            "Properties": {
                "AlarmName": { "Fn::Sub": Match::string_like_regexp("^\\$\\{AWS::StackName\\}-") },
                "Namespace": "AWS/SQS",
                "MetricName": "NumberOfMessagesSent",
                "Dimensions": [{ "Name": "QueueName", "Value": "jobs" }],
                "Statistic": "Sum",
                "Threshold": 10.0,
                "EvaluationPeriods": 3,
                "DatapointsToAlarm": 2,
                "TreatMissingData": "notBreaching",
                "AlarmActions": Match::absent(),
            },
        }),
    );
}

#[test]
fn alarm_props_that_cannot_alarm_are_refused() {
    // GIVEN
    let stack = stack("monitoring");

    // WHEN
    let datapoints = Alarm::new(&stack, "A", alarm_props(2, 3, 1.0)).err().expect("refused");
    let threshold = Alarm::new(&stack, "B", alarm_props(1, 1, f64::NAN)).err().expect("refused");

    // THEN
    assert_refused(
        &datapoints,
        "dev/monitoring/A",
        "datapoints_to_alarm",
        "3 of 2 data points cannot alarm",
    );
    assert_refused(&threshold, "dev/monitoring/B", "threshold", "threshold is not a finite number");
}

#[test]
fn queue_alarms_notify_the_encrypted_topic_on_alarm_only() {
    // GIVEN
    let stack = stack("data");
    let monitoring = Monitoring::new(&stack, "Monitoring", MonitoringProps::default()).unwrap();
    let queue = Queue::new(&stack, "Jobs", QueueProps::default()).unwrap();

    // WHEN
    let alarms = monitoring.watch_queue(&queue).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let topic = json!({ "Ref": monitoring.topic().cfn_topic().logical_id() });
    assert_eq!(alarms.len(), 2, "dead-letter messages and oldest message age");
    template.resource_count_is("AWS::SNS::Topic", 1);
    template.all_resources(
        "AWS::CloudWatch::Alarm",
        json!({
            "Metadata": { "cairn:alarm-severity": "warning" },
            "Properties": { "AlarmActions": [topic], "OKActions": Match::absent(), "TreatMissingData": "notBreaching" },
        }),
    );
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{ "Name": "QueueName", "Value": { "Fn::GetAtt": [queue.cfn_dead_letter_queue().unwrap().logical_id(), "QueueName"] } }],
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1.0,
        }),
    );
}

#[test]
fn critical_service_alarms_stop_deployments_and_carry_the_rollback_monitoring_time() {
    // GIVEN
    let stack = stack("service");
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let cluster = Cluster::new(&stack, "Cluster", &vpc, ClusterProps::default()).unwrap();
    let props = LoadBalancedFargateServiceProps {
        service: FargateServiceProps {
            container: ContainerProps {
                image: "public.ecr.aws/nginx/nginx:1.27".into(),
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let web = LoadBalancedFargateService::new(&stack, "Web", &cluster, props).unwrap();
    let monitoring_props = MonitoringProps {
        rollback_monitoring_minutes: 15,
        ..Default::default()
    };
    let monitoring = Monitoring::new(&stack, "Monitoring", monitoring_props).unwrap();

    // WHEN
    let alarms = monitoring.watch_service(&web).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    // Requests failing or slow roll a deployment back; memory pressure pages but does not.
    let stopping: Vec<serde_json::Value> = alarms
        .iter()
        .filter(|a| ["Web/Alarms/Http5xxCritical", "Web/Alarms/ResponseTimeCritical"].contains(&a.scope().name_path().as_str()))
        .map(|a| json!({ "Ref": a.cfn_alarm().logical_id() }))
        .collect();
    assert_eq!(stopping.len(), 2);
    template.has_resource_properties(
        "AWS::ECS::Service",
        json!({ "DeploymentConfiguration": {
            "Alarms": { "AlarmNames": stopping, "Enable": true, "Rollback": true },
            "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
        } }),
    );
    let with_minutes = json!({ "Metadata": { "cairn:alarm-severity": "critical", "cairn:rollback-monitoring-minutes": 15 } });
    for alarm in alarms.iter().filter(|a| a.severity() == Severity::Critical) {
        Match::check(&with_minutes, template.resource(alarm.cfn_alarm().logical_id())).unwrap();
    }
}

#[test]
fn thresholds_out_of_order_and_rollback_monitoring_too_long_are_refused() {
    // GIVEN
    let stack = stack("monitoring");

    // WHEN
    let order = Monitoring::new(
        &stack,
        "A",
        MonitoringProps {
            thresholds: AlarmThresholds {
                http_5xx_warning_percent: 10.0,
                http_5xx_critical_percent: 5.0,
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .err()
    .expect("refused");
    let minutes = Monitoring::new(
        &stack,
        "B",
        MonitoringProps {
            rollback_monitoring_minutes: 181,
            ..Default::default()
        },
    )
    .err()
    .expect("refused");
    let email = Monitoring::new(
        &stack,
        "C",
        MonitoringProps {
            emails: vec!["ops".into()],
            ..Default::default()
        },
    )
    .err()
    .expect("refused");

    // THEN
    assert_refused(
        &order,
        "dev/monitoring/A",
        "thresholds.http_5xx_warning_percent",
        "the warning comes first",
    );
    assert_refused(
        &minutes,
        "dev/monitoring/B",
        "rollback_monitoring_minutes",
        "181 minutes of rollback monitoring is too long",
    );
    assert_refused(
        &email,
        "dev/monitoring/C/AlarmTopic",
        "email_subscriptions",
        "`ops` is not an email address",
    );
}

#[test]
fn database_alarms_watch_connections_against_the_class_maximum_and_free_storage_against_the_allocation() {
    // GIVEN
    let stack = stack("data");
    let vpc = Vpc::new(&stack, "Vpc", VpcProps::default()).unwrap();
    let db = Database::new(&stack, "Database", &vpc, DatabaseProps::default()).unwrap();
    let monitoring = Monitoring::new(&stack, "Monitoring", MonitoringProps::default()).unwrap();

    // WHEN
    let alarms = monitoring.watch_database(&db).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let max = cairn_constructs::monitoring::max_connections("db.t3.micro").unwrap();
    assert_eq!(alarms.len(), 4);
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 95.0,
            "Metrics": Match::array_with(json!([
                { "Id": "e1", "Expression": format!("100 * m1 / {max}") },
                { "Id": "m1", "MetricStat": { "Metric": {
                    "MetricName": "DatabaseConnections",
                    "Dimensions": [{ "Name": "DBInstanceIdentifier", "Value": { "Ref": db.cfn_db_instance().logical_id() } }],
                } } },
            ])),
        }),
    );
    // 20 GiB allocated by default.
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 10.0,
            "Metrics": Match::array_with(json!([{ "Id": "e1", "Expression": "100 * m1 / 21474836480" }])),
        }),
    );
}

#[test]
fn a_table_alarm_fires_on_any_throttled_read_or_write() {
    // GIVEN
    let stack = stack("data");
    let table = Table::new(&stack, "Orders", TableProps::default()).unwrap();
    let monitoring = Monitoring::new(&stack, "Monitoring", MonitoringProps::default()).unwrap();

    // WHEN
    monitoring.watch_table(&table).unwrap();

    // THEN
    let name = json!({ "Ref": table.cfn_table().unwrap().logical_id() });
    Template::from_tree_stack(&stack).has_resource_properties(
        "AWS::CloudWatch::Alarm",
        json!({
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0.0,
            "Metrics": [
                { "Id": "e1", "Expression": "FILL(m1, 0) + FILL(m2, 0)" },
                { "Id": "m1", "MetricStat": { "Metric": { "MetricName": "ReadThrottleEvents", "Dimensions": [{ "Name": "TableName", "Value": name }] } } },
                { "Id": "m2", "MetricStat": { "Metric": { "MetricName": "WriteThrottleEvents", "Dimensions": [{ "Name": "TableName", "Value": name }] } } },
            ],
        }),
    );
}
