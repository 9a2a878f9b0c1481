//! SNS topics for alarm notifications: encrypted, TLS-only publishing.

use cairn_cfn::sns::{CfnSubscription, CfnSubscriptionProps, CfnTopic, CfnTopicPolicy, CfnTopicPolicyProps, CfnTopicProps};
use cairn_core::{ResourceRef, Result, Scope, Value};

use crate::iam::{policy_document, PolicyStatement};
use crate::kms::{Key, KeyUse};

/// Props of a [`Topic`].
#[derive(Debug, Clone, Default)]
pub struct TopicProps {
    /// Shown in notifications (e.g. "shop prod alarms").
    pub display_name: Option<String>,
    /// Email addresses subscribed to the topic (each must confirm by mail).
    pub email_subscriptions: Vec<String>,
    /// The environment's customer-managed key; its policy then lets CloudWatch alarms
    /// publish. `None`: the topic is not encrypted at rest, because CloudWatch alarms
    /// cannot publish to a topic encrypted with the AWS-managed `aws/sns` key (its policy
    /// does not admit cloudwatch.amazonaws.com and cannot be changed): notifications
    /// would be lost silently.
    pub encryption_key: Option<Key>,
}

/// An SNS topic for alarm notifications: encrypted with the environment's key when it
/// has one, TLS-only for everyone but CloudWatch.
#[derive(Clone)]
pub struct Topic {
    scope: Scope,
    topic: CfnTopic,
}

impl Topic {
    /// Adds the topic `id` under `scope`.
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
        if let Some(key) = &props.encryption_key {
            key.check_user(&scope)?;
            key.allow(KeyUse::AlarmsToSns);
        }
        let topic = CfnTopic::new(
            &scope,
            "Resource",
            CfnTopicProps {
                display_name: props.display_name.clone().map(Into::into),
                kms_master_key_id: props.encryption_key.as_ref().map(|k| k.arn().into()),
                ..Default::default()
            },
        )?;
        // CloudWatch publishes alarm notifications; everyone else must use TLS.
        let allow_cloudwatch = PolicyStatement {
            sid: Some("AllowCloudWatchAlarms".into()),
            principal: Some(Value::map([("Service", "cloudwatch.amazonaws.com")])),
            condition: Some(Value::map([(
                "StringEquals",
                Value::map([("aws:SourceAccount", Value::account_id())]),
            )])),
            ..PolicyStatement::allow(&["sns:Publish"], vec![topic.r#ref()])
        };
        let tls_only = PolicyStatement::deny_insecure_transport(&["sns:Publish"], vec![topic.r#ref()]);
        CfnTopicPolicy::new(
            &scope,
            "Policy",
            CfnTopicPolicyProps::new(policy_document(&[allow_cloudwatch, tls_only]), vec![topic.resource_ref()]),
        )?;
        for (i, email) in props.email_subscriptions.iter().enumerate() {
            CfnSubscription::new(
                &scope,
                &format!("Email{}", i + 1),
                CfnSubscriptionProps {
                    endpoint: Some(email.as_str().into()),
                    ..CfnSubscriptionProps::new("email", topic.resource_ref())
                },
            )?;
        }
        Ok(Topic { scope, topic })
    }

    /// The topic's ARN (`Ref`).
    pub fn arn(&self) -> Value {
        self.topic.r#ref()
    }

    /// The topic's name (`Fn::GetAtt`).
    pub fn name(&self) -> Value {
        self.topic.topic_name()
    }

    /// The `AWS::SNS::Topic` resource.
    pub fn resource(&self) -> &ResourceRef {
        self.topic.resource_ref()
    }

    /// The underlying `AWS::SNS::Topic`, for edits the props do not cover
    /// (`cfn_topic().set(CfnTopic::TRACING_CONFIG, ..)`).
    pub fn cfn_topic(&self) -> &CfnTopic {
        &self.topic
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }
}
