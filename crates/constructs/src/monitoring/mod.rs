//! Monitoring of an environment: CloudWatch alarms on the service, database, queue
//! and table with thresholds from the environment file, an encrypted SNS topic they
//! notify, ECS deployment alarms that roll a bad deployment back, and a dashboard
//! that gathers it all.
//!
//! Each alarm lives in the scope of the construct it watches (`Web/Alarms/Http5xxCritical`),
//! so its logical ID and name are the same in every environment; only thresholds
//! differ. Critical alarms carry the `critical` severity (the manifest lists them and
//! `deploy` passes them to CloudFormation as rollback triggers) and the minutes
//! CloudFormation keeps watching them after a deployment.

use std::cell::RefCell;
use std::rc::Rc;

use cairn_cfn::cloudwatch::{CfnAlarm, CfnDashboard};
use cairn_core::{Result, Scope, Value};

use crate::cloudwatch::{Alarm, AlarmProps, AlarmSource, Comparison, Dashboard, Metric, MissingData, Severity, Stat, Widget};
use crate::dynamodb::Table;
use crate::elbv2::LoadBalancedFargateService;
use crate::instance_classes;
use crate::rds::Database;
use crate::sns::{Topic, TopicProps};
use crate::sqs::Queue;

mod ecs;
#[cfg(test)]
mod tests;
mod thresholds;
pub use thresholds::AlarmThresholds;

/// Props of [`Monitoring`].
#[derive(Debug, Clone)]
pub struct MonitoringProps {
    /// When the alarms fire.
    pub thresholds: AlarmThresholds,
    /// Email addresses notified of every alarm and recovery (each confirms by mail). Empty: the topic only.
    pub emails: Vec<String>,
    /// Minutes CloudFormation keeps watching the critical alarms after a deployment
    /// before it calls the deployment done (0 to 180). Default 10.
    pub rollback_monitoring_minutes: u32,
    /// The environment's customer-managed key for the alarm topic (see
    /// [`TopicProps::encryption_key`](crate::sns::TopicProps::encryption_key)).
    pub encryption_key: Option<crate::kms::Key>,
}

impl Default for MonitoringProps {
    fn default() -> Self {
        MonitoringProps {
            thresholds: AlarmThresholds::default(),
            emails: Vec::new(),
            rollback_monitoring_minutes: 10,
            encryption_key: None,
        }
    }
}

/// How an alarm evaluates: `datapoints` of the last `periods` periods of `period_seconds` breach.
#[derive(Debug, Clone, Copy)]
struct Evaluation {
    period_seconds: u32,
    periods: u32,
    datapoints: u32,
}

/// Warnings want a sustained breach (3 of 5 minutes); criticals react faster (2 of 3
/// minutes) because they stop deployments.
const WARNING_1MIN: Evaluation = Evaluation {
    period_seconds: 60,
    periods: 5,
    datapoints: 3,
};
const CRITICAL_1MIN: Evaluation = Evaluation {
    period_seconds: 60,
    periods: 3,
    datapoints: 2,
};
/// SQS, storage and throttle metrics: one 5-minute period (SQS publishes every 5 minutes).
const ONCE_5MIN: Evaluation = Evaluation {
    period_seconds: 300,
    periods: 1,
    datapoints: 1,
};
/// "Over 15 minutes": three 5-minute periods in a row.
const SUSTAINED_15MIN: Evaluation = Evaluation {
    period_seconds: 300,
    periods: 3,
    datapoints: 3,
};

struct AlarmSpec {
    description: String,
    source: AlarmSource,
    comparison: Comparison,
    threshold: f64,
    evaluation: Evaluation,
    severity: Severity,
}

#[derive(Default)]
struct Gathered {
    widgets: Vec<Widget>,
    alarms: Vec<Alarm>,
}

/// The monitoring of one environment: the alarm topic and everything watched.
///
/// Create it in the first stack (every other stack can then notify its topic), call
/// `watch_*` for each construct, and finally [`Monitoring::dashboard`] in the last stack.
#[derive(Clone)]
pub struct Monitoring {
    scope: Scope,
    topic: Topic,
    thresholds: AlarmThresholds,
    rollback_monitoring_minutes: u32,
    gathered: Rc<RefCell<Gathered>>,
}

