//! CloudWatch alarms (single metric or metric math) and dashboards.
//!
//! Alarm names are `<stack name>-<construct path>` through `Fn::Sub`, so the
//! template is the same in every environment while each deployed alarm has a
//! predictable name (deploy turns critical alarms into rollback triggers).

use cairn_cfn::cloudwatch::alarm::{self, ComparisonOperator, Dimension, MetricDataQuery, MetricStat, Statistic, TreatMissingData};
use cairn_cfn::cloudwatch::{CfnAlarm, CfnAlarmProps, CfnDashboard, CfnDashboardProps};
use cairn_core::{metadata, Lazy, ResourceRef, Result, Scope, Stack, Value};

/// How data points are aggregated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stat {
    /// The average over the period.
    Average,
    /// The sum over the period.
    Sum,
    /// The maximum over the period.
    Maximum,
    /// The minimum over the period.
    Minimum,
    /// A percentile, e.g. `Percentile(95.0)` for p95.
    Percentile(f64),
}

impl Stat {
    fn name(self) -> String {
        match self {
            Stat::Average => "Average".into(),
            Stat::Sum => "Sum".into(),
            Stat::Maximum => "Maximum".into(),
            Stat::Minimum => "Minimum".into(),
            Stat::Percentile(p) => format!("p{p}"),
        }
    }

    /// The alarm's `Statistic`; `None` for a percentile (an `ExtendedStatistic`).
    fn statistic(self) -> Option<Statistic> {
        match self {
            Stat::Average => Some(Statistic::Average),
            Stat::Sum => Some(Statistic::Sum),
            Stat::Maximum => Some(Statistic::Maximum),
            Stat::Minimum => Some(Statistic::Minimum),
            Stat::Percentile(_) => None,
        }
    }
}

/// One CloudWatch metric with its dimensions.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The metric's namespace (`AWS/SQS`).
    pub namespace: String,
    /// The metric's name (`ApproximateAgeOfOldestMessage`).
    pub name: String,
    /// Dimension name and value pairs.
    pub dimensions: Vec<(String, Value)>,
    /// The statistic.
    pub stat: Stat,
    /// Length of one period, in seconds.
    pub period_seconds: u32,
}

impl Metric {
    /// A metric with a 60-second period.
    pub fn new(namespace: &str, name: &str, dimensions: Vec<(&str, Value)>, stat: Stat) -> Metric {
        Metric {
            namespace: namespace.into(),
            name: name.into(),
            dimensions: dimensions.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            stat,
            period_seconds: 60,
        }
    }

    /// The same metric over another period.
    pub fn period(mut self, seconds: u32) -> Metric {
        self.period_seconds = seconds;
        self
    }

    fn alarm_dimensions(&self) -> Vec<Dimension> {
        self.dimensions.iter().map(|(k, v)| Dimension::new(k.as_str(), v.clone())).collect()
    }

    fn metric_stat(&self) -> MetricStat {
        let metric = alarm::Metric {
            dimensions: Some(self.alarm_dimensions().into()),
            metric_name: Some(self.name.as_str().into()),
            namespace: Some(self.namespace.as_str().into()),
        };
        MetricStat::new(metric, self.period_seconds, self.stat.name())
    }
}

/// What an alarm watches.
#[derive(Debug, Clone, PartialEq)]
pub enum AlarmSource {
    /// One metric.
    Metric(Metric),
    /// A metric-math expression over named metrics (`100 * m1 / m2`).
    Math {
        /// The expression, over the metrics' ids.
        expression: String,
        /// The expression's label.
        label: String,
        /// Id and metric of each metric the expression uses.
        metrics: Vec<(String, Metric)>,
    },
}

/// Comparison of the watched value with the threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `>`.
    GreaterThan,
    /// `>=`.
    GreaterThanOrEqual,
    /// `<`.
    LessThan,
    /// `<=`.
    LessThanOrEqual,
}

impl Comparison {
    fn operator(self) -> ComparisonOperator {
        match self {
            Comparison::GreaterThan => ComparisonOperator::GreaterThanThreshold,
            Comparison::GreaterThanOrEqual => ComparisonOperator::GreaterThanOrEqualToThreshold,
            Comparison::LessThan => ComparisonOperator::LessThanThreshold,
            Comparison::LessThanOrEqual => ComparisonOperator::LessThanOrEqualToThreshold,
        }
    }
}

/// What a missing data point counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingData {
    /// Missing data is fine (no traffic is not an error).
    #[default]
    NotBreaching,
    /// Missing data counts as breaching.
    Breaching,
    /// The alarm keeps its state.
    Ignore,
    /// The alarm goes to `INSUFFICIENT_DATA`.
    Missing,
}

