//! A template bucket for the fake.

use super::*;

/// A template bucket for the fake: uploads become URLs the fake serves.
pub struct FakeStore<'a> {
    pub cfn: &'a FakeCloudFormation,
    pub buckets: Vec<String>,
}

impl TemplateStore for FakeStore<'_> {
    fn bucket_exists(&self, bucket: &str) -> AwsResult<bool> {
        Ok(self.buckets.iter().any(|b| b == bucket))
    }

    fn upload(&self, bucket: &str, key: &str, body: &str) -> AwsResult<String> {
        let url = crate::aws::templates::template_url(bucket, key, "us-east-1", false);
        let mut s = self.cfn.state.borrow_mut();
        s.record(format!("PutObject s3://{bucket}/{key}"));
        s.urls.insert(url.clone(), body.to_string());
        Ok(url)
    }
}
