//! SQS queues: encryption, a dead-letter queue, TLS-only queue policy.

use serde_json::Value as Json;

use crate::model::{denies_insecure_transport, is_true, items, statements, Cx, Res};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const ENCRYPTION: Rule = Rule {
    id: "SQS-ENCRYPTION",
    title: "SQS queues are encrypted at rest",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set SqsManagedSseEnabled: true or a KmsMasterKeyId; cairn's Queue does by default",
};
pub(crate) const DEAD_LETTER: Rule = Rule {
    id: "SQS-DLQ",
    title: "SQS queues have a dead-letter queue (or are one)",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set a RedrivePolicy (QueueProps::dead_letter, on by default) so failing messages are kept aside",
};
pub(crate) const TLS_ONLY: Rule = Rule {
    id: "SQS-TLS-ONLY",
    title: "SQS queues deny requests without TLS",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "add a queue policy statement denying sqs:* when aws:SecureTransport is false; cairn's Queue does",
};

pub(crate) const RULES: &[Rule] = &[ENCRYPTION, DEAD_LETTER, TLS_ONLY];

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    let queues: Vec<&Res> = cx.of_type("AWS::SQS::Queue").collect();
    for q in &queues {
        let kms = q.prop("KmsMasterKeyId").is_some_and(|k| !k.is_null());
        if !(kms || is_true(q.prop("SqsManagedSseEnabled"))) {
            out.add(&ENCRYPTION, q, "queue has neither SSE-SQS (SqsManagedSseEnabled) nor a KMS key");
        }

        let has_dlq = q.prop("RedrivePolicy").is_some_and(|p| dead_letter_target(p).is_some());
        let is_dlq = queues.iter().any(|other| {
            other
                .prop("RedrivePolicy")
                .and_then(dead_letter_target)
                .is_some_and(|t| !other.is(q) && cx.points_to(other.stack, t, q))
        });
        if !(has_dlq || is_dlq) {
            out.add(
                &DEAD_LETTER,
                q,
                "queue has no dead-letter queue and is no queue's dead-letter queue",
            );
        }

        let tls = cx.of_type("AWS::SQS::QueuePolicy").any(|p| {
            items(p.prop("Queues")).into_iter().any(|v| cx.points_to(p.stack, v, q))
                && statements(p.prop("PolicyDocument")).into_iter().any(denies_insecure_transport)
        });
        if !tls {
            out.add(
                &TLS_ONLY,
                q,
                "no queue policy denies requests without TLS (aws:SecureTransport false)",
            );
        }
    }
}

/// `deadLetterTargetArn` of a redrive policy (an object, or a JSON string of one).
fn dead_letter_target(policy: &Json) -> Option<&Json> {
    policy.get("deadLetterTargetArn")
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::testing::{all, check, hits, r};

    /// What cairn's Queue synthesizes: a queue with its dead-letter queue and a TLS-only policy.
    fn queue(main: impl FnOnce(&mut Json)) -> Vec<(&'static str, Json)> {
        let mut p = json!({
            "MessageRetentionPeriod": 345600,
            "SqsManagedSseEnabled": true,
            "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["JobsDlq", "Arn"]}, "maxReceiveCount": 5}
        });
        main(&mut p);
        vec![
            (
                "JobsDlq",
                r(
                    "AWS::SQS::Queue",
                    "data/Jobs/DeadLetterQueue",
                    json!({"KmsMasterKeyId": "alias/aws/sqs"}),
                ),
            ),
            ("Jobs", r("AWS::SQS::Queue", "data/Jobs/Resource", p)),
            (
                "JobsPolicy",
                r(
                    "AWS::SQS::QueuePolicy",
                    "data/Jobs/Policy",
                    json!({"Queues": [{"Ref": "Jobs"}, {"Ref": "JobsDlq"}], "PolicyDocument": {"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sqs:*", "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": false}}}]}}),
                ),
            ),
        ]
    }

    #[test]
    fn compliant_queue_passes_every_rule() {
        assert_eq!(all(&check(true, queue(|_| {}))), Vec::<String>::new());
    }

    #[test]
    fn unencrypted_queue() {
        let report = check(false, queue(|p| p["SqsManagedSseEnabled"] = json!(false)));
        assert_eq!(hits(&report, "SQS-ENCRYPTION"), ["data/Jobs/Resource"]);
        let report = check(
            false,
            queue(|p| p.as_object_mut().unwrap().retain(|k, _| k != "SqsManagedSseEnabled")),
        );
        assert_eq!(hits(&report, "SQS-ENCRYPTION"), ["data/Jobs/Resource"]);
    }

    #[test]
    fn queue_without_dead_letter_queue() {
        // Without the redrive policy, neither the queue nor its former DLQ qualifies.
        let report = check(false, queue(|p| p["RedrivePolicy"] = json!(null)));
        assert_eq!(hits(&report, "SQS-DLQ"), ["data/Jobs/DeadLetterQueue", "data/Jobs/Resource"]);
    }

    #[test]
    fn dead_letter_queue_in_another_stack_counts() {
        use crate::testing::{env_of, stack, stack_with};
        let data = stack_with(
            "data",
            vec![(
                "Dlq",
                r("AWS::SQS::Queue", "data/Dlq/Resource", json!({"SqsManagedSseEnabled": true})),
            )],
            json!({"ExportsOutputFnGetAttDlqArn": {"Value": {"Fn::GetAtt": ["Dlq", "Arn"]}, "Export": {"Name": "app-test-data:ExportsOutputFnGetAttDlqArn"}}}),
        );
        let service = stack(
            "service",
            vec![(
                "Work",
                r(
                    "AWS::SQS::Queue",
                    "service/Work/Resource",
                    json!({"SqsManagedSseEnabled": true, "RedrivePolicy": {"deadLetterTargetArn": {"Fn::ImportValue": "app-test-data:ExportsOutputFnGetAttDlqArn"}, "maxReceiveCount": 3}}),
                ),
            )],
        );
        let report = crate::check_env(&env_of(false, vec![data, service])).unwrap();
        assert!(hits(&report, "SQS-DLQ").is_empty());
        assert_eq!(hits(&report, "SQS-TLS-ONLY"), ["data/Dlq/Resource", "service/Work/Resource"]);
    }

    #[test]
    fn queue_without_tls_policy() {
        let mut resources = queue(|_| {});
        resources[2].1["Properties"]["Queues"] = json!([{"Ref": "JobsDlq"}]);
        assert_eq!(hits(&check(false, resources), "SQS-TLS-ONLY"), ["data/Jobs/Resource"]);
    }
}