impl MissingData {
    fn treatment(self) -> TreatMissingData {
        match self {
            MissingData::NotBreaching => TreatMissingData::NotBreaching,
            MissingData::Breaching => TreatMissingData::Breaching,
            MissingData::Ignore => TreatMissingData::Ignore,
            MissingData::Missing => TreatMissingData::Missing,
        }
    }
}

/// How bad it is when the alarm fires. Critical alarms guard deployments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Worth a look; does not stop a deployment.
    Warning,
    /// Rolls a deployment back when it fires.
    Critical,
}

impl Severity {
    /// `warning` or `critical`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Props of an [`Alarm`].
#[derive(Debug, Clone)]
pub struct AlarmProps {
    /// What the alarm means, shown with every notification.
    pub description: String,
    /// What it watches.
    pub source: AlarmSource,
    /// How the value compares with `threshold` when breaching.
    pub comparison: Comparison,
    /// The threshold.
    pub threshold: f64,
    /// Periods evaluated (e.g. 3 periods of 60 s).
    pub evaluation_periods: u32,
    /// Periods out of `evaluation_periods` that must breach.
    pub datapoints_to_alarm: u32,
    /// How missing data is treated.
    pub missing_data: MissingData,
    /// Warning or critical.
    pub severity: Severity,
    /// Where notifications go (SNS topic ARNs) on ALARM and OK.
    pub actions: Vec<Value>,
}

/// A CloudWatch alarm.
#[derive(Clone)]
pub struct Alarm {
    scope: Scope,
    alarm: CfnAlarm,
    severity: Severity,
}

impl Alarm {
    /// Adds the alarm `id` under `scope`; fails on props CloudWatch would refuse.
    pub fn new(scope: impl Into<Scope>, id: &str, props: AlarmProps) -> Result<Alarm> {
        let scope = scope.into().child(id)?;
        if props.evaluation_periods == 0 || props.datapoints_to_alarm == 0 || props.datapoints_to_alarm > props.evaluation_periods {
            return Err(scope
                .error(format!(
                    "{} of {} data points cannot alarm",
                    props.datapoints_to_alarm, props.evaluation_periods
                ))
                .property("datapoints_to_alarm")
                .fix("use 1 ≤ datapoints_to_alarm ≤ evaluation_periods"));
        }
        if !props.threshold.is_finite() {
            return Err(scope
                .error("threshold is not a finite number")
                .property("threshold")
                .fix("use a finite threshold"));
        }
        let name = Value::sub(format!("${{AWS::StackName}}-{}", name_suffix(&scope)));
        let mut alarm_props = CfnAlarmProps {
            alarm_name: Some(name.into()),
            alarm_description: Some(props.description.as_str().into()),
            comparison_operator: Some(props.comparison.operator().into()),
            threshold: Some(props.threshold.into()),
            evaluation_periods: Some(props.evaluation_periods.into()),
            datapoints_to_alarm: Some(props.datapoints_to_alarm.into()),
            treat_missing_data: Some(props.missing_data.treatment().into()),
            ..Default::default()
        };
        match &props.source {
            AlarmSource::Metric(m) => {
                alarm_props.namespace = Some(m.namespace.as_str().into());
                alarm_props.metric_name = Some(m.name.as_str().into());
                alarm_props.dimensions = Some(m.alarm_dimensions().into());
                alarm_props.period = Some(m.period_seconds.into());
                match m.stat.statistic() {
                    Some(statistic) => alarm_props.statistic = Some(statistic.into()),
                    None => alarm_props.extended_statistic = Some(m.stat.name().into()),
                }
            }
            AlarmSource::Math {
                expression,
                label,
                metrics,
            } => {
                let mut queries = vec![MetricDataQuery {
                    expression: Some(expression.as_str().into()),
                    label: Some(label.as_str().into()),
                    return_data: Some(true.into()),
                    ..MetricDataQuery::new("e1")
                }];
                for (id, m) in metrics {
                    queries.push(MetricDataQuery {
                        metric_stat: Some(m.metric_stat().into()),
                        return_data: Some(false.into()),
                        ..MetricDataQuery::new(id.as_str())
                    });
                }
                alarm_props.metrics = Some(queries.into());
            }
        }
        if !props.actions.is_empty() {
            alarm_props.alarm_actions = Some(props.actions.clone().into());
            alarm_props.ok_actions = Some(props.actions.clone().into());
        }
        let alarm = CfnAlarm::new(&scope, "Resource", alarm_props)?;
        alarm.add_metadata(metadata::ALARM_SEVERITY, props.severity.name())?;
        Ok(Alarm {
            scope,
            alarm,
            severity: props.severity,
        })
    }

    /// The alarm's name (`Ref`).
    pub fn name(&self) -> Value {
        self.alarm.r#ref()
    }

