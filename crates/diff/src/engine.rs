//! RDS engine version changes: a downgrade RDS refuses, and a major upgrade that
//! CloudFormation only performs with `AllowMajorVersionUpgrade: true`.

use std::cmp::Ordering;

use serde_json::Value as Json;

use crate::warnings::{Warning, WarningKind};
use crate::{Action, ResourceChange};

const ENGINE_TYPES: &[&str] = &["AWS::RDS::DBInstance", "AWS::RDS::DBCluster"];

/// Warnings for the engine version changes among `changes`.
pub fn warnings(changes: &[ResourceChange]) -> Vec<Warning> {
    changes.iter().filter_map(warning).collect()
}

fn warning(r: &ResourceChange) -> Option<Warning> {
    if r.action != Action::Modify || !ENGINE_TYPES.contains(&r.resource_type.as_str()) {
        return None;
    }
    let version = |side: &Option<Json>| -> Option<String> {
        match side.as_ref()?.get("Properties")?.get("EngineVersion")? {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    let (old, new) = (version(&r.old)?, version(&r.new)?);
    let (o, n) = (parse(&old)?, parse(&new)?);
    let warning = |kind, message: String, fix: String, blocking| Warning {
        kind,
        logical_id: r.logical_id.clone(),
        resource_type: Some(r.resource_type.clone()),
        path: r.path.clone(),
        message,
        fix,
        blocking,
    };
    match compare(&o, &n) {
        Ordering::Less => Some(warning(
            WarningKind::EngineDowngrade,
            format!("EngineVersion {old} → {new} is a downgrade: RDS cannot downgrade a database, so this update fails"),
            format!("keep {old} or a later version; to run {new}, restore a dump into a new database"),
            true,
        )),
        Ordering::Greater if major(&o) != major(&n) => {
            let allowed = r
                .new
                .as_ref()
                .and_then(|x| x.get("Properties"))
                .and_then(|p| p.get("AllowMajorVersionUpgrade"))
                .is_some_and(|v| v == &Json::Bool(true) || v == "true");
            let mut message = format!(
                "EngineVersion {old} → {new} is a major version upgrade: the database is down while RDS upgrades it, and only a snapshot taken before leads back"
            );
            if !allowed {
                message.push_str("; CloudFormation fails it without AllowMajorVersionUpgrade: true");
            }
            Some(warning(
                WarningKind::EngineMajorUpgrade,
                message,
                "test the application on the new version first (e.g. on a restored snapshot); set AllowMajorVersionUpgrade: true (cairn's Database sets it)".to_string(),
                !allowed,
            ))
        }
        _ => None,
    }
}

/// How `new` compares with `old`. A major version alone (`17`: RDS's default minor
/// of 17) only compares by major version.
fn compare(old: &[u64], new: &[u64]) -> Ordering {
    if old.len() == major(old).len() || new.len() == major(new).len() {
        major(new).cmp(major(old))
    } else {
        new.cmp(old)
    }
}

/// `17.5` → [17, 5]; `11.22-rds.20241121` → [11, 22]; `None` when it starts with no number.
fn parse(version: &str) -> Option<Vec<u64>> {
    let mut parts = Vec::new();
    for p in version.split('.') {
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        let Ok(n) = digits.parse() else { break };
        parts.push(n);
        // A suffix (`22-rds`) ends the number.
        if digits.len() != p.len() {
            break;
        }
    }
    (!parts.is_empty()).then_some(parts)
}

/// The major version: PostgreSQL 10 and later `17`, older engines (PostgreSQL 9.6, MySQL 8.0) `9.6`, `8.0`.
fn major(v: &[u64]) -> &[u64] {
    let n = if v[0] >= 10 { 1 } else { 2 };
    &v[..n.min(v.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically_by_major() {
        assert_eq!(parse("17.5"), Some(vec![17, 5]));
        assert_eq!(parse("11.22-rds.20241121"), Some(vec![11, 22]));
        assert!(parse("17.10") > parse("17.9"));
        assert_eq!(major(&[17, 5]), &[17]);
        assert_eq!(major(&[9, 6, 24]), &[9, 6]);
        assert_ne!(major(&[8, 0, 35]), major(&[8, 4, 3]));
        assert_eq!(parse("latest"), None);
        assert_eq!(
            compare(&[17, 5], &[17]),
            Ordering::Equal,
            "17 is 17's default minor, not below 17.5"
        );
        assert_eq!(compare(&[17, 5], &[18]), Ordering::Greater);
        assert_eq!(compare(&[17, 5], &[17, 4]), Ordering::Less);
    }
}
