//! DynamoDB tables: point-in-time recovery, encryption, deletion protection.

use crate::model::{is_true, Cx};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const PITR: Rule = Rule {
    id: "DDB-PITR",
    title: "DynamoDB tables have point-in-time recovery",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled (TableProps::point_in_time_recovery, on by default)",
};
pub(crate) const ENCRYPTION: Rule = Rule {
    id: "DDB-ENCRYPTION",
    title: "DynamoDB tables are encrypted with a KMS key",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set SSESpecification.SSEEnabled: true (AWS-managed or customer KMS key); cairn's Table does",
};
pub(crate) const DELETION_PROTECTION: Rule = Rule {
    id: "DDB-DELETION-PROTECTION",
    title: "DynamoDB tables have deletion protection where data is kept",
    severity: Severity::Error,
    applies_to: AppliesTo::RetainDataOnly,
    fix: "set DeletionProtectionEnabled: true (TableProps::deletion_protection: None turns it on where retain_data is set)",
};

pub(crate) const RULES: &[Rule] = &[PITR, ENCRYPTION, DELETION_PROTECTION];

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    for t in cx.of_type("AWS::DynamoDB::Table") {
        if !is_true(
            t.prop("PointInTimeRecoverySpecification")
                .and_then(|p| p.get("PointInTimeRecoveryEnabled")),
        ) {
            out.add(&PITR, t, "point-in-time recovery is off");
        }
        if !is_true(t.prop("SSESpecification").and_then(|p| p.get("SSEEnabled"))) {
            out.add(
                &ENCRYPTION,
                t,
                "SSESpecification.SSEEnabled is not true (only the AWS-owned key, no KMS audit trail)",
            );
        }
        if !is_true(t.prop("DeletionProtectionEnabled")) {
            out.add(
                &DELETION_PROTECTION,
                t,
                "deletion protection is off in an environment that keeps data",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::testing::{all, check, hits, r};

    /// What cairn's Table synthesizes where data is kept.
    fn table(change: impl FnOnce(&mut Json)) -> Vec<(&'static str, Json)> {
        let mut p = json!({
            "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "SSESpecification": {"SSEEnabled": true},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true},
            "DeletionProtectionEnabled": true
        });
        change(&mut p);
        vec![("Orders", r("AWS::DynamoDB::Table", "data/Orders/Resource", p))]
    }

    #[test]
    fn compliant_table_passes_every_rule() {
        assert_eq!(all(&check(true, table(|_| {}))), Vec::<String>::new());
    }

    #[test]
    fn table_without_pitr() {
        let report = check(
            false,
            table(|p| p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] = json!(false)),
        );
        assert_eq!(hits(&report, "DDB-PITR"), ["data/Orders/Resource"]);
    }

    #[test]
    fn table_without_sse() {
        let report = check(false, table(|p| p.as_object_mut().unwrap().retain(|k, _| k != "SSESpecification")));
        assert_eq!(hits(&report, "DDB-ENCRYPTION"), ["data/Orders/Resource"]);
    }

    #[test]
    fn table_without_deletion_protection_only_where_data_is_kept() {
        let off = || table(|p| p["DeletionProtectionEnabled"] = json!(false));
        assert_eq!(hits(&check(true, off()), "DDB-DELETION-PROTECTION"), ["data/Orders/Resource"]);
        assert!(hits(&check(false, off()), "DDB-DELETION-PROTECTION").is_empty());
    }
}
