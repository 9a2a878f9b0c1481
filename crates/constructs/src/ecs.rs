//! ECS on Fargate: the [`Cluster`], task sizes ([`FargateSize`]) and the
//! [`FargateService`] (task definition, roles, logs, security group, service,
//! autoscaling). The load-balanced variant lives in [`crate::elbv2`].

use std::cell::RefCell;
use std::rc::Rc;

use cairn_cfn::applicationautoscaling::scalable_target::{ScalableDimension, ServiceNamespace};
use cairn_cfn::applicationautoscaling::scaling_policy::{
    PolicyType, PredefinedMetricSpecification, PredefinedMetricType, TargetTrackingScalingPolicyConfiguration,
};
use cairn_cfn::applicationautoscaling::{CfnScalableTarget, CfnScalableTargetProps, CfnScalingPolicy, CfnScalingPolicyProps};
use cairn_cfn::ecs::service::{
    self, AdvancedConfiguration, AssignPublicIp, AwsVpcConfiguration, DeploymentAlarms, DeploymentCircuitBreaker, DeploymentConfiguration,
    LaunchType, NetworkConfiguration, PropagateTags, Strategy,
};
use cairn_cfn::ecs::task_definition::{
    self, ContainerDefinition, CpuArchitecture, KeyValuePair, LogConfiguration, MountPoint, NetworkMode, OperatingSystemFamily,
    PortMapping, Protocol, RequiresCompatibility, RuntimePlatform, Volume,
};
use cairn_cfn::ecs::{cluster, CfnCluster, CfnClusterProps, CfnService, CfnServiceProps, CfnTaskDefinition, CfnTaskDefinitionProps};
use cairn_core::{ResourceRef, Result, Scope, Value};

use crate::ec2::{Connectable, Port, SecurityGroup, SecurityGroupProps, SubnetType, Vpc};
use crate::iam::{Grantable, PolicyStatement, Role, RoleProps, ServicePrincipal};
use crate::logs::{LogGroup, LogGroupProps};

macro_rules! fargate_sizes {
    ($($name:ident = ($cpu:expr, $mem:expr)),* $(,)?) => {
        /// CPU and memory of a Fargate task: one of the combinations Fargate accepts.
        ///
        /// An invalid pair cannot be written: there is no variant for it, so
        /// `FargateSize::Cpu256Mem4096` (0.25 vCPU with 4 GB) does not compile.
        /// Environment files give `cpu` and `memory_mib` as numbers; [`FargateSize::new`]
        /// turns them into a variant or reports the allowed memory sizes.
        ///
        /// ```compile_fail
        /// // 0.25 vCPU allows 512, 1024 or 2048 MiB only: there is no such variant.
        /// let size = cairn_constructs::ecs::FargateSize::Cpu256Mem4096;
        /// ```
        ///
        /// ```
        /// use cairn_constructs::ecs::FargateSize;
        /// assert_eq!(FargateSize::new(256, 512), Some(FargateSize::Cpu256Mem512));
        /// assert_eq!(FargateSize::new(256, 4096), None);
        /// ```
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FargateSize {
            $(
                #[doc = concat!(stringify!($cpu), " CPU units, ", stringify!($mem), " MiB")]
                $name,
            )*
        }

        impl FargateSize {
            /// Every valid combination.
            pub const ALL: &'static [FargateSize] = &[$(FargateSize::$name),*];

            /// CPU units (1024 = 1 vCPU).
            pub const fn cpu(self) -> u32 {
                match self { $(FargateSize::$name => $cpu),* }
            }

            /// Memory in MiB.
            pub const fn memory_mib(self) -> u32 {
                match self { $(FargateSize::$name => $mem),* }
            }
        }
    };
}

