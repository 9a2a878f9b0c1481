//! DynamoDB tables: encrypted, point-in-time recovery on, deletion protection and
//! retention where the environment keeps data.

use cairn_cfn::dynamodb::table::{
    AttributeDefinition, GlobalSecondaryIndex as CfnGlobalSecondaryIndex, KeySchemaItem, PointInTimeRecoverySpecification, Projection,
    ProjectionType, SSESpecification, TimeToLiveSpecification,
};
use cairn_cfn::dynamodb::{table, CfnTable, CfnTableProps};
use cairn_cfn::Val;

use crate::kms::{Key, KeyService, KeyUse};
use cairn_core::{RemovalPolicy, ResourceRef, Result, Scope, Value};

use crate::iam::{grant, Grantable};
use crate::removal;

/// Type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeType {
    /// `S`.
    String,
    /// `N`.
    Number,
    /// `B`.
    Binary,
}

impl AttributeType {
    fn cfn(self) -> table::AttributeType {
        match self {
            AttributeType::String => table::AttributeType::S,
            AttributeType::Number => table::AttributeType::N,
            AttributeType::Binary => table::AttributeType::B,
        }
    }
}

/// A key attribute (partition or sort key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Its type.
    pub attribute_type: AttributeType,
}

impl Attribute {
    /// A string attribute.
    pub fn string(name: &str) -> Self {
        Attribute {
            name: name.to_string(),
            attribute_type: AttributeType::String,
        }
    }
    /// A number attribute.
    pub fn number(name: &str) -> Self {
        Attribute {
            name: name.to_string(),
            attribute_type: AttributeType::Number,
        }
    }
}

/// A global secondary index (projection: all attributes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalSecondaryIndex {
    /// The index's name.
    pub name: String,
    /// The index's partition key.
    pub partition_key: Attribute,
    /// The index's sort key, if any.
    pub sort_key: Option<Attribute>,
}

/// Props of a [`Table`].
#[derive(Debug, Clone)]
pub struct TableProps {
    /// The table's partition key.
    pub partition_key: Attribute,
    /// The table's sort key, if any.
    pub sort_key: Option<Attribute>,
    /// Global secondary indexes.
    pub global_secondary_indexes: Vec<GlobalSecondaryIndex>,
    /// Attribute that holds each item's expiry time (epoch seconds), if any.
    pub time_to_live_attribute: Option<String>,
    /// Point-in-time recovery (continuous backups). On by default.
    pub point_in_time_recovery: bool,
    /// Deletion protection. `None`: on where the environment keeps data.
    pub deletion_protection: Option<bool>,
    /// Deletion/replacement policy. `None`: `Retain` where the environment keeps data.
    pub removal_policy: Option<RemovalPolicy>,
    /// The environment's customer-managed key. `None`: the AWS-managed `aws/dynamodb` key.
    /// Changing it re-encrypts the table in place.
    pub encryption_key: Option<Key>,
}

impl Default for TableProps {
    fn default() -> Self {
        TableProps {
            partition_key: Attribute::string("pk"),
            sort_key: None,
            global_secondary_indexes: Vec::new(),
            time_to_live_attribute: None,
            point_in_time_recovery: true,
            deletion_protection: None,
            removal_policy: None,
            encryption_key: None,
        }
    }
}

/// An on-demand DynamoDB table encrypted with the AWS-managed KMS key, or an existing
/// table another team owns ([`Table::from_name`]).
#[derive(Clone)]
pub struct Table {
    scope: Scope,
    origin: Origin,
    key: Option<Key>,
}

/// Where a [`Table`] comes from.
#[derive(Clone)]
enum Origin {
    /// Created by this app.
    Owned(CfnTable),
    /// An existing table of the stack's account and region, known by name.
    Imported { name: String },
}

