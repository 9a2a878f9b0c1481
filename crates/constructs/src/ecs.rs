//! ECS on Fargate: the [`Cluster`], task sizes ([`FargateSize`]) and the
//! [`FargateService`] (task definition, roles, logs, security group, service,
//! autoscaling). The load-balanced variant lives in [`crate::elbv2`].

use std::cell::RefCell;
use std::rc::Rc;

use cairn_core::{Resource, ResourceRef, Result, Scope, Value};

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
    cluster: ResourceRef,
    vpc: Vpc,
}

impl Cluster {
    pub fn new(scope: impl Into<Scope>, id: &str, vpc: &Vpc, props: ClusterProps) -> Result<Cluster> {
        let scope = scope.into().child(id)?;
        let insights = if props.container_insights { "enabled" } else { "disabled" };
        let cluster = scope.add_resource(
            "Resource",
            Resource::new("AWS::ECS::Cluster").prop(
                "ClusterSettings",
                Value::list([Value::map([("Name", "containerInsights"), ("Value", insights)])]),
            ),
        )?;
        Ok(Cluster {
            scope,
            cluster,
            vpc: vpc.clone(),
        })
    }

    /// The cluster's name (`Ref`).
    pub fn name(&self) -> Value {
        self.cluster.as_ref()
    }

    pub fn arn(&self) -> Value {
        self.cluster.get_att("Arn")
    }

    pub fn vpc(&self) -> &Vpc {
        &self.vpc
    }

