//! KMS keys: rotated, and a key policy that gives `kms:*` (or `*`) to nobody but the
//! account root and names no `*` principal.

use serde_json::Value as Json;

use crate::model::{is_true, items, statements, text, Cx};
use crate::report::Out;
use crate::rule::{AppliesTo, Rule, Severity};

pub(crate) const ROTATION: Rule = Rule {
    id: "KMS-KEY-ROTATION",
    title: "Customer-managed KMS keys rotate their key material",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "set EnableKeyRotation: true on symmetric keys (cairn's Key does)",
};
pub(crate) const POLICY: Rule = Rule {
    id: "KMS-KEY-POLICY",
    title: "KMS key policies give no wildcard access",
    severity: Severity::Error,
    applies_to: AppliesTo::Always,
    fix: "allow the key's users exact actions through their services (kms:ViaService) and keep `*` principals and kms:* out; cairn's Key does",
};

pub(crate) const RULES: &[Rule] = &[ROTATION, POLICY];

pub(crate) fn check(cx: &Cx, out: &mut Out) {
    for key in cx.of_type("AWS::KMS::Key") {
        let symmetric = key.prop("KeySpec").and_then(Json::as_str).is_none_or(|s| s == "SYMMETRIC_DEFAULT");
        if symmetric && !is_true(key.prop("EnableKeyRotation")) {
            out.add(&ROTATION, key, "key rotation is off (EnableKeyRotation is not true)");
        }
        let document = key.prop("KeyPolicy");
        for s in statements(document) {
            if s.get("Effect").and_then(Json::as_str) != Some("Allow") {
                continue;
            }
            let principal = s.get("Principal");
            if principal.is_some_and(is_wildcard_principal) {
                out.add(&POLICY, key, "a statement allows the `*` principal");
                continue;
            }
            let root_only = principal.is_some_and(is_account_root);
            let wildcard_action = items(s.get("Action")).iter().any(|a| matches!(a.as_str(), Some("*" | "kms:*")));
            if wildcard_action && !root_only {
                out.add(&POLICY, key, "a statement gives kms:* to a principal other than the account root");
            }
        }
    }
}

fn is_wildcard_principal(p: &Json) -> bool {
    match p {
        Json::String(s) => s == "*",
        Json::Object(m) => m.get("AWS").is_some_and(|v| items(Some(v)).iter().any(|a| a.as_str() == Some("*"))),
        _ => false,
    }
}

fn is_account_root(p: &Json) -> bool {
    let Some(aws) = p.get("AWS") else { return false };
    let all = items(Some(aws));
    !all.is_empty()
        && all
            .iter()
            .all(|a| text(a).is_some_and(|t| t.ends_with(":root") || t.chars().all(|c| c.is_ascii_digit())))
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value as Json};

    use crate::testing::{all, check, hits, r};

    fn key(change: impl FnOnce(&mut Json)) -> Vec<(&'static str, Json)> {
        let mut p = json!({
            "EnableKeyRotation": true,
            "KeyPolicy": {"Version": "2012-10-17", "Statement": [
                {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}, "Action": ["kms:Create*", "kms:Put*"], "Resource": "*"},
                {"Sid": "UseThroughSqs", "Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}, "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
                 "Condition": {"StringEquals": {"kms:ViaService": "sqs.us-east-1.amazonaws.com"}}}
            ]}
        });
        change(&mut p);
        vec![("Key", r("AWS::KMS::Key", "data/Key/Resource", p))]
    }

    #[test]
    fn a_rotated_key_with_exact_statements_passes() {
        assert_eq!(all(&check(false, key(|_| {}))), Vec::<String>::new());
        // kms:* for the account root is key administration, allowed.
        let root_star = check(false, key(|p| p["KeyPolicy"]["Statement"][0]["Action"] = json!("kms:*")));
        assert!(hits(&root_star, "KMS-KEY-POLICY").is_empty());
    }

    #[test]
    fn a_key_without_rotation_is_an_error() {
        let report = check(false, key(|p| p["EnableKeyRotation"] = json!(false)));
        assert_eq!(hits(&report, "KMS-KEY-ROTATION"), ["data/Key/Resource"]);
        // Asymmetric keys cannot rotate.
        let report = check(
            false,
            key(|p| {
                p["EnableKeyRotation"] = json!(false);
                p["KeySpec"] = json!("RSA_2048");
            }),
        );
        assert!(hits(&report, "KMS-KEY-ROTATION").is_empty());
    }

    #[test]
    fn a_star_principal_or_kms_star_for_others_is_an_error() {
        let report = check(false, key(|p| p["KeyPolicy"]["Statement"][1]["Principal"] = json!({"AWS": "*"})));
        assert_eq!(hits(&report, "KMS-KEY-POLICY"), ["data/Key/Resource"]);
        let report = check(
            false,
            key(|p| {
                p["KeyPolicy"]["Statement"][1]["Principal"] = json!({"AWS": "arn:aws:iam::123456789012:role/app"});
                p["KeyPolicy"]["Statement"][1]["Action"] = json!("kms:*");
            }),
        );
        assert_eq!(hits(&report, "KMS-KEY-POLICY"), ["data/Key/Resource"]);
    }
}
