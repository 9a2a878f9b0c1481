//! Checks of bucket names and log prefixes.

pub(super) const S3_PREFIX_FIX: &str = "use a prefix such as \"uploads/\": up to 512 characters, no leading `/`, no spaces, `*` or `$`";

pub(super) fn validate_s3_log_prefix(prefix: &str) -> std::result::Result<(), String> {
    if prefix.len() > 512 || prefix.starts_with('/') || prefix.chars().any(|c| c.is_whitespace() || c == '*' || c == '$') {
        Err(format!("`{prefix}` is not a valid access-log prefix"))
    } else {
        Ok(())
    }
}

pub(super) fn validate_elb_log_prefix(prefix: &str) -> std::result::Result<(), String> {
    let ok = prefix.len() <= 200
        && !prefix.starts_with('/')
        && !prefix.ends_with('/')
        && !prefix.contains("AWSLogs")
        && prefix.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("`{prefix}` is not a valid load balancer log prefix"))
    }
}

/// S3's naming rules for general purpose buckets (S3 User Guide, "Bucket naming rules").
pub(super) fn validate_bucket_name(name: &str) -> std::result::Result<(), String> {
    let looks_like_ip = name.split('.').count() == 4 && name.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
    let ok = (3..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.chars().last().is_some_and(|c| c.is_ascii_alphanumeric())
        && !name.contains("..")
        && !looks_like_ip
        && !name.starts_with("xn--")
        && !name.ends_with("-s3alias");
    if ok {
        Ok(())
    } else {
        Err(format!("`{name}` is not a valid bucket name"))
    }
}
