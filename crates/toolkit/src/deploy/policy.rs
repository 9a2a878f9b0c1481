//! Stateful resources and the stack policy that protects them in environments
//! that keep data.

use serde_json::json;

/// Resource types whose replacement or removal loses data: the list `cairn diff`
/// uses for its data-loss warnings, so both agree.
pub use cairn_diff::STATEFUL_TYPES;

pub fn is_stateful(resource_type: &str) -> bool {
    cairn_diff::is_stateful(resource_type)
}

/// Allows every update except replacing or deleting a stateful resource.
pub fn protecting_policy() -> String {
    json!({
        "Statement": [
            {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": ["Update:Replace", "Update:Delete"],
                "Principal": "*",
                "Resource": "*",
                "Condition": {"StringEquals": {"ResourceType": STATEFUL_TYPES}}
            }
        ]
    })
    .to_string()
}

/// Allows every update (for the duration of a `--allow-replace` deploy).
pub fn permissive_policy() -> String {
    json!({"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_denies_replace_and_delete_of_stateful_types_only() {
        let p: serde_json::Value = serde_json::from_str(&protecting_policy()).unwrap();
        let deny = &p["Statement"][1];
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(deny["Action"], json!(["Update:Replace", "Update:Delete"]));
        let types = deny["Condition"]["StringEquals"]["ResourceType"].as_array().unwrap();
        assert!(types.contains(&json!("AWS::RDS::DBInstance")) && types.contains(&json!("AWS::DynamoDB::Table")));
        assert!(!types.contains(&json!("AWS::IAM::Role")));
        assert!(is_stateful("AWS::SQS::Queue") && !is_stateful("AWS::ECS::Service"));
    }
}
