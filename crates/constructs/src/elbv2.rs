//! An internet-facing Application Load Balancer in front of a [`FargateService`]:
//! [`LoadBalancedFargateService`].

use cairn_cfn::elasticloadbalancingv2::listener::{self, Certificate, RedirectConfig, StatusCode};
use cairn_cfn::elasticloadbalancingv2::listener_rule::{self, PathPatternConfig, RuleCondition, TargetGroupTuple};
use cairn_cfn::elasticloadbalancingv2::load_balancer::{LoadBalancerAttribute, Scheme, Type};
use cairn_cfn::elasticloadbalancingv2::target_group::{HealthCheckProtocol, Matcher, TargetGroupAttribute, TargetType};
use cairn_cfn::elasticloadbalancingv2::{
    target_group, CfnListener, CfnListenerProps, CfnListenerRule, CfnListenerRuleProps, CfnLoadBalancer, CfnLoadBalancerProps,
    CfnTargetGroup, CfnTargetGroupProps,
};
use cairn_core::config::shown;
use cairn_core::{ResourceRef, Result, Scope, Value};

use crate::ec2::{Connectable, Port, SecurityGroup, SecurityGroupProps, SubnetType};
use crate::ecs::{BlueGreenAttachment, Cluster, FargateService, FargateServiceProps, LoadBalancerAttachment};
use crate::iam::{Grantable, PolicyStatement, Role, RoleProps, ServicePrincipal};
use crate::s3::Bucket;

/// Health check of the target group (HTTP on the container's port).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// Path requested. Default `/`.
    pub path: String,
    /// HTTP codes that count as healthy. Default `200-399`.
    pub healthy_http_codes: String,
    /// Seconds between checks.
    pub interval_seconds: u32,
    /// Seconds before a check fails.
    pub timeout_seconds: u32,
    /// Consecutive successes that make a target healthy.
    pub healthy_threshold: u32,
    /// Consecutive failures that make a target unhealthy.
    pub unhealthy_threshold: u32,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            path: "/".into(),
            healthy_http_codes: "200-399".into(),
            interval_seconds: 30,
            timeout_seconds: 5,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
        }
    }
}

/// ECS blue/green deployments: the new revision starts next to the old one in the
/// alternate target group, ECS moves the production listener rule's traffic to it, and
/// the old revision keeps running for the bake time so a rollback is a traffic switch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlueGreen {
    /// Minutes both revisions run after production traffic moved (0 to 1440). Default 10.
    pub bake_time_minutes: u32,
}

impl Default for BlueGreen {
    fn default() -> Self {
        BlueGreen { bake_time_minutes: 10 }
    }
}

/// Props of a [`LoadBalancedFargateService`].
#[derive(Debug, Clone)]
pub struct LoadBalancedFargateServiceProps {
    /// The service behind the load balancer (runs in private subnets).
    pub service: FargateServiceProps,
    /// The target group's health check.
    pub health_check: HealthCheck,
    /// ACM certificate for HTTPS. `Some`: an HTTPS listener on 443 and HTTP on 80
    /// redirecting to it; `None`: HTTP on 80 only.
    pub certificate_arn: Option<String>,
    /// TLS policy of the HTTPS listener. Default TLS 1.3 with 1.2.
    pub ssl_policy: String,
    /// Seconds ECS ignores failing health checks after a task starts. Default 60.
    pub health_check_grace_period_seconds: u32,
    /// Seconds a deregistering target drains. Default 30.
    pub deregistration_delay_seconds: u32,
    /// Idle connection timeout of the load balancer. Default 60.
    pub idle_timeout_seconds: u32,
    /// `Some`: ECS blue/green deployments, with an alternate target group, a production
    /// listener rule and the role ECS shifts traffic with; `None`: rolling updates.
    pub blue_green: Option<BlueGreen>,
    /// Access logs to a bucket made with [`Bucket::for_access_logs`] (same environment and
    /// region), under this key prefix (e.g. `web`; no leading or trailing `/`). The
    /// bucket's policy gets the statement that lets Elastic Load Balancing deliver to
    /// `<prefix>/AWSLogs/<account>/`. `None`: no access logs.
    pub access_logs: Option<(Bucket, String)>,
}

