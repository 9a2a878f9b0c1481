//! The [`FargateService`]: task definition with its containers, separate execution and
//! task roles, a log group, its own security group, the ECS service and autoscaling.

use std::cell::RefCell;
use std::rc::Rc;

use cairn_cfn::applicationautoscaling::{CfnScalableTarget, CfnScalingPolicy};
use cairn_cfn::ecs::service::{
    self, AdvancedConfiguration, AssignPublicIp, AwsVpcConfiguration, DeploymentAlarms, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, NetworkConfiguration, PropagateTags, Strategy,
};
use cairn_cfn::ecs::task_definition::{
    CpuArchitecture, NetworkMode, OperatingSystemFamily, RequiresCompatibility, RuntimePlatform, Volume,
};
use cairn_cfn::ecs::{CfnService, CfnServiceProps, CfnTaskDefinition, CfnTaskDefinitionProps};
use cairn_cfn::Val;
use cairn_core::{ResourceRef, Result, Scope, Value};

use super::container::{ecr_repository_arn, volume_name, ContainerProps, ContainerSpec, Secret, SidecarProps};
use super::scaling::cpu_auto_scaling;
use super::{AutoScalingProps, Cluster, FargateSize};
use crate::ec2::{Connectable, Port, SecurityGroup, SecurityGroupProps, SubnetType};
use crate::iam::{Grantable, PolicyStatement, Role, RoleProps, ServicePrincipal};
use crate::kms::KeyService;
use crate::logs::{LogGroup, LogGroupProps};

/// Props of a [`FargateService`].
#[derive(Debug, Clone)]
pub struct FargateServiceProps {
    /// Task CPU and memory; only valid pairs exist. Default 0.25 vCPU / 512 MiB.
    pub size: FargateSize,
    /// The one container of the task.
    pub container: ContainerProps,
    /// Tasks the service runs normally. Default 1.
    pub desired_count: u32,
    /// CPU target tracking. `None`: a fixed task count.
    pub auto_scaling: Option<AutoScalingProps>,
    /// Retention of the container log group, in days. Default 30.
    pub log_retention_days: u32,
    /// Where tasks run. Default private subnets with egress (no public IPs).
    pub subnet_type: SubnetType,
    /// Outbound HTTPS to anywhere (AWS APIs, image registries, through the NAT
    /// gateways). Default on; all other egress is closed unless a connection opens it.
    pub allow_https_egress: bool,
    /// The environment's customer-managed key for the container log group. `None`:
    /// CloudWatch Logs' own key.
    pub log_encryption_key: Option<crate::kms::Key>,
}

impl Default for FargateServiceProps {
    fn default() -> Self {
        FargateServiceProps {
            size: FargateSize::default(),
            container: ContainerProps::default(),
            desired_count: 1,
            auto_scaling: None,
            log_retention_days: 30,
            subnet_type: SubnetType::PrivateWithEgress,
            allow_https_egress: true,
            log_encryption_key: None,
        }
    }
}

/// How a service registers with a load balancer (set by `LoadBalancedFargateService`).
pub(crate) struct LoadBalancerAttachment {
    pub target_group: ResourceRef,
    /// Resources the service must wait for (listeners: the target group needs one).
    pub depends_on: Vec<ResourceRef>,
    pub health_check_grace_period_seconds: u32,
    /// ECS blue/green deployments through the load balancer; `None`: rolling updates.
    pub blue_green: Option<BlueGreenAttachment>,
}

/// What ECS needs to shift traffic between two target groups (set by `LoadBalancedFargateService`).
pub(crate) struct BlueGreenAttachment {
    pub alternate_target_group: Value,
    /// The listener rule whose forward weights ECS flips (ARN).
    pub production_listener_rule: Value,
    /// The role ECS assumes to change the rule and register targets (ARN).
    pub role_arn: Value,
    pub bake_time_minutes: u32,
    /// Resources the service must wait for (the role's policy).
    pub depends_on: Vec<ResourceRef>,
}

