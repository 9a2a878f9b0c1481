//! Signed requests to the services cairn calls only once or twice per deploy: S3
//! (HeadBucket, PutObject of large templates), RDS and DynamoDB (backups before a
//! stateful change), IAM (the GitHub OIDC provider) and CloudWatch (alarm states for the
//! promotion gate). Their SDK crates would add 15 to 65 CPU-seconds each to a cold build
//! for those few operations (the whole service model is compiled); these requests use the
//! same SDK configuration (credential chain, region, endpoint variables), the SDK's SigV4
//! signer and the one HTTP client. CloudFormation and STS stay on their SDK clients.
//!
//! Protocols: AWS Query (form POST, XML answer: RDS, IAM, CloudWatch), JSON 1.0
//! (DynamoDB) and S3's REST (path-style on an endpoint override, virtual-hosted on AWS).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::{HttpConnector, HttpConnectorSettings};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::http::Request as HttpRequest;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::byte_stream::ByteStream;
use tokio::runtime::Runtime;

use super::error::{self, AwsError, AwsErrorKind, AwsResult, Target};
use super::xml::XmlNode;

/// How a service is reached.
#[derive(Debug, Clone, Copy)]
pub enum Protocol {
    /// Form-encoded `Action=…&Version=…`, XML answers.
    Query {
        /// The API version every request names.
        version: &'static str,
    },
    /// JSON bodies, the operation in `X-Amz-Target: <prefix>.<Operation>`.
    Json10 {
        /// The target prefix (`DynamoDB_20120810`).
        target_prefix: &'static str,
    },
    /// REST (S3).
    Rest,
}

/// A service cairn calls without its SDK crate.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    /// Its name in messages ("RDS").
    pub label: &'static str,
    /// The SigV4 signing name, also the first label of its host name.
    pub signing_name: &'static str,
    /// The suffix of its endpoint variable (`AWS_ENDPOINT_URL_RDS`).
    pub env_suffix: &'static str,
    /// How requests are encoded.
    pub protocol: Protocol,
    /// One endpoint for a whole partition (IAM), signed for the partition's home region.
    pub global: bool,
}

/// RDS (Query, 2014-10-31).
pub const RDS: Service = Service {
    label: "RDS",
    signing_name: "rds",
    env_suffix: "RDS",
    protocol: Protocol::Query { version: "2014-10-31" },
    global: false,
};

/// IAM (Query, 2010-05-08; global).
pub const IAM: Service = Service {
    label: "IAM",
    signing_name: "iam",
    env_suffix: "IAM",
    protocol: Protocol::Query { version: "2010-05-08" },
    global: true,
};

/// CloudWatch (Query, 2010-08-01: the protocol AWS and moto both speak).
pub const CLOUDWATCH: Service = Service {
    label: "CloudWatch",
    signing_name: "monitoring",
    env_suffix: "CLOUDWATCH",
    protocol: Protocol::Query { version: "2010-08-01" },
    global: false,
};

/// DynamoDB (JSON 1.0).
pub const DYNAMODB: Service = Service {
    label: "DynamoDB",
    signing_name: "dynamodb",
    env_suffix: "DYNAMODB",
    protocol: Protocol::Json10 {
        target_prefix: "DynamoDB_20120810",
    },
    global: false,
};

/// S3 (REST).
pub const S3: Service = Service {
    label: "S3",
    signing_name: "s3",
    env_suffix: "S3",
    protocol: Protocol::Rest,
    global: false,
};

/// What a call gets back: the HTTP status and the body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// Signs and sends requests with an environment's SDK configuration; each call blocks
/// on cairn's runtime.
#[derive(Clone)]
pub struct Caller {
    sdk_config: SdkConfig,
    runtime: &'static Runtime,
    target: Target,
    /// `--endpoint-url`: wins over every endpoint variable.
    endpoint_flag: Option<String>,
    /// The connection pool, made on the first request (inside the runtime) and shared
    /// by every clone of this caller.
    connector: Arc<OnceLock<aws_smithy_http_client::Connector>>,
}

/// A request before signing.
struct Outgoing<'a> {
    method: &'a str,
    url: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    signing_region: String,
}

impl Caller {
    pub fn new(sdk_config: SdkConfig, runtime: &'static Runtime, target: Target, endpoint_flag: Option<String>) -> Self {
        Caller {
            sdk_config,
            runtime,
            target,
            endpoint_flag,
            connector: Arc::default(),
        }
    }