impl Default for LoadBalancedFargateServiceProps {
    fn default() -> Self {
        LoadBalancedFargateServiceProps {
            service: FargateServiceProps::default(),
            health_check: HealthCheck::default(),
            certificate_arn: None,
            ssl_policy: "ELBSecurityPolicy-TLS13-1-2-2021-06".into(),
            health_check_grace_period_seconds: 60,
            deregistration_delay_seconds: 30,
            idle_timeout_seconds: 60,
            blue_green: None,
            access_logs: None,
        }
    }
}

/// A Fargate service behind an internet-facing Application Load Balancer. The load
/// balancer's security group is open on 80 (and on 443 when a certificate gives it an
/// HTTPS listener); the service's admits only the load balancer's group on the
/// container port.
#[derive(Clone)]
pub struct LoadBalancedFargateService {
    scope: Scope,
    load_balancer: CfnLoadBalancer,
    target_group: CfnTargetGroup,
    listeners: Vec<CfnListener>,
    blue_green: Option<BlueGreenResources>,
    lb_security_group: SecurityGroup,
    service: FargateService,
    https: bool,
}

impl LoadBalancedFargateService {
    /// Adds the load balancer, its listeners and the service `id` to `cluster` under `scope`.
    pub fn new(
        scope: impl Into<Scope>,
        id: &str,
        cluster: &Cluster,
        props: LoadBalancedFargateServiceProps,
    ) -> Result<LoadBalancedFargateService> {
        let scope = scope.into().child(id)?;
        validate(&scope, &props)?;
        let vpc = cluster.vpc();
        let lb_scope = scope.child("LB")?;
        let lb_security_group = SecurityGroup::new(
            &lb_scope,
            "SecurityGroup",
            vpc,
            SecurityGroupProps {
                description: Some(format!("{} load balancer", scope.name_path())),
                allow_all_outbound: false,
            },
        )?;
        lb_security_group.allow_from_any_ipv4(Port::tcp(80), "HTTP from anywhere")?;
        // 443 only where something listens on it: no open port without a listener.
        if props.certificate_arn.is_some() {
            lb_security_group.allow_from_any_ipv4(Port::tcp(443), "HTTPS from anywhere")?;
        }

        let mut attributes = vec![
            attribute("deletion_protection.enabled", "false"),
            attribute("idle_timeout.timeout_seconds", &props.idle_timeout_seconds.to_string()),
            attribute("routing.http.drop_invalid_header_fields.enabled", "true"),
        ];
        if let Some((bucket, prefix)) = &props.access_logs {
            if !bucket.is_log_bucket() || bucket.scope().stack().env_key() != scope.stack().env_key() {
                return Err(scope
                    .error(format!("{} is not an access-log bucket of this environment", bucket.scope().path()))
                    .property("access_logs")
                    .fix("send the logs to a bucket created with Bucket::for_access_logs in the same environment"));
            }
            // The policy lives with the bucket (the data stack, deployed first), so the
            // load balancer needs no DependsOn across stacks: ELB checks it when the attribute is set.
            bucket.allow_load_balancer_logs(prefix)?;
            attributes.push(attribute("access_logs.s3.enabled", "true"));
            attributes.push(LoadBalancerAttribute {
                key: Some("access_logs.s3.bucket".into()),
                value: Some(bucket.name().into()),
            });
            if !prefix.is_empty() {
                attributes.push(attribute("access_logs.s3.prefix", prefix));
            }
        }
        let load_balancer = CfnLoadBalancer::new(
            &lb_scope,
            "Resource",
            CfnLoadBalancerProps {
                load_balancer_attributes: Some(attributes.into()),
                scheme: Some(Scheme::InternetFacing.into()),
                security_groups: Some(vec![lb_security_group.group_id()].into()),
                subnets: Some(vpc.subnet_ids(SubnetType::Public)?.into()),
                r#type: Some(Type::Application.into()),
                ..Default::default()
            },
        )?;

        let port = container_port(&scope, &props)?;
        let target_group = CfnTargetGroup::new(&scope, "TargetGroup", target_group_props(&props, vpc.vpc_id()))?;

        let forward = listener::Action {
            target_group_arn: Some(target_group.resource_ref().into()),
            ..listener::Action::new(listener::Type::Forward)
        };
        let mut listeners = Vec::new();
        match &props.certificate_arn {
            Some(certificate) => {
                let redirect = listener::Action {
                    redirect_config: Some(
                        RedirectConfig {
                            port: Some("443".into()),
                            protocol: Some("HTTPS".into()),
                            ..RedirectConfig::new(StatusCode::Http301)
                        }
                        .into(),
                    ),
                    ..listener::Action::new(listener::Type::Redirect)
                };
                let https = CfnListenerProps {
                    certificates: Some(
                        vec![Certificate {
                            certificate_arn: Some(certificate.as_str().into()),
                        }]
                        .into(),
                    ),
                    ssl_policy: Some(props.ssl_policy.as_str().into()),
                    ..listener_props(&load_balancer, 443, listener::Protocol::Https, forward)
                };
                listeners.push(CfnListener::new(
                    &lb_scope,
                    "HttpListener",
                    listener_props(&load_balancer, 80, listener::Protocol::Http, redirect),
                )?);
                listeners.push(CfnListener::new(&lb_scope, "HttpsListener", https)?);
            }
            None => listeners.push(CfnListener::new(
                &lb_scope,
                "HttpListener",
                listener_props(&load_balancer, 80, listener::Protocol::Http, forward),
            )?),
        }
        let blue_green = match props.blue_green {
            Some(_) => {
                let serving = listeners.last().ok_or_else(|| scope.error("the load balancer has no listener"))?;
                Some(blue_green_resources(
                    &scope,
                    &lb_scope,
                    &props,
                    &target_group,
                    serving,
                    vpc.vpc_id(),
                )?)
            }
            None => None,
        };

        let service = FargateService::build(
            scope.clone(),
            "Service",
            cluster,
            props.service.clone(),
            Some(LoadBalancerAttachment {
                target_group: target_group.resource_ref().clone(),
                depends_on: listeners.iter().map(|l| l.resource_ref().clone()).collect(),
                health_check_grace_period_seconds: props.health_check_grace_period_seconds,
                blue_green: props.blue_green.zip(blue_green.as_ref()).map(|(bg, r)| BlueGreenAttachment {
                    alternate_target_group: r.alternate_target_group.r#ref(),
                    production_listener_rule: r.production_rule.r#ref(),
                    role_arn: r.deployment_role.arn(),
                    bake_time_minutes: bg.bake_time_minutes,
                    // ECS uses the role as the service starts; the rule is referenced already.
                    depends_on: r.deployment_role.default_policy().into_iter().collect(),
                }),
            }),
        )?;
        service
            .security_group()
            .allow_from(&lb_security_group, Port::tcp(port), "Load balancer to service")?;

        Ok(LoadBalancedFargateService {
            scope,
            load_balancer,
            target_group,
            listeners,
            blue_green,
            lb_security_group,
            service,
            https: props.certificate_arn.is_some(),
        })
    }

