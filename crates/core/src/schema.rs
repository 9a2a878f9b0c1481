//! Facts about CloudFormation resource types, generated from the resource schemas
//! that cfn-lint ships (`scripts/gen-replacement-table.py` writes
//! `crates/co../data/resource-types.json`): which properties force a replacement
//! when changed, and how the type takes tags.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::tags::TagFormat;

const DATA: &str = include_str!("../data/resource-types.json");

/// What cairn knows about one resource type.
#[derive(Debug, Clone)]
pub struct ResourceTypeInfo {
    /// Property paths (`TableName`, `KeySchema`) whose change replaces the resource.
    pub create_only: Vec<String>,
    /// Property paths whose change may replace the resource.
    pub conditional_create_only: Vec<String>,
    /// The create-only property that is the resource's physical name (`TableName`,
    /// `DBInstanceIdentifier`): set, it makes a replacement fail.
    pub name_property: Option<String>,
    /// Properties whose change CloudFormation documents as a failing update (neither
    /// in place nor a replacement: `KeySpec` of a KMS key).
    pub update_fails: Vec<String>,
    pub tags: TagFormat,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawTable {
    source: String,
    schema_date: String,
    types: BTreeMap<String, RawType>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawType {
    #[serde(default)]
    create_only: Vec<String>,
    #[serde(default)]
    conditional_create_only: Vec<String>,
    #[serde(default)]
    name_property: Option<String>,
    #[serde(default)]
    update_fails: Vec<String>,
    #[serde(default)]
    tags: Option<String>,
}

struct Table {
    source: String,
    schema_date: String,
    types: BTreeMap<String, ResourceTypeInfo>,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The file is generated and checked in; a test parses it, so this cannot fail at run time.
        let raw: RawTable = serde_json::from_str(DATA).unwrap_or_else(|e| panic!("data/resource-types.json is corrupt: {e}"));
        let types = raw
            .types
            .into_iter()
            .map(|(name, t)| {
                let tags = match t.tags.as_deref() {
                    Some("list") => TagFormat::KeyValueList,
                    Some("map") => TagFormat::Map,
                    _ => TagFormat::None,
                };
                (
                    name,
                    ResourceTypeInfo {
                        create_only: t.create_only,
                        conditional_create_only: t.conditional_create_only,
                        name_property: t.name_property,
                        update_fails: t.update_fails,
                        tags,
                    },
                )
            })
            .collect();
        Table {
            source: raw.source,
            schema_date: raw.schema_date,
            types,
        }
    })
}

/// Facts about `resource_type`, if cairn's table has it.
pub fn resource_type(resource_type: &str) -> Option<&'static ResourceTypeInfo> {
    table().types.get(resource_type)
}

/// Every resource type in the table.
pub fn known_types() -> impl Iterator<Item = &'static str> {
    table().types.keys().map(String::as_str)
}

/// Where the table came from (`cfn-lint 1.58.x schemas`) and the schemas' date.
pub fn provenance() -> (&'static str, &'static str) {
    (&table().source, &table().schema_date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_parses_and_knows_well_known_facts() {
        let table = resource_type("AWS::DynamoDB::Table").expect("table type is known");
        assert!(table.create_only.iter().any(|p| p == "TableName"));
        assert_eq!(table.tags, TagFormat::KeyValueList);
        let queue = resource_type("AWS::SQS::Queue").expect("queue type is known");
        assert!(queue.create_only.iter().any(|p| p == "FifoQueue"));
        assert_eq!(resource_type("AWS::EC2::Route").map(|t| t.tags), Some(TagFormat::None));
        assert!(!provenance().1.is_empty());
    }
}
