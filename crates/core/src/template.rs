//! The CloudFormation template model: what a stack holds before synthesis.
//!
//! Insertion order is kept everywhere (indexmap), so the same code always
//! synthesizes byte-identical templates.

use crate::ordered::OrderedMap;

use crate::value::{ResourceRef, Value};

/// `DeletionPolicy` / `UpdateReplacePolicy` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemovalPolicy {
    /// `Delete`: the resource and its data are deleted.
    Delete,
    /// `Retain`: the resource is kept, outside the stack.
    Retain,
    /// `Snapshot`: a final snapshot is taken, then the resource is deleted.
    Snapshot,
    /// `RetainExceptOnCreate`: kept, unless the stack's creation failed.
    RetainExceptOnCreate,
}

impl RemovalPolicy {
    /// The policy's name as in a template.
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
    /// A resource of the tree (in another stack: a stack dependency).
    Resource(ResourceRef),
    /// A logical ID written as is.
    LogicalId(String),
}

/// One resource of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// `AWS::S3::Bucket`.
    pub resource_type: String,
    /// `Properties`, in the order written.
    pub properties: OrderedMap<String, Value>,
    /// `DependsOn`.
    pub depends_on: Vec<DependsOn>,
    /// `DeletionPolicy`.
    pub deletion_policy: Option<RemovalPolicy>,
    /// `UpdateReplacePolicy`.
    pub update_replace_policy: Option<RemovalPolicy>,
    /// `Condition`: the name of a condition of the template.
    pub condition: Option<String>,
    /// `Metadata`.
    pub metadata: OrderedMap<String, Value>,
}

impl Resource {
    /// A resource of this type without properties.
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

    /// Adds an explicit dependency on another resource of the same stack.
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

    /// Creates the resource only when the named condition holds.
    pub fn condition(mut self, name: impl Into<String>) -> Self {
        self.condition = Some(name.into());
        self
    }
}

/// A template parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// `Type` (`String`, `Number`, `AWS::EC2::VPC::Id`...).
    pub param_type: String,
    /// `Description`.
    pub description: Option<String>,
    /// `Default`.
    pub default: Option<Value>,
    /// `AllowedValues`.
    pub allowed_values: Vec<Value>,
    /// `NoEcho`: the value is masked in the console and API.
    pub no_echo: bool,
}

impl Parameter {
    /// A parameter of this type.
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
    /// `Value`.
    pub value: Value,
    /// `Description`.
    pub description: Option<String>,
    /// `Export.Name`, when exported.
    pub export_name: Option<Value>,
    /// `Condition`.
    pub condition: Option<String>,
}

impl Output {
    /// An output with this value.
    pub fn new(value: impl Into<Value>) -> Self {
        Output {
            value: value.into(),
            description: None,
            export_name: None,
            condition: None,
        }
    }

    /// Sets the description.
    pub fn description(mut self, d: impl Into<String>) -> Self {
        self.description = Some(d.into());
        self
    }

    /// Exports the output under `name`.
    pub fn export(mut self, name: impl Into<Value>) -> Self {
        self.export_name = Some(name.into());
        self
    }
}

/// CloudFormation's quotas, enforced at synthesis.
pub mod limits {
    /// Resources per template.
    pub const MAX_RESOURCES: usize = 500;
    /// Outputs per template.
    pub const MAX_OUTPUTS: usize = 200;
    /// Parameters per template.
    pub(crate) const MAX_PARAMETERS: usize = 200;
    /// Above this a template must be uploaded to S3 and passed by URL.
    pub const MAX_INLINE_BODY_BYTES: usize = 51_200;
    /// Above this CloudFormation refuses the template even from S3.
    pub(crate) const MAX_BODY_BYTES: usize = 1_000_000;
}