impl Table {
    /// An existing table another team owns, by name, in the account and region of the
    /// stack that uses it: nothing is added to the template. Its ARN is
    /// `arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/<name>`,
    /// and the `grant_*` methods add the same least-privilege statements as for a table
    /// of this app (the table and its indexes) to the grantee's policy.
    pub fn from_name(scope: impl Into<Scope>, id: &str, table_name: &str) -> Result<Table> {
        let scope = scope.into().child(id)?;
        let valid = (3..=255).contains(&table_name.len()) && table_name.chars().all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
        if !valid {
            return Err(scope
                .error(format!("`{table_name}` is not a valid table name"))
                .property("table_name")
                .fix("use the existing table's name: 3-255 letters, digits, `_`, `-` and `.`"));
        }
        Ok(Table {
            scope,
            key: None,
            origin: Origin::Imported {
                name: table_name.to_string(),
            },
        })
    }

    /// Whether the table is an existing one from [`Table::from_name`].
    pub fn is_imported(&self) -> bool {
        matches!(self.origin, Origin::Imported { .. })
    }

    /// Adds the table `id` under `scope`; fails on props DynamoDB would refuse.
    pub fn new(scope: impl Into<Scope>, id: &str, props: TableProps) -> Result<Table> {
        let scope = scope.into().child(id)?;
        // Each key with the prop it comes from, for the error that names it.
        let mut keys: Vec<(&str, &Attribute)> = vec![("partition_key", &props.partition_key)];
        keys.extend(props.sort_key.as_ref().map(|k| ("sort_key", k)));
        for (i, gsi) in props.global_secondary_indexes.iter().enumerate() {
            // CloudFormation accepts two indexes of one name only to fail the deploy.
            if props.global_secondary_indexes[..i].iter().any(|other| other.name == gsi.name) {
                return Err(scope
                    .error(format!("two global secondary indexes are named `{}`", gsi.name))
                    .property("global_secondary_indexes")
                    .fix("give each index its own name"));
            }
            keys.push(("global_secondary_indexes.partition_key", &gsi.partition_key));
            keys.extend(gsi.sort_key.as_ref().map(|k| ("global_secondary_indexes.sort_key", k)));
        }
        let mut attributes: Vec<&Attribute> = Vec::new();
        for (field, a) in keys {
            if a.name.is_empty() {
                return Err(scope
                    .error("key attribute has an empty name")
                    .property(field)
                    .fix("name every key attribute"));
            }
            match attributes.iter().find(|x| x.name == a.name) {
                Some(x) if x.attribute_type != a.attribute_type => {
                    return Err(scope
                        .error(format!("attribute `{}` is used with two different types", a.name))
                        .property("key attributes")
                        .fix("use one type per attribute name"))
                }
                Some(_) => {}
                None => attributes.push(a),
            }
        }
        let definitions: Vec<AttributeDefinition> = attributes
            .iter()
            .map(|a| AttributeDefinition::new(a.name.as_str(), a.attribute_type.cfn()))
            .collect();
        let indexes: Vec<CfnGlobalSecondaryIndex> = props
            .global_secondary_indexes
            .iter()
            .map(|g| {
                let all = Projection {
                    projection_type: Some(ProjectionType::All.into()),
                    ..Default::default()
                };
                CfnGlobalSecondaryIndex::new(g.name.as_str(), key_schema(&g.partition_key, g.sort_key.as_ref()), all)
            })
            .collect();
        let retain = scope.env_settings().retain_data;
        if let Some(key) = &props.encryption_key {
            key.check_user(&scope)?;
            key.allow(KeyUse::Service(KeyService::DynamoDb));
        }
        let table = CfnTable::new(
            &scope,
            "Resource",
            CfnTableProps {
                billing_mode: Some(table::BillingMode::PayPerRequest.into()),
                attribute_definitions: Some(definitions.into()),
                sse_specification: Some(match &props.encryption_key {
                    None => SSESpecification::new(true).into(),
                    // The typed layer lacks KMSMasterKeyId (its schema does not describe the property).
                    Some(key) => Val::from_value(Value::map([
                        ("KMSMasterKeyId", key.arn()),
                        ("SSEEnabled", Value::from(true)),
                        ("SSEType", Value::str("KMS")),
                    ])),
                }),
                point_in_time_recovery_specification: Some(
                    PointInTimeRecoverySpecification {
                        point_in_time_recovery_enabled: Some(props.point_in_time_recovery.into()),
                        ..Default::default()
                    }
                    .into(),
                ),
                deletion_protection_enabled: Some(props.deletion_protection.unwrap_or(retain).into()),
                global_secondary_indexes: (!indexes.is_empty()).then(|| indexes.into()),
                time_to_live_specification: props.time_to_live_attribute.as_ref().map(|ttl| {
                    TimeToLiveSpecification {
                        attribute_name: Some(ttl.as_str().into()),
                        ..TimeToLiveSpecification::new(true)
                    }
                    .into()
                }),
                // The schema types the table's `KeySchema` as free-form JSON; it is the same
                // list of key elements as an index's.
                ..CfnTableProps::new(
                    Val::<Vec<KeySchemaItem>>::from(key_schema(&props.partition_key, props.sort_key.as_ref())).into_value(),
                )
            },
        )?;
        table.apply_removal_policy(props.removal_policy.unwrap_or_else(|| removal::for_data(&scope)))?;
        Ok(Table {
            scope,
            origin: Origin::Owned(table),
            key: props.encryption_key,
        })
    }

