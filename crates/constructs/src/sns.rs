//! SNS topics for alarm notifications: encrypted, TLS-only publishing.

use cairn_core::{Resource, ResourceRef, Result, Scope, Value};

use crate::iam::{policy_document, PolicyStatement};

/// Props of a [`Topic`].
#[derive(Debug, Clone, Default)]
pub struct TopicProps {
    /// Shown in notifications (e.g. "shop prod alarms").
    pub display_name: Option<String>,
    /// Email addresses subscribed to the topic (each must confirm by mail).
    pub email_subscriptions: Vec<String>,
}

/// An SNS topic encrypted with the AWS-managed `aws/sns` key.
#[derive(Clone)]
pub struct Topic {
    scope: Scope,
    topic: ResourceRef,
}

impl Topic {
    pub fn new(scope: impl Into<Scope>, id: &str, props: TopicProps) -> Result<Topic> {
        let scope = scope.into().child(id)?;
        for email in &props.email_subscriptions {
            let valid = email
                .split_once('@')
                .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace));
            if !valid {
                return Err(scope
                    .error(format!("`{email}` is not an email address"))
                    .property("email_subscriptions")
                    .fix("use addresses like ops@example.com"));
            }
        }
        let topic = scope.add_resource(
            "Resource",
            Resource::new("AWS::SNS::Topic")
                .prop_opt("DisplayName", props.display_name.clone())
                .prop("KmsMasterKeyId", "alias/aws/sns"),
        )?;
        // CloudWatch publishes alarm notifications; everyone else must use TLS.
        let allow_cloudwatch = PolicyStatement {
            sid: Some("AllowCloudWatchAlarms".into()),
            principal: Some(Value::map([("Service", "cloudwatch.amazonaws.com")])),
            condition: Some(Value::map([(
                "StringEquals",
                Value::map([("aws:SourceAccount", Value::account_id())]),
            )])),
            ..PolicyStatement::allow(&["sns:Publish"], vec![topic.as_ref()])
        };
        let tls_only = PolicyStatement::deny_insecure_transport(&["sns:Publish"], vec![topic.as_ref()]);
        scope.add_resource(
            "Policy",
            Resource::new("AWS::SNS::TopicPolicy")
                .prop("Topics", Value::list([topic.as_ref()]))
                .prop("PolicyDocument", policy_document(&[allow_cloudwatch, tls_only])),
        )?;
        for (i, email) in props.email_subscriptions.iter().enumerate() {
            scope.add_resource(
                &format!("Email{}", i + 1),
                Resource::new("AWS::SNS::Subscription")
                    .prop("TopicArn", topic.as_ref())
                    .prop("Protocol", "email")
                    .prop("Endpoint", email.as_str()),
            )?;
        }
        Ok(Topic { scope, topic })
    }

    /// The topic's ARN (`Ref`).
    pub fn arn(&self) -> Value {
        self.topic.as_ref()
    }

    pub fn name(&self) -> Value {
        self.topic.get_att("TopicName")
    }

    pub fn resource(&self) -> &ResourceRef {
        &self.topic
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}
