//! SQS queues: encrypted, TLS-only, with a dead-letter queue by default.

use cairn_cfn::sqs::{CfnQueue, CfnQueuePolicy, CfnQueuePolicyProps, CfnQueueProps};
use cairn_core::{RemovalPolicy, ResourceRef, Result, Scope, Value};

use crate::iam::{grant, policy_document, Grantable, PolicyStatement};
use crate::kms::{Key, KeyService, KeyUse};
use crate::removal;

/// Server-side encryption of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueueEncryption {
    /// SSE-SQS (keys managed by SQS).
    #[default]
    SqsManaged,
    /// SSE-KMS with the AWS-managed `aws/sqs` key.
    KmsManaged,
}

/// Dead-letter settings of a [`Queue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLetter {
    /// Receives before a message moves to the dead-letter queue (1–1000).
    pub max_receive_count: u32,
    /// How long the dead-letter queue keeps messages, in seconds (60–1,209,600).
    pub retention_seconds: u32,
}

impl Default for DeadLetter {
    fn default() -> Self {
        DeadLetter {
            max_receive_count: 5,
            retention_seconds: 1_209_600,
        }
    }
}

/// Props of a [`Queue`].
#[derive(Debug, Clone)]
pub struct QueueProps {
    /// A FIFO queue (exactly-once, ordered); its dead-letter queue is FIFO too.
    pub fifo: bool,
    /// Seconds a received message stays invisible (0–43,200).
    pub visibility_timeout_seconds: u32,
    /// Seconds a message is kept (60–1,209,600).
    pub retention_seconds: u32,
    /// Long-polling wait for receives, in seconds (0–20).
    pub receive_wait_seconds: u32,
    /// Server-side encryption.
    pub encryption: QueueEncryption,
    /// A dead-letter queue for messages that keep failing. `None` only for a queue
    /// that is itself a dead-letter queue of something else.
    pub dead_letter: Option<DeadLetter>,
    /// Deletion/replacement policy. `None`: `Retain` where the environment keeps data.
    pub removal_policy: Option<RemovalPolicy>,
    /// The environment's customer-managed key, for the queue and its dead-letter queue.
    /// Wins over `encryption`. Changing it applies in place, to new messages.
    pub encryption_key: Option<Key>,
}

impl Default for QueueProps {
    fn default() -> Self {
        QueueProps {
            fifo: false,
            visibility_timeout_seconds: 30,
            retention_seconds: 345_600,
            receive_wait_seconds: 20,
            encryption: QueueEncryption::default(),
            dead_letter: Some(DeadLetter::default()),
            removal_policy: None,
            encryption_key: None,
        }
    }
}

/// An SQS queue with a TLS-only queue policy and, by default, a dead-letter queue; or an
/// existing queue another team owns ([`Queue::from_arn`]).
#[derive(Clone)]
pub struct Queue {
    scope: Scope,
    origin: Origin,
}

/// Where a [`Queue`] comes from.
#[derive(Clone)]
enum Origin {
    /// Created by this app (boxed: typed handles are much larger than an ARN).
    Owned(Box<OwnedQueue>),
    /// An existing queue known by its ARN: nothing in the template.
    Imported(QueueArn),
}

/// The resources of a queue this app creates.
#[derive(Clone)]
struct OwnedQueue {
    queue: CfnQueue,
    dead_letter_queue: Option<CfnQueue>,
    policy: CfnQueuePolicy,
    key: Option<Key>,
}

/// The parts of `arn:<partition>:sqs:<region>:<account>:<name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct QueueArn {
    arn: String,
    region: String,
    account: String,
    name: String,
}

impl QueueArn {
    /// Parses a queue ARN; a message saying what is wrong otherwise.
    fn parse(arn: &str) -> std::result::Result<QueueArn, String> {
        let parts: Vec<&str> = arn.split(':').collect();
        let [prefix, partition, service, region, account, name] = parts[..] else {
            return Err(format!("`{arn}` is not a queue ARN (it needs 6 parts separated by `:`)"));
        };
        let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        let problem = if prefix != "arn" || !word(partition) {
            Some("it must start with `arn:<partition>:`, e.g. `arn:aws:`")
        } else if service != "sqs" {
            Some("its service is not `sqs`")
        } else if !word(region) {
            Some("its region is not a region name such as `eu-west-1`")
        } else if account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
            Some("its account is not a 12-digit account id")
        } else if !valid_queue_name(name) {
            Some("its queue name is not 1-80 letters, digits, `-` and `_` (with `.fifo` at the end of a FIFO queue)")
        } else {
            None
        };
        match problem {
            Some(p) => Err(format!("`{arn}` is not a queue ARN: {p}")),
            None => Ok(QueueArn {
                arn: arn.to_string(),
                region: region.to_string(),
                account: account.to_string(),
                name: name.to_string(),
            }),
        }
    }
}

