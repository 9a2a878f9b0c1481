//! IAM: roles, policy statements and grants.
//!
//! Grants add statements with exact actions and exact resource ARNs to the
//! grantee role's default policy (`<Role>/DefaultPolicy`), created on first use.

use std::cell::RefCell;
use std::rc::Rc;

use cairn_cfn::iam::{CfnPolicy, CfnPolicyProps, CfnRole, CfnRoleProps};
use cairn_cfn::Val;
use cairn_core::{Lazy, ResourceRef, Result, Scope, Stack, Value};

use crate::naming::LogicalIdName;

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Allows the actions.
    Allow,
    /// Denies the actions.
    Deny,
}

/// One statement of an IAM policy document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyStatement {
    /// Allow or deny.
    pub effect: Effect,
    /// Actions (`sqs:SendMessage`).
    pub actions: Vec<String>,
    /// Resources (ARNs, or references to them).
    pub resources: Vec<Value>,
    /// `Principal`, for resource policies (bucket, queue); `None` in identity policies.
    pub principal: Option<Value>,
    /// `Condition` block, e.g. `{"Bool": {"aws:SecureTransport": false}}`.
    pub condition: Option<Value>,
    /// The statement's id, if any.
    pub sid: Option<String>,
}

impl PolicyStatement {
    /// An `Allow` statement of exact actions on exact resources.
    pub fn allow(actions: &[&str], resources: Vec<Value>) -> Self {
        PolicyStatement {
            effect: Effect::Allow,
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources,
            principal: None,
            condition: None,
            sid: None,
        }
    }

    /// Denies every request to `resources` that does not use TLS.
    pub fn deny_insecure_transport(actions: &[&str], resources: Vec<Value>) -> Self {
        PolicyStatement {
            effect: Effect::Deny,
            actions: actions.iter().map(|a| a.to_string()).collect(),
            resources,
            principal: Some(Value::map([("AWS", "*")])),
            condition: Some(Value::map([("Bool", Value::map([("aws:SecureTransport", Value::from(false))]))])),
            sid: Some("DenyInsecureTransport".to_string()),
        }
    }

    /// The statement as policy-document JSON.
    pub fn to_value(&self) -> Value {
        let mut v = Value::object();
        if let Some(sid) = &self.sid {
            v = v.with("Sid", sid.as_str());
        }
        v = v.with("Effect", if self.effect == Effect::Allow { "Allow" } else { "Deny" });
        if let Some(p) = &self.principal {
            v = v.with("Principal", p.clone());
        }
        v = v.with("Action", one_or_many(self.actions.iter().map(|a| Value::str(a.as_str())).collect()));
        v = v.with("Resource", one_or_many(self.resources.clone()));
        if let Some(c) = &self.condition {
            v = v.with("Condition", c.clone());
        }
        v
    }
}

fn one_or_many(mut items: Vec<Value>) -> Value {
    if items.len() == 1 {
        items.remove(0)
    } else {
        Value::List(items)
    }
}

/// A policy document from statements.
pub fn policy_document(statements: &[PolicyStatement]) -> Value {
    Value::map([
        ("Version", Value::str("2012-10-17")),
        ("Statement", Value::List(statements.iter().map(PolicyStatement::to_value).collect())),
    ])
}

/// Who may assume a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServicePrincipal {
    /// `ecs-tasks.amazonaws.com`.
    EcsTasks,
    /// `vpc-flow-logs.amazonaws.com`.
    VpcFlowLogs,
    /// `monitoring.rds.amazonaws.com` (RDS Enhanced Monitoring).
    RdsMonitoring,
    /// Any other service principal.
    Other(String),
}

impl ServicePrincipal {
    /// The principal's name (`ecs-tasks.amazonaws.com`).
    pub fn name(&self) -> &str {
        match self {
            ServicePrincipal::EcsTasks => "ecs-tasks.amazonaws.com",
            ServicePrincipal::VpcFlowLogs => "vpc-flow-logs.amazonaws.com",
            ServicePrincipal::RdsMonitoring => "monitoring.rds.amazonaws.com",
            ServicePrincipal::Other(s) => s,
        }
    }
}