/// A Fargate service: task definition, separate execution and task roles, a log
/// group, its own security group, deployment circuit breaker with rollback and
/// optional CPU autoscaling.
#[derive(Clone)]
pub struct FargateService {
    scope: Scope,
    service: CfnService,
    /// The service's deployment configuration as built, to add deployment alarms to.
    deployment: DeploymentConfiguration,
    task_definition: CfnTaskDefinition,
    auto_scaling: Option<(CfnScalableTarget, CfnScalingPolicy)>,
    task_role: Role,
    execution_role: Role,
    security_group: SecurityGroup,
    log_group: LogGroup,
    container: Rc<ContainerProps>,
    /// Every container of the task, read by the task definition at synthesis.
    containers: Rc<RefCell<Containers>>,
    cluster_name: Value,
}

/// The task's containers, the application container first, as they stand: the task
/// definition's `ContainerDefinitions` and `Volumes` are computed from them at synthesis
/// (lazy values), so adding a variable or a sidecar later never re-renders the resource.
#[derive(Default)]
struct Containers {
    list: Vec<ContainerSpec>,
    /// `ecr:GetAuthorizationToken` is granted once, whatever the number of private images.
    ecr_token_granted: bool,
}

impl Containers {
    /// The task volumes behind every container's writable paths, each once, in order.
    fn volumes(&self) -> Vec<Volume> {
        let mut names: Vec<String> = Vec::new();
        for path in self.list.iter().flat_map(|c| &c.writable_paths) {
            let name = volume_name(path);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
            .into_iter()
            .map(|name| Volume {
                name: Some(name.into()),
                ..Default::default()
            })
            .collect()
    }
}

impl FargateService {
    /// Adds the service `id` (task definition, roles, log group, security group) to `cluster` under `scope`.
    pub fn new(scope: impl Into<Scope>, id: &str, cluster: &Cluster, props: FargateServiceProps) -> Result<FargateService> {
        Self::build(scope.into(), id, cluster, props, None)
    }