    /// The load balancer's DNS name.
    pub fn dns_name(&self) -> Value {
        self.load_balancer.dns_name()
    }

    /// `http://<dns name>` (or `https://` with a certificate).
    pub fn url(&self) -> Value {
        let scheme = if self.https { "https://" } else { "http://" };
        Value::join("", [Value::str(scheme), self.dns_name()])
    }

    /// The `AWS::ElasticLoadBalancingV2::LoadBalancer` resource.
    pub fn load_balancer(&self) -> &ResourceRef {
        self.load_balancer.resource_ref()
    }

    /// The target group that takes the tasks at first (blue).
    pub fn target_group(&self) -> &ResourceRef {
        self.target_group.resource_ref()
    }

    /// The target group a blue/green deployment starts the new revision in (green).
    pub fn alternate_target_group(&self) -> Option<&ResourceRef> {
        self.blue_green.as_ref().map(|b| b.alternate_target_group.resource_ref())
    }

    /// The listener rule that forwards production traffic (weights flipped by blue/green deployments).
    pub fn production_listener_rule(&self) -> Option<&ResourceRef> {
        self.blue_green.as_ref().map(|b| b.production_rule.resource_ref())
    }

    /// The underlying `AWS::ElasticLoadBalancingV2::LoadBalancer`, for edits the props
    /// do not cover (`cfn_load_balancer().set(CfnLoadBalancer::IP_ADDRESS_TYPE, ..)`).
    pub fn cfn_load_balancer(&self) -> &CfnLoadBalancer {
        &self.load_balancer
    }