fargate_sizes! {
    Cpu256Mem512 = (256, 512), Cpu256Mem1024 = (256, 1024), Cpu256Mem2048 = (256, 2048),
    Cpu512Mem1024 = (512, 1024), Cpu512Mem2048 = (512, 2048), Cpu512Mem3072 = (512, 3072), Cpu512Mem4096 = (512, 4096),
    Cpu1024Mem2048 = (1024, 2048), Cpu1024Mem3072 = (1024, 3072), Cpu1024Mem4096 = (1024, 4096), Cpu1024Mem5120 = (1024, 5120),
    Cpu1024Mem6144 = (1024, 6144), Cpu1024Mem7168 = (1024, 7168), Cpu1024Mem8192 = (1024, 8192),
    Cpu2048Mem4096 = (2048, 4096), Cpu2048Mem5120 = (2048, 5120), Cpu2048Mem6144 = (2048, 6144), Cpu2048Mem7168 = (2048, 7168),
    Cpu2048Mem8192 = (2048, 8192), Cpu2048Mem9216 = (2048, 9216), Cpu2048Mem10240 = (2048, 10240), Cpu2048Mem11264 = (2048, 11264),
    Cpu2048Mem12288 = (2048, 12288), Cpu2048Mem13312 = (2048, 13312), Cpu2048Mem14336 = (2048, 14336), Cpu2048Mem15360 = (2048, 15360),
    Cpu2048Mem16384 = (2048, 16384),
    Cpu4096Mem8192 = (4096, 8192), Cpu4096Mem9216 = (4096, 9216), Cpu4096Mem10240 = (4096, 10240), Cpu4096Mem11264 = (4096, 11264),
    Cpu4096Mem12288 = (4096, 12288), Cpu4096Mem13312 = (4096, 13312), Cpu4096Mem14336 = (4096, 14336), Cpu4096Mem15360 = (4096, 15360),
    Cpu4096Mem16384 = (4096, 16384), Cpu4096Mem17408 = (4096, 17408), Cpu4096Mem18432 = (4096, 18432), Cpu4096Mem19456 = (4096, 19456),
    Cpu4096Mem20480 = (4096, 20480), Cpu4096Mem21504 = (4096, 21504), Cpu4096Mem22528 = (4096, 22528), Cpu4096Mem23552 = (4096, 23552),
    Cpu4096Mem24576 = (4096, 24576), Cpu4096Mem25600 = (4096, 25600), Cpu4096Mem26624 = (4096, 26624), Cpu4096Mem27648 = (4096, 27648),
    Cpu4096Mem28672 = (4096, 28672), Cpu4096Mem29696 = (4096, 29696), Cpu4096Mem30720 = (4096, 30720),
    Cpu8192Mem16384 = (8192, 16384), Cpu8192Mem20480 = (8192, 20480), Cpu8192Mem24576 = (8192, 24576), Cpu8192Mem28672 = (8192, 28672),
    Cpu8192Mem32768 = (8192, 32768), Cpu8192Mem36864 = (8192, 36864), Cpu8192Mem40960 = (8192, 40960), Cpu8192Mem45056 = (8192, 45056),
    Cpu8192Mem49152 = (8192, 49152), Cpu8192Mem53248 = (8192, 53248), Cpu8192Mem57344 = (8192, 57344), Cpu8192Mem61440 = (8192, 61440),
    Cpu16384Mem32768 = (16384, 32768), Cpu16384Mem40960 = (16384, 40960), Cpu16384Mem49152 = (16384, 49152),
    Cpu16384Mem57344 = (16384, 57344), Cpu16384Mem65536 = (16384, 65536), Cpu16384Mem73728 = (16384, 73728),
    Cpu16384Mem81920 = (16384, 81920), Cpu16384Mem90112 = (16384, 90112), Cpu16384Mem98304 = (16384, 98304),
    Cpu16384Mem106496 = (16384, 106496), Cpu16384Mem114688 = (16384, 114688), Cpu16384Mem122880 = (16384, 122880),
}

impl Default for FargateSize {
    /// 0.25 vCPU with 512 MiB, the smallest task.
    fn default() -> Self {
        FargateSize::Cpu256Mem512
    }
}

impl FargateSize {
    /// The size with these CPU units and memory, if Fargate accepts the pair.
    pub fn new(cpu: u32, memory_mib: u32) -> Option<FargateSize> {
        Self::ALL.iter().copied().find(|s| s.cpu() == cpu && s.memory_mib() == memory_mib)
    }

