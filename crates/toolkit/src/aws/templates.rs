//! Templates over 51,200 bytes go to S3 and reach CloudFormation by URL.

use md5::{Digest, Md5};

use super::call::{Caller, S3};
use super::error::{AwsError, AwsErrorKind, AwsResult};

/// Where templates are uploaded.
pub trait TemplateStore {
    /// Whether the bucket exists and can be used.
    fn bucket_exists(&self, bucket: &str) -> AwsResult<bool>;
    /// Uploads `body` under `key` and returns the URL CloudFormation reads it from.
    fn upload(&self, bucket: &str, key: &str, body: &str) -> AwsResult<String>;
}

/// The object key of a template: content-addressed, so a re-upload of the same bytes is a no-op for readers.
pub fn template_key(app: &str, env: &str, stack: &str, body: &str) -> String {
    let digest = Md5::digest(body.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("cairn/{app}/{env}/{stack}-{hex}.template.json")
}

/// The name of the bucket `cairn bootstrap` creates for an account and region.
pub fn bootstrap_bucket_name(account: &str, region: &str) -> String {
    format!("cairn-templates-{account}-{region}")
}

/// The URL CloudFormation reads an S3 object from.
pub fn template_url(bucket: &str, key: &str, region: &str, legacy: bool) -> String {
    if legacy {
        // The global form; the only one moto 5 accepts.
        return format!("https://{bucket}.s3.amazonaws.com/{key}");
    }
    let suffix = if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    format!("https://{bucket}.s3.{region}.{suffix}/{key}")
}

/// [`TemplateStore`] on S3 (HeadBucket, PutObject).
#[derive(Clone)]
pub struct S3TemplateStore {
    caller: Caller,
    legacy_urls: bool,
}

impl S3TemplateStore {
    pub fn new(caller: Caller, legacy_urls: bool) -> Self {
        S3TemplateStore { caller, legacy_urls }
    }
}

impl TemplateStore for S3TemplateStore {
    fn bucket_exists(&self, bucket: &str) -> AwsResult<bool> {
        let answer = self.caller.s3("HEAD", "HeadBucket", bucket, "", None, b"")?;
        match answer.status {
            200..=299 => Ok(true),
            404 => Ok(false),
            403 => Err(AwsError::new(
                AwsErrorKind::AccessDenied,
                format!("access denied to template bucket `{bucket}` (HeadBucket): it belongs to another account, or the credentials lack s3:ListBucket on it"),
            )),
            // HEAD answers have no body: the status is all there is.
            301 => Err(AwsError::new(
                AwsErrorKind::Other,
                format!(
                    "template bucket `{bucket}` is in another region than {} (HeadBucket: 301); use a bucket in the environment's region",
                    self.caller.target().region
                ),
            )),
            status => Err(self.caller.failure(&S3, "HeadBucket", status, None, None, &answer.body)),
        }
    }

    fn upload(&self, bucket: &str, key: &str, body: &str) -> AwsResult<String> {
        let answer = self
            .caller
            .s3("PUT", "PutObject", bucket, key, Some("application/json"), body.as_bytes())?;
        if !(200..300).contains(&answer.status) {
            return Err(self.caller.xml_failure(&S3, "PutObject", &answer));
        }
        Ok(template_url(bucket, key, &self.caller.target().region, self.legacy_urls))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_content() {
        let a = template_key("shop", "prod", "shop-prod-service", "{}");
        assert_eq!(
            a,
            "cairn/shop/prod/shop-prod-service-99914b932bd37a50b983c5e7c90ae93b.template.json"
        );
        assert_ne!(a, template_key("shop", "prod", "shop-prod-service", "{ }"));
    }

    #[test]
    fn urls_have_the_form_the_endpoint_reads() {
        assert_eq!(
            template_url("b", "k/x.json", "eu-west-1", false),
            "https://b.s3.eu-west-1.amazonaws.com/k/x.json"
        );
        assert_eq!(
            template_url("b", "k", "cn-north-1", false),
            "https://b.s3.cn-north-1.amazonaws.com.cn/k"
        );
        assert_eq!(template_url("b", "k", "eu-west-1", true), "https://b.s3.amazonaws.com/k");
        assert_eq!(
            bootstrap_bucket_name("123456789012", "us-east-1"),
            "cairn-templates-123456789012-us-east-1"
        );
    }
}