/// Props of a [`Role`].
#[derive(Debug, Clone)]
pub struct RoleProps {
    /// The service that assumes the role.
    pub assumed_by: ServicePrincipal,
    /// The role's description.
    pub description: Option<String>,
}

/// An IAM role with a default policy that grants fill.
#[derive(Clone)]
pub struct Role {
    scope: Scope,
    role: CfnRole,
    statements: Rc<RefCell<Vec<PolicyStatement>>>,
    policy: Rc<RefCell<Option<CfnPolicy>>>,
    managed: Rc<RefCell<Vec<String>>>,
}

impl Role {
    /// Attaches the AWS-managed policy `name` (`service-role/AmazonRDSEnhancedMonitoringRole`).
    /// Only for AWS's service-role policies that exist for exactly one service's role: AWS
    /// keeps them current as the service changes; everything else goes through grants.
    pub fn add_aws_managed_policy(&self, name: &str) -> Result<()> {
        let valid = !name.is_empty() && !name.starts_with('/') && name.chars().all(|c| c.is_ascii_alphanumeric() || "/-_+=,.@".contains(c));
        if !valid {
            return Err(self
                .scope
                .error(format!("`{name}` is not an AWS-managed policy name"))
                .property("managed_policy")
                .fix("give the name after arn:aws:iam::aws:policy/, e.g. service-role/AmazonRDSEnhancedMonitoringRole"));
        }
        let mut managed = self.managed.borrow_mut();
        if !managed.iter().any(|m| m == name) {
            managed.push(name.to_string());
        }
        let arns: Vec<Value> = managed
            .iter()
            .map(|m| Value::sub(format!("arn:${{AWS::Partition}}:iam::aws:policy/{m}")))
            .collect();
        self.role.set(CfnRole::MANAGED_POLICY_ARNS, Value::List(arns))
    }

    /// Adds the role `id` under `scope`.
    pub fn new(scope: impl Into<Scope>, id: &str, props: RoleProps) -> Result<Role> {
        let scope = scope.into().child(id)?;
        let trust = Value::map([
            ("Version", Value::str("2012-10-17")),
            (
                "Statement",
                Value::list([Value::map([
                    ("Effect", Value::str("Allow")),
                    ("Principal", Value::map([("Service", props.assumed_by.name())])),
                    ("Action", Value::str("sts:AssumeRole")),
                ])]),
            ),
        ]);
        let role = CfnRole::new(
            &scope,
            "Resource",
            CfnRoleProps {
                description: props.description.map(Into::into),
                ..CfnRoleProps::new(trust)
            },
        )?;
        Ok(Role {
            scope,
            role,
            statements: Rc::new(RefCell::new(Vec::new())),
            policy: Rc::new(RefCell::new(None)),
            managed: Rc::new(RefCell::new(Vec::new())),
        })
    }

    /// The role's ARN (`Fn::GetAtt`).
    pub fn arn(&self) -> Value {
        self.role.arn()
    }

    /// The role's name (`Ref`).
    pub fn name(&self) -> Value {
        self.role.r#ref()
    }