    /// The region and endpoint calls go to, for messages.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// An AWS Query action with `params` (`Name`, `List.member.1`, …); the parsed XML
    /// answer, or the service's error as an [`AwsError`].
    pub fn query(&self, service: &Service, action: &str, params: &[(String, String)]) -> AwsResult<XmlNode> {
        let Protocol::Query { version } = service.protocol else {
            return Err(AwsError::new(
                AwsErrorKind::Other,
                format!("{} is not a query service", service.label),
            ));
        };
        let mut body = format!("Action={}&Version={}", uri_encode(action), uri_encode(version));
        for (k, v) in params {
            body.push('&');
            body.push_str(&uri_encode(k));
            body.push('=');
            body.push_str(&uri_encode(v));
        }
        let (base, signing_region) = self.endpoint(service);
        let answer = self.send(
            service,
            action,
            Outgoing {
                method: "POST",
                url: format!("{}/", base.trim_end_matches('/')),
                headers: vec![("content-type", "application/x-www-form-urlencoded; charset=utf-8".to_string())],
                body: body.into_bytes(),
                signing_region,
            },
        )?;
        if !(200..300).contains(&answer.status) {
            return Err(self.xml_failure(service, action, &answer));
        }
        XmlNode::parse(&answer.body).map_err(|e| {
            AwsError::new(
                AwsErrorKind::Other,
                format!("{action}: {} answered with XML cairn cannot read ({e})", service.label),
            )
        })
    }