    /// The table's ARN (`GetAtt Arn`; for an existing table built from its name).
    pub fn arn(&self) -> Value {
        match &self.origin {
            Origin::Owned(table) => table.arn(),
            Origin::Imported { name } => Value::sub(imported_arn(name)),
        }
    }

    /// The table's name (`Ref`; for an existing table the name given).
    pub fn name(&self) -> Value {
        match &self.origin {
            Origin::Owned(table) => table.r#ref(),
            Origin::Imported { name } => Value::str(name.as_str()),
        }
    }

    /// The `AWS::DynamoDB::Table` resource, for escape hatches ([`cairn_core::Stack::add_override`]).
    /// An existing table ([`Table::from_name`]) has none: that is an error.
    pub fn resource(&self) -> Result<&ResourceRef> {
        self.cfn_table().map(|t| t.resource_ref())
    }

    /// The typed `AWS::DynamoDB::Table`, for edits the props do not cover
    /// (`table.cfn_table()?.set(CfnTable::TABLE_CLASS, TableClass::StandardInfrequentAccess)`).
    /// An existing table ([`Table::from_name`]) has none: that is an error.
    pub fn cfn_table(&self) -> Result<&CfnTable> {
        match &self.origin {
            Origin::Owned(table) => Ok(table),
            Origin::Imported { name } => Err(crate::imported::no_resource(&self.scope, "table", name)),
        }
    }

    /// The construct's scope.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The table and its indexes (`arn/index/*`, the only wildcard grants use).
    fn arns(&self) -> Vec<Value> {
        let indexes = match &self.origin {
            Origin::Owned(_) => Value::join("", [self.arn(), Value::str("/index/*")]),
            Origin::Imported { name } => Value::sub(format!("{}/index/*", imported_arn(name))),
        };
        vec![self.arn(), indexes]
    }

    /// Read items, query and scan.
    pub fn grant_read_data(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(&self.scope, grantee, READ_ACTIONS, self.arns())?;
        self.grant_key(grantee, KEY_READ)
    }

    /// Write and delete items.
    pub fn grant_write_data(&self, grantee: &dyn Grantable) -> Result<()> {
        grant(&self.scope, grantee, WRITE_ACTIONS, self.arns())?;
        self.grant_key(grantee, KEY_READ_WRITE)
    }