    pub(crate) fn build(
        scope: Scope,
        id: &str,
        cluster: &Cluster,
        props: FargateServiceProps,
        load_balancer: Option<LoadBalancerAttachment>,
    ) -> Result<FargateService> {
        let scope = scope.child(id)?;
        validate(&scope, &props)?;
        let c = &props.container;

        let log_group = LogGroup::new(
            &scope,
            "LogGroup",
            LogGroupProps {
                retention_days: props.log_retention_days,
                encryption_key: props.log_encryption_key.clone(),
                ..Default::default()
            },
        )?;
        let execution_role = Role::new(
            &scope,
            "ExecutionRole",
            RoleProps {
                assumed_by: ServicePrincipal::EcsTasks,
                description: Some("Lets ECS pull the image, write logs and read the secrets of the task".into()),
            },
        )?;
        log_group.grant_write(&execution_role)?;
        let containers = Rc::new(RefCell::new(Containers::default()));
        grant_image_pull(&execution_role, &containers, &c.image)?;
        let task_role = Role::new(
            &scope,
            "TaskRole",
            RoleProps {
                assumed_by: ServicePrincipal::EcsTasks,
                description: Some("Runtime permissions of the service's containers".into()),
            },
        )?;

        let task_definition = CfnTaskDefinition::new(
            &scope,
            "TaskDefinition",
            CfnTaskDefinitionProps {
                cpu: Some(props.size.cpu().to_string().into()),
                execution_role_arn: Some(execution_role.arn().into()),
                memory: Some(props.size.memory_mib().to_string().into()),
                network_mode: Some(NetworkMode::Awsvpc.into()),
                requires_compatibilities: Some(vec![RequiresCompatibility::Fargate].into()),
                runtime_platform: Some(
                    RuntimePlatform {
                        cpu_architecture: Some(CpuArchitecture::X8664.into()),
                        operating_system_family: Some(OperatingSystemFamily::Linux.into()),
                    }
                    .into(),
                ),
                task_role_arn: Some(task_role.arn().into()),
                ..Default::default()
            },
        )?;
        // Computed at synthesis from the containers as they stand then (see `Containers`).
        containers.borrow_mut().list.push(ContainerSpec::application(c));
        let (defined, logs) = (containers.clone(), log_group.clone());
        task_definition.set_lazy(CfnTaskDefinition::CONTAINER_DEFINITIONS, move || {
            defined.borrow().list.iter().map(|c| c.definition(&logs)).collect::<Vec<_>>()
        })?;
        let mounted = containers.clone();
        task_definition.set_lazy(CfnTaskDefinition::VOLUMES, move || {
            let volumes = mounted.borrow().volumes();
            // Left out (a lazy `Null`), not an empty list, when no container writes anywhere.
            if volumes.is_empty() {
                Val::from_value(Value::Null)
            } else {
                volumes.into()
            }
        })?;

        let security_group = SecurityGroup::new(
            &scope,
            "SecurityGroup",
            cluster.vpc(),
            SecurityGroupProps {
                description: Some(format!("{} tasks", scope.name_path())),
                allow_all_outbound: false,
            },
        )?;
        if props.allow_https_egress {
            security_group.allow_to_any_ipv4(Port::tcp(443), "HTTPS to AWS APIs and image registries")?;
        }

        let subnets = cluster.vpc().subnet_ids(props.subnet_type)?;
        let blue_green = load_balancer.as_ref().and_then(|lb| lb.blue_green.as_ref());
        let mut deployment = DeploymentConfiguration {
            deployment_circuit_breaker: Some(DeploymentCircuitBreaker::new(true, true).into()),
            maximum_percent: Some(200.into()),
            minimum_healthy_percent: Some(100.into()),
            // The strategy is always written, so switching it back to rolling is a change CloudFormation sees.
            strategy: Some(Strategy::Rolling.into()),
            ..Default::default()
        };
        if let Some(bg) = blue_green {
            deployment.bake_time_in_minutes = Some(bg.bake_time_minutes.into());
            deployment.strategy = Some(Strategy::BlueGreen.into());
        }
        let network = AwsVpcConfiguration {
            assign_public_ip: Some(AssignPublicIp::Disabled.into()),
            security_groups: Some(vec![security_group.group_id()].into()),
            subnets: Some(subnets.into()),
        };
        let mut service_props = CfnServiceProps {
            cluster: Some(cluster.name().into()),
            deployment_configuration: Some(deployment.clone().into()),
            desired_count: Some(props.desired_count.into()),
            enable_ecs_managed_tags: Some(true.into()),
            launch_type: Some(LaunchType::Fargate.into()),
            network_configuration: Some(
                NetworkConfiguration {
                    awsvpc_configuration: Some(network.into()),
                }
                .into(),
            ),
            propagate_tags: Some(PropagateTags::Service.into()),
            task_definition: Some(task_definition.resource_ref().into()),
            ..Default::default()
        };
        let mut depends_on = Vec::new();
        if let Some(lb) = &load_balancer {
            let advanced_configuration = lb.blue_green.as_ref().map(|bg| {
                AdvancedConfiguration {
                    production_listener_rule: Some(bg.production_listener_rule.clone().into()),
                    role_arn: Some(bg.role_arn.clone().into()),
                    ..AdvancedConfiguration::new(bg.alternate_target_group.clone())
                }
                .into()
            });
            if let Some(bg) = &lb.blue_green {
                depends_on.extend(bg.depends_on.iter().cloned());
            }
            let attachment = service::LoadBalancer {
                advanced_configuration,
                container_name: Some(c.name.as_str().into()),
                container_port: c.port.map(Into::into),
                target_group_arn: Some((&lb.target_group).into()),
                ..Default::default()
            };
            service_props.health_check_grace_period_seconds = Some(lb.health_check_grace_period_seconds.into());
            service_props.load_balancers = Some(vec![attachment].into());
            depends_on.extend(lb.depends_on.iter().cloned());
        }
        // Tasks read their secrets with the execution role as they start.
        depends_on.extend(execution_role.default_policy());
        let service = CfnService::new(&scope, "Service", service_props)?;
        for d in &depends_on {
            service.add_depends_on(d)?;
        }

        let auto_scaling = match props.auto_scaling {
            Some(a) => Some(cpu_auto_scaling(&scope, cluster, &service, a)?),
            None => None,
        };

        let container = Rc::new(c.clone());
        let svc = FargateService {
            scope,
            service,
            deployment,
            task_definition,
            auto_scaling,
            task_role,
            execution_role,
            security_group,
            log_group,
            container,
            containers,
            cluster_name: cluster.name(),
        };
        for (name, value) in &c.environment {
            svc.add_environment(name, value.clone())?;
        }
        for (name, secret) in &c.secrets {
            svc.add_secret(name, secret.clone())?;
        }
        Ok(svc)
    }

    /// Adds a plain environment variable to the application container.
    pub fn add_environment(&self, name: &str, value: impl Into<Value>) -> Result<()> {
        self.add_variable(0, name, Variable::Plain(value.into()))
    }