    pub fn resource(&self) -> &ResourceRef {
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

/// The container's variables, kept to re-render the task definition when added later.
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
    service: ResourceRef,
    task_definition: ResourceRef,
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
        let mut task_definition = Resource::new("AWS::ECS::TaskDefinition")
            .prop("ContainerDefinitions", Value::Null)
            .prop("Cpu", props.size.cpu().to_string())
            .prop("ExecutionRoleArn", execution_role.arn())
            .prop("Memory", props.size.memory_mib().to_string())
            .prop("NetworkMode", "awsvpc")
            .prop("RequiresCompatibilities", Value::list(["FARGATE"]))
            .prop(
                "RuntimePlatform",
                Value::map([("CpuArchitecture", "X86_64"), ("OperatingSystemFamily", "LINUX")]),
            )
            .prop("TaskRoleArn", task_role.arn());
        if !c.writable_paths.is_empty() {
            let volumes = c.writable_paths.iter().map(|p| Value::map([("Name", volume_name(p))])).collect();
            task_definition = task_definition.prop("Volumes", Value::List(volumes));
        }
        let task_definition = scope.add_resource("TaskDefinition", task_definition)?;

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
        let mut deployment = Value::map([
            ("DeploymentCircuitBreaker", Value::map([("Enable", true), ("Rollback", true)])),
            ("MaximumPercent", Value::from(200)),
            ("MinimumHealthyPercent", Value::from(100)),
        ]);
        // The strategy is always written, so switching it back to rolling is a change CloudFormation sees.
        deployment = match blue_green {
            Some(bg) => deployment
                .with("BakeTimeInMinutes", bg.bake_time_minutes)
                .with("Strategy", "BLUE_GREEN"),
            None => deployment.with("Strategy", "ROLLING"),
        };
        let mut service = Resource::new("AWS::ECS::Service")
            .prop("Cluster", cluster.name())
            .prop("DeploymentConfiguration", deployment)
            .prop("DesiredCount", props.desired_count)
            .prop("EnableECSManagedTags", true)
            .prop("LaunchType", "FARGATE")
            .prop(
                "NetworkConfiguration",
                Value::map([(
                    "AwsvpcConfiguration",
                    Value::map([
                        ("AssignPublicIp", Value::str("DISABLED")),
                        ("SecurityGroups", Value::list([security_group.group_id()])),
                        ("Subnets", Value::List(subnets)),
                    ]),
                )]),
            )
            .prop("PropagateTags", "SERVICE")
            .prop("TaskDefinition", task_definition.as_ref());
        if let Some(lb) = &load_balancer {
            let mut attachment = Value::map([
                ("ContainerName", Value::str(c.name.as_str())),
                ("ContainerPort", Value::from(c.port)),
                ("TargetGroupArn", lb.target_group.as_ref()),
            ]);
            if let Some(bg) = &lb.blue_green {
                attachment = attachment.with(
                    "AdvancedConfiguration",
                    Value::map([
                        ("AlternateTargetGroupArn", bg.alternate_target_group.clone()),
                        ("ProductionListenerRule", bg.production_listener_rule.clone()),
                        ("RoleArn", bg.role_arn.clone()),
                    ]),
                );
                for d in &bg.depends_on {
                    service = service.depends_on(d);
                }
            }
            service = service
                .prop("HealthCheckGracePeriodSeconds", lb.health_check_grace_period_seconds)
                .prop("LoadBalancers", Value::list([attachment]));
            for d in &lb.depends_on {
                service = service.depends_on(d);
            }
        }
        // Tasks read their secrets with the execution role as they start.
        if let Some(policy) = execution_role.default_policy() {
            service = service.depends_on(&policy);
        }
        let service = scope.add_resource("Service", service)?;

        if let Some(a) = props.auto_scaling {
            let target = scope.add_resource(
                "ScalableTarget",
                Resource::new("AWS::ApplicationAutoScaling::ScalableTarget")
                    .prop("MaxCapacity", a.max_tasks)
                    .prop("MinCapacity", a.min_tasks)
                    .prop(
                        "ResourceId",
                        Value::join("/", [Value::str("service"), cluster.name(), service.get_att("Name")]),
                    )
                    .prop("ScalableDimension", "ecs:service:DesiredCount")
                    .prop("ServiceNamespace", "ecs"),
            )?;
            let policy = scope.add_resource(
                "CpuScaling",
                Resource::new("AWS::ApplicationAutoScaling::ScalingPolicy")
                    .prop("PolicyName", Value::Null)
                    .prop("PolicyType", "TargetTrackingScaling")
                    .prop("ScalingTargetId", target.as_ref())
                    .prop(
                        "TargetTrackingScalingPolicyConfiguration",
                        Value::map([
                            (
                                "PredefinedMetricSpecification",
                                Value::map([("PredefinedMetricType", "ECSServiceAverageCPUUtilization")]),
                            ),
                            ("ScaleInCooldown", Value::from(a.scale_in_cooldown_seconds)),
                            ("ScaleOutCooldown", Value::from(a.scale_out_cooldown_seconds)),
                            ("TargetValue", Value::from(a.target_cpu_percent)),
                        ]),
                    ),
            )?;
            // The policy name is the logical ID: stable and the same in every environment.
            let name = Value::str(policy.logical_id.clone());
            scope.stack().update_resource(&policy, |r| {
                r.properties.insert("PolicyName".into(), name);
            })?;
        }

        let svc = FargateService {
            scope,
            service,
            task_definition,
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
        let c = &self.container;
        let state = self.state.borrow();
        let mut def = Value::map([
            ("Essential", Value::Bool(true)),
            ("Image", Value::str(c.image.as_str())),
            (
                "LogConfiguration",
                Value::map([
                    ("LogDriver", Value::str("awslogs")),
                    (
                        "Options",
                        Value::map([
                            ("awslogs-group", self.log_group.name()),
                            ("awslogs-region", Value::region()),
                            ("awslogs-stream-prefix", Value::str(c.name.as_str())),
                        ]),
                    ),
                ]),
            ),
            ("Name", Value::str(c.name.as_str())),
            (
                "PortMappings",
                Value::list([Value::map([
                    ("ContainerPort", Value::from(c.port)),
                    ("Protocol", Value::str("tcp")),
                ])]),
            ),
            ("ReadonlyRootFilesystem", Value::Bool(c.readonly_root_filesystem)),
        ]);
        if !c.writable_paths.is_empty() {
            let mounts = c
                .writable_paths
                .iter()
                .map(|p| {
                    Value::map([
                        ("ContainerPath", Value::str(p.as_str())),
                        ("ReadOnly", Value::Bool(false)),
                        ("SourceVolume", Value::str(volume_name(p))),
                    ])
                })
                .collect();
            def = def.with("MountPoints", Value::List(mounts));
        }
        if !state.environment.is_empty() {
            def = def.with(
                "Environment",
                Value::List(
                    state
                        .environment
                        .iter()
                        .map(|(n, v)| Value::map([("Name", Value::str(n.as_str())), ("Value", v.clone())]))
                        .collect(),
                ),
            );
        }
        if !state.secrets.is_empty() {
            def = def.with(
                "Secrets",
                Value::List(
                    state
                        .secrets
                        .iter()
                        .map(|(n, s)| Value::map([("Name", Value::str(n.as_str())), ("ValueFrom", s.value_from())]))
                        .collect(),
                ),
            );
        }
        self.scope.stack().update_resource(&self.task_definition, |r| {
            r.properties.insert("ContainerDefinitions".into(), Value::list([def]));
        })
    }

    /// The service's name (`GetAtt Name`).
    pub fn service_name(&self) -> Value {
        self.service.get_att("Name")
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
        let alarms = Value::map([
            ("AlarmNames", Value::List(alarm_names)),
            ("Enable", Value::Bool(true)),
            ("Rollback", Value::Bool(true)),
        ]);
        self.scope.stack().update_resource(&self.service, |r| {
            if let Some(Value::Map(config)) = r.properties.get_mut("DeploymentConfiguration") {
                config.shift_insert(0, "Alarms".into(), alarms);
            }
        })
    }

    pub fn resource(&self) -> &ResourceRef {
        &self.service
    }

    pub fn task_definition(&self) -> &ResourceRef {
        &self.task_definition
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