    /// A JSON 1.0 operation; the answer's JSON, or the service's error.
    pub fn json(&self, service: &Service, operation: &str, request: &serde_json::Value) -> AwsResult<serde_json::Value> {
        let Protocol::Json10 { target_prefix } = service.protocol else {
            return Err(AwsError::new(
                AwsErrorKind::Other,
                format!("{} is not a JSON service", service.label),
            ));
        };
        let (base, signing_region) = self.endpoint(service);
        let answer = self.send(
            service,
            operation,
            Outgoing {
                method: "POST",
                url: format!("{}/", base.trim_end_matches('/')),
                headers: vec![
                    ("content-type", "application/x-amz-json-1.0".to_string()),
                    ("x-amz-target", format!("{target_prefix}.{operation}")),
                ],
                body: request.to_string().into_bytes(),
                signing_region,
            },
        )?;
        let json: Option<serde_json::Value> = serde_json::from_str(&answer.body).ok();
        if (200..300).contains(&answer.status) {
            return json.ok_or_else(|| {
                AwsError::new(
                    AwsErrorKind::Other,
                    format!("{operation}: {} answered with JSON cairn cannot read", service.label),
                )
            });
        }
        // `"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"`.
        let code = json
            .as_ref()
            .and_then(|j| j.get("__type").and_then(|t| t.as_str()))
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_string());
        let message = json
            .as_ref()
            .and_then(|j| j.get("message").or_else(|| j.get("Message")))
            .and_then(|m| m.as_str())
            .map(str::to_string);
        Err(self.failure(service, operation, answer.status, code, message, &answer.body))
    }

    /// An S3 request on `bucket` (and `key`): the status and body, whatever the status
    /// (HeadBucket's 404 is an answer, not a failure).
    pub fn s3(&self, method: &str, operation: &str, bucket: &str, key: &str, content_type: Option<&str>, body: &[u8]) -> AwsResult<Answer> {
        let (base, signing_region) = self.endpoint(&S3);
        let path = key.split('/').map(uri_encode).collect::<Vec<_>>().join("/");
        let url = s3_url(&base, self.endpoint_of(&S3).is_some(), bucket, &path);
        let mut headers = Vec::new();
        if let Some(ct) = content_type {
            headers.push(("content-type", ct.to_string()));
        }
        self.send(
            &S3,
            operation,
            Outgoing {
                method,
                url,
                headers,
                body: body.to_vec(),
                signing_region,
            },
        )
    }

    /// An error answer with an XML body (AWS Query, S3) as an [`AwsError`].
    pub fn xml_failure(&self, service: &Service, op: &str, answer: &Answer) -> AwsError {
        let xml = XmlNode::parse(&answer.body).ok();
        let text = |name: &str| xml.as_ref().and_then(|x| x.find(name)).map(|n| n.text.clone());
        self.failure(service, op, answer.status, text("Code"), text("Message"), &answer.body)
    }

    /// An error answer as an [`AwsError`]: the service's code and message when it gave
    /// them, otherwise the status and the start of the body.
    pub fn failure(&self, service: &Service, op: &str, status: u16, code: Option<String>, message: Option<String>, body: &str) -> AwsError {
        match code {
            Some(code) => error::service_error(op, &code, message.as_deref().unwrap_or(""), &self.target),
            None => error::response_error(op, &self.target, service.label, status, body.chars().take(2048).collect()),
        }
    }

    /// The endpoint override for `service`: `--endpoint-url`, else its own variable
    /// (`AWS_ENDPOINT_URL_RDS`), else `AWS_ENDPOINT_URL` (the SDK's order); none when
    /// `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
    fn endpoint_of(&self, service: &Service) -> Option<String> {
        if let Some(flag) = &self.endpoint_flag {
            return Some(flag.clone());
        }
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        if var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
            return None;
        }
        var(&format!("AWS_ENDPOINT_URL_{}", service.env_suffix)).or_else(|| self.sdk_config.endpoint_url().map(str::to_string))
    }

    /// The base URL for `service` and the region its requests are signed for.
    fn endpoint(&self, service: &Service) -> (String, String) {
        let region = self.target.region.clone();
        if let Some(url) = self.endpoint_of(service) {
            return (url, region);
        }
        default_endpoint(service, &region)
    }

    fn send(&self, service: &Service, op: &str, out: Outgoing<'_>) -> AwsResult<Answer> {
        let target = &self.target;
        let credentials = self.sdk_config.credentials_provider();
        self.runtime.block_on(async {
            let Some(provider) = credentials else {
                return Err(AwsError::new(AwsErrorKind::Credentials, error::no_credentials_message(target)));
            };
            let credentials = provider
                .provide_credentials()
                .await
                .map_err(|e| AwsError::new(AwsErrorKind::Credentials, error::credentials_message(&e, target)))?;
            let identity = Identity::from(credentials);
            let request = signed(service, &out, &identity)
                .map_err(|e| AwsError::new(AwsErrorKind::Other, format!("{op}: the request could not be built: {e}")))?;
            let connector = self.connector.get_or_init(|| {
                aws_smithy_http_client::Connector::builder()
                    .connector_settings(
                        HttpConnectorSettings::builder()
                            .connect_timeout(Duration::from_secs(10))
                            .read_timeout(Duration::from_secs(60))
                            .build(),
                    )
                    .tls_provider(super::tls_provider())
                    .build()
            });
            let response = connector
                .call(request)
                .await
                .map_err(|e| error::dispatch_error(service.label, op, target, &e, e.is_timeout()))?;
            let status = response.status().as_u16();
            let bytes = ByteStream::new(response.into_body())
                .collect()
                .await
                .map_err(|e| error::dispatch_error(service.label, op, target, &e, false))?
                .into_bytes();
            Ok(Answer {
                status,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            })
        })
    }
}

/// AWS's own endpoint of `service` in `region` and the region to sign for.
fn default_endpoint(service: &Service, region: &str) -> (String, String) {
    let (dns, home) = if region.starts_with("cn-") {
        ("amazonaws.com.cn", "cn-north-1")
    } else if region.starts_with("us-gov-") {
        ("amazonaws.com", "us-gov-west-1")
    } else {
        ("amazonaws.com", "us-east-1")
    };
    let name = service.signing_name;
    if service.global {
        return match home {
            "cn-north-1" => (format!("https://{name}.cn-north-1.{dns}"), home.to_string()),
            "us-gov-west-1" => (format!("https://{name}.us-gov.{dns}"), home.to_string()),
            _ => (format!("https://{name}.{dns}"), home.to_string()),
        };
    }
    (format!("https://{name}.{region}.{dns}"), region.to_string())
}

/// The URL of `path` in `bucket`: in the path on an endpoint override (emulators serve S3
/// on one host:port) and for a bucket name with dots (it would not match AWS's wildcard
/// TLS certificate as a host name, so the SDK uses the path there too); in the host name
/// otherwise.
fn s3_url(base: &str, overridden: bool, bucket: &str, path: &str) -> String {
    let base = base.trim_end_matches('/');
    if overridden || bucket.contains('.') {
        format!("{base}/{bucket}/{path}")
    } else {
        let host = base.trim_start_matches("https://");
        format!("https://{bucket}.{host}/{path}")
    }
}

