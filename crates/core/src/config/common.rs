//! Checks of the settings every application's environment file carries (see
//! [`crate::EnvironmentConfig`]): the template bucket and the extra tags. An
//! application's `Validate` calls them instead of writing its own copy.

use indexmap::IndexMap;

use super::{shown, FieldError};

/// `template_bucket`, when set, must be an S3 bucket name (3–63 lowercase letters,
/// digits, dots and hyphens, starting and ending with a letter or digit).
pub fn check_template_bucket(errors: &mut Vec<FieldError>, key: &str, bucket: Option<&str>) {
    let Some(bucket) = bucket else { return };
    let ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !ok {
        errors.push(FieldError::new(
            key,
            format!(
                "`{}` is not an S3 bucket name; allowed: 3-63 lowercase letters, digits, dots and hyphens",
                shown(bucket)
            ),
        ));
    }
}

/// The extra tags of `[tags]` (`key` is the table's key, e.g. `tags`): not one cairn
/// sets itself, valid AWS tag keys and values.
pub fn check_tags(errors: &mut Vec<FieldError>, key: &str, tags: &IndexMap<String, String>) {
    for tag in tags.keys() {
        if crate::tags::RESERVED_TAG_KEYS.contains(&tag.as_str()) {
            errors.push(FieldError::new(
                format!("{key}.{}", shown(tag)),
                "is set by cairn itself; allowed: any other tag key",
            ));
        }
        if tag.is_empty() || tag.len() > 128 || tag.starts_with("aws:") {
            errors.push(FieldError::new(
                format!("{key}.{}", shown(tag)),
                "is not a valid tag key; allowed: 1 to 128 characters, not starting with `aws:`",
            ));
        }
    }
    for (tag, value) in tags {
        if value.len() > 256 {
            errors.push(FieldError::new(
                format!("{key}.{}", shown(tag)),
                "value is longer than 256 characters",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reserved_or_aws_tag_key_and_a_long_value_are_refused() {
        let mut errors = Vec::new();
        let tags: IndexMap<String, String> = [("Environment", "x"), ("aws:x", "y"), ("Team", "t")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([("Long".to_string(), "v".repeat(257))])
            .collect();
        check_tags(&mut errors, "tags", &tags);
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["tags.Environment", "tags.aws:x", "tags.Long"]);
    }

    #[test]
    fn a_template_bucket_must_be_a_bucket_name() {
        let mut errors = Vec::new();
        check_template_bucket(&mut errors, "template_bucket", Some("Bad_Bucket"));
        check_template_bucket(&mut errors, "template_bucket", Some("good-bucket.1"));
        check_template_bucket(&mut errors, "template_bucket", None);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("`Bad_Bucket` is not an S3 bucket name"));
    }
}
