//! The synthesis record every stack cairn deploys carries: which synthesis it runs
//! (commit, dirty flag, the template's SHA-256), when and by whom it was deployed,
//! and the reason when the promotion gate was skipped (an emergency deploy).
//!
//! It lives in the template's top-level `Metadata` under [`METADATA_KEY`], added as
//! the template is sent and taken off again whenever a deployed template is read,
//! so synthesis output stays byte-identical and diffs never show it. Not in stack
//! tags on purpose: CloudFormation copies stack tags onto every resource, so a tag
//! that changes with each commit would update every resource (and replace task
//! definitions) on every deploy. CloudFormation updates template metadata only
//! together with a resource change, so the record names the synthesis that last
//! changed the stack; a later deploy without changes runs the same templates.

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Key of the record in the template's `Metadata`.
pub const METADATA_KEY: &str = "cairn:synthesis";

/// What a deployed stack records about the synthesis it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SynthesisRecord {
    /// The commit synthesized (null outside a git checkout).
    pub commit: Option<String>,
    /// The work tree had uncommitted changes.
    #[serde(default)]
    pub dirty: bool,
    /// Hex SHA-256 of the template file as `cairn synth` writes it.
    pub digest: String,
    /// RFC 3339 time the change set was made.
    pub deployed_at: String,
    /// The ARN of the identity that deployed it.
    pub deployed_by: String,
    /// `--skip-promotion-gate REASON`: the reason of an emergency deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency: Option<String>,
}

impl SynthesisRecord {
    /// The source (commit, dirty) it was synthesized from.
    pub fn source(&self) -> cairn_assembly::Source {
        cairn_assembly::Source {
            commit: self.commit.clone(),
            dirty: self.dirty,
        }
    }
}

/// Whether `stack` with a record may be too large to send inline (a record is
/// well under 1,024 bytes): the template bucket must then be at hand.
pub fn may_outgrow_inline(stack: &cairn_core::StackArtifact) -> bool {
    stack.deploy_len() + 1024 > cairn_core::template::limits::MAX_INLINE_BODY_BYTES
}

/// `template` with `record` in its `Metadata` (other metadata kept).
pub fn with_record(template: &Json, record: &SynthesisRecord) -> Json {
    let mut template = template.clone();
    if let Json::Object(top) = &mut template {
        let value = serde_json::to_value(record).unwrap_or(Json::Null);
        match top.get_mut("Metadata") {
            Some(Json::Object(metadata)) => {
                metadata.insert(METADATA_KEY.to_string(), value);
            }
            _ => {
                // `Metadata` goes first, as CloudFormation templates usually have it.
                let mut ordered = serde_json::Map::new();
                let mut metadata = serde_json::Map::new();
                metadata.insert(METADATA_KEY.to_string(), value);
                ordered.insert("Metadata".to_string(), Json::Object(metadata));
                for (k, v) in std::mem::take(top) {
                    if k != "Metadata" {
                        ordered.insert(k, v);
                    }
                }
                *top = ordered;
            }
        }
    }
    template
}

/// A deployed template without cairn's record, and the record if it has one (a
/// record that cannot be read counts as none).
pub fn split(mut template: Json) -> (Json, Option<SynthesisRecord>) {
    let mut record = None;
    if let Json::Object(top) = &mut template {
        let mut now_empty = false;
        if let Some(Json::Object(metadata)) = top.get_mut("Metadata") {
            if let Some(value) = metadata.shift_remove(METADATA_KEY) {
                record = serde_json::from_value(value).ok();
            }
            now_empty = metadata.is_empty();
        }
        if now_empty {
            top.shift_remove("Metadata");
        }
    }
    (template, record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record() -> SynthesisRecord {
        SynthesisRecord {
            commit: Some("a1b2c3d4e5f60718293a4b5c6d7e8f9012345678".into()),
            dirty: false,
            digest: "ab".repeat(32),
            deployed_at: "2026-12-01T10:00:00Z".into(),
            deployed_by: "arn:aws:sts::123456789012:assumed-role/cairn-shop-prod-deploy/gh".into(),
            emergency: Some("hotfix INC-42".into()),
        }
    }

    #[test]
    fn the_record_round_trips_and_leaves_the_template_as_it_was() {
        let template = json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Q": {"Type": "AWS::SQS::Queue"}}});
        let sent = with_record(&template, &record());
        assert_eq!(sent["Metadata"][METADATA_KEY]["emergency"], "hotfix INC-42");
        assert_eq!(sent.as_object().unwrap().keys().next().map(String::as_str), Some("Metadata"));
        let (back, found) = split(sent);
        assert_eq!(back, template);
        assert_eq!(found, Some(record()));
    }

    #[test]
    fn other_metadata_is_kept_and_a_template_without_a_record_has_none() {
        let template = json!({"Metadata": {"Owner": "shop"}, "Resources": {}});
        let (back, found) = split(with_record(&template, &record()));
        assert_eq!(back, template);
        assert!(found.is_some());
        assert_eq!(split(template.clone()), (template, None));
        let garbled = json!({"Metadata": {METADATA_KEY: "by hand"}, "Resources": {}});
        assert_eq!(split(garbled), (json!({"Resources": {}}), None));
    }
}
