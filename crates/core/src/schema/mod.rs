//! Facts about every CloudFormation resource type, generated from the resource
//! schemas that cfn-lint ships (`scripts/gen-replacement-table.py` writes
//! `schema/facts.rs`; `make replacement-table`): which properties force a
//! replacement when changed, which one is the physical name, how the type takes
//! tags, and its `Fn::GetAtt` attributes. Static data, looked up by binary search:
//! nothing is parsed at run time.

/// How a resource type takes tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagFormat {
    /// No `Tags` property.
    None,
    /// `[{"Key": k, "Value": v}, …]`
    KeyValueList,
    /// `{k: v, …}`
    Map,
}

// Generated: one long line per type, kept as written so `make replacement-table-check` stays byte-exact.
#[rustfmt::skip]
mod facts;

/// What cairn knows about one resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceTypeInfo {
    create_only: &'static str,
    conditional_create_only: &'static str,
    /// The create-only property that is the resource's physical name (`TableName`,
    /// `DBInstanceIdentifier`): set, it makes a replacement fail.
    pub name_property: Option<&'static str>,
    update_fails: &'static str,
    /// How the type's `Tags` property takes tags.
    pub tags: TagFormat,
    attributes: &'static str,
}

/// Names of one field of the generated table (space-separated there).
pub type Names = std::str::SplitAsciiWhitespace<'static>;

impl ResourceTypeInfo {
    /// Property paths (`TableName`, `KeySchema`, `A/B`, `A/*/B`) whose change replaces the resource.
    pub fn create_only(&self) -> Names {
        self.create_only.split_ascii_whitespace()
    }

    /// Property paths whose change may replace the resource.
    pub fn conditional_create_only(&self) -> Names {
        self.conditional_create_only.split_ascii_whitespace()
    }

    /// Properties whose change CloudFormation documents as a failing update (neither
    /// in place nor a replacement: `KeySpec` of a KMS key).
    pub fn update_fails(&self) -> Names {
        self.update_fails.split_ascii_whitespace()
    }

    /// The schema's read-only properties as `Fn::GetAtt` names them (`Arn`,
    /// `Endpoint.Address`); those inside array items are left out.
    pub fn attributes(&self) -> Names {
        self.attributes.split_ascii_whitespace()
    }

    /// Reads one record of the generated table; `None` if it is malformed (a test
    /// reads every record, so this does not happen with the committed table).
    fn parse(tags: TagFormat, record: &'static str) -> Option<Self> {
        let mut fields = record.split('|');
        let mut next = || fields.next();
        let info = ResourceTypeInfo {
            create_only: next()?,
            conditional_create_only: next()?,
            name_property: Some(next()?).filter(|n| !n.is_empty()),
            update_fails: next()?,
            tags,
            attributes: next()?,
        };
        fields.next().is_none().then_some(info)
    }
}

/// Facts about `resource_type`, if the schemas know it (`Custom::…` and types newer
/// than the pinned cfn-lint are not: callers treat them as the risky case).
pub fn resource_type(resource_type: &str) -> Option<ResourceTypeInfo> {
    let (_, tags, record) = lookup(resource_type)?;
    ResourceTypeInfo::parse(*tags, record)
}

/// How `resource_type` takes tags, if the schemas know it: what synthesis asks for every
/// resource, answered without reading the rest of the type's facts.
pub(crate) fn tag_format(resource_type: &str) -> Option<TagFormat> {
    lookup(resource_type).map(|(_, tags, _)| *tags)
}

fn lookup(resource_type: &str) -> Option<&'static (&'static str, TagFormat, &'static str)> {
    let types = facts::TYPES;
    let i = types.binary_search_by(|(name, _, _)| (*name).cmp(resource_type)).ok()?;
    Some(&types[i])
}

/// Every resource type in the table, sorted (the tests check the table with it).
#[cfg(test)]
fn known_types() -> impl Iterator<Item = &'static str> {
    facts::TYPES.iter().map(|(name, _, _)| *name)
}

/// Where the table came from (`cfn-lint 1.58.x schemas`) and the schemas' date.
pub fn provenance() -> (&'static str, &'static str) {
    (facts::SOURCE, facts::SCHEMA_DATE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_without_duplicates_so_binary_search_finds_every_type() {
        let names: Vec<&str> = known_types().collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "facts.rs must be sorted by type name");
        assert!(names.len() > 1_800, "every type of the provider schemas: {}", names.len());
        let malformed: Vec<&str> = names.iter().copied().filter(|n| resource_type(n).is_none()).collect();
        assert!(malformed.is_empty(), "records that do not parse: {malformed:?}");
    }

    #[test]
    fn the_table_knows_well_known_facts() {
        let table = resource_type("AWS::DynamoDB::Table").expect("table type is known");
        assert!(table.create_only().any(|p| p == "TableName"));
        assert_eq!(table.tags, TagFormat::KeyValueList);
        assert_eq!(table.name_property, Some("TableName"));
        let queue = resource_type("AWS::SQS::Queue").expect("queue type is known");
        assert!(queue.create_only().any(|p| p == "FifoQueue"));
        assert!(queue.attributes().any(|a| a == "QueueUrl") && queue.attributes().any(|a| a == "Arn"));
        assert_eq!(resource_type("AWS::EC2::Route").map(|t| t.tags), Some(TagFormat::None));
        assert_eq!(resource_type("AWS::KMS::Key").map(|t| t.update_fails().count()), Some(4));
        assert!(!provenance().1.is_empty());
    }

    #[test]
    fn types_without_a_construct_come_from_the_schemas() {
        let function = resource_type("AWS::Lambda::Function").expect("every schema type is known");
        assert_eq!(function.name_property, Some("FunctionName"));
        assert_eq!(function.tags, TagFormat::KeyValueList);
        assert_eq!(resource_type("AWS::SSM::Parameter").map(|t| t.tags), Some(TagFormat::Map));
        let db = resource_type("AWS::RDS::DBInstance").expect("known");
        assert!(
            db.attributes().any(|a| a == "Endpoint.Address"),
            "nested attributes as GetAtt writes them"
        );
    }

    #[test]
    fn tag_shapes_follow_the_schema_however_it_writes_them() {
        // Items that are one of {Key, Value} or {TagKey, TagValue}: the Key/Value list works.
        assert_eq!(tag_format("AWS::AppStream::AppBlock"), Some(TagFormat::KeyValueList));
        // A map written only as its key pattern, without `"type": "object"`.
        assert_eq!(tag_format("AWS::PCS::Cluster"), Some(TagFormat::Map));
        // A `Tags` property on a type the schema says is not taggable: cairn adds none.
        assert_eq!(tag_format("AWS::Glue::CustomEntityType"), Some(TagFormat::None));
    }

    #[test]
    fn types_outside_the_schemas_are_unknown() {
        for name in ["Custom::Foo", "AWS::Made::Up", "AWS::CloudFormation::CustomResource", ""] {
            assert_eq!(resource_type(name), None, "{name:?}");
        }
    }
}