    /// The underlying (blue) `AWS::ElasticLoadBalancingV2::TargetGroup`.
    pub fn cfn_target_group(&self) -> &CfnTargetGroup {
        &self.target_group
    }

    /// The underlying alternate (green) target group of a blue/green service.
    pub fn cfn_alternate_target_group(&self) -> Option<&CfnTargetGroup> {
        self.blue_green.as_ref().map(|b| &b.alternate_target_group)
    }

    /// The underlying production `AWS::ElasticLoadBalancingV2::ListenerRule` of a blue/green service.
    pub fn cfn_production_listener_rule(&self) -> Option<&CfnListenerRule> {
        self.blue_green.as_ref().map(|b| &b.production_rule)
    }

    /// The underlying listeners: HTTP on 80, then HTTPS on 443 when there is a certificate.
    pub fn cfn_listeners(&self) -> &[CfnListener] {
        &self.listeners
    }

    /// The role ECS assumes to shift traffic in blue/green deployments.
    pub fn deployment_role(&self) -> Option<&Role> {
        self.blue_green.as_ref().map(|b| &b.deployment_role)
    }

    /// `app/<name>/<id>`: the `LoadBalancer` dimension of `AWS/ApplicationELB` metrics.
    pub fn load_balancer_full_name(&self) -> Value {
        self.load_balancer.load_balancer_full_name()
    }

    /// `targetgroup/<name>/<id>` of each target group (the `TargetGroup` metric dimension).
    pub fn target_group_full_names(&self) -> Vec<Value> {
        std::iter::once(&self.target_group)
            .chain(self.cfn_alternate_target_group())
            .map(|t| t.target_group_full_name())
            .collect()
    }

    /// The load balancer's security group.
    pub fn load_balancer_security_group(&self) -> &SecurityGroup {
        &self.lb_security_group
    }

