//! Artifact versions (`Knob::artifact`, e.g. `service.image`) between two environments:
//! what the promotion gate compares ("prod would run X, staging runs Y") and what
//! `parity` reports as promotion skew.

use cairn_assembly::ParityRecord;
use cairn_core::application::{Knob, LoadedEnv};
use serde_json::Value as Json;

use crate::attribute::knob_value;

/// An artifact version whose value differs between two environments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactSkew {
    /// The environment-file key (`service.image`).
    pub field: String,
    /// Its value in the first environment (None: unset).
    pub from: Option<Json>,
    /// Its value in the second environment (None: unset).
    pub to: Option<Json>,
}

/// The artifact versions among `knobs` whose values differ between environments `from`
/// and `to` (e.g. staging and prod), in the application's knob order.
pub fn artifact_skew<C>(knobs: &[Knob], from: &LoadedEnv<C>, to: &LoadedEnv<C>) -> Vec<ArtifactSkew> {
    artifact_skew_in_tables(knobs, &from.table, &to.table)
}

/// [`artifact_skew`] over two environment files' tables.
pub fn artifact_skew_in_tables(knobs: &[Knob], from: &toml::Table, to: &toml::Table) -> Vec<ArtifactSkew> {
    knobs
        .iter()
        .filter(|k| k.artifact)
        .map(|k| ArtifactSkew {
            field: k.key.clone(),
            from: knob_value(from, &k.key),
            to: knob_value(to, &k.key),
        })
        .filter(|s| s.from != s.to)
        .collect()
}

/// [`artifact_skew`] from two manifests' parity records (syntheses written by `synth`,
/// e.g. for `deploy --from DIR`): the fields recorded as artifact versions in either.
pub fn artifact_skew_in_records(from: &ParityRecord, to: &ParityRecord) -> Vec<ArtifactSkew> {
    let mut keys: Vec<&String> = to.fields.iter().filter(|(_, f)| f.artifact).map(|(k, _)| k).collect();
    for (k, f) in &from.fields {
        if f.artifact && !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|k| ArtifactSkew {
            field: k.clone(),
            from: from.fields.get(k).and_then(|f| f.value.clone()),
            to: to.fields.get(k).and_then(|f| f.value.clone()),
        })
        .filter(|s| s.from != s.to)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse().unwrap()
    }

    #[test]
    fn only_artifact_versions_that_differ_are_skew() {
        let knobs = [
            Knob::artifact("service.image"),
            Knob::artifact("worker.image"),
            Knob::new("service.cpu"),
        ];
        let staging = table("[service]\nimage = \"app:2\"\ncpu = 256\n[worker]\nimage = \"w:1\"\n");
        let prod = table("[service]\nimage = \"app:1\"\ncpu = 512\n[worker]\nimage = \"w:1\"\n");
        assert_eq!(
            artifact_skew_in_tables(&knobs, &staging, &prod),
            vec![ArtifactSkew {
                field: "service.image".into(),
                from: Some(Json::String("app:2".into())),
                to: Some(Json::String("app:1".into())),
            }]
        );
        assert!(artifact_skew_in_tables(&knobs, &prod, &prod).is_empty());
        // A file without the key: unset on that side.
        let bare = table("[service]\ncpu = 256\n[worker]\nimage = \"w:1\"\n");
        let s = artifact_skew_in_tables(&knobs, &bare, &prod);
        assert_eq!((s.len(), s[0].from.clone()), (1, None));
    }

    #[test]
    fn records_compare_the_fields_recorded_as_artifacts() {
        let record = |image: &str, cpu: u32| -> ParityRecord {
            serde_json::from_value(serde_json::json!({"fields": {
                "service.image": {"value": image, "artifact": true},
                "service.cpu": {"value": cpu},
            }}))
            .unwrap()
        };
        let skew = artifact_skew_in_records(&record("app:2", 256), &record("app:1", 512));
        assert_eq!(skew.len(), 1);
        assert_eq!(skew[0].field, "service.image");
        assert_eq!(skew[0].to, Some(Json::String("app:1".into())));
        assert!(artifact_skew_in_records(&record("app:1", 256), &record("app:1", 512)).is_empty());
    }
}
