//! The CloudFormation template model: what a stack holds before synthesis.
//!
//! Insertion order is kept everywhere (indexmap), so the same code always
//! synthesizes byte-identical templates.

use crate::ordered::OrderedMap;

use crate::value::{ResourceRef, Value};

/// `DeletionPolicy` / `UpdateReplacePolicy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalPolicy {
    Delete,
    Retain,
    Snapshot,
    RetainExceptOnCreate,
}

impl RemovalPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RemovalPolicy::Delete => "Delete",
            RemovalPolicy::Retain => "Retain",
            RemovalPolicy::Snapshot => "Snapshot",
            RemovalPolicy::RetainExceptOnCreate => "RetainExceptOnCreate",
        }
    }
}

/// A dependency of a resource: another resource of the tree, or a logical ID in
/// the same stack. A dependency on a resource in another stack becomes a stack
/// dependency (CloudFormation cannot express it inside one template).
#[derive(Debug, Clone, PartialEq)]
pub enum DependsOn {
    Resource(ResourceRef),
    LogicalId(String),
}

/// One resource of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub resource_type: String,
    pub properties: OrderedMap<String, Value>,
    pub depends_on: Vec<DependsOn>,
    pub deletion_policy: Option<RemovalPolicy>,
    pub update_replace_policy: Option<RemovalPolicy>,
    pub condition: Option<String>,
    pub metadata: OrderedMap<String, Value>,
}

impl Resource {
    pub fn new(resource_type: impl Into<String>) -> Self {
        Resource {
            resource_type: resource_type.into(),
            properties: OrderedMap::default(),
            depends_on: Vec::new(),
            deletion_policy: None,
            update_replace_policy: None,
            condition: None,
            metadata: OrderedMap::default(),
        }
    }

    /// Builder: set a property.
    pub fn prop(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.properties.insert(name.to_string(), value.into());
        self
    }

    /// Builder: set a property when `value` is `Some`.
    pub fn prop_opt<V: Into<Value>>(mut self, name: &str, value: Option<V>) -> Self {
        if let Some(v) = value {
            self.properties.insert(name.to_string(), v.into());
        }
        self
    }

    pub fn depends_on(mut self, dep: &ResourceRef) -> Self {
        self.depends_on.push(DependsOn::Resource(dep.clone()));
        self
    }

    /// Builder: both `DeletionPolicy` and `UpdateReplacePolicy`.
    pub fn removal_policy(mut self, policy: RemovalPolicy) -> Self {
        self.deletion_policy = Some(policy);
        self.update_replace_policy = Some(policy);
        self
    }

    pub fn condition(mut self, name: impl Into<String>) -> Self {
        self.condition = Some(name.into());
        self
    }
}

/// A template parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub param_type: String,
    pub description: Option<String>,
    pub default: Option<Value>,
    pub allowed_values: Vec<Value>,
    pub no_echo: bool,
}

impl Parameter {
    pub fn new(param_type: impl Into<String>) -> Self {
        Parameter {
            param_type: param_type.into(),
            description: None,
            default: None,
            allowed_values: Vec::new(),
            no_echo: false,
        }
    }
}

/// A stack output, optionally exported for `Fn::ImportValue`.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub value: Value,
    pub description: Option<String>,
    pub export_name: Option<Value>,
    pub condition: Option<String>,
}

impl Output {
    pub fn new(value: impl Into<Value>) -> Self {
        Output {
            value: value.into(),
            description: None,
            export_name: None,
            condition: None,
        }
    }

    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    pub fn export(mut self, name: impl Into<Value>) -> Self {
        self.export_name = Some(name.into());
        self
    }
}

/// CloudFormation's quotas, enforced at synthesis.
pub mod limits {
    pub const MAX_RESOURCES: usize = 500;
    pub const MAX_OUTPUTS: usize = 200;
    pub const MAX_PARAMETERS: usize = 200;
    /// Above this a template must be uploaded to S3 and passed by URL.
    pub const MAX_INLINE_BODY_BYTES: usize = 51_200;
    /// Above this CloudFormation refuses the template even from S3.
    pub const MAX_BODY_BYTES: usize = 1_000_000;
}