    /// Memory sizes Fargate accepts with `cpu` units (empty for an invalid CPU value).
    pub fn memory_options(cpu: u32) -> Vec<u32> {
        Self::ALL.iter().filter(|s| s.cpu() == cpu).map(|s| s.memory_mib()).collect()
    }

    /// CPU values Fargate accepts.
    pub fn cpu_options() -> Vec<u32> {
        let mut cpus: Vec<u32> = Self::ALL.iter().map(|s| s.cpu()).collect();
        cpus.dedup();
        cpus
    }
}

/// Props of a [`Cluster`].
#[derive(Debug, Clone)]
pub struct ClusterProps {
    /// CloudWatch Container Insights (task and service metrics). Default on.
    pub container_insights: bool,
}

impl Default for ClusterProps {
    fn default() -> Self {
        ClusterProps { container_insights: true }
    }
}

/// An ECS cluster for Fargate services in a [`Vpc`].
#[derive(Clone)]
pub struct Cluster {
    scope: Scope,
    cluster: CfnCluster,
    vpc: Vpc,
}

impl Cluster {
    pub fn new(scope: impl Into<Scope>, id: &str, vpc: &Vpc, props: ClusterProps) -> Result<Cluster> {
        let scope = scope.into().child(id)?;
        let insights = if props.container_insights { "enabled" } else { "disabled" };
        let settings = cluster::ClusterSettings {
            name: Some("containerInsights".into()),
            value: Some(insights.into()),
        };
        let cluster = CfnCluster::new(
            &scope,
            "Resource",
            CfnClusterProps {
                cluster_settings: Some(vec![settings].into()),
                ..Default::default()
            },
        )?;
        Ok(Cluster {
            scope,
            cluster,
            vpc: vpc.clone(),
        })
    }

    /// The cluster's name (`Ref`).
    pub fn name(&self) -> Value {
        self.cluster.r#ref()
    }

    pub fn arn(&self) -> Value {
        self.cluster.arn()
    }

    pub fn vpc(&self) -> &Vpc {
        &self.vpc
    }

    pub fn resource(&self) -> &ResourceRef {
        self.cluster.resource_ref()
    }

    /// The underlying `AWS::ECS::Cluster`, for edits the props do not cover
    /// (`cfn_cluster().set(CfnCluster::CAPACITY_PROVIDERS, ..)`).
    pub fn cfn_cluster(&self) -> &CfnCluster {
        &self.cluster
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}

/// A secret injected into a container from Secrets Manager (never a plain value in
/// the template). The execution role is granted `secretsmanager:GetSecretValue` on
/// exactly the secret's ARN.
#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    arn: Value,
    /// What the execution role is granted `GetSecretValue` on.
    grant_resource: Value,
    field: Option<String>,
}

impl Secret {
    /// The whole secret string.
    pub fn secrets_manager(arn: Value) -> Secret {
        Secret {
            grant_resource: arn.clone(),
            arn,
            field: None,
        }
    }

    /// One key of a JSON secret (`username`, `password`).
    pub fn secrets_manager_field(arn: Value, field: &str) -> Secret {
        Secret {
            grant_resource: arn.clone(),
            arn,
            field: Some(field.to_string()),
        }
    }

    /// A secret known by its name (e.g. one created by another stack): ECS reads it by
    /// its partial ARN, and the execution role may read exactly that secret —
    /// `<name>-??????` matches the 6 random characters Secrets Manager appends to ARNs.
    pub fn secrets_manager_named(name: &str, field: Option<&str>) -> Secret {
        let arn = |suffix: &str| {
            Value::sub(format!(
                "arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{name}{suffix}"
            ))
        };
        Secret {
            arn: arn(""),
            grant_resource: arn("-??????"),
            field: field.map(str::to_string),
        }
    }

    /// The secret's ARN.
    pub fn arn(&self) -> &Value {
        &self.arn
    }

    /// The resource an IAM statement names to read this secret.
    pub fn grant_resource(&self) -> &Value {
        &self.grant_resource
    }

