//! A WAFv2 web ACL in front of the load balancer: a resource type without a cairn
//! construct, built with the generated typed layer (`cairn_cfn`).

use cairn_cfn::wafv2::web_acl::{
    AllowAction, DefaultAction, ManagedRuleGroupStatement, OverrideAction, Rule, ScopeType, Statement, VisibilityConfig,
};
use cairn_cfn::wafv2::{CfnWebACL, CfnWebACLAssociation, CfnWebACLAssociationProps, CfnWebACLProps};
use cairn_core::{Result, Scope, Value};

/// AWS's managed core rule set: rules against common web exploits, OWASP Top 10 ones among them.
const COMMON_RULE_SET: &str = "AWSManagedRulesCommonRuleSet";
/// AWS's managed rules against request patterns known to be malicious (Log4j's JNDI
/// lookups among them, CVE-2021-44228).
const KNOWN_BAD_INPUTS: &str = "AWSManagedRulesKnownBadInputsRuleSet";

/// A regional web ACL that blocks what AWS's common and known-bad-inputs rule sets block
/// and allows the rest,
/// associated with one resource (a load balancer, an API Gateway stage…).
#[derive(Debug, Clone)]
pub struct WebAcl {
    acl: CfnWebACL,
    association: CfnWebACLAssociation,
}

impl WebAcl {
    /// `resource_arn`: the ARN of the resource to protect; a load balancer's `Ref` is its ARN.
    pub fn new(scope: impl Into<Scope>, id: &str, resource_arn: impl Into<Value>) -> Result<WebAcl> {
        let scope = scope.into().child(id)?;
        // CloudWatch metric names, e.g. `shop-dev-service-WebAcl`, unique per stack and construct.
        let metric = format!("{}-{}", scope.stack().name(), scope.name_path().replace('/', "-"));
        let metrics = |name: String| VisibilityConfig::new(true, name, true);

        // Each managed rule group's own actions (block) apply: override `None`; `Count` would only count.
        let managed = |group: &str, priority: i64| {
            let statement = Statement {
                managed_rule_group_statement: Some(ManagedRuleGroupStatement::new(group, "AWS").into()),
                ..Default::default()
            };
            Rule {
                override_action: Some(
                    OverrideAction {
                        none: Some(Value::object().into()),
                        ..Default::default()
                    }
                    .into(),
                ),
                ..Rule::new(group, priority, statement, metrics(format!("{metric}-{group}")))
            }
        };
        let rules = vec![managed(COMMON_RULE_SET, 0), managed(KNOWN_BAD_INPUTS, 1)];
        let allow = DefaultAction {
            allow: Some(AllowAction::default().into()),
            ..Default::default()
        };
        let acl = CfnWebACL::new(
            &scope,
            "Resource",
            CfnWebACLProps {
                rules: Some(rules.into()),
                ..CfnWebACLProps::new(allow, ScopeType::Regional, metrics(metric))
            },
        )?;
        let association = CfnWebACLAssociation::new(
            &scope,
            "Association",
            CfnWebACLAssociationProps::new(resource_arn.into(), acl.arn()),
        )?;
        Ok(WebAcl { acl, association })
    }

    /// The web ACL, for references (`arn()`) and edits.
    pub fn cfn_web_acl(&self) -> &CfnWebACL {
        &self.acl
    }

    /// The association with the protected resource.
    pub fn cfn_association(&self) -> &CfnWebACLAssociation {
        &self.association
    }
}
