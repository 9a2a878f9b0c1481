//! CPU target tracking of a Fargate service: a scalable target on its desired count and a
//! policy named after its logical ID.

use cairn_cfn::applicationautoscaling::scalable_target::{ScalableDimension, ServiceNamespace};
use cairn_cfn::applicationautoscaling::scaling_policy::{
    PolicyType, PredefinedMetricSpecification, PredefinedMetricType, TargetTrackingScalingPolicyConfiguration,
};
use cairn_cfn::applicationautoscaling::{CfnScalableTarget, CfnScalableTargetProps, CfnScalingPolicy, CfnScalingPolicyProps};
use cairn_cfn::ecs::CfnService;
use cairn_core::{Result, Scope, Value};

use super::Cluster;
use crate::naming::LogicalIdName;

/// Target-tracking autoscaling of a service on average CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoScalingProps {
    /// Fewest tasks.
    pub min_tasks: u32,
    /// Most tasks.
    pub max_tasks: u32,
    /// Average CPU utilization to keep, in percent (10 to 90). Default 50.
    pub target_cpu_percent: u32,
    /// Seconds after a scale-in before the next.
    pub scale_in_cooldown_seconds: u32,
    /// Seconds after a scale-out before the next.
    pub scale_out_cooldown_seconds: u32,
}

impl Default for AutoScalingProps {
    fn default() -> Self {
        AutoScalingProps {
            min_tasks: 1,
            max_tasks: 2,
            target_cpu_percent: 50,
            scale_in_cooldown_seconds: 60,
            scale_out_cooldown_seconds: 60,
        }
    }
}

/// Target tracking on the service's average CPU: a scalable target on its desired
/// count and a policy named after its logical ID.
pub(super) fn cpu_auto_scaling(
    scope: &Scope,
    cluster: &Cluster,
    service: &CfnService,
    a: AutoScalingProps,
) -> Result<(CfnScalableTarget, CfnScalingPolicy)> {
    let target = CfnScalableTarget::new(
        scope,
        "ScalableTarget",
        CfnScalableTargetProps::new(
            a.max_tasks,
            a.min_tasks,
            Value::join("/", [Value::str("service"), cluster.name(), service.name()]),
            ScalableDimension::EcsServiceDesiredCount,
            ServiceNamespace::Ecs,
        ),
    )?;
    let tracking = TargetTrackingScalingPolicyConfiguration {
        predefined_metric_specification: Some(
            PredefinedMetricSpecification::new(PredefinedMetricType::EcsServiceAverageCpuUtilization).into(),
        ),
        scale_in_cooldown: Some(a.scale_in_cooldown_seconds.into()),
        scale_out_cooldown: Some(a.scale_out_cooldown_seconds.into()),
        ..TargetTrackingScalingPolicyConfiguration::new(a.target_cpu_percent)
    };
    // The policy name is the logical ID (stable, the same in every environment), known once
    // the policy is added: read at synthesis.
    let name = LogicalIdName::default();
    let policy = CfnScalingPolicy::new(
        scope,
        "CpuScaling",
        CfnScalingPolicyProps {
            scaling_target_id: Some(target.resource_ref().into()),
            target_tracking_scaling_policy_configuration: Some(tracking.into()),
            ..CfnScalingPolicyProps::new(name.value(), PolicyType::TargetTrackingScaling)
        },
    )?;
    name.set(policy.logical_id());
    Ok((target, policy))
}
