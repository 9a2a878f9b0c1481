//! An internet-facing Application Load Balancer in front of a [`FargateService`]:
//! [`LoadBalancedFargateService`].

use cairn_core::config::shown;
use cairn_core::{Resource, ResourceRef, Result, Scope, Value};

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
    pub interval_seconds: u32,
    pub timeout_seconds: u32,
    pub healthy_threshold: u32,
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
    load_balancer: ResourceRef,
    target_group: ResourceRef,
    blue_green: Option<BlueGreenResources>,
    lb_security_group: SecurityGroup,
    service: FargateService,
    https: bool,
}

impl LoadBalancedFargateService {
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
            if !bucket.is_log_bucket() || bucket.scope().env_settings().name != scope.env_settings().name {
                return Err(scope
                    .error(format!("{} is not an access-log bucket of this environment", bucket.scope().path()))
                    .property("access_logs")
                    .fix("send the logs to a bucket created with Bucket::for_access_logs in the same environment"));
            }
            // The policy lives with the bucket (the data stack, deployed first), so the
            // load balancer needs no DependsOn across stacks: ELB checks it when the attribute is set.
            bucket.allow_load_balancer_logs(prefix)?;
            attributes.push(attribute("access_logs.s3.enabled", "true"));
            attributes.push(Value::map([("Key", Value::str("access_logs.s3.bucket")), ("Value", bucket.name())]));
            if !prefix.is_empty() {
                attributes.push(attribute("access_logs.s3.prefix", prefix));
            }
        }
        let load_balancer = lb_scope.add_resource(
            "Resource",
            Resource::new("AWS::ElasticLoadBalancingV2::LoadBalancer")
                .prop("LoadBalancerAttributes", Value::List(attributes))
                .prop("Scheme", "internet-facing")
                .prop("SecurityGroups", Value::list([lb_security_group.group_id()]))
                .prop("Subnets", Value::List(vpc.subnet_ids(SubnetType::Public)?))
                .prop("Type", "application"),
        )?;

        let port = props.service.container.port;
        let target_group = scope.add_resource("TargetGroup", target_group_resource(&props, vpc.vpc_id()))?;

        let forward = Value::list([Value::map([
            ("TargetGroupArn", target_group.as_ref()),
            ("Type", Value::str("forward")),
        ])]);
        let mut listeners = Vec::new();
        match &props.certificate_arn {
            Some(certificate) => {
                let redirect = Value::list([Value::map([
                    (
                        "RedirectConfig",
                        Value::map([
                            ("Port", Value::str("443")),
                            ("Protocol", Value::str("HTTPS")),
                            ("StatusCode", Value::str("HTTP_301")),
                        ]),
                    ),
                    ("Type", Value::str("redirect")),
                ])]);
                listeners.push(lb_scope.add_resource("HttpListener", listener(&load_balancer, 80, "HTTP", redirect))?);
                listeners.push(
                    lb_scope.add_resource(
                        "HttpsListener",
                        listener(&load_balancer, 443, "HTTPS", forward)
                            .prop(
                                "Certificates",
                                Value::list([Value::map([("CertificateArn", certificate.as_str())])]),
                            )
                            .prop("SslPolicy", props.ssl_policy.as_str()),
                    )?,
                );
            }
            None => listeners.push(lb_scope.add_resource("HttpListener", listener(&load_balancer, 80, "HTTP", forward))?),
        }
        let blue_green = match props.blue_green {
            Some(_) => {
                let serving = listeners
                    .last()
                    .cloned()
                    .ok_or_else(|| scope.error("the load balancer has no listener"))?;
                Some(blue_green_resources(
                    &scope,
                    &lb_scope,
                    &props,
                    &target_group,
                    &serving,
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
                target_group: target_group.clone(),
                depends_on: listeners,
                health_check_grace_period_seconds: props.health_check_grace_period_seconds,
                blue_green: props.blue_green.zip(blue_green.as_ref()).map(|(bg, r)| BlueGreenAttachment {
                    alternate_target_group: r.alternate_target_group.as_ref(),
                    production_listener_rule: r.production_rule.as_ref(),
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
            blue_green,
            lb_security_group,
            service,
            https: props.certificate_arn.is_some(),
        })
    }

    /// The load balancer's DNS name.
    pub fn dns_name(&self) -> Value {
        self.load_balancer.get_att("DNSName")
    }

    /// `http://<dns name>` (or `https://` with a certificate).
    pub fn url(&self) -> Value {
        let scheme = if self.https { "https://" } else { "http://" };
        Value::join("", [Value::str(scheme), self.dns_name()])
    }

    pub fn load_balancer(&self) -> &ResourceRef {
        &self.load_balancer
    }

    /// The target group that takes the tasks at first (blue).
    pub fn target_group(&self) -> &ResourceRef {
        &self.target_group
    }

    /// The target group a blue/green deployment starts the new revision in (green).
    pub fn alternate_target_group(&self) -> Option<&ResourceRef> {
        self.blue_green.as_ref().map(|b| &b.alternate_target_group)
    }

    /// The listener rule that forwards production traffic (weights flipped by blue/green deployments).
    pub fn production_listener_rule(&self) -> Option<&ResourceRef> {
        self.blue_green.as_ref().map(|b| &b.production_rule)
    }

    /// The role ECS assumes to shift traffic in blue/green deployments.
    pub fn deployment_role(&self) -> Option<&Role> {
        self.blue_green.as_ref().map(|b| &b.deployment_role)
    }

    /// `app/<name>/<id>`: the `LoadBalancer` dimension of `AWS/ApplicationELB` metrics.
    pub fn load_balancer_full_name(&self) -> Value {
        self.load_balancer.get_att("LoadBalancerFullName")
    }

    /// `targetgroup/<name>/<id>` of each target group (the `TargetGroup` metric dimension).
    pub fn target_group_full_names(&self) -> Vec<Value> {
        std::iter::once(&self.target_group)
            .chain(self.alternate_target_group())
            .map(|t| t.get_att("TargetGroupFullName"))
            .collect()
    }

    pub fn load_balancer_security_group(&self) -> &SecurityGroup {
        &self.lb_security_group
    }

    /// The Fargate service (add environment variables and secrets here).
    pub fn service(&self) -> &FargateService {
        &self.service
    }

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

fn target_group_resource(props: &LoadBalancedFargateServiceProps, vpc_id: Value) -> Resource {
    let hc = &props.health_check;
    Resource::new("AWS::ElasticLoadBalancingV2::TargetGroup")
        .prop("HealthCheckEnabled", true)
        .prop("HealthCheckIntervalSeconds", hc.interval_seconds)
        .prop("HealthCheckPath", hc.path.as_str())
        .prop("HealthCheckProtocol", "HTTP")
        .prop("HealthCheckTimeoutSeconds", hc.timeout_seconds)
        .prop("HealthyThresholdCount", hc.healthy_threshold)
        .prop("Matcher", Value::map([("HttpCode", hc.healthy_http_codes.as_str())]))
        .prop("Port", props.service.container.port)
        .prop("Protocol", "HTTP")
        .prop(
            "TargetGroupAttributes",
            Value::list([attribute(
                "deregistration_delay.timeout_seconds",
                &props.deregistration_delay_seconds.to_string(),
            )]),
        )
        .prop("TargetType", "ip")
        .prop("UnhealthyThresholdCount", hc.unhealthy_threshold)
        .prop("VpcId", vpc_id)
}

/// What a blue/green service has beyond a rolling one.
#[derive(Clone)]
struct BlueGreenResources {
    alternate_target_group: ResourceRef,
    production_rule: ResourceRef,
    deployment_role: Role,
}

/// The alternate (green) target group, the production listener rule on the listener
/// that serves traffic, and the role ECS shifts traffic with.
fn blue_green_resources(
    scope: &Scope,
    lb_scope: &Scope,
    props: &LoadBalancedFargateServiceProps,
    target_group: &ResourceRef,
    serving: &ResourceRef,
    vpc_id: Value,
) -> Result<BlueGreenResources> {
    // ECS starts the new revision here, then moves the production traffic to it.
    let alternate_target_group = scope.add_resource("AlternateTargetGroup", target_group_resource(props, vpc_id))?;
    // All traffic goes through this rule, whose weights ECS flips (the listener's
    // default action, to the first target group, is never reached).
    let production_rule = lb_scope.add_resource(
        "ProductionRule",
        Resource::new("AWS::ElasticLoadBalancingV2::ListenerRule")
            .prop(
                "Actions",
                Value::list([Value::map([
                    (
                        "ForwardConfig",
                        Value::map([(
                            "TargetGroups",
                            Value::list([
                                Value::map([("TargetGroupArn", target_group.as_ref()), ("Weight", Value::from(100))]),
                                Value::map([("TargetGroupArn", alternate_target_group.as_ref()), ("Weight", Value::from(0))]),
                            ]),
                        )]),
                    ),
                    ("Type", Value::str("forward")),
                ])]),
            )
            .prop(
                "Conditions",
                Value::list([Value::map([
                    ("Field", Value::str("path-pattern")),
                    ("PathPatternConfig", Value::map([("Values", Value::list(["/*"]))])),
                ])]),
            )
            .prop("ListenerArn", serving.as_ref())
            .prop("Priority", 1),
    )?;
    let deployment_role = deployment_role(scope, &[target_group, &alternate_target_group], &production_rule)?;
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

fn attribute(key: &str, value: &str) -> Value {
    Value::map([("Key", key), ("Value", value)])
}

fn listener(load_balancer: &ResourceRef, port: u16, protocol: &str, actions: Value) -> Resource {
    Resource::new("AWS::ElasticLoadBalancingV2::Listener")
        .prop("DefaultActions", actions)
        .prop("LoadBalancerArn", load_balancer.as_ref())
        .prop("Port", port)
        .prop("Protocol", protocol)
}

/// Longest health check path a target group accepts (AWS: 1-1024 characters).
pub const MAX_HEALTH_CHECK_PATH: usize = 1024;

fn validate(scope: &Scope, props: &LoadBalancedFargateServiceProps) -> Result<()> {
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