impl Monitoring {
    /// Adds the monitoring `id` (alarm topic and dashboard) under `scope`; its methods add alarms.
    pub fn new(scope: impl Into<Scope>, id: &str, props: MonitoringProps) -> Result<Monitoring> {
        let scope = scope.into().child(id)?;
        props.thresholds.validate(&scope)?;
        if props.rollback_monitoring_minutes > 180 {
            return Err(scope
                .error(format!(
                    "{} minutes of rollback monitoring is too long",
                    props.rollback_monitoring_minutes
                ))
                .property("rollback_monitoring_minutes")
                .fix("use 0 to 180 minutes (CloudFormation's limit)"));
        }
        let topic = Topic::new(
            &scope,
            "AlarmTopic",
            TopicProps {
                display_name: None,
                email_subscriptions: props.emails.clone(),
                encryption_key: props.encryption_key.clone(),
            },
        )?;
        Ok(Monitoring {
            scope,
            topic,
            thresholds: props.thresholds,
            rollback_monitoring_minutes: props.rollback_monitoring_minutes,
            gathered: Rc::new(RefCell::new(Gathered::default())),
        })
    }

    /// The encrypted topic every alarm notifies.
    pub fn topic(&self) -> &Topic {
        &self.topic
    }

    /// When the alarms fire.
    pub fn thresholds(&self) -> &AlarmThresholds {
        &self.thresholds
    }