    /// The alarm's ARN (`Fn::GetAtt`).
    pub fn arn(&self) -> Value {
        self.alarm.arn()
    }

    /// The ARN spelled out from the alarm's predictable name, as seen from a template
    /// of stack `viewer`: no reference, so no export from the alarm's stack (moto, for
    /// one, cannot export attributes of alarms) and no dependency on it.
    pub fn arn_by_name(&self, viewer: &Stack) -> Value {
        let stack = if self.scope.stack().key() == viewer.key() {
            "${AWS::StackName}".to_string()
        } else {
            self.scope.stack().name()
        };
        Value::sub(format!(
            "arn:${{AWS::Partition}}:cloudwatch:${{AWS::Region}}:${{AWS::AccountId}}:alarm:{stack}-{}",
            name_suffix(&self.scope)
        ))
    }

    /// Warning or critical.
    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The `AWS::CloudWatch::Alarm` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.alarm.resource_ref()
    }

    /// The underlying `AWS::CloudWatch::Alarm`, for edits the props do not cover
    /// (`cfn_alarm().set(CfnAlarm::INSUFFICIENT_DATA_ACTIONS, ..)`).
    pub fn cfn_alarm(&self) -> &CfnAlarm {
        &self.alarm
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

/// The part of an alarm's name after the stack name: its construct path with dashes.
fn name_suffix(scope: &Scope) -> String {
    scope.name_path().replace('/', "-")
}

/// A widget of a [`Dashboard`].
#[derive(Debug, Clone)]
pub enum Widget {
    /// A graph of metrics.
    Graph {
        /// The widget's title.
        title: String,
        /// The metrics drawn.
        metrics: Vec<Metric>,
    },
    /// The state of alarms.
    Alarms {
        /// The widget's title.
        title: String,
        /// ARNs of the alarms shown.
        alarms: Vec<Value>,
    },
}

/// A CloudWatch dashboard whose body references the environment's resources.
pub struct Dashboard {
    scope: Scope,
    dashboard: CfnDashboard,
}

impl Dashboard {
    /// Adds the dashboard `id` under `scope` with these widgets.
    pub fn new(scope: impl Into<Scope>, id: &str, widgets: Vec<Widget>) -> Result<Dashboard> {
        let scope = scope.into().child(id)?;
        // Built when the template is rendered, not here: a comparison synthesis that does
        // not look at the dashboard (parity's re-syntheses) never builds its body.
        let body = Lazy::new(move || Ok(dashboard_body(&widgets)));
        let dashboard = CfnDashboard::new(&scope, "Resource", CfnDashboardProps::new(Value::from(body)))?;
        Ok(Dashboard { scope, dashboard })
    }

    /// The dashboard's name (`Ref`).
    pub fn name(&self) -> Value {
        self.dashboard.r#ref()
    }

    /// The `AWS::CloudWatch::Dashboard` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.dashboard.resource_ref()
    }

    /// The underlying `AWS::CloudWatch::Dashboard`, for edits
    /// (`cfn_dashboard().set(CfnDashboard::DASHBOARD_NAME, ..)`).
    pub fn cfn_dashboard(&self) -> &CfnDashboard {
        &self.dashboard
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

/// The body is a JSON string with references in it: one `Fn::Sub` whose variables are
/// the referenced values, each once (a dashboard names the same queue or table many
/// times; one variable per value keeps the template small). The JSON text is written
/// directly, as `serde_json` would write it compactly (keys in this order).
fn dashboard_body(widgets: &[Widget]) -> Value {
    let mut body = Body::default();
    let region = Value::region();
    body.tokens.push(region.clone());
    body.text.push_str("{\"widgets\":[");
    for (i, w) in widgets.iter().enumerate() {
        if i > 0 {
            body.text.push(',');
        }
        // Widgets without x/y flow left to right, two per row (12 of 24 columns), in order.
        match w {
            Widget::Graph { title, metrics } => {
                body.text
                    .push_str("{\"type\":\"metric\",\"width\":12,\"height\":6,\"properties\":{\"title\":");
                body.string(title);
                body.text.push_str(",\"region\":");
                body.token(&region);
                body.text.push_str(",\"metrics\":[");
                for (j, m) in metrics.iter().enumerate() {
                    if j > 0 {
                        body.text.push(',');
                    }
                    body.text.push('[');
                    body.string(&m.namespace);
                    body.text.push(',');
                    body.string(&m.name);
                    for (k, v) in &m.dimensions {
                        body.text.push(',');
                        body.string(k);
                        body.text.push(',');
                        body.token(v);
                    }
                    body.text.push_str(",{\"stat\":");
                    body.string(&m.stat.name());
                    body.text.push_str(&format!(",\"period\":{}}}]", m.period_seconds));
                }
                body.text.push_str("]}}");
            }
            Widget::Alarms { title, alarms } => {
                body.text
                    .push_str("{\"type\":\"alarm\",\"width\":12,\"height\":6,\"properties\":{\"title\":");
                body.string(title);
                body.text.push_str(",\"alarms\":[");
                for (j, arn) in alarms.iter().enumerate() {
                    if j > 0 {
                        body.text.push(',');
                    }
                    body.token(arn);
                }
                body.text.push_str("]}}");
            }
        }
    }
    body.text.push_str("]}");
    Value::sub_with(body.text, body.vars)
}

/// A dashboard body being written: the `Fn::Sub` template and its variables.
#[derive(Default)]
struct Body {
    text: String,
    /// Every referenced value, numbered in order of first use (`Ref<n>`).
    tokens: Vec<Value>,
    vars: Vec<(String, Value)>,
}

impl Body {
    /// A JSON string of literal text; a literal `${` (in a title) must not start a
    /// substitution, so it is written `${!` (escaping adds no `$` or `{`, so marking
    /// it before escaping is the same as after).
    fn string(&mut self, s: &str) {
        if s.contains("${") {
            cairn_core::push_json_string(&mut self.text, &s.replace("${", "${!"));
        } else {
            cairn_core::push_json_string(&mut self.text, s);
        }
    }

    /// A JSON string holding a referenced value: the region and substitutions without
    /// variables go in as they are, anything else as a variable.
    fn token(&mut self, v: &Value) {
        let n = self.tokens.iter().position(|t| t == v).unwrap_or_else(|| {
            self.tokens.push(v.clone());
            self.tokens.len() - 1
        });
        self.text.push('"');
        match v {
            Value::Pseudo(_) if *v == self.tokens[0] => self.text.push_str("${AWS::Region}"),
            Value::Sub(inline, inline_vars) if inline_vars.is_empty() => self.text.push_str(inline),
            _ => {
                let name = format!("Ref{n}");
                self.text.push_str(&format!("${{{name}}}"));
                if !self.vars.iter().any(|(k, _)| *k == name) {
                    self.vars.push((name, v.clone()));
                }
            }
        }
        self.text.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_text_is_escaped_as_serde_json_escapes_it_and_never_substituted() {
        for text in [
            "Orders (p95)",
            "say \"hi\" \\ \u{0}\u{1f}\u{8}\t\n\u{c}\r/\u{7f} é ✓",
            "${AWS::Region} $ {x} $${y} ${${z}",
            "",
        ] {
            let mut body = Body::default();
            body.string(text);
            let expected = serde_json::Value::from(text).to_string().replace("${", "${!");
            assert_eq!(body.text, expected, "{text:?}");
        }
    }

    #[test]
    fn a_dashboard_body_is_compact_json_with_each_referenced_value_once() {
        let queue = Value::get_att_logical_id("Jobs", "QueueName");
        let alarm = Value::get_att_logical_id("JobsAge", "Arn");
        let widgets = vec![
            Widget::Graph {
                title: "Jobs \"queue\" ${not a variable}".into(),
                metrics: vec![
                    Metric::new("AWS/SQS", "NumberOfMessagesSent", vec![("QueueName", queue.clone())], Stat::Sum),
                    Metric::new(
                        "AWS/SQS",
                        "ApproximateAgeOfOldestMessage",
                        vec![("QueueName", queue)],
                        Stat::Maximum,
                    )
                    .period(300),
                ],
            },
            Widget::Alarms {
                title: "Alarms".into(),
                alarms: vec![alarm.clone(), Value::sub("arn:aws:cloudwatch:::alarm:x")],
            },
        ];
        let Value::Sub(text, vars) = dashboard_body(&widgets) else {
            panic!("the body is one Fn::Sub");
        };
        assert_eq!(
            text,
            r#"{"widgets":[{"type":"metric","width":12,"height":6,"properties":{"title":"Jobs \"queue\" ${!not a variable}","region":"${AWS::Region}","metrics":[["AWS/SQS","NumberOfMessagesSent","QueueName","${Ref1}",{"stat":"Sum","period":60}],["AWS/SQS","ApproximateAgeOfOldestMessage","QueueName","${Ref1}",{"stat":"Maximum","period":300}]]}},{"type":"alarm","width":12,"height":6,"properties":{"title":"Alarms","alarms":["${Ref2}","arn:aws:cloudwatch:::alarm:x"]}}]}"#
        );
        let names: Vec<&String> = vars.keys().collect();
        assert_eq!(names, ["Ref1", "Ref2"]);
        assert_eq!(vars.get("Ref2"), Some(&alarm));
    }
}