    /// ECS `ValueFrom`: the ARN, or `<arn>:<field>::` for one JSON key.
    fn value_from(&self) -> Value {
        match &self.field {
            None => self.arn.clone(),
            Some(f) => Value::join("", [self.arn.clone(), Value::str(format!(":{f}::"))]),
        }
    }
}

/// The application container of a [`FargateService`].
#[derive(Debug, Clone)]
pub struct ContainerProps {
    /// Container name. Default `app`.
    pub name: String,
    /// Image reference, e.g. `public.ecr.aws/nginx/nginx:1.27` (required). A private
    /// ECR image (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`) gets pull
    /// permissions on exactly that repository.
    pub image: String,
    /// Port the container listens on (TCP). Default 80.
    pub port: u16,
    /// Plain environment variables (no secrets here: use `secrets`).
    pub environment: Vec<(String, Value)>,
    /// Environment variables read from Secrets Manager when the task starts.
    pub secrets: Vec<(String, Secret)>,
    /// Mount the root file system read-only. Default `false` (most images write to it).
    pub readonly_root_filesystem: bool,
    /// Absolute paths the container writes to, each backed by an ephemeral task volume
    /// (Fargate task storage, emptied when the task stops), so the root file system can
    /// stay read-only. E.g. nginx: `/var/cache/nginx`, `/var/run`, `/tmp`. Default none.
    pub writable_paths: Vec<String>,
}

impl Default for ContainerProps {
    fn default() -> Self {
        ContainerProps {
            name: "app".into(),
            image: String::new(),
            port: 80,
            environment: Vec::new(),
            secrets: Vec::new(),
            readonly_root_filesystem: false,
            writable_paths: Vec::new(),
        }
    }
}

/// Target-tracking autoscaling of a service on average CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutoScalingProps {
    pub min_tasks: u32,
    pub max_tasks: u32,
    /// Average CPU utilization to keep, in percent (10 to 90). Default 50.
    pub target_cpu_percent: u32,
    pub scale_in_cooldown_seconds: u32,
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

/// Props of a [`FargateService`].
#[derive(Debug, Clone)]
pub struct FargateServiceProps {
    /// Task CPU and memory; only valid pairs exist. Default 0.25 vCPU / 512 MiB.
    pub size: FargateSize,
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

/// The container's variables, kept to re-render the container definition when added later.
#[derive(Default)]
struct ContainerState {
    environment: Vec<(String, Value)>,
    secrets: Vec<(String, Secret)>,
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
    state: Rc<RefCell<ContainerState>>,
    cluster_name: Value,
}

impl FargateService {
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
        if let Some(repository) = ecr_repository_arn(&c.image) {
            execution_role.add_to_policy(PolicyStatement::allow(
                &["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                vec![repository],
            ))?;
            // GetAuthorizationToken has no resource-level permissions: "*" is the only form.
            execution_role.add_to_policy(PolicyStatement::allow(&["ecr:GetAuthorizationToken"], vec![Value::str("*")]))?;
        }
        let task_role = Role::new(
            &scope,
            "TaskRole",
            RoleProps {
                assumed_by: ServicePrincipal::EcsTasks,
                description: Some("Runtime permissions of the service's containers".into()),
            },
        )?;

        let state = Rc::new(RefCell::new(ContainerState::default()));
        let container = Rc::new(c.clone());
        let volumes: Vec<Volume> = c
            .writable_paths
            .iter()
            .map(|p| Volume {
                name: Some(volume_name(p).into()),
                ..Default::default()
            })
            .collect();
        let task_definition = CfnTaskDefinition::new(
            &scope,
            "TaskDefinition",
            CfnTaskDefinitionProps {
                // Rendered again (`render_container`) as variables and secrets are added.
                container_definitions: Some(vec![container_definition(c, &log_group, &ContainerState::default())].into()),
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
                volumes: (!volumes.is_empty()).then(|| volumes.into()),
                ..Default::default()
            },
        )?;

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
                container_port: Some(c.port.into()),
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
            state,
            cluster_name: cluster.name(),
        };
        for (name, value) in &c.environment {
            svc.add_environment(name, value.clone())?;
        }
        for (name, secret) in &c.secrets {
            svc.add_secret(name, secret.clone())?;
        }
        svc.render_container()?;
        Ok(svc)
    }

