//! CloudWatch Logs: every log group has a retention period.

use crate::model::{as_i64, Cx};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const RETENTION: Rule = Rule {
    id: "LOGS-RETENTION",
    title: "Log groups have a retention period",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set RetentionInDays (logs.retention_days in the environment file); without it logs are kept, and paid for, forever",
};

pub(crate) const RULES: &[Rule] = &[RETENTION];

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    for group in cx.of_type("AWS::Logs::LogGroup") {
        if as_i64(group.prop("RetentionInDays")).is_none() {
            out.add(&RETENTION, group, "log group keeps logs forever (no RetentionInDays)");
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::testing::{all, check, hits, r};

    #[test]
    fn log_group_with_and_without_retention() {
        let with = check(
            false,
            vec![(
                "Logs",
                r("AWS::Logs::LogGroup", "service/Logs/Resource", json!({"RetentionInDays": 14})),
            )],
        );
        assert_eq!(all(&with), Vec::<String>::new());
        let without = check(false, vec![("Logs", r("AWS::Logs::LogGroup", "service/Logs/Resource", json!({})))]);
        assert_eq!(hits(&without, "LOGS-RETENTION"), ["service/Logs/Resource"]);
    }
}
