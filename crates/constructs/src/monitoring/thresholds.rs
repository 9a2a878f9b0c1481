//! The alarm thresholds of an environment, and their checks.

use super::*;

/// Alarm thresholds. `Default` is the deployment guide's table.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmThresholds {
    /// Target 5xx responses as a share of requests, in percent (warning > 1 %).
    pub http_5xx_warning_percent: f64,
    /// … critical > 5 %: stops ECS deployments and rolls CloudFormation deployments back.
    pub http_5xx_critical_percent: f64,
    /// p95 target response time in seconds (warning > 1 s).
    pub response_time_warning_seconds: f64,
    /// … critical > 3 s: stops ECS deployments and rolls CloudFormation deployments back.
    pub response_time_critical_seconds: f64,
    /// Average memory utilization of the service's tasks, in percent (warning > 80 %).
    pub memory_warning_percent: f64,
    /// … critical > 95 %.
    pub memory_critical_percent: f64,
    /// Average CPU utilization over 15 minutes, in percent (warning > 80 %).
    pub cpu_warning_percent: f64,
    /// Database connections as a share of Postgres' `max_connections`, in percent (warning > 80 %).
    pub db_connections_warning_percent: f64,
    /// … critical > 95 %.
    pub db_connections_critical_percent: f64,
    /// Free storage as a share of the allocated storage, in percent (warning < 20 %).
    pub db_free_storage_warning_percent: f64,
    /// … critical < 10 %.
    pub db_free_storage_critical_percent: f64,
    /// Age of the oldest message in a queue, in seconds (warning above it). Default 900.
    pub queue_oldest_message_age_seconds: u32,
}

impl Default for AlarmThresholds {
    fn default() -> Self {
        AlarmThresholds {
            http_5xx_warning_percent: 1.0,
            http_5xx_critical_percent: 5.0,
            response_time_warning_seconds: 1.0,
            response_time_critical_seconds: 3.0,
            memory_warning_percent: 80.0,
            memory_critical_percent: 95.0,
            cpu_warning_percent: 80.0,
            db_connections_warning_percent: 80.0,
            db_connections_critical_percent: 95.0,
            db_free_storage_warning_percent: 20.0,
            db_free_storage_critical_percent: 10.0,
            queue_oldest_message_age_seconds: 900,
        }
    }
}

impl AlarmThresholds {
    /// Percentages within 0–100, warnings before criticals, positive times.
    pub(super) fn validate(&self, scope: &Scope) -> Result<()> {
        let percent = |name: &str, v: f64| -> Result<()> {
            if v.is_finite() && v > 0.0 && v <= 100.0 {
                Ok(())
            } else {
                Err(scope
                    .error(format!("{v} is not a percentage above 0"))
                    .property(format!("thresholds.{name}"))
                    .fix("use a value above 0 and at most 100"))
            }
        };
        let order = |warning: (&str, f64), critical: (&str, f64), rising: bool| -> Result<()> {
            let ok = if rising { warning.1 < critical.1 } else { warning.1 > critical.1 };
            if ok {
                Ok(())
            } else {
                let (word, fix) = if rising { ("below", "lower") } else { ("above", "higher") };
                Err(scope
                    .error(format!(
                        "{} ({}) must be {word} {} ({}): the warning comes first",
                        warning.0, warning.1, critical.0, critical.1
                    ))
                    .property(format!("thresholds.{}", warning.0))
                    .fix(format!("make the warning threshold {fix} than the critical one")))
            }
        };
        let t = self;
        for (name, v) in [
            ("http_5xx_warning_percent", t.http_5xx_warning_percent),
            ("http_5xx_critical_percent", t.http_5xx_critical_percent),
            ("memory_warning_percent", t.memory_warning_percent),
            ("memory_critical_percent", t.memory_critical_percent),
            ("cpu_warning_percent", t.cpu_warning_percent),
            ("db_connections_warning_percent", t.db_connections_warning_percent),
            ("db_connections_critical_percent", t.db_connections_critical_percent),
            ("db_free_storage_warning_percent", t.db_free_storage_warning_percent),
            ("db_free_storage_critical_percent", t.db_free_storage_critical_percent),
        ] {
            percent(name, v)?;
        }
        for (name, v) in [
            ("response_time_warning_seconds", t.response_time_warning_seconds),
            ("response_time_critical_seconds", t.response_time_critical_seconds),
        ] {
            if !(v.is_finite() && v > 0.0) {
                return Err(scope
                    .error(format!("{v} s is not a response time"))
                    .property(format!("thresholds.{name}"))
                    .fix("use a number of seconds above 0, e.g. 1 or 0.5"));
            }
        }
        if t.queue_oldest_message_age_seconds == 0 {
            return Err(scope
                .error("a message age threshold of 0 s alarms on every message")
                .property("thresholds.queue_oldest_message_age_seconds")
                .fix("use the age at which a message counts as stuck, e.g. 900"));
        }
        // (warning, critical, whether the warning is the lower number)
        for (warning, critical, rising) in [
            (
                ("http_5xx_warning_percent", t.http_5xx_warning_percent),
                ("http_5xx_critical_percent", t.http_5xx_critical_percent),
                true,
            ),
            (
                ("response_time_warning_seconds", t.response_time_warning_seconds),
                ("response_time_critical_seconds", t.response_time_critical_seconds),
                true,
            ),
            (
                ("memory_warning_percent", t.memory_warning_percent),
                ("memory_critical_percent", t.memory_critical_percent),
                true,
            ),
            (
                ("db_connections_warning_percent", t.db_connections_warning_percent),
                ("db_connections_critical_percent", t.db_connections_critical_percent),
                true,
            ),
            (
                ("db_free_storage_warning_percent", t.db_free_storage_warning_percent),
                ("db_free_storage_critical_percent", t.db_free_storage_critical_percent),
                false,
            ),
        ] {
            order(warning, critical, rising)?;
        }
        Ok(())
    }
}
