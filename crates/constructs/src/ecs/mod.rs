//! ECS on Fargate: the [`Cluster`], task sizes ([`FargateSize`]), the containers of a task
//! ([`ContainerProps`], [`SidecarProps`], [`Secret`]) and the [`FargateService`] (task
//! definition, roles, logs, security group, service, autoscaling). The load-balanced
//! variant lives in [`crate::elbv2`].

mod container;
mod scaling;
mod service;

pub use container::{ContainerProps, Secret, SidecarProps};
pub use scaling::AutoScalingProps;
pub(crate) use service::{BlueGreenAttachment, LoadBalancerAttachment};
pub use service::{FargateService, FargateServiceProps};

use cairn_cfn::ecs::{cluster, CfnCluster, CfnClusterProps};
use cairn_core::{ResourceRef, Result, Scope, Value};

use crate::ec2::Vpc;

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
    /// Adds the cluster `id` for services in `vpc` under `scope`.
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

    /// The cluster's ARN (`Fn::GetAtt`).
    pub fn arn(&self) -> Value {
        self.cluster.arn()
    }

    /// The VPC its services run in.
    pub fn vpc(&self) -> &Vpc {
        &self.vpc
    }

    /// The `AWS::ECS::Cluster` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.cluster.resource_ref()
    }

    /// The underlying `AWS::ECS::Cluster`, for edits the props do not cover
    /// (`cfn_cluster().set(CfnCluster::CAPACITY_PROVIDERS, ..)`).
    pub fn cfn_cluster(&self) -> &CfnCluster {
        &self.cluster
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}
