//! Scaling on the queue's backlog: a target-tracking policy that keeps the visible
//! messages per running task at the environment's `worker.messages_per_task`, next to
//! the CPU policy of the service's own autoscaling (either one may scale out; scaling
//! in needs both). Built with the typed layer (`cairn_cfn`): no construct has it.

use cairn_cfn::applicationautoscaling::scaling_policy::{
    CustomizedMetricSpecification, PolicyType, TargetTrackingMetric, TargetTrackingMetricDataQuery, TargetTrackingMetricDimension,
    TargetTrackingMetricStat, TargetTrackingScalingPolicyConfiguration,
};
use cairn_cfn::applicationautoscaling::{CfnScalingPolicy, CfnScalingPolicyProps};
use cairn_constructs::{FargateService, Queue};
use cairn_core::{Result, Value};

/// Seconds between two scale-ins: a worker that just drained the queue may get more soon.
const SCALE_IN_COOLDOWN_SECONDS: u32 = 300;
/// Seconds between two scale-outs: react to a growing backlog quickly.
const SCALE_OUT_COOLDOWN_SECONDS: u32 = 60;

/// Adds the backlog policy to `service`'s scalable target. Fails when the service has no
/// autoscaling (`FargateServiceProps::auto_scaling`), naming the service.
pub fn scale_on_backlog(service: &FargateService, queue: &Queue, messages_per_task: u32) -> Result<CfnScalingPolicy> {
    let Some((target, _cpu)) = service.cfn_auto_scaling() else {
        return Err(service
            .scope()
            .error("the service has no autoscaling to add queue-depth scaling to")
            .property("auto_scaling")
            .fix("set FargateServiceProps::auto_scaling (min and max tasks)"));
    };
    let metric = |namespace: &str, name: &str, dimensions: Vec<(&str, Value)>, stat: &str| TargetTrackingMetricStat {
        metric: Some(
            TargetTrackingMetric {
                dimensions: Some(
                    dimensions
                        .into_iter()
                        .map(|(name, value)| TargetTrackingMetricDimension {
                            name: Some(name.into()),
                            value: Some(value.into()),
                        })
                        .collect::<Vec<_>>()
                        .into(),
                ),
                metric_name: Some(name.into()),
                namespace: Some(namespace.into()),
            }
            .into(),
        ),
        stat: Some(stat.into()),
        unit: None,
    };
    let query = |id: &str, stat: TargetTrackingMetricStat| TargetTrackingMetricDataQuery {
        id: Some(id.into()),
        metric_stat: Some(stat.into()),
        return_data: Some(false.into()),
        ..Default::default()
    };
    let ecs = vec![("ClusterName", service.cluster_name()), ("ServiceName", service.service_name())];
    let queries = vec![
        query(
            "visible",
            metric(
                "AWS/SQS",
                "ApproximateNumberOfMessagesVisible",
                vec![("QueueName", queue.name())],
                "Sum",
            ),
        ),
        // Container Insights (on by default on a cairn cluster) counts the running tasks.
        query("tasks", metric("ECS/ContainerInsights", "RunningTaskCount", ecs, "Average")),
        TargetTrackingMetricDataQuery {
            expression: Some("visible / tasks".into()),
            id: Some("backlog".into()),
            label: Some("visible messages per running task".into()),
            return_data: Some(true.into()),
            ..Default::default()
        },
    ];
    let tracking = TargetTrackingScalingPolicyConfiguration {
        customized_metric_specification: Some(
            CustomizedMetricSpecification {
                metrics: Some(queries.into()),
                ..Default::default()
            }
            .into(),
        ),
        scale_in_cooldown: Some(SCALE_IN_COOLDOWN_SECONDS.into()),
        scale_out_cooldown: Some(SCALE_OUT_COOLDOWN_SECONDS.into()),
        ..TargetTrackingScalingPolicyConfiguration::new(f64::from(messages_per_task))
    };
    CfnScalingPolicy::new(
        service.scope(),
        "BacklogScaling",
        CfnScalingPolicyProps {
            scaling_target_id: Some(target.resource_ref().into()),
            target_tracking_scaling_policy_configuration: Some(tracking.into()),
            // Unique per scalable target; the same in every environment.
            ..CfnScalingPolicyProps::new("QueueBacklog", PolicyType::TargetTrackingScaling)
        },
    )
}