    /// The Fargate service (add environment variables and secrets here).
    pub fn service(&self) -> &FargateService {
        &self.service
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

impl Grantable for LoadBalancedFargateService {
    /// Grants go to the service's task role.
    fn grant_role(&self) -> &Role {
        self.service.grant_role()
    }
}

impl Connectable for LoadBalancedFargateService {
    /// The service's security group (not the load balancer's).
    fn security_group(&self) -> &SecurityGroup {
        self.service.security_group()
    }
}

fn target_group_props(props: &LoadBalancedFargateServiceProps, vpc_id: Value) -> CfnTargetGroupProps {
    let hc = &props.health_check;
    let deregistration_delay = TargetGroupAttribute {
        key: Some("deregistration_delay.timeout_seconds".into()),
        value: Some(props.deregistration_delay_seconds.to_string().into()),
    };
    CfnTargetGroupProps {
        health_check_enabled: Some(true.into()),
        health_check_interval_seconds: Some(hc.interval_seconds.into()),
        health_check_path: Some(hc.path.as_str().into()),
        health_check_protocol: Some(HealthCheckProtocol::Http.into()),
        health_check_timeout_seconds: Some(hc.timeout_seconds.into()),
        healthy_threshold_count: Some(hc.healthy_threshold.into()),
        matcher: Some(
            Matcher {
                http_code: Some(hc.healthy_http_codes.as_str().into()),
                ..Default::default()
            }
            .into(),
        ),
        port: props.service.container.port.map(Into::into),
        protocol: Some(target_group::Protocol::Http.into()),
        target_group_attributes: Some(vec![deregistration_delay].into()),
        target_type: Some(TargetType::Ip.into()),
        unhealthy_threshold_count: Some(hc.unhealthy_threshold.into()),
        vpc_id: Some(vpc_id.into()),
        ..Default::default()
    }
}

/// What a blue/green service has beyond a rolling one.
#[derive(Clone)]
struct BlueGreenResources {
    alternate_target_group: CfnTargetGroup,
    production_rule: CfnListenerRule,
    deployment_role: Role,
}

/// The alternate (green) target group, the production listener rule on the listener
/// that serves traffic, and the role ECS shifts traffic with.
fn blue_green_resources(
    scope: &Scope,
    lb_scope: &Scope,
    props: &LoadBalancedFargateServiceProps,
    target_group: &CfnTargetGroup,
    serving: &CfnListener,
    vpc_id: Value,
) -> Result<BlueGreenResources> {
    // ECS starts the new revision here, then moves the production traffic to it.
    let alternate_target_group = CfnTargetGroup::new(scope, "AlternateTargetGroup", target_group_props(props, vpc_id))?;
    // All traffic goes through this rule, whose weights ECS flips (the listener's
    // default action, to the first target group, is never reached).
    let weighted = |group: &CfnTargetGroup, weight: i64| TargetGroupTuple {
        target_group_arn: Some(group.resource_ref().into()),
        weight: Some(weight.into()),
    };
    let forward = listener_rule::Action {
        forward_config: Some(
            listener_rule::ForwardConfig {
                target_groups: Some(vec![weighted(target_group, 100), weighted(&alternate_target_group, 0)].into()),
                ..Default::default()
            }
            .into(),
        ),
        ..listener_rule::Action::new(listener_rule::Type::Forward)
    };
    let every_path = RuleCondition {
        field: Some("path-pattern".into()),
        path_pattern_config: Some(
            PathPatternConfig {
                values: Some(vec!["/*"].into()),
                ..Default::default()
            }
            .into(),
        ),
        ..Default::default()
    };
    let production_rule = CfnListenerRule::new(
        lb_scope,
        "ProductionRule",
        CfnListenerRuleProps {
            listener_arn: Some(serving.resource_ref().into()),
            ..CfnListenerRuleProps::new(vec![forward], vec![every_path], 1)
        },
    )?;
    let deployment_role = deployment_role(
        scope,
        &[target_group.resource_ref(), alternate_target_group.resource_ref()],
        production_rule.resource_ref(),
    )?;
    Ok(BlueGreenResources {
        alternate_target_group,
        production_rule,
        deployment_role,
    })
}

/// The role ECS assumes in blue/green deployments (the "infrastructure role for load
/// balancers"): register tasks in both target groups and flip the production rule's weights.
fn deployment_role(scope: &Scope, target_groups: &[&ResourceRef], rule: &ResourceRef) -> Result<Role> {
    let role = Role::new(
        scope,
        "DeploymentRole",
        RoleProps {
            assumed_by: ServicePrincipal::Other("ecs.amazonaws.com".into()),
            description: Some("Lets ECS shift load balancer traffic between target groups in blue/green deployments".into()),
        },
    )?;
    role.add_to_policy(PolicyStatement::allow(
        &["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
        target_groups.iter().map(|t| t.as_ref()).collect(),
    ))?;
    role.add_to_policy(PolicyStatement::allow(&["elasticloadbalancing:ModifyRule"], vec![rule.as_ref()]))?;
    // Elastic Load Balancing's Describe* actions have no resource-level permissions:
    // IAM accepts only `*` for them. Everything that changes something is limited above.
    role.add_to_policy(PolicyStatement::allow(
        &[
            "elasticloadbalancing:DescribeListeners",
            "elasticloadbalancing:DescribeRules",
            "elasticloadbalancing:DescribeTargetGroups",
            "elasticloadbalancing:DescribeTargetHealth",
        ],
        vec![Value::str("*")],
    ))?;
    Ok(role)
}

fn attribute(key: &str, value: &str) -> LoadBalancerAttribute {
    LoadBalancerAttribute {
        key: Some(key.into()),
        value: Some(value.into()),
    }
}

fn listener_props(load_balancer: &CfnLoadBalancer, port: u16, protocol: listener::Protocol, action: listener::Action) -> CfnListenerProps {
    CfnListenerProps {
        port: Some(port.into()),
        protocol: Some(protocol.into()),
        ..CfnListenerProps::new(vec![action], load_balancer.resource_ref())
    }
}

/// Longest health check path a target group accepts (AWS: 1-1024 characters).
pub const MAX_HEALTH_CHECK_PATH: usize = 1024;

/// The port the load balancer forwards to: a load-balanced container must serve one.
fn container_port(scope: &Scope, props: &LoadBalancedFargateServiceProps) -> Result<u16> {
    props.service.container.port.ok_or_else(|| {
        scope
            .error("a load-balanced service's container serves no port")
            .property("service.container.port")
            .fix("set the port the container listens on, e.g. `port: Some(8080)`, or use a FargateService without a load balancer")
    })
}

fn validate(scope: &Scope, props: &LoadBalancedFargateServiceProps) -> Result<()> {
    container_port(scope, props)?;
    let hc = &props.health_check;
    if !hc.path.starts_with('/') {
        return Err(scope
            .error(format!("health check path `{}` must start with `/`", shown(&hc.path)))
            .property("health_check.path")
            .fix("use a path such as \"/\" or \"/health\""));
    }
    if hc.path.len() > MAX_HEALTH_CHECK_PATH {
        return Err(scope
            .error(format!(
                "health check path `{}` is longer than {MAX_HEALTH_CHECK_PATH} characters",
                shown(&hc.path)
            ))
            .property("health_check.path")
            .fix("use a shorter path such as \"/health\""));
    }
    if !(5..=300).contains(&hc.interval_seconds) || !(2..=120).contains(&hc.timeout_seconds) || hc.timeout_seconds >= hc.interval_seconds {
        return Err(scope
            .error(format!(
                "health check timeout {} s and interval {} s are not valid",
                hc.timeout_seconds, hc.interval_seconds
            ))
            .property("health_check")
            .fix("use an interval of 5-300 s and a timeout of 2-120 s, shorter than the interval"));
    }
    if !(2..=10).contains(&hc.healthy_threshold) || !(2..=10).contains(&hc.unhealthy_threshold) {
        return Err(scope
            .error("health check thresholds must be 2 to 10")
            .property("health_check")
            .fix("use thresholds from 2 to 10"));
    }
    if let Some(arn) = &props.certificate_arn {
        if !arn.starts_with("arn:") || !arn.contains(":acm:") && !arn.contains(":iam:") {
            return Err(scope
                .error(format!("`{arn}` is not a certificate ARN"))
                .property("certificate_arn")
                .fix("use an ACM certificate ARN, e.g. arn:aws:acm:us-east-1:123456789012:certificate/…"));
        }
    }
    if let Some(bg) = props.blue_green {
        if bg.bake_time_minutes > 1440 {
            return Err(scope
                .error(format!("bake time {} min is out of range", bg.bake_time_minutes))
                .property("blue_green.bake_time_minutes")
                .fix("use 0 to 1440 minutes (24 hours)"));
        }
    }
    if !(1..=4000).contains(&props.idle_timeout_seconds) || props.deregistration_delay_seconds > 3600 {
        return Err(scope
            .error("idle timeout must be 1-4000 s and deregistration delay 0-3600 s")
            .property("idle_timeout_seconds")
            .fix("use values in those ranges"));
    }
    Ok(())
}