    /// With a customer-managed key, what DynamoDB calls on it for the grantee.
    fn grant_key(&self, grantee: &dyn Grantable, actions: &[&str]) -> Result<()> {
        match &self.key {
            Some(key) => key.grant(grantee, actions, KeyService::DynamoDb),
            None => Ok(()),
        }
    }

    /// Read and write items.
    pub fn grant_read_write(&self, grantee: &dyn Grantable) -> Result<()> {
        let actions: Vec<&str> = READ_ACTIONS
            .iter()
            .chain(WRITE_ACTIONS.iter().filter(|a| !READ_ACTIONS.contains(a)))
            .copied()
            .collect();
        grant(&self.scope, grantee, &actions, self.arns())?;
        self.grant_key(grantee, KEY_READ_WRITE)
    }
}

/// Key actions DynamoDB needs for a reader of a table with a customer-managed key.
const KEY_READ: &[&str] = &["kms:Decrypt", "kms:DescribeKey"];
/// ... and for a writer.
const KEY_READ_WRITE: &[&str] = &["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"];

/// The `Fn::Sub` template of an existing table's ARN, in the using stack's account and region.
fn imported_arn(name: &str) -> String {
    format!("arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{name}")
}

const READ_ACTIONS: &[&str] = &[
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
];
const WRITE_ACTIONS: &[&str] = &[
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];

fn key_schema(partition: &Attribute, sort: Option<&Attribute>) -> Vec<KeySchemaItem> {
    let mut keys = vec![KeySchemaItem::new(partition.name.as_str(), "HASH")];
    keys.extend(sort.map(|s| KeySchemaItem::new(s.name.as_str(), "RANGE")));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{properties, stack};
    use serde_json::json;

    #[test]
    fn indexes_and_time_to_live_render_as_the_typed_structs_and_the_table_takes_edits() {
        let (app, stack) = stack("data");
        let props = TableProps {
            sort_key: Some(Attribute::number("at")),
            global_secondary_indexes: vec![GlobalSecondaryIndex {
                name: "byCustomer".into(),
                partition_key: Attribute::string("customer"),
                sort_key: Some(Attribute::number("at")),
            }],
            time_to_live_attribute: Some("expires".into()),
            ..Default::default()
        };
        let table = Table::new(&stack, "Orders", props).unwrap();
        table
            .cfn_table()
            .unwrap()
            .set(CfnTable::TABLE_CLASS, table::TableClass::StandardInfrequentAccess)
            .unwrap();
        let p = properties(&app, "data", table.cfn_table().unwrap().logical_id());
        assert_eq!(
            p["AttributeDefinitions"],
            json!([
                { "AttributeName": "pk", "AttributeType": "S" },
                { "AttributeName": "at", "AttributeType": "N" },
                { "AttributeName": "customer", "AttributeType": "S" },
            ])
        );
        assert_eq!(
            p["KeySchema"],
            json!([{ "AttributeName": "pk", "KeyType": "HASH" }, { "AttributeName": "at", "KeyType": "RANGE" }])
        );
        assert_eq!(
            p["GlobalSecondaryIndexes"],
            json!([{
                "IndexName": "byCustomer",
                "KeySchema": [{ "AttributeName": "customer", "KeyType": "HASH" }, { "AttributeName": "at", "KeyType": "RANGE" }],
                "Projection": { "ProjectionType": "ALL" },
            }])
        );
        assert_eq!(p["TimeToLiveSpecification"], json!({ "AttributeName": "expires", "Enabled": true }));
        assert_eq!(p["TableClass"], json!("STANDARD_INFREQUENT_ACCESS"));
    }

    #[test]
    fn an_existing_table_has_no_typed_resource() {
        let (_app, stack) = stack("data");
        let table = Table::from_name(&stack, "Orders", "orders").unwrap();
        let err = table.cfn_table().unwrap_err().to_string();
        assert!(err.contains("existing table"), "{err}");
    }
}
