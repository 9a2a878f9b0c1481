//! Alarms on a Fargate service's tasks (memory, CPU), with or without a load balancer.

use super::*;
use crate::ecs::FargateService;

impl Monitoring {
    /// Memory (warning, critical) and CPU (warning, over 15 minutes) of a Fargate service
    /// without a load balancer, such as a queue worker. Its alarms are not deployment
    /// alarms: a worker has no request metric that tells a bad revision from a busy one.
    /// A service behind a load balancer: [`Monitoring::watch_service`].
    pub fn watch_fargate_service(&self, service: &FargateService) -> Result<Vec<Alarm>> {
        let scope = service.scope().child("Alarms")?;
        let path = service.scope().name_path();
        let (alarms, cpu, memory) = self.task_alarms(&scope, &path, service)?;
        self.add_widgets([Widget::Graph {
            title: format!("{path}: CPU and memory (%)"),
            metrics: vec![cpu, memory],
        }]);
        Ok(alarms)
    }

    /// The memory and CPU alarms of `service`'s tasks, in `scope`, described with `path`;
    /// returns them with the CPU and memory metrics (for a graph).
    pub(super) fn task_alarms(&self, scope: &Scope, path: &str, service: &FargateService) -> Result<(Vec<Alarm>, Metric, Metric)> {
        let t = &self.thresholds;
        let ecs = || vec![("ClusterName", service.cluster_name()), ("ServiceName", service.service_name())];
        let memory = Metric::new("AWS/ECS", "MemoryUtilization", ecs(), Stat::Average);
        let cpu = Metric::new("AWS/ECS", "CPUUtilization", ecs(), Stat::Average);
        let mut alarms = Vec::new();
        for (id, threshold, evaluation, severity) in [
            ("MemoryWarning", t.memory_warning_percent, WARNING_1MIN, Severity::Warning),
            ("MemoryCritical", t.memory_critical_percent, CRITICAL_1MIN, Severity::Critical),
        ] {
            alarms.push(self.alarm(
                scope,
                id,
                AlarmSpec {
                    description: format!("{path}: memory > {threshold} % ({})", severity.name()),
                    source: AlarmSource::Metric(memory.clone().period(evaluation.period_seconds)),
                    comparison: Comparison::GreaterThan,
                    threshold,
                    evaluation,
                    severity,
                },
            )?);
        }
        alarms.push(self.alarm(
            scope,
            "CpuWarning",
            AlarmSpec {
                description: format!("{path}: CPU > {} % for 15 min (warning)", t.cpu_warning_percent),
                source: AlarmSource::Metric(cpu.clone().period(SUSTAINED_15MIN.period_seconds)),
                comparison: Comparison::GreaterThan,
                threshold: t.cpu_warning_percent,
                evaluation: SUSTAINED_15MIN,
                severity: Severity::Warning,
            },
        )?);
        Ok((alarms, cpu, memory))
    }
}
