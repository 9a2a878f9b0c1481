//! The containers of a Fargate task: the application container ([`ContainerProps`]),
//! sidecars ([`SidecarProps`]), secrets ([`Secret`]), and how each becomes a container
//! definition.

use cairn_cfn::ecs::task_definition::{self, ContainerDefinition, KeyValuePair, LogConfiguration, MountPoint, PortMapping, Protocol};
use cairn_core::{Result, Scope, Value};

use crate::kms::Key;
use crate::logs::LogGroup;

/// A secret injected into a container from Secrets Manager (never a plain value in
/// the template). The execution role is granted `secretsmanager:GetSecretValue` on
/// exactly the secret's ARN.
#[derive(Debug, Clone, PartialEq)]
pub struct Secret {
    arn: Value,
    /// What the execution role is granted `GetSecretValue` on.
    grant_resource: Value,
    field: Option<String>,
    /// The customer-managed key the secret is encrypted with: the execution role also
    /// gets `kms:Decrypt` on it, through Secrets Manager only.
    key: Option<Key>,
}

impl Secret {
    /// The whole secret string.
    pub fn secrets_manager(arn: Value) -> Secret {
        Secret {
            grant_resource: arn.clone(),
            arn,
            field: None,
            key: None,
        }
    }

    /// One key of a JSON secret (`username`, `password`).
    pub fn secrets_manager_field(arn: Value, field: &str) -> Secret {
        Secret {
            grant_resource: arn.clone(),
            arn,
            field: Some(field.to_string()),
            key: None,
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
            key: None,
        }
    }

    /// The secret, encrypted with `key` (a customer-managed key of the environment).
    pub fn encrypted_with(mut self, key: &Key) -> Secret {
        self.key = Some(key.clone());
        self
    }

    /// The customer-managed key the secret is encrypted with, if any.
    pub fn key(&self) -> Option<&Key> {
        self.key.as_ref()
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
    pub(super) fn value_from(&self) -> Value {
        match &self.field {
            None => self.arn.clone(),
            Some(f) => Value::join("", [self.arn.clone(), Value::str(format!(":{f}::"))]),
        }
    }
}

/// The application container of a [`FargateService`](super::FargateService): the one the
/// load balancer sends traffic to. Sidecars are added with
/// [`FargateService::add_sidecar`](super::FargateService::add_sidecar).
#[derive(Debug, Clone)]
pub struct ContainerProps {
    /// Container name. Default `app`.
    pub name: String,
    /// Image reference, e.g. `public.ecr.aws/nginx/nginx:1.27` (required). A private
    /// ECR image (`<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>`) gets pull
    /// permissions on exactly that repository.
    pub image: String,
    /// Port the container listens on (TCP). Default `Some(80)`; `None` for a container
    /// that serves nothing (a queue worker): no port mapping. A load-balanced service needs one.
    pub port: Option<u16>,
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
            port: Some(80),
            environment: Vec::new(),
            secrets: Vec::new(),
            readonly_root_filesystem: false,
            writable_paths: Vec::new(),
        }
    }
}

/// A sidecar of a [`FargateService`](super::FargateService): a second container in the same
/// task (a log router, a proxy, a metrics agent). It shares the task's network, so its port,
/// if it listens, must differ from the other containers'.
#[derive(Debug, Clone)]
pub struct SidecarProps {
    /// Container name, unique in the task (required).
    pub name: String,
    /// Image reference (required); a private ECR image gets pull permissions.
    pub image: String,
    /// Port it listens on (TCP), if any. Default none.
    pub port: Option<u16>,
    /// Plain environment variables.
    pub environment: Vec<(String, Value)>,
    /// Environment variables read from Secrets Manager when the task starts.
    pub secrets: Vec<(String, Secret)>,
    /// Mount the root file system read-only. Default `false`.
    pub readonly_root_filesystem: bool,
    /// Absolute paths it writes to, each backed by an ephemeral task volume (shared with
    /// any container that lists the same path).
    pub writable_paths: Vec<String>,
    /// Whether the task stops when this container stops. Default `true` (as in ECS).
    pub essential: bool,
}

impl Default for SidecarProps {
    fn default() -> Self {
        SidecarProps {
            name: String::new(),
            image: String::new(),
            port: None,
            environment: Vec::new(),
            secrets: Vec::new(),
            readonly_root_filesystem: false,
            writable_paths: Vec::new(),
            essential: true,
        }
    }
}

/// One container of a task as it stands (variables and secrets added later included),
/// rendered into the task definition once, at synthesis.
#[derive(Debug, Clone)]
pub(super) struct ContainerSpec {
    pub name: String,
    pub image: String,
    pub port: Option<u16>,
    pub environment: Vec<(String, Value)>,
    pub secrets: Vec<(String, Secret)>,
    pub readonly_root_filesystem: bool,
    pub writable_paths: Vec<String>,
    pub essential: bool,
}