    /// Adds an environment variable read from Secrets Manager to the application
    /// container, and lets the execution role read exactly that secret.
    pub fn add_secret(&self, name: &str, secret: Secret) -> Result<()> {
        self.add_variable(0, name, Variable::Secret(Box::new(secret)))
    }

    /// Adds a sidecar container to the task (a log router, a proxy, an agent), with its
    /// variables and secrets; a private ECR image gets pull permissions. Its name must be
    /// unique in the task and its port, if any, free.
    pub fn add_sidecar(&self, props: SidecarProps) -> Result<()> {
        let spec = ContainerSpec::sidecar(&props);
        spec.validate(&self.scope, "sidecar")?;
        {
            let containers = self.containers.borrow();
            if let Some(other) = containers.list.iter().find(|c| c.name == spec.name) {
                return Err(self
                    .scope
                    .error(format!("the task already has a container named `{}`", other.name))
                    .property("sidecar.name")
                    .fix("give each container of the task its own name"));
            }
            if let Some(other) = containers.list.iter().find(|c| spec.port.is_some() && c.port == spec.port) {
                return Err(self
                    .scope
                    .error(format!(
                        "container `{}` listens on port {}, as does `{}`: containers of a task share its network",
                        spec.name,
                        spec.port.unwrap_or_default(),
                        other.name
                    ))
                    .property("sidecar.port")
                    .fix("give each container its own port"));
            }
        }
        grant_image_pull(&self.execution_role, &self.containers, &spec.image)?;
        let index = {
            let mut containers = self.containers.borrow_mut();
            containers.list.push(spec);
            containers.list.len() - 1
        };
        for (name, value) in props.environment {
            self.add_variable(index, &name, Variable::Plain(value))?;
        }
        for (name, secret) in props.secrets {
            self.add_variable(index, &name, Variable::Secret(Box::new(secret)))?;
        }
        Ok(())
    }

    /// The names of the task's containers, the application container first.
    pub fn container_names(&self) -> Vec<String> {
        self.containers.borrow().list.iter().map(|c| c.name.clone()).collect()
    }

    fn add_variable(&self, container: usize, name: &str, variable: Variable) -> Result<()> {
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(self
                .scope
                .error(format!("`{name}` is not a valid environment variable name"))
                .property("container.environment")
                .fix("use letters, digits and underscores, not starting with a digit"));
        }
        {
            let containers = self.containers.borrow();
            let spec = &containers.list[container];
            if spec.environment.iter().any(|(n, _)| n == name) || spec.secrets.iter().any(|(n, _)| n == name) {
                return Err(self
                    .scope
                    .error(format!("environment variable `{name}` is set twice"))
                    .property("container.environment")
                    .fix("set each variable once (plain or secret, not both)"));
            }
        }
        match variable {
            Variable::Plain(value) => self.containers.borrow_mut().list[container]
                .environment
                .push((name.to_string(), value)),
            Variable::Secret(secret) => {
                self.execution_role.add_to_policy(PolicyStatement::allow(
                    &["secretsmanager:GetSecretValue"],
                    vec![secret.grant_resource().clone()],
                ))?;
                if let Some(key) = secret.key() {
                    key.grant(&self.execution_role, &["kms:Decrypt"], KeyService::SecretsManager)?;
                }
                self.containers.borrow_mut().list[container]
                    .secrets
                    .push((name.to_string(), *secret));
            }
        }
        Ok(())
    }

    /// The service's name (`GetAtt Name`).
    pub fn service_name(&self) -> Value {
        self.service.name()
    }

    /// The name of the cluster the service runs in (the `ClusterName` metric dimension).
    pub fn cluster_name(&self) -> Value {
        self.cluster_name.clone()
    }

    /// Lets CloudWatch alarms stop a deployment: ECS fails the deployment and rolls the
    /// service back to the last completed one when any of `alarm_names` goes to ALARM
    /// (`DeploymentConfiguration.Alarms`), in addition to the circuit breaker.
    pub fn set_deployment_alarms(&self, alarm_names: Vec<Value>) -> Result<()> {
        if alarm_names.is_empty() {
            return Err(self
                .scope
                .error("no alarms given to stop deployments")
                .property("alarm_names")
                .fix("pass the names of the alarms that should roll a deployment back"));
        }
        let config = DeploymentConfiguration {
            alarms: Some(DeploymentAlarms::new(alarm_names, true, true).into()),
            ..self.deployment.clone()
        };
        self.service.set(CfnService::DEPLOYMENT_CONFIGURATION, config)
    }

