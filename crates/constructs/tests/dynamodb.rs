//! DynamoDB tables: on demand, encrypted, point-in-time recovery, deletion protection and
//! retention where the environment keeps data; key validation; grants on the table and
//! its indexes.

mod common;

use cairn_assertions::{Match, Template};
use cairn_constructs::dynamodb::{Attribute, GlobalSecondaryIndex, Table, TableProps};
use common::{assert_refused, retained_stack, role, stack};
use serde_json::json;

#[test]
fn a_table_is_on_demand_encrypted_with_point_in_time_recovery() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    Table::new(&stack, "Orders", TableProps::default()).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.resource_count_is("AWS::DynamoDB::Table", 1);
    template.has_resource(
        "AWS::DynamoDB::Table",
        json!({
            "DeletionPolicy": "Delete",
            "Properties": {
                "TableName": Match::absent(),
                "BillingMode": "PAY_PER_REQUEST",
                "SSESpecification": { "SSEEnabled": true },
                "PointInTimeRecoverySpecification": { "PointInTimeRecoveryEnabled": true },
                "DeletionProtectionEnabled": false,
                "KeySchema": [{ "AttributeName": "pk", "KeyType": "HASH" }],
            },
        }),
    );
}

#[test]
fn a_table_is_protected_and_retained_where_the_environment_keeps_data() {
    // GIVEN
    let stack = retained_stack("data");

    // WHEN
    Table::new(&stack, "Orders", TableProps::default()).unwrap();

    // THEN
    Template::from_tree_stack(&stack).has_resource(
        "AWS::DynamoDB::Table",
        json!({
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": { "DeletionProtectionEnabled": true },
        }),
    );
}

#[test]
fn a_key_attribute_with_two_types_or_no_name_is_refused() {
    // GIVEN
    let stack = stack("data");

    // WHEN
    let two_types = Table::new(
        &stack,
        "A",
        TableProps {
            partition_key: Attribute::string("id"),
            sort_key: Some(Attribute::number("id")),
            ..Default::default()
        },
    )
    .err()
    .expect("refused");
    let no_name = Table::new(
        &stack,
        "B",
        TableProps {
            partition_key: Attribute::string(""),
            ..Default::default()
        },
    )
    .err()
    .expect("refused");

    let no_sort_name = Table::new(
        &stack,
        "C",
        TableProps {
            sort_key: Some(Attribute::number("")),
            ..Default::default()
        },
    )
    .err()
    .expect("refused");

    // THEN
    assert_refused(
        &two_types,
        "dev/data/A",
        "key attributes",
        "attribute `id` is used with two different types",
    );
    assert_refused(&no_name, "dev/data/B", "partition_key", "key attribute has an empty name");
    assert_refused(&no_sort_name, "dev/data/C", "sort_key", "key attribute has an empty name");
}

#[test]
fn two_indexes_of_one_name_are_refused() {
    // GIVEN
    let stack = stack("data");
    let index = GlobalSecondaryIndex {
        name: "byCustomer".into(),
        partition_key: Attribute::string("customer"),
        sort_key: None,
    };

    // WHEN
    let props = TableProps {
        global_secondary_indexes: vec![index.clone(), index],
        ..Default::default()
    };
    let err = Table::new(&stack, "Orders", props).err().expect("refused");

    // THEN
    assert_refused(
        &err,
        "dev/data/Orders",
        "global_secondary_indexes",
        "two global secondary indexes are named `byCustomer`",
    );
}

#[test]
fn an_existing_table_with_an_invalid_name_is_refused() {
    // GIVEN
    let stack = stack("service");

    // WHEN
    let err = Table::from_name(&stack, "Orders", "no spaces allowed").err().expect("refused");

    // THEN
    assert_refused(
        &err,
        "dev/service/Orders",
        "table_name",
        "`no spaces allowed` is not a valid table name",
    );
}

#[test]
fn grants_give_exact_actions_on_the_table_and_its_indexes_only() {
    // GIVEN
    let stack = stack("data");
    let table = Table::new(&stack, "Orders", TableProps::default()).unwrap();
    let (reader, writer, both) = (role(&stack, "Reader"), role(&stack, "Writer"), role(&stack, "Both"));

    // WHEN
    table.grant_read_data(&reader).unwrap();
    table.grant_write_data(&writer).unwrap();
    table.grant_read_write(&both).unwrap();

    // THEN
    let id = table.cfn_table().unwrap().logical_id();
    let arns = json!([
        { "Fn::GetAtt": [id, "Arn"] },
        { "Fn::Join": ["", [{ "Fn::GetAtt": [id, "Arn"] }, "/index/*"]] },
    ]);
    let read = [
        "dynamodb:BatchGetItem",
        "dynamodb:ConditionCheckItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "dynamodb:Scan",
    ];
    let write = [
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ];
    let read_write: Vec<&str> = read
        .iter()
        .chain(write.iter().filter(|a| **a != "dynamodb:DescribeTable"))
        .copied()
        .collect();
    let template = Template::from_tree_stack(&stack);
    for (grantee, actions) in [(&reader, json!(read)), (&writer, json!(write)), (&both, json!(read_write))] {
        template.has_resource_properties(
            "AWS::IAM::Policy",
            json!({
                "Roles": [{ "Ref": grantee.cfn_role().logical_id() }],
                "PolicyDocument": { "Statement": Match::exact(json!([
                    { "Effect": "Allow", "Action": actions, "Resource": arns },
                ])) },
            }),
        );
    }
}

#[test]
fn a_grant_on_an_existing_table_names_it_in_the_stacks_account_and_region() {
    // GIVEN
    let stack = stack("service");
    let table = Table::from_name(&stack, "Orders", "orders").unwrap();
    let reader = role(&stack, "Reader");

    // WHEN
    table.grant_read_data(&reader).unwrap();

    // THEN
    let template = Template::from_tree_stack(&stack);
    template.resource_count_is("AWS::DynamoDB::Table", 0);
    template.has_resource_properties(
        "AWS::IAM::Policy",
        json!({ "PolicyDocument": { "Statement": [{ "Resource": [
            { "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders" },
            { "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/orders/index/*" },
        ] }] } }),
    );
}
