//! The built-in rule pack: every service's rules, listed and run in one fixed order
//! (the order of `rules()`, `--list-rules` and the outcomes of a report).

use crate::model::Cx;
use crate::report::Out;
use crate::rule::Rule;
use crate::{dynamodb, ec2, ecs, elb, iam, kms, logs, rds, s3, sqs};

/// Every built-in rule, grouped by service.
pub fn rules() -> Vec<&'static Rule> {
    [
        s3::RULES,
        sqs::RULES,
        dynamodb::RULES,
        rds::RULES,
        ecs::RULES,
        ec2::RULES,
        elb::RULES,
        iam::RULES,
        logs::RULES,
        kms::RULES,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The built-in rule with this ID.
pub fn rule(id: &str) -> Option<&'static Rule> {
    rules().into_iter().find(|r| r.id == id)
}

/// Runs every service's rules on the environment, in the order of `rules()`.
pub(crate) fn run(cx: &Cx, out: &mut Out) {
    s3::check(cx, out);
    sqs::check(cx, out);
    dynamodb::check(cx, out);
    rds::check(cx, out);
    ecs::check(cx, out);
    ec2::check(cx, out);
    elb::check(cx, out);
    iam::check(cx, out);
    logs::check(cx, out);
    kms::check(cx, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_well_formed() {
        let all = rules();
        let mut ids: Vec<&str> = all.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for r in all {
            assert!(
                r.id.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                r.id
            );
            assert!(!r.title.is_empty() && !r.fix.is_empty(), "{}", r.id);
        }
    }

    /// Every rule has a test that asserts a violation is reported with its ID.
    #[test]
    fn every_rule_has_a_violation_test() {
        let sources = [
            include_str!("s3.rs"),
            include_str!("sqs.rs"),
            include_str!("dynamodb.rs"),
            include_str!("rds.rs"),
            include_str!("ecs.rs"),
            include_str!("ec2.rs"),
            include_str!("elb.rs"),
            include_str!("iam.rs"),
            include_str!("logs.rs"),
            include_str!("kms.rs"),
        ]
        .concat()
        .split_whitespace()
        .collect::<String>();
        for r in rules() {
            let asserted = sources.contains(&format!("\"{}\"),[\"", r.id));
            assert!(asserted, "no test asserts a finding of {}", r.id);
        }
    }
}