    /// The `AWS::ECS::Service` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.service.resource_ref()
    }

    /// The `AWS::ECS::TaskDefinition` resource.
    pub fn task_definition(&self) -> &ResourceRef {
        self.task_definition.resource_ref()
    }

    /// The underlying `AWS::ECS::Service`, for edits the props do not cover
    /// (`cfn_service().set(CfnService::ENABLE_EXECUTE_COMMAND, true)`). The
    /// deployment configuration is written again by [`FargateService::set_deployment_alarms`].
    pub fn cfn_service(&self) -> &CfnService {
        &self.service
    }

    /// The underlying `AWS::ECS::TaskDefinition`. Its `ContainerDefinitions` and `Volumes`
    /// are computed at synthesis from the task's containers: change them through
    /// [`ContainerProps`], [`FargateService::add_environment`], [`FargateService::add_secret`]
    /// and [`FargateService::add_sidecar`].
    pub fn cfn_task_definition(&self) -> &CfnTaskDefinition {
        &self.task_definition
    }

    /// The scalable target and CPU target-tracking policy, when the service autoscales.
    pub fn cfn_auto_scaling(&self) -> Option<(&CfnScalableTarget, &CfnScalingPolicy)> {
        self.auto_scaling.as_ref().map(|(target, policy)| (target, policy))
    }

    /// The role the containers run with (grants go here).
    pub fn task_role(&self) -> &Role {
        &self.task_role
    }

    /// The role ECS uses to start tasks (image pull, logs, secrets).
    pub fn execution_role(&self) -> &Role {
        &self.execution_role
    }

    /// The service's own security group.
    pub fn security_group(&self) -> &SecurityGroup {
        &self.security_group
    }

    /// The container's log group.
    pub fn log_group(&self) -> &LogGroup {
        &self.log_group
    }

    /// The port the container listens on, if it serves one.
    pub fn container_port(&self) -> Option<u16> {
        self.container.port
    }

    /// The container's name.
    pub fn container_name(&self) -> &str {
        &self.container.name
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

impl Grantable for FargateService {
    /// Grants go to the task role: the permissions of the running containers.
    fn grant_role(&self) -> &Role {
        &self.task_role
    }
}

impl Connectable for FargateService {
    fn security_group(&self) -> &SecurityGroup {
        &self.security_group
    }
}

/// What a variable of a container holds.
enum Variable {
    Plain(Value),
    Secret(Box<Secret>),
}

/// Lets the execution role pull `image` when it is a private ECR image: the read actions
/// on exactly its repository, and the registry token (once per task).
fn grant_image_pull(execution_role: &Role, containers: &RefCell<Containers>, image: &str) -> Result<()> {
    let Some(repository) = ecr_repository_arn(image) else {
        return Ok(());
    };
    execution_role.add_to_policy(PolicyStatement::allow(
        &["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
        vec![repository],
    ))?;
    if !containers.borrow().ecr_token_granted {
        // GetAuthorizationToken has no resource-level permissions: "*" is the only form.
        execution_role.add_to_policy(PolicyStatement::allow(&["ecr:GetAuthorizationToken"], vec![Value::str("*")]))?;
        containers.borrow_mut().ecr_token_granted = true;
    }
    Ok(())
}

fn validate(scope: &Scope, props: &FargateServiceProps) -> Result<()> {
    ContainerSpec::application(&props.container).validate(scope, "container")?;
    if let Some(a) = props.auto_scaling {
        if a.min_tasks == 0 || a.min_tasks > a.max_tasks || !(a.min_tasks..=a.max_tasks).contains(&props.desired_count) {
            return Err(scope
                .error(format!(
                    "desired_count {} must lie within min_tasks..max_tasks ({}..{}), with 1 <= min_tasks <= max_tasks",
                    props.desired_count, a.min_tasks, a.max_tasks
                ))
                .property("auto_scaling")
                .fix("choose min_tasks <= desired_count <= max_tasks"));
        }
        if !(10..=90).contains(&a.target_cpu_percent) {
            return Err(scope
                .error(format!("target CPU {} % is out of range", a.target_cpu_percent))
                .property("auto_scaling.target_cpu_percent")
                .fix("use 10 to 90"));
        }
    }
    Ok(())
}