/// SQS queue names: up to 80 letters, digits, hyphens and underscores; a FIFO queue's ends in `.fifo`.
fn valid_queue_name(name: &str) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    !base.is_empty() && name.len() <= 80 && base.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl Queue {
    /// An existing queue another team owns, by ARN
    /// (`arn:<partition>:sqs:<region>:<account>:<name>`): nothing is added to the
    /// template. Its URL is `https://sqs.<region>.${AWS::URLSuffix}/<account>/<name>`,
    /// and the `grant_*` methods add the same least-privilege statements as for a queue
    /// of this app to the grantee's policy; the queue's own policy stays its owner's.
    pub fn from_arn(scope: impl Into<Scope>, id: &str, queue_arn: &str) -> Result<Queue> {
        let scope = scope.into().child(id)?;
        let arn = QueueArn::parse(queue_arn).map_err(|m| {
            scope
                .error(m)
                .property("queue_arn")
                .fix("use the existing queue's ARN, e.g. `arn:aws:sqs:eu-west-1:123456789012:orders`")
        })?;
        Ok(Queue {
            scope,
            origin: Origin::Imported(arn),
        })
    }

    /// Whether the queue is an existing one from [`Queue::from_arn`].
    pub fn is_imported(&self) -> bool {
        matches!(self.origin, Origin::Imported(_))
    }

    /// Adds the queue `id` (and its dead-letter queue) under `scope`; fails on props SQS would refuse.
    pub fn new(scope: impl Into<Scope>, id: &str, props: QueueProps) -> Result<Queue> {
        let scope = scope.into().child(id)?;
        let check = |prop: &str, value: u32, min: u32, max: u32| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(scope
                    .error(format!("{value} is out of range"))
                    .property(prop.to_string())
                    .fix(format!("use a value from {min} to {max}")))
            }
        };
        check("visibility_timeout_seconds", props.visibility_timeout_seconds, 0, 43_200)?;
        if let Some(key) = &props.encryption_key {
            key.check_user(&scope)?;
            key.allow(KeyUse::Service(KeyService::Sqs));
        }
        check("retention_seconds", props.retention_seconds, 60, 1_209_600)?;
        check("receive_wait_seconds", props.receive_wait_seconds, 0, 20)?;
        let removal_policy = props.removal_policy.unwrap_or_else(|| removal::for_data(&scope));
        let dead_letter_queue = match props.dead_letter {
            Some(dl) => {
                check("dead_letter.max_receive_count", dl.max_receive_count, 1, 1000)?;
                check("dead_letter.retention_seconds", dl.retention_seconds, 60, 1_209_600)?;
                // A standard queue's message keeps its first enqueue time in the dead-letter
                // queue, so a shorter retention there deletes failed messages early.
                if !props.fifo && dl.retention_seconds < props.retention_seconds {
                    return Err(scope
                        .error(format!(
                            "the dead-letter queue keeps messages {} s, less than the queue's {} s: a message's age counts from its first enqueue, so failed messages would expire early",
                            dl.retention_seconds, props.retention_seconds
                        ))
                        .property("dead_letter.retention_seconds")
                        .fix("keep dead-letter messages at least as long as the queue does (default 1209600 s, 14 days)"));
                }
                let dlq = CfnQueue::new(&scope, "DeadLetterQueue", queue_props(&props, dl.retention_seconds))?;
                dlq.apply_removal_policy(removal_policy)?;
                Some(dlq)
            }
            None => None,
        };
        // `RedrivePolicy` is free-form JSON in the schema; its keys are SQS's own.
        let redrive_policy = match (&dead_letter_queue, props.dead_letter) {
            (Some(dlq), Some(dl)) => Some(
                Value::map([
                    ("deadLetterTargetArn", dlq.arn()),
                    ("maxReceiveCount", Value::from(dl.max_receive_count)),
                ])
                .into(),
            ),
            _ => None,
        };
        let queue = CfnQueue::new(
            &scope,
            "Resource",
            CfnQueueProps {
                visibility_timeout: Some(props.visibility_timeout_seconds.into()),
                receive_message_wait_time_seconds: Some(props.receive_wait_seconds.into()),
                redrive_policy,
                ..queue_props(&props, props.retention_seconds)
            },
        )?;
        queue.apply_removal_policy(removal_policy)?;
        let mut queues = vec![queue.r#ref()];
        let mut arns = vec![queue.arn()];
        if let Some(dlq) = &dead_letter_queue {
            queues.push(dlq.r#ref());
            arns.push(dlq.arn());
        }
        let tls_only = policy_document(&[PolicyStatement::deny_insecure_transport(&["sqs:*"], arns)]);
        let policy = CfnQueuePolicy::new(&scope, "Policy", CfnQueuePolicyProps::new(tls_only, queues))?;
        Ok(Queue {
            scope,
            origin: Origin::Owned(Box::new(OwnedQueue {
                queue,
                dead_letter_queue,
                policy,
                key: props.encryption_key.clone(),
            })),
        })
    }

    /// The queue's ARN (`Fn::GetAtt`).
    pub fn arn(&self) -> Value {
        match &self.origin {
            Origin::Owned(owned) => owned.queue.arn(),
            Origin::Imported(a) => Value::str(a.arn.as_str()),
        }
    }

    /// The queue's URL (`Ref`; for an existing queue built from its ARN, as the AWS CDK does).
    pub fn url(&self) -> Value {
        match &self.origin {
            Origin::Owned(owned) => owned.queue.r#ref(),
            Origin::Imported(a) => Value::sub(format!("https://sqs.{}.${{AWS::URLSuffix}}/{}/{}", a.region, a.account, a.name)),
        }
    }

    /// The queue's name (`Fn::GetAtt`, or the name of an imported queue).
    pub fn name(&self) -> Value {
        match &self.origin {
            Origin::Owned(owned) => owned.queue.queue_name(),
            Origin::Imported(a) => Value::str(a.name.as_str()),
        }
    }

    /// The `AWS::SQS::Queue` resource, for escape hatches ([`cairn_core::Stack::add_override`]).
    /// An existing queue ([`Queue::from_arn`]) has none: that is an error.
    pub fn resource(&self) -> Result<&ResourceRef> {
        self.cfn_queue().map(|q| q.resource_ref())
    }

    /// The typed `AWS::SQS::Queue`, for edits the props do not cover
    /// (`queue.cfn_queue()?.set(CfnQueue::DELAY_SECONDS, 5)`). An existing queue
    /// ([`Queue::from_arn`]) has none: that is an error.
    pub fn cfn_queue(&self) -> Result<&CfnQueue> {
        match &self.origin {
            Origin::Owned(owned) => Ok(&owned.queue),
            Origin::Imported(a) => Err(crate::imported::no_resource(&self.scope, "queue", &a.arn)),
        }
    }

    /// The typed `AWS::SQS::QueuePolicy` (the TLS-only policy of the queue and its
    /// dead-letter queue), for edits. An existing queue has none: that is an error.
    pub fn cfn_queue_policy(&self) -> Result<&CfnQueuePolicy> {
        match &self.origin {
            Origin::Owned(owned) => Ok(&owned.policy),
            Origin::Imported(a) => Err(crate::imported::no_resource(&self.scope, "queue", &a.arn)),
        }
    }

    /// The dead-letter queue this app created for the queue, if any (never for an existing queue).
    pub fn dead_letter_queue(&self) -> Option<&ResourceRef> {
        self.cfn_dead_letter_queue().map(|q| q.resource_ref())
    }

    /// The typed dead-letter queue this app created for the queue, for edits; `None` without
    /// one (and always for an existing queue).
    pub fn cfn_dead_letter_queue(&self) -> Option<&CfnQueue> {
        match &self.origin {
            Origin::Owned(owned) => owned.dead_letter_queue.as_ref(),
            Origin::Imported(_) => None,
        }
    }

    /// The dead-letter queue's name (the `QueueName` metric dimension), if it has one.
    pub fn dead_letter_queue_name(&self) -> Option<Value> {
        self.cfn_dead_letter_queue().map(CfnQueue::queue_name)
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Send messages.
    pub fn grant_send_messages(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(
            &self.scope,
            grantee,
            &["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            vec![self.arn()],
        )?;
        self.grant_key(grantee, &["kms:Decrypt", "kms:GenerateDataKey"])
    }

    /// Receive and delete messages.
    pub fn grant_consume_messages(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(
            &self.scope,
            grantee,
            &[
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
            ],
            vec![self.arn()],
        )?;
        self.grant_key(grantee, &["kms:Decrypt"])
    }

    /// Send, receive and delete messages.
    pub fn grant_send_consume(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(
            &self.scope,
            grantee,
            &[
                "sqs:SendMessage",
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl",
            ],
            vec![self.arn()],
        )?;
        self.grant_key(grantee, &["kms:Decrypt", "kms:GenerateDataKey"])
    }

    /// With a customer-managed key, what SQS calls on it for the grantee.
    fn grant_key(&self, grantee: &dyn Grantable, actions: &[&str]) -> Result<()> {
        match &self.origin {
            Origin::Owned(owned) => match &owned.key {
                Some(key) => key.grant(grantee, actions, KeyService::Sqs),
                None => Ok(()),
            },
            Origin::Imported(_) => Ok(()),
        }
    }
}

/// What a queue and its dead-letter queue share: retention, FIFO and encryption.
fn queue_props(props: &QueueProps, retention_seconds: u32) -> CfnQueueProps {
    let (sqs_managed_sse_enabled, kms_master_key_id) = match (&props.encryption_key, props.encryption) {
        (Some(key), _) => (None, Some(key.arn().into())),
        (None, QueueEncryption::SqsManaged) => (Some(true.into()), None),
        (None, QueueEncryption::KmsManaged) => (None, Some("alias/aws/sqs".into())),
    };
    CfnQueueProps {
        message_retention_period: Some(retention_seconds.into()),
        fifo_queue: props.fifo.then_some(true.into()),
        sqs_managed_sse_enabled,
        kms_master_key_id,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{properties, stack};
    use serde_json::json;

    #[test]
    fn a_fifo_kms_queue_passes_the_schema_check_and_its_typed_queues_take_edits() {
        let (app, stack) = stack("data");
        let props = QueueProps {
            fifo: true,
            encryption: QueueEncryption::KmsManaged,
            ..Default::default()
        };
        let queue = Queue::new(&stack, "Jobs", props).unwrap();
        queue.cfn_queue().unwrap().set(CfnQueue::DELAY_SECONDS, 5).unwrap();
        let dlq = queue.cfn_dead_letter_queue().unwrap().logical_id().to_string();
        let main = properties(&app, "data", queue.cfn_queue().unwrap().logical_id());
        for p in [&main, &properties(&app, "data", &dlq)] {
            assert_eq!(
                (&p["FifoQueue"], &p["KmsMasterKeyId"]),
                (&json!(true), &json!("alias/aws/sqs")),
                "{p}"
            );
            assert!(p.get("SqsManagedSseEnabled").is_none(), "{p}");
        }
        assert_eq!(main["DelaySeconds"], json!(5));
        assert_eq!(main["RedrivePolicy"]["deadLetterTargetArn"], json!({ "Fn::GetAtt": [dlq, "Arn"] }));
        let policy = properties(&app, "data", queue.cfn_queue_policy().unwrap().logical_id());
        assert_eq!(policy["Queues"].as_array().unwrap().len(), 2, "{policy}");
    }

    #[test]
    fn an_existing_queue_has_no_typed_resource() {
        let (_app, stack) = stack("data");
        let queue = Queue::from_arn(&stack, "Orders", "arn:aws:sqs:eu-west-1:123456789012:orders").unwrap();
        let err = queue.cfn_queue().unwrap_err().to_string();
        assert!(err.contains("existing queue"), "{err}");
        assert!(queue.cfn_queue_policy().is_err());
        assert!(queue.cfn_dead_letter_queue().is_none());
    }

    #[test]
    fn queue_arns_are_parsed_or_refused_with_the_reason() {
        let a = QueueArn::parse("arn:aws:sqs:eu-west-1:123456789012:orders.fifo").unwrap();
        assert_eq!(
            (a.region.as_str(), a.account.as_str(), a.name.as_str()),
            ("eu-west-1", "123456789012", "orders.fifo")
        );
        for (arn, reason) in [
            ("arn:aws:sqs:eu-west-1:123456789012", "6 parts"),
            ("arn:aws:sns:eu-west-1:123456789012:orders", "service is not `sqs`"),
            ("arn:aws:sqs:EU:123456789012:orders", "region"),
            ("arn:aws:sqs:eu-west-1:1234:orders", "12-digit"),
            ("arn:aws:sqs:eu-west-1:123456789012:or ders", "queue name"),
            ("arn:aws:sqs:eu-west-1:123456789012:.fifo", "queue name"),
            ("urn:aws:sqs:eu-west-1:123456789012:orders", "must start with"),
        ] {
            let err = QueueArn::parse(arn).unwrap_err();
            assert!(err.contains(reason), "{arn}: {err}");
        }
    }
}