impl ContainerSpec {
    /// The application container; its variables and secrets are added one by one
    /// (checked and granted), so it starts without them.
    pub fn application(c: &ContainerProps) -> ContainerSpec {
        ContainerSpec {
            name: c.name.clone(),
            image: c.image.clone(),
            port: c.port,
            environment: Vec::new(),
            secrets: Vec::new(),
            readonly_root_filesystem: c.readonly_root_filesystem,
            writable_paths: c.writable_paths.clone(),
            essential: true,
        }
    }

    pub fn sidecar(s: &SidecarProps) -> ContainerSpec {
        ContainerSpec {
            name: s.name.clone(),
            image: s.image.clone(),
            port: s.port,
            environment: Vec::new(),
            secrets: Vec::new(),
            readonly_root_filesystem: s.readonly_root_filesystem,
            writable_paths: s.writable_paths.clone(),
            essential: s.essential,
        }
    }

    /// The container definition: image, port, logs to the service's log group (stream
    /// prefix: the container's name), mounts of the writable paths, variables and secrets.
    pub fn definition(&self, log_group: &LogGroup) -> ContainerDefinition {
        let mounts: Vec<MountPoint> = self
            .writable_paths
            .iter()
            .map(|p| MountPoint {
                container_path: Some(p.as_str().into()),
                read_only: Some(false.into()),
                source_volume: Some(volume_name(p).into()),
            })
            .collect();
        let environment: Vec<KeyValuePair> = self
            .environment
            .iter()
            .map(|(n, v)| KeyValuePair {
                name: Some(n.as_str().into()),
                value: Some(v.clone().into()),
            })
            .collect();
        let secrets: Vec<task_definition::Secret> = self
            .secrets
            .iter()
            .map(|(n, s)| task_definition::Secret::new(n.as_str(), s.value_from()))
            .collect();
        let logs = LogConfiguration {
            options: Some(
                vec![
                    ("awslogs-group", log_group.name()),
                    ("awslogs-region", Value::region()),
                    ("awslogs-stream-prefix", Value::str(self.name.as_str())),
                ]
                .into(),
            ),
            ..LogConfiguration::new("awslogs")
        };
        let ports: Vec<PortMapping> = self
            .port
            .iter()
            .map(|port| PortMapping {
                container_port: Some((*port).into()),
                protocol: Some(Protocol::Tcp.into()),
                ..Default::default()
            })
            .collect();
        ContainerDefinition {
            environment: (!environment.is_empty()).then(|| environment.into()),
            essential: Some(self.essential.into()),
            log_configuration: Some(logs.into()),
            mount_points: (!mounts.is_empty()).then(|| mounts.into()),
            port_mappings: (!ports.is_empty()).then(|| ports.into()),
            readonly_root_filesystem: Some(self.readonly_root_filesystem.into()),
            secrets: (!secrets.is_empty()).then(|| secrets.into()),
            ..ContainerDefinition::new(self.image.as_str(), self.name.as_str())
        }
    }

    /// Image, name, port and writable paths; `property` names the props field in errors
    /// (`container`, `sidecar`).
    pub fn validate(&self, scope: &Scope, property: &str) -> Result<()> {
        if self.image.trim().is_empty() || self.image.chars().any(char::is_whitespace) {
            return Err(scope
                .error(format!("`{}` is not a container image reference", self.image))
                .property(format!("{property}.image"))
                .fix("set the image, e.g. \"public.ecr.aws/nginx/nginx:1.27\""));
        }
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 255
            && self.name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_');
        if !name_ok {
            return Err(scope
                .error(format!("`{}` is not a valid container name", self.name))
                .property(format!("{property}.name"))
                .fix("use 1-255 letters, digits, hyphens and underscores"));
        }
        if self.port == Some(0) {
            return Err(scope
                .error("container port 0 is not a port")
                .property(format!("{property}.port"))
                .fix("use the port the container listens on, e.g. 80 or 8080"));
        }
        let mut volumes = Vec::new();
        for path in &self.writable_paths {
            let ok = path.starts_with('/')
                && path.len() > 1
                && !path.ends_with('/')
                && !path.contains("//")
                && path.chars().all(|ch| ch.is_ascii_alphanumeric() || "/-_.".contains(ch));
            if !ok {
                return Err(scope
                    .error(format!("`{path}` is not a writable path"))
                    .property(format!("{property}.writable_paths"))
                    .fix("use absolute directory paths such as \"/tmp\" or \"/var/cache/nginx\" (not `/`, no trailing `/`)"));
            }
            let name = volume_name(path);
            if volumes.contains(&name) {
                return Err(scope
                    .error(format!("`{path}` is listed twice (volume `{name}`)"))
                    .property(format!("{property}.writable_paths"))
                    .fix("list each path once"));
            }
            volumes.push(name);
        }
        Ok(())
    }
}

/// The task volume behind a writable path: `/var/cache/nginx` → `var-cache-nginx`.
pub(super) fn volume_name(path: &str) -> String {
    path.trim_matches('/').replace(['/', '.'], "-")
}

/// `arn:<partition>:ecr:<region>:<account>:repository/<repo>` for a private ECR image.
pub(super) fn ecr_repository_arn(image: &str) -> Option<Value> {
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