    /// Every alarm created so far, in creation order.
    pub fn alarms(&self) -> Vec<Alarm> {
        self.gathered.borrow().alarms.clone()
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Target 5xx rate and p95 response time (load balancer), memory and CPU (ECS).
    /// The critical 5xx and response-time alarms become the service's deployment
    /// alarms: ECS stops a deployment that trips them and rolls back.
    pub fn watch_service(&self, web: &LoadBalancedFargateService) -> Result<Vec<Alarm>> {
        let t = &self.thresholds;
        let scope = web.scope().child("Alarms")?;
        // The load balancer dimension alone: blue/green deployments move the tasks
        // between two target groups, and the load balancer sees both.
        let lb = || vec![("LoadBalancer", web.load_balancer_full_name())];
        let requests = Metric::new("AWS/ApplicationELB", "RequestCount", lb(), Stat::Sum);
        let errors = Metric::new("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb(), Stat::Sum);
        let latency = Metric::new("AWS/ApplicationELB", "TargetResponseTime", lb(), Stat::Percentile(95.0));
        let service = web.service();

        // No requests means no data and no error rate: not a breach.
        let error_rate = |period: u32| AlarmSource::Math {
            expression: "100 * FILL(m1, 0) / m2".into(),
            label: "5xx % of requests".into(),
            metrics: vec![
                ("m1".into(), errors.clone().period(period)),
                ("m2".into(), requests.clone().period(period)),
            ],
        };
        let mut alarms = Vec::new();
        for (id, threshold, evaluation, severity) in [
            ("Http5xxWarning", t.http_5xx_warning_percent, WARNING_1MIN, Severity::Warning),
            ("Http5xxCritical", t.http_5xx_critical_percent, CRITICAL_1MIN, Severity::Critical),
        ] {
            alarms.push(self.alarm(
                &scope,
                id,
                AlarmSpec {
                    description: format!(
                        "{}: target 5xx > {threshold} % of requests ({})",
                        web.scope().name_path(),
                        severity.name()
                    ),
                    source: error_rate(evaluation.period_seconds),
                    comparison: Comparison::GreaterThan,
                    threshold,
                    evaluation,
                    severity,
                },
            )?);
        }
        for (id, threshold, evaluation, severity) in [
            (
                "ResponseTimeWarning",
                t.response_time_warning_seconds,
                WARNING_1MIN,
                Severity::Warning,
            ),
            (
                "ResponseTimeCritical",
                t.response_time_critical_seconds,
                CRITICAL_1MIN,
                Severity::Critical,
            ),
        ] {
            alarms.push(self.alarm(
                &scope,
                id,
                AlarmSpec {
                    description: format!(
                        "{}: p95 response time > {threshold} s ({})",
                        web.scope().name_path(),
                        severity.name()
                    ),
                    source: AlarmSource::Metric(latency.clone().period(evaluation.period_seconds)),
                    comparison: Comparison::GreaterThan,
                    threshold,
                    evaluation,
                    severity,
                },
            )?);
        }
        let (tasks, cpu, memory) = self.task_alarms(&scope, &web.scope().name_path(), service)?;
        alarms.extend(tasks);
        // alarms: [5xx warning, 5xx critical, latency warning, latency critical, …]
        service.set_deployment_alarms(vec![alarms[1].name(), alarms[3].name()])?;

        let path = web.scope().name_path();
        self.add_widgets([
            Widget::Graph {
                title: format!("{path}: requests and target 5xx"),
                metrics: vec![requests, errors],
            },
            Widget::Graph {
                title: format!("{path}: p95 response time (s)"),
                metrics: vec![latency],
            },
            Widget::Graph {
                title: format!("{path}: CPU and memory (%)"),
                metrics: vec![cpu, memory],
            },
        ]);
        Ok(alarms)
    }

    /// Connections as a share of Postgres' `max_connections` (derived from the
    /// instance class) and free storage as a share of the allocated storage.
    pub fn watch_database(&self, database: &Database) -> Result<Vec<Alarm>> {
        let t = &self.thresholds;
        let max = max_connections(database.instance_class()).ok_or_else(|| {
            database
                .scope()
                .error(format!(
                    "`{}` is not an instance class RDS for PostgreSQL offers, so max_connections (for the connections alarm) is unknown",
                    database.instance_class()
                ))
                .property("instance_class")
                .fix(instance_classes::fix(database.instance_class()))
        })?;
        let scope = database.scope().child("Alarms")?;
        let dims = || vec![("DBInstanceIdentifier", database.instance_identifier())];
        let connections = Metric::new("AWS/RDS", "DatabaseConnections", dims(), Stat::Maximum);
        let free = Metric::new("AWS/RDS", "FreeStorageSpace", dims(), Stat::Minimum);
        let allocated_bytes = u64::from(database.allocated_storage_gb()) * GIB;
        let path = database.scope().name_path();
        let mut alarms = Vec::new();
        for (id, threshold, evaluation, severity) in [
            (
                "ConnectionsWarning",
                t.db_connections_warning_percent,
                WARNING_1MIN,
                Severity::Warning,
            ),
            (
                "ConnectionsCritical",
                t.db_connections_critical_percent,
                CRITICAL_1MIN,
                Severity::Critical,
            ),
        ] {
            alarms.push(self.alarm(
                &scope,
                id,
                AlarmSpec {
                    description: format!("{path}: connections > {threshold} % of max {max} ({})", severity.name()),
                    source: AlarmSource::Math {
                        expression: format!("100 * m1 / {max}"),
                        label: format!("% of max {max}"),
                        metrics: vec![("m1".into(), connections.clone().period(evaluation.period_seconds))],
                    },
                    comparison: Comparison::GreaterThan,
                    threshold,
                    evaluation,
                    severity,
                },
            )?);
        }
        for (id, threshold, severity) in [
            ("FreeStorageWarning", t.db_free_storage_warning_percent, Severity::Warning),
            ("FreeStorageCritical", t.db_free_storage_critical_percent, Severity::Critical),
        ] {
            alarms.push(self.alarm(
                &scope,
                id,
                AlarmSpec {
                    description: format!(
                        "{path}: free storage < {threshold} % of {} GiB ({})",
                        database.allocated_storage_gb(),
                        severity.name()
                    ),
                    source: AlarmSource::Math {
                        expression: format!("100 * m1 / {allocated_bytes}"),
                        label: format!("% free of {} GiB", database.allocated_storage_gb()),
                        metrics: vec![("m1".into(), free.clone().period(ONCE_5MIN.period_seconds))],
                    },
                    comparison: Comparison::LessThan,
                    threshold,
                    evaluation: ONCE_5MIN,
                    severity,
                },
            )?);
        }
        self.add_widgets([
            Widget::Graph {
                title: format!("{path}: connections (max {max})"),
                metrics: vec![connections],
            },
            Widget::Graph {
                title: format!("{path}: free storage (bytes)"),
                metrics: vec![free],
            },
        ]);
        Ok(alarms)
    }

    /// Messages in the dead-letter queue (any) and the age of the oldest message.
    pub fn watch_queue(&self, queue: &Queue) -> Result<Vec<Alarm>> {
        let t = &self.thresholds;
        let scope = queue.scope().child("Alarms")?;
        let path = queue.scope().name_path();
        let age = Metric::new(
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            vec![("QueueName", queue.name())],
            Stat::Maximum,
        )
        .period(ONCE_5MIN.period_seconds);
        let visible = Metric::new(
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            vec![("QueueName", queue.name())],
            Stat::Maximum,
        )
        .period(ONCE_5MIN.period_seconds);
        let mut graphed = vec![visible];
        let mut alarms = Vec::new();
        if let Some(dlq) = queue.dead_letter_queue_name() {
            let dead = Metric::new(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                vec![("QueueName", dlq)],
                Stat::Maximum,
            )
            .period(ONCE_5MIN.period_seconds);
            alarms.push(self.alarm(
                &scope,
                "DeadLetterMessages",
                AlarmSpec {
                    description: format!("{path}: messages in the dead-letter queue (warning)"),
                    source: AlarmSource::Metric(dead.clone()),
                    comparison: Comparison::GreaterThanOrEqual,
                    threshold: 1.0,
                    evaluation: ONCE_5MIN,
                    severity: Severity::Warning,
                },
            )?);
            graphed.push(dead);
        }
        alarms.push(self.alarm(
            &scope,
            "OldestMessageAge",
            AlarmSpec {
                description: format!("{path}: oldest message > {} s (warning)", t.queue_oldest_message_age_seconds),
                source: AlarmSource::Metric(age.clone()),
                comparison: Comparison::GreaterThan,
                threshold: f64::from(t.queue_oldest_message_age_seconds),
                evaluation: ONCE_5MIN,
                severity: Severity::Warning,
            },
        )?);
        self.add_widgets([
            Widget::Graph {
                title: format!("{path}: messages (queue, dead-letter queue)"),
                metrics: graphed,
            },
            Widget::Graph {
                title: format!("{path}: oldest message (s)"),
                metrics: vec![age],
            },
        ]);
        Ok(alarms)
    }

    /// Any throttled read or write.
    pub fn watch_table(&self, table: &Table) -> Result<Vec<Alarm>> {
        let scope = table.scope().child("Alarms")?;
        let path = table.scope().name_path();
        let metric =
            |name: &str| Metric::new("AWS/DynamoDB", name, vec![("TableName", table.name())], Stat::Sum).period(ONCE_5MIN.period_seconds);
        let reads = metric("ReadThrottleEvents");
        let writes = metric("WriteThrottleEvents");
        let alarm = self.alarm(
            &scope,
            "Throttles",
            AlarmSpec {
                description: format!("{path}: throttled reads or writes (warning)"),
                source: AlarmSource::Math {
                    expression: "FILL(m1, 0) + FILL(m2, 0)".into(),
                    label: "throttle events".into(),
                    metrics: vec![("m1".into(), reads.clone()), ("m2".into(), writes.clone())],
                },
                comparison: Comparison::GreaterThan,
                threshold: 0.0,
                evaluation: ONCE_5MIN,
                severity: Severity::Warning,
            },
        )?;
        self.add_widgets([Widget::Graph {
            title: format!("{path}: throttled reads and writes"),
            metrics: vec![reads, writes],
        }]);
        Ok(vec![alarm])
    }

    /// The environment's dashboard: a graph per watched aspect and the state of every
    /// alarm. Call it last, in the last stack (it refers to all the others).
    pub fn dashboard(&self, scope: impl Into<Scope>, id: &str) -> Result<Dashboard> {
        let scope = scope.into();
        let gathered = self.gathered.borrow();
        let mut widgets = gathered.widgets.clone();
        // ARNs from the alarms' predictable names: no export per alarm.
        widgets.push(Widget::Alarms {
            title: "Alarms".into(),
            alarms: gathered.alarms.iter().map(|a| a.arn_by_name(scope.stack())).collect(),
        });
        let dashboard = Dashboard::new(scope, id, widgets)?;
        // `<app>-<env>-<stack>`: findable in the console, the same template everywhere.
        dashboard
            .cfn_dashboard()
            .set(CfnDashboard::DASHBOARD_NAME, Value::sub("${AWS::StackName}"))?;
        Ok(dashboard)
    }

    fn add_widgets(&self, widgets: impl IntoIterator<Item = Widget>) {
        self.gathered.borrow_mut().widgets.extend(widgets);
    }

    fn alarm(&self, scope: &Scope, id: &str, spec: AlarmSpec) -> Result<Alarm> {
        let missing_data = MissingData::NotBreaching;
        let alarm = Alarm::new(
            scope,
            id,
            AlarmProps {
                description: spec.description,
                source: spec.source,
                comparison: spec.comparison,
                threshold: spec.threshold,
                evaluation_periods: spec.evaluation.periods,
                datapoints_to_alarm: spec.evaluation.datapoints,
                missing_data,
                severity: spec.severity,
                actions: vec![self.topic.arn()],
            },
        )?;
        let cfn = alarm.cfn_alarm();
        if spec.severity == Severity::Critical {
            cfn.add_metadata(cairn_core::metadata::ROLLBACK_MONITORING_MINUTES, self.rollback_monitoring_minutes)?;
        } else {
            // Warnings notify when they fire; only critical alarms also announce
            // recovery (keeps the service template under CloudFormation's inline limit).
            cfn.edit(|r| r.properties.shift_remove(CfnAlarm::OK_ACTIONS.name()))?;
        }
        self.gathered.borrow_mut().alarms.push(alarm.clone());
        Ok(alarm)
    }
}

const GIB: u64 = 1024 * 1024 * 1024;

/// Postgres on RDS: `max_connections = LEAST({DBInstanceClassMemory/9531392}, 5000)`.
const BYTES_PER_CONNECTION: u64 = 9_531_392;
const CONNECTIONS_CAP: u64 = 5000;

/// Postgres' default `max_connections` on an instance class, from its nominal memory.
/// RDS reserves some memory (`DBInstanceClassMemory` is a little smaller), so the real
/// value can be slightly lower and the alarm's percentage slightly optimistic.
pub fn max_connections(instance_class: &str) -> Option<u32> {
    let gib = instance_classes::memory_gib(instance_class)?;
    let connections = (u64::from(gib) * GIB / BYTES_PER_CONNECTION).min(CONNECTIONS_CAP);
    u32::try_from(connections).ok()
}
