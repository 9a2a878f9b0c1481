//! SQS queues: encrypted, TLS-only, with a dead-letter queue by default.

use cairn_core::{RemovalPolicy, Resource, ResourceRef, Result, Scope, Value};

use crate::iam::{grant, policy_document, Grantable, PolicyStatement};
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
    pub encryption: QueueEncryption,
    /// A dead-letter queue for messages that keep failing. `None` only for a queue
    /// that is itself a dead-letter queue of something else.
    pub dead_letter: Option<DeadLetter>,
    /// Deletion/replacement policy. `None`: `Retain` where the environment keeps data.
    pub removal_policy: Option<RemovalPolicy>,
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
        }
    }
}

/// An SQS queue with a TLS-only queue policy and, by default, a dead-letter queue.
#[derive(Clone)]
pub struct Queue {
    scope: Scope,
    queue: ResourceRef,
    dead_letter_queue: Option<ResourceRef>,
}

impl Queue {
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
        check("retention_seconds", props.retention_seconds, 60, 1_209_600)?;
        check("receive_wait_seconds", props.receive_wait_seconds, 0, 20)?;
        let policy = props.removal_policy.unwrap_or_else(|| removal::for_data(&scope));
        let dead_letter_queue = match props.dead_letter {
            Some(dl) => {
                check("dead_letter.max_receive_count", dl.max_receive_count, 1, 1000)?;
                check("dead_letter.retention_seconds", dl.retention_seconds, 60, 1_209_600)?;
                let dlq = queue_resource(&props, dl.retention_seconds).removal_policy(policy);
                Some(scope.add_resource("DeadLetterQueue", dlq)?)
            }
            None => None,
        };
        let mut main = queue_resource(&props, props.retention_seconds)
            .prop("VisibilityTimeout", props.visibility_timeout_seconds)
            .prop("ReceiveMessageWaitTimeSeconds", props.receive_wait_seconds);
        if let (Some(dlq), Some(dl)) = (&dead_letter_queue, props.dead_letter) {
            main = main.prop(
                "RedrivePolicy",
                Value::map([
                    ("deadLetterTargetArn", dlq.get_att("Arn")),
                    ("maxReceiveCount", Value::from(dl.max_receive_count)),
                ]),
            );
        }
        let queue = scope.add_resource("Resource", main.removal_policy(policy))?;
        let mut queues = vec![queue.as_ref()];
        let mut arns = vec![queue.get_att("Arn")];
        if let Some(dlq) = &dead_letter_queue {
            queues.push(dlq.as_ref());
            arns.push(dlq.get_att("Arn"));
        }
        scope.add_resource(
            "Policy",
            Resource::new("AWS::SQS::QueuePolicy").prop("Queues", Value::List(queues)).prop(
                "PolicyDocument",
                policy_document(&[PolicyStatement::deny_insecure_transport(&["sqs:*"], arns)]),
            ),
        )?;
        Ok(Queue {
            scope,
            queue,
            dead_letter_queue,
        })
    }

    pub fn arn(&self) -> Value {
        self.queue.get_att("Arn")
    }

    /// The queue's URL (`Ref`).
    pub fn url(&self) -> Value {
        self.queue.as_ref()
    }

    pub fn name(&self) -> Value {
        self.queue.get_att("QueueName")
    }

    pub fn resource(&self) -> &ResourceRef {
        &self.queue
    }

    pub fn dead_letter_queue(&self) -> Option<&ResourceRef> {
        self.dead_letter_queue.as_ref()
    }

    /// The dead-letter queue's name (the `QueueName` metric dimension), if it has one.
    pub fn dead_letter_queue_name(&self) -> Option<Value> {
        self.dead_letter_queue.as_ref().map(|q| q.get_att("QueueName"))
    }

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
        )
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
        )
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
        )
    }
}

fn queue_resource(props: &QueueProps, retention_seconds: u32) -> Resource {
    let mut r = Resource::new("AWS::SQS::Queue").prop("MessageRetentionPeriod", retention_seconds);
    if props.fifo {
        r = r.prop("FifoQueue", true);
    }
    match props.encryption {
        QueueEncryption::SqsManaged => r.prop("SqsManagedSseEnabled", true),
        QueueEncryption::KmsManaged => r.prop("KmsMasterKeyId", "alias/aws/sqs"),
    }
}
