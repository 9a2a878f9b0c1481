//! Parity against every leaf, and renames that keep logical IDs.

use super::*;

#[test]
fn parity_finds_the_same_differing_leaves_as_comparing_every_leaf() {
    let assembly = synth_all();
    let flats: Vec<_> = assembly
        .environments
        .iter()
        .map(|e| (e.settings.name.as_str(), cairn_parity::flatten_env(e)))
        .collect();
    for (a_name, a) in &flats {
        for (b_name, b) in &flats {
            let fast = a.diff_keys(b);
            assert_eq!(fast, a.diff_keys_by_leaves(b, None));
            if a_name == b_name {
                assert!(fast.is_empty());
            } else if support::SHIPPED.contains(a_name) && support::SHIPPED.contains(b_name) {
                // dev, staging and prod differ in their knobs, so there is something to find.
                assert!(!fast.is_empty(), "{a_name} and {b_name}");
            }
        }
    }
}

#[test]
fn a_database_renamed_with_kept_logical_ids_keeps_its_physical_names_and_is_not_replaced() {
    let (data, network) = data_with_database("Database", |_| {});
    let (renamed, _) = data_with_database("Db", |_| {});
    let d = cairn_diff::compare(&data, &renamed);
    assert!(
        d.resources
            .iter()
            .any(|r| r.action == cairn_diff::Action::Remove && r.resource_type == "AWS::RDS::DBInstance"),
        "a plain rename removes the database: {d:#?}"
    );

    let (kept, kept_network) = data_with_database("Db", |s| s.keep_logical_ids("Db", "Database").unwrap());
    for (old, new) in [(&data, &kept), (&network, &kept_network)] {
        let d = cairn_diff::compare(old, new);
        assert!(d.is_empty(), "kept: no change but the construct path: {:#?}", d.resources);
    }
    let id = |t: &Json| {
        t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .find(|r| r["Type"] == "AWS::RDS::DBInstance")
            .unwrap()["Properties"]["DBInstanceIdentifier"]
            .clone()
    };
    assert_eq!(id(&kept), json!("shop-prod-data-database"));
    assert_ne!(id(&renamed), id(&kept));
}