/// The request with its SigV4 headers.
fn signed(service: &Service, out: &Outgoing<'_>, identity: &Identity) -> Result<HttpRequest, String> {
    let mut settings = SigningSettings::default();
    if matches!(service.protocol, Protocol::Rest) {
        // S3 signs the path as sent and carries the payload's hash in a header.
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region(&out.signing_region)
        .name(service.signing_name)
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let signable = SignableRequest::new(
        out.method,
        out.url.as_str(),
        out.headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Bytes(&out.body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(signable, &params).map_err(|e| e.to_string())?.into_parts();
    let mut builder = http::Request::builder().method(out.method).uri(out.url.as_str());
    for (k, v) in &out.headers {
        builder = builder.header(*k, v.as_str());
    }
    let mut request = builder.body(SdkBody::from(out.body.clone())).map_err(|e| e.to_string())?;
    instructions.apply_to_request_http1x(&mut request);
    HttpRequest::try_from(request).map_err(|e| e.to_string())
}

/// Percent-encodes everything but RFC 3986's unreserved characters: form values as AWS
/// Query reads them, and S3 key segments.
fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_endpoints_follow_the_partition() {
        assert_eq!(
            default_endpoint(&RDS, "eu-west-1"),
            ("https://rds.eu-west-1.amazonaws.com".to_string(), "eu-west-1".to_string())
        );
        assert_eq!(
            default_endpoint(&CLOUDWATCH, "cn-north-1").0,
            "https://monitoring.cn-north-1.amazonaws.com.cn"
        );
        // IAM is one endpoint per partition, signed for its home region.
        assert_eq!(
            default_endpoint(&IAM, "eu-west-1"),
            ("https://iam.amazonaws.com".to_string(), "us-east-1".to_string())
        );
        assert_eq!(
            default_endpoint(&IAM, "us-gov-east-1"),
            ("https://iam.us-gov.amazonaws.com".to_string(), "us-gov-west-1".to_string())
        );
        assert_eq!(default_endpoint(&IAM, "cn-northwest-1").1, "cn-north-1");
    }

    #[test]
    fn s3_buckets_go_in_the_host_name_except_on_emulators_and_with_dots() {
        let aws = default_endpoint(&S3, "eu-west-1").0;
        assert_eq!(
            s3_url(&aws, false, "cairn-templates-1-eu-west-1", "cairn/x.json"),
            "https://cairn-templates-1-eu-west-1.s3.eu-west-1.amazonaws.com/cairn/x.json"
        );
        assert_eq!(
            s3_url(&aws, false, "my.templates", "k"),
            "https://s3.eu-west-1.amazonaws.com/my.templates/k"
        );
        assert_eq!(s3_url("http://127.0.0.1:5000/", true, "b", "k"), "http://127.0.0.1:5000/b/k");
    }

    #[test]
    fn forms_and_paths_are_percent_encoded() {
        assert_eq!(uri_encode("shop-prod 5xx/x"), "shop-prod%205xx%2Fx");
        assert_eq!(uri_encode("a~b_c.d"), "a~b_c.d");
        assert_eq!(uri_encode("ü"), "%C3%BC");
    }

    #[test]
    fn query_requests_are_signed_for_the_service_and_region() {
        let identity = Identity::from(aws_credential_types::Credentials::from_keys("AKID", "SECRET", None));
        let request = signed(
            &RDS,
            &Outgoing {
                method: "POST",
                url: "https://rds.eu-west-1.amazonaws.com/".to_string(),
                headers: vec![("content-type", "application/x-www-form-urlencoded; charset=utf-8".to_string())],
                body: b"Action=DescribeDBSnapshots&Version=2014-10-31".to_vec(),
                signing_region: "eu-west-1".to_string(),
            },
            &identity,
        )
        .expect("signed");
        let auth = request.headers().get("authorization").expect("an Authorization header");
        assert!(auth.starts_with("AWS4-HMAC-SHA256 Credential=AKID/"), "{auth}");
        assert!(auth.contains("/eu-west-1/rds/aws4_request"), "{auth}");
        assert!(request.headers().get("x-amz-date").is_some());
    }
}