    /// The `AWS::IAM::Role` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.role.resource_ref()
    }

    /// The typed `AWS::IAM::Role`, for edits the props do not cover
    /// (`role.cfn_role().set(CfnRole::MAX_SESSION_DURATION, 7200)`).
    pub fn cfn_role(&self) -> &CfnRole {
        &self.role
    }

    /// The stack the role is in.
    pub fn stack(&self) -> &Stack {
        self.scope.stack()
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Adds a statement to the role's default policy (identical statements are kept once).
    pub fn add_to_policy(&self, statement: PolicyStatement) -> Result<()> {
        {
            let mut statements = self.statements.borrow_mut();
            if statements.contains(&statement) {
                return Ok(());
            }
            statements.push(statement);
        }
        if self.policy.borrow().is_some() {
            return Ok(()); // the document reads the statements at synthesis
        }
        // Built once, with values computed at synthesis: the document from every statement
        // granted by then, the name from the policy's logical ID (known once it is added).
        let statements = self.statements.clone();
        let document = Lazy::new(move || Ok(policy_document(&statements.borrow())));
        let name = LogicalIdName::default();
        let policy = CfnPolicy::new(
            &self.scope.child("DefaultPolicy")?,
            "Resource",
            CfnPolicyProps {
                roles: Some(vec![self.role.r#ref()].into()),
                ..CfnPolicyProps::new(Val::from_value(document.into()), name.value())
            },
        )?;
        name.set(policy.logical_id());
        *self.policy.borrow_mut() = Some(policy);
        Ok(())
    }

    /// Statements granted so far.
    pub fn statements(&self) -> Vec<PolicyStatement> {
        self.statements.borrow().clone()
    }

    /// The default policy resource, once a statement was added. Resources that need the
    /// permissions at creation time can depend on it.
    pub fn default_policy(&self) -> Option<ResourceRef> {
        self.policy.borrow().as_ref().map(|p| p.resource_ref().clone())
    }

    /// The typed default policy (`AWS::IAM::Policy`), once a statement was added, for
    /// edits. Its `PolicyDocument` is computed at synthesis from [`Role::statements`], so
    /// add statements with [`Role::add_to_policy`] rather than editing the document.
    pub fn cfn_default_policy(&self) -> Option<CfnPolicy> {
        self.policy.borrow().clone()
    }
}

/// Anything that can be granted permissions: it has a role.
pub trait Grantable {
    /// The role grants add statements to.
    fn grant_role(&self) -> &Role;
}

impl Grantable for Role {
    fn grant_role(&self) -> &Role {
        self
    }
}

/// Grants `actions` on `resources` to `grantee`, refusing grants across environments.
pub fn grant(resource_scope: &Scope, grantee: &dyn Grantable, actions: &[&str], resources: Vec<Value>) -> Result<()> {
    let role = grantee.grant_role();
    if resource_scope.stack().env_key() != role.stack().env_key() {
        let (mine, theirs) = (resource_scope.stack().env_settings().name, role.stack().env_settings().name);
        return Err(resource_scope
            .error(format!(
                "cannot grant access to {}, which is in environment `{theirs}`, not `{mine}`",
                role.scope().full_path()
            ))
            .property("grant")
            .fix("grant to a construct of the same environment"));
    }
    role.add_to_policy(PolicyStatement::allow(actions, resources))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{properties, stack};
    use serde_json::json;

    #[test]
    fn the_default_policy_is_named_after_its_logical_id_and_its_document_holds_every_grant() {
        let (app, stack) = stack("service");
        let role = Role::new(
            &stack,
            "Worker",
            RoleProps {
                assumed_by: ServicePrincipal::EcsTasks,
                description: Some("runs jobs".into()),
            },
        )
        .unwrap();
        assert!(role.cfn_default_policy().is_none());
        role.cfn_role().set(CfnRole::MAX_SESSION_DURATION, 7200).unwrap();
        role.add_to_policy(PolicyStatement::allow(
            &["sqs:SendMessage"],
            vec![Value::str("arn:aws:sqs:eu-west-1:123456789012:a")],
        ))
        .unwrap();
        role.add_to_policy(PolicyStatement::allow(
            &["sqs:SendMessage"],
            vec![Value::str("arn:aws:sqs:eu-west-1:123456789012:b")],
        ))
        .unwrap();
        let policy = role.cfn_default_policy().unwrap();
        let p = properties(&app, "service", policy.logical_id());
        assert_eq!(p["PolicyName"], json!(policy.logical_id()));
        assert_eq!(p["Roles"], json!([{ "Ref": role.cfn_role().logical_id() }]));
        assert_eq!(p["PolicyDocument"]["Statement"].as_array().unwrap().len(), 2, "{p}");
        let r = properties(&app, "service", role.cfn_role().logical_id());
        assert_eq!((&r["Description"], &r["MaxSessionDuration"]), (&json!("runs jobs"), &json!(7200)));
    }
}