    /// Adds a plain environment variable to the container.
    pub fn add_environment(&self, name: &str, value: impl Into<Value>) -> Result<()> {
        self.check_variable(name)?;
        self.state.borrow_mut().environment.push((name.to_string(), value.into()));
        self.render_container()
    }

    /// Adds an environment variable read from Secrets Manager, and lets the execution
    /// role read exactly that secret.
    pub fn add_secret(&self, name: &str, secret: Secret) -> Result<()> {
        self.check_variable(name)?;
        self.execution_role.add_to_policy(PolicyStatement::allow(
            &["secretsmanager:GetSecretValue"],
            vec![secret.grant_resource().clone()],
        ))?;
        self.state.borrow_mut().secrets.push((name.to_string(), secret));
        self.render_container()
    }

    fn check_variable(&self, name: &str) -> Result<()> {
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
        let state = self.state.borrow();
        if state.environment.iter().any(|(n, _)| n == name) || state.secrets.iter().any(|(n, _)| n == name) {
            return Err(self
                .scope
                .error(format!("environment variable `{name}` is set twice"))
                .property("container.environment")
                .fix("give each variable or secret its own name"));
        }
        Ok(())
    }

    fn render_container(&self) -> Result<()> {
        let definition = container_definition(&self.container, &self.log_group, &self.state.borrow());
        self.task_definition.set(CfnTaskDefinition::CONTAINER_DEFINITIONS, vec![definition])
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

    pub fn resource(&self) -> &ResourceRef {
        self.service.resource_ref()
    }

    pub fn task_definition(&self) -> &ResourceRef {
        self.task_definition.resource_ref()
    }

    /// The underlying `AWS::ECS::Service`, for edits the props do not cover
    /// (`cfn_service().set(CfnService::ENABLE_EXECUTE_COMMAND, true)`). The
    /// deployment configuration is written again by [`FargateService::set_deployment_alarms`].
    pub fn cfn_service(&self) -> &CfnService {
        &self.service
    }

    /// The underlying `AWS::ECS::TaskDefinition`. Its `ContainerDefinitions` are
    /// rendered again when variables or secrets are added: change the container through
    /// [`ContainerProps`], [`FargateService::add_environment`] and [`FargateService::add_secret`].
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

    pub fn log_group(&self) -> &LogGroup {
        &self.log_group
    }

    pub fn container_port(&self) -> u16 {
        self.container.port
    }

    pub fn container_name(&self) -> &str {
        &self.container.name
    }

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

/// The application container: image, port, logs to the service's log group, mounts of
/// the writable paths, variables and secrets.
fn container_definition(c: &ContainerProps, log_group: &LogGroup, state: &ContainerState) -> ContainerDefinition {
    let mounts: Vec<MountPoint> = c
        .writable_paths
        .iter()
        .map(|p| MountPoint {
            container_path: Some(p.as_str().into()),
            read_only: Some(false.into()),
            source_volume: Some(volume_name(p).into()),
        })
        .collect();
    let environment: Vec<KeyValuePair> = state
        .environment
        .iter()
        .map(|(n, v)| KeyValuePair {
            name: Some(n.as_str().into()),
            value: Some(v.clone().into()),
        })
        .collect();
    let secrets: Vec<task_definition::Secret> = state
        .secrets
        .iter()
        .map(|(n, s)| task_definition::Secret::new(n.as_str(), s.value_from()))
        .collect();
    let logs = LogConfiguration {
        options: Some(
            vec![
                ("awslogs-group", log_group.name()),
                ("awslogs-region", Value::region()),
                ("awslogs-stream-prefix", Value::str(c.name.as_str())),
            ]
            .into(),
        ),
        ..LogConfiguration::new("awslogs")
    };
    let port = PortMapping {
        container_port: Some(c.port.into()),
        protocol: Some(Protocol::Tcp.into()),
        ..Default::default()
    };
    ContainerDefinition {
        environment: (!environment.is_empty()).then(|| environment.into()),
        essential: Some(true.into()),
        log_configuration: Some(logs.into()),
        mount_points: (!mounts.is_empty()).then(|| mounts.into()),
        port_mappings: Some(vec![port].into()),
        readonly_root_filesystem: Some(c.readonly_root_filesystem.into()),
        secrets: (!secrets.is_empty()).then(|| secrets.into()),
        ..ContainerDefinition::new(c.image.as_str(), c.name.as_str())
    }
}

/// Target tracking on the service's average CPU: a scalable target on its desired
/// count and a policy named after its logical ID.
fn cpu_auto_scaling(
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
    let policy = CfnScalingPolicy::new(
        scope,
        "CpuScaling",
        CfnScalingPolicyProps {
            scaling_target_id: Some(target.resource_ref().into()),
            target_tracking_scaling_policy_configuration: Some(tracking.into()),
            // The name is set just below, once the stack has given the policy its logical ID.
            ..CfnScalingPolicyProps::new(Value::Null, PolicyType::TargetTrackingScaling)
        },
    )?;
    // The policy name is the logical ID: stable and the same in every environment.
    policy.set(CfnScalingPolicy::POLICY_NAME, policy.logical_id().to_string())?;
    Ok((target, policy))
}

fn validate(scope: &Scope, props: &FargateServiceProps) -> Result<()> {
    let c = &props.container;
    if c.image.trim().is_empty() || c.image.chars().any(char::is_whitespace) {
        return Err(scope
            .error(format!("`{}` is not a container image reference", c.image))
            .property("container.image")
            .fix("set the image, e.g. \"public.ecr.aws/nginx/nginx:1.27\""));
    }
    let name_ok =
        !c.name.is_empty() && c.name.len() <= 255 && c.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
    if !name_ok {
        return Err(scope
            .error(format!("`{}` is not a valid container name", c.name))
            .property("container.name")
            .fix("use 1-255 letters, digits, hyphens and underscores"));
    }
    if c.port == 0 {
        return Err(scope
            .error("container port 0 is not a port")
            .property("container.port")
            .fix("use the port the container listens on, e.g. 80 or 8080"));
    }
    let mut volumes = Vec::new();
    for path in &c.writable_paths {
        let ok = path.starts_with('/')
            && path.len() > 1
            && !path.ends_with('/')
            && !path.contains("//")
            && path.chars().all(|ch| ch.is_ascii_alphanumeric() || "/-_.".contains(ch));
        if !ok {
            return Err(scope
                .error(format!("`{path}` is not a writable path"))
                .property("container.writable_paths")
                .fix("use absolute directory paths such as \"/tmp\" or \"/var/cache/nginx\" (not `/`, no trailing `/`)"));
        }
        let name = volume_name(path);
        if volumes.contains(&name) {
            return Err(scope
                .error(format!("`{path}` is listed twice (volume `{name}`)"))
                .property("container.writable_paths")
                .fix("list each path once"));
        }
        volumes.push(name);
    }
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

/// The task volume behind a writable path: `/var/cache/nginx` → `var-cache-nginx`.
fn volume_name(path: &str) -> String {
    path.trim_matches('/').replace(['/', '.'], "-")
}

/// `arn:<partition>:ecr:<region>:<account>:repository/<repo>` for a private ECR image.
fn ecr_repository_arn(image: &str) -> Option<Value> {
    let (host, rest) = image.split_once('/')?;
    let parts: Vec<&str> = host.split('.').collect();
    if parts.len() < 6 || parts[1] != "dkr" || parts[2] != "ecr" || !host.ends_with(".amazonaws.com") {
        return None;
    }
    let (account, region) = (parts[0], parts[3]);
    let repository = rest.split(['@', ':']).next()?;
    Some(Value::sub(format!(
        "arn:${{AWS::Partition}}:ecr:{region}:{account}:repository/{repository}"
    )))
}
