//! SQS queues: encrypted, TLS-only, with a dead-letter queue by default, retained where
//! the environment keeps data; validation of the props; grants on exactly the queue.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::sqs::{DeadLetter, Queue, QueueProps};
use common::{assert_refused, retained_stack, role, stack};
use serde_json::json;

#[test]
fn a_queue_is_encrypted_has_a_dead_letter_queue_and_denies_insecure_transport() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let queue = Queue::new(&stack, "Jobs", QueueProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let id = queue.cfn_queue().unwrap().logical_id();
    let dlq = queue.cfn_dead_letter_queue().unwrap().logical_id();
    template.resource_count_is("AWS::SQS::Queue", 2);
    template.all_resources_properties(
        "AWS::SQS::Queue",
        json!({ "SqsManagedSseEnabled": true, "QueueName": Match::absent() }),
    );
    template.has_resource_properties(
        "AWS::SQS::Queue",
        json!({
            "ReceiveMessageWaitTimeSeconds": 20,
            "RedrivePolicy": { "deadLetterTargetArn": { "Fn::GetAtt": [dlq, "Arn"] }, "maxReceiveCount": 5 },
        }),
    );
    template.has_resource_properties(
        "AWS::SQS::Queue",
        json!({ "MessageRetentionPeriod": 1_209_600, "RedrivePolicy": Match::absent() }),
    );
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        json!({
            "Queues": [{ "Ref": id }, { "Ref": dlq }],
            "PolicyDocument": { "Statement": Match::exact(json!([{
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": { "AWS": "*" },
                "Action": "sqs:*",
                "Resource": [{ "Fn::GetAtt": [id, "Arn"] }, { "Fn::GetAtt": [dlq, "Arn"] }],
                "Condition": { "Bool": { "aws:SecureTransport": false } },
            }])) },
        }),
    );
}

#[test]
fn both_queues_are_deleted_without_retained_data_and_retained_with_it() {
    // GIVEN
    let (dev, prod) = (stack("data"), retained_stack("data"));

    // WHEN
    Queue::new(&dev, "Jobs", QueueProps::default()).unwrap();
    Queue::new(&prod, "Jobs", QueueProps::default()).unwrap();

    // THEN
    Template::from_tree_stack(&dev).all_resources("AWS::SQS::Queue", json!({ "DeletionPolicy": "Delete" }));
    Template::from_tree_stack(&prod).all_resources(
        "AWS::SQS::Queue",
        json!({ "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain" }),
    );
}

#[test]
fn a_queue_without_dead_letter_has_no_redrive_policy() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let props = QueueProps {
        dead_letter: None,
        ..Default::default()
    };
    let queue = Queue::new(&stack, "Dlq", props).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.resource_count_is("AWS::SQS::Queue", 1);
    template.has_resource_properties("AWS::SQS::Queue", json!({ "RedrivePolicy": Match::absent() }));
    assert!(queue.dead_letter_queue().is_none());
}

#[test]
fn props_out_of_range_are_refused_naming_the_prop() {
    // GIVEN
    let stack = stack("data");
    let refused = |id: &str, props: QueueProps| Queue::new(&stack, id, props).err().expect("refused");

    // WHEN
    let visibility = refused(
        "A",
        QueueProps {
            visibility_timeout_seconds: 43_201,
            ..Default::default()
        },
    );
    let retention = refused(
        "B",
        QueueProps {
            retention_seconds: 59,
            ..Default::default()
        },
    );
    let wait = refused(
        "C",
        QueueProps {
            receive_wait_seconds: 21,
            ..Default::default()
        },
    );
    let receives = refused(
        "D",
        QueueProps {
            dead_letter: Some(DeadLetter {
                max_receive_count: 0,
                ..Default::default()
            }),
            ..Default::default()
        },
    );

    // THEN
    assert_refused(&visibility, "dev/data/A", "visibility_timeout_seconds", "43201 is out of range");
    assert_refused(&retention, "dev/data/B", "retention_seconds", "59 is out of range");
    assert_refused(&wait, "dev/data/C", "receive_wait_seconds", "21 is out of range");
    assert_refused(&receives, "dev/data/D", "dead_letter.max_receive_count", "0 is out of range");
}

#[test]
fn a_dead_letter_queue_that_keeps_messages_less_long_than_its_queue_is_refused() {
    // GIVEN
    let stack = stack("data");
    let short = DeadLetter {
        retention_seconds: 86_400,
        ..Default::default()
    };

    // WHEN
    let standard = QueueProps {
        retention_seconds: 345_600,
        dead_letter: Some(short),
        ..Default::default()
    };
    let err = Queue::new(&stack, "Jobs", standard).err().expect("refused");
    // FIFO queues restart a moved message's age: nothing expires early there.
    let fifo = QueueProps {
        fifo: true,
        retention_seconds: 345_600,
        dead_letter: Some(short),
        ..Default::default()
    };
    Queue::new(&stack, "Orders", fifo).unwrap();

    // THEN
    assert_refused(
        &err,
        "dev/data/Jobs",
        "dead_letter.retention_seconds",
        "the dead-letter queue keeps messages 86400 s, less than the queue's 345600 s",
    );
}

#[test]
fn an_existing_queue_with_a_bad_arn_is_refused_with_the_reason() {
    // GIVEN
    let stack = stack("service");

    // WHEN
    let err = Queue::from_arn(&stack, "Orders", "arn:aws:sns:eu-west-1:123456789012:orders")
        .err()
        .expect("refused");

    // THEN
    assert_refused(&err, "dev/service/Orders", "queue_arn", "its service is not `sqs`");
}

#[test]
fn each_grant_gives_its_exact_actions_on_the_queue_arn_only() {
    // GIVEN
    let stack = stack("data");
    let queue = Queue::new(&stack, "Jobs", QueueProps::default()).unwrap();
    let (producer, consumer, both) = (role(&stack, "Producer"), role(&stack, "Consumer"), role(&stack, "Both"));

    // WHEN
    queue.grant_send_messages(&producer).unwrap();
    queue.grant_consume_messages(&consumer).unwrap();
    queue.grant_send_consume(&both).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    let arn = json!({ "Fn::GetAtt": [queue.cfn_queue().unwrap().logical_id(), "Arn"] });
    for (grantee, actions) in [
        (&producer, json!(["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"])),
        (
            &consumer,
            json!([
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl"
            ]),
        ),
        (
            &both,
            json!([
                "sqs:SendMessage",
                "sqs:ReceiveMessage",
                "sqs:ChangeMessageVisibility",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:GetQueueUrl"
            ]),
        ),
    ] {
        template.has_resource_properties(
            "AWS::IAM::Policy",
            json!({
                "Roles": [{ "Ref": grantee.cfn_role().logical_id() }],
                "PolicyDocument": { "Statement": Match::exact(json!([
                    { "Effect": "Allow", "Action": actions, "Resource": arn },
                ])) },
            }),
        );
    }
}

#[test]
fn a_grant_on_an_existing_queue_names_its_arn() {
    // GIVEN
    let stack = stack("service");
    let queue = Queue::from_arn(&stack, "Orders", "arn:aws:sqs:eu-west-1:123456789012:orders").unwrap();
    let producer = role(&stack, "Producer");

    // WHEN
    queue.grant_send_messages(&producer).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.resource_count_is("AWS::SQS::Queue", 0);
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({ "PolicyDocument": { "Statement": [{
            "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
            "Resource": "arn:aws:sqs:eu-west-1:123456789012:orders",
        }] } }),
    );
}
