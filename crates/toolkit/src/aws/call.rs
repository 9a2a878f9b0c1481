//! Signed requests to the services cairn calls only once or twice per deploy: S3
//! (HeadBucket, PutObject of large templates), RDS and DynamoDB (backups before a
//! stateful change), IAM (the GitHub OIDC provider) and CloudWatch (alarm states for the
//! promotion gate). Their SDK crates would add 15 to 65 CPU-seconds each to a cold build
//! for those few operations (the whole service model is compiled); these requests use the
//! same SDK configuration (credential chain, region, endpoint variables, FIPS and dual-stack
//! settings), the SDK's SigV4 signer and the one HTTP client. CloudFormation and STS stay on
//! their SDK clients.
//!
//! Endpoints follow the SDK crates' own endpoint rules for the aws, aws-cn and aws-us-gov
//! partitions, FIPS and dual-stack variants included (`default_endpoint`); a FIPS-mandated
//! environment must not have these calls go to a standard endpoint behind its back.
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
    /// How AWS names its endpoints.
    pub endpoints: Endpoints,
}

/// How a service's AWS endpoints are named: the host-name rules of its SDK crate's endpoint
/// resolver, which differ between services for FIPS and dual-stack.
#[derive(Debug, Clone, Copy)]
pub enum Endpoints {
    /// `{name}[-fips].{region}.{dnsSuffix}`, dual-stack on the partition's
    /// `dualStackDnsSuffix` (`api.aws`); `gov_fips` is what FIPS selects in GovCloud.
    Regional {
        /// GovCloud's FIPS endpoints, which differ by service.
        gov_fips: GovCloudFips,
    },
    /// S3's own names: `s3[-fips][.dualstack].{region}.{dnsSuffix}` (the bucket goes in
    /// front), no FIPS endpoints in aws-cn.
    S3,
    /// One endpoint for a whole partition (IAM), signed for the partition's home region.
    Global,
}

/// What FIPS selects in AWS GovCloud (US), where the standard endpoints of some services are
/// FIPS-validated already (the SDK rules send FIPS requests to the standard host there).
#[derive(Debug, Clone, Copy)]
pub enum GovCloudFips {
    /// The standard host; with dual-stack, the `-fips` dual-stack host (RDS, DynamoDB).
    StandardUnlessDualStack,
    /// The standard host, dual-stack or not (CloudWatch).
    Standard,
}

/// RDS (Query, 2014-10-31).
pub const RDS: Service = Service {
    label: "RDS",
    signing_name: "rds",
    env_suffix: "RDS",
    protocol: Protocol::Query { version: "2014-10-31" },
    endpoints: Endpoints::Regional {
        gov_fips: GovCloudFips::StandardUnlessDualStack,
    },
};

/// IAM (Query, 2010-05-08; global).
pub const IAM: Service = Service {
    label: "IAM",
    signing_name: "iam",
    env_suffix: "IAM",
    protocol: Protocol::Query { version: "2010-05-08" },
    endpoints: Endpoints::Global,
};

/// CloudWatch (Query, 2010-08-01: the protocol AWS and moto both speak).
pub const CLOUDWATCH: Service = Service {
    label: "CloudWatch",
    signing_name: "monitoring",
    env_suffix: "CLOUDWATCH",
    protocol: Protocol::Query { version: "2010-08-01" },
    endpoints: Endpoints::Regional {
        gov_fips: GovCloudFips::Standard,
    },
};

/// DynamoDB (JSON 1.0).
pub const DYNAMODB: Service = Service {
    label: "DynamoDB",
    signing_name: "dynamodb",
    env_suffix: "DYNAMODB",
    protocol: Protocol::Json10 {
        target_prefix: "DynamoDB_20120810",
    },
    endpoints: Endpoints::Regional {
        gov_fips: GovCloudFips::StandardUnlessDualStack,
    },
};

/// S3 (REST).
pub const S3: Service = Service {
    label: "S3",
    signing_name: "s3",
    env_suffix: "S3",
    protocol: Protocol::Rest,
    endpoints: Endpoints::S3,
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
        let (base, signing_region) = self.endpoint(service, action)?;
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
        let (base, signing_region) = self.endpoint(service, operation)?;
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
        let overridden = self.endpoint_of(&S3);
        let in_path = overridden.is_some();
        let (base, signing_region) = self.resolved(&S3, operation, overridden)?;
        let path = key.split('/').map(uri_encode).collect::<Vec<_>>().join("/");
        let url = s3_url(&base, in_path, bucket, &path);
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

    /// The base URL for `service` and the region its requests are signed for; a
    /// configuration the SDK would refuse (FIPS with an endpoint override, …) is an error
    /// of `op` rather than a call to another endpoint than the one asked for.
    fn endpoint(&self, service: &Service, op: &str) -> AwsResult<(String, String)> {
        self.resolved(service, op, self.endpoint_of(service))
    }

    /// [`Caller::endpoint`] with the override already looked up.
    fn resolved(&self, service: &Service, op: &str, overridden: Option<String>) -> AwsResult<(String, String)> {
        let variant = EndpointVariant::of(&self.sdk_config);
        resolve(service, &self.target.region, variant, overridden).map_err(|why| AwsError::new(AwsErrorKind::Other, format!("{op}: {why}")))
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

/// The endpoint variants the SDK settings ask for: `AWS_USE_FIPS_ENDPOINT` /
/// `use_fips_endpoint` and `AWS_USE_DUALSTACK_ENDPOINT` / `use_dualstack_endpoint`, which
/// aws-config loads into the [`SdkConfig`] (unset means off, as in the SDK).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EndpointVariant {
    /// FIPS 140 validated endpoints.
    pub fips: bool,
    /// Endpoints reachable over IPv6 as well as IPv4.
    pub dual_stack: bool,
}

impl EndpointVariant {
    fn of(config: &SdkConfig) -> Self {
        EndpointVariant {
            fips: config.use_fips().unwrap_or(false),
            dual_stack: config.use_dual_stack().unwrap_or(false),
        }
    }

    /// The settings that are on, named as a user sets them, for messages.
    fn settings(self) -> String {
        let mut on = Vec::new();
        if self.fips {
            on.push("FIPS endpoints (AWS_USE_FIPS_ENDPOINT or use_fips_endpoint in the AWS profile)");
        }
        if self.dual_stack {
            on.push("dual-stack endpoints (AWS_USE_DUALSTACK_ENDPOINT or use_dualstack_endpoint in the AWS profile)");
        }
        on.join(" and ")
    }
}

/// The partitions whose endpoint rules cairn follows, with the values of the SDK's
/// partition table (`endpoint_lib.rs` of the SDK crates: dnsSuffix, dualStackDnsSuffix;
/// all three support FIPS and dual-stack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partition {
    Aws,
    China,
    GovCloud,
}

impl Partition {
    /// The partition of `region`; `None` for the others (ISO, European Sovereign Cloud)
    /// and names cairn does not recognise.
    fn of(region: &str) -> Option<Partition> {
        if region.starts_with("cn-") {
            Some(Partition::China)
        } else if region.starts_with("us-gov-") {
            Some(Partition::GovCloud)
        } else if is_aws_region(region) {
            Some(Partition::Aws)
        } else {
            None
        }
    }

    fn dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::GovCloud => "amazonaws.com",
            Partition::China => "amazonaws.com.cn",
        }
    }

    fn dual_stack_dns_suffix(self) -> &'static str {
        match self {
            Partition::Aws | Partition::GovCloud => "api.aws",
            Partition::China => "api.amazonwebservices.com.cn",
        }
    }

    /// The region global services (IAM) are signed for.
    fn home_region(self) -> &'static str {
        match self {
            Partition::Aws => "us-east-1",
            Partition::China => "cn-north-1",
            Partition::GovCloud => "us-gov-west-1",
        }
    }
}

/// The SDK's pattern of the aws partition's regions, `^(us|eu|ap|sa|ca|me|af|il|mx)-\w+-\d+$`
/// (so `us-iso-east-1` is not one).
fn is_aws_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    let word = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let number = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    matches!(parts.as_slice(), [area, name, n]
        if ["us", "eu", "ap", "sa", "ca", "me", "af", "il", "mx"].contains(area) && word(name) && number(n))
}

/// The base URL for `service` and the region to sign for: the endpoint override when there
/// is one, AWS's own endpoint otherwise. FIPS or dual-stack with an override is refused, as
/// the SDK resolvers refuse it ("FIPS and custom endpoint are not supported"): the override
/// would silently win over the FIPS requirement.
fn resolve(service: &Service, region: &str, variant: EndpointVariant, overridden: Option<String>) -> Result<(String, String), String> {
    match overridden {
        Some(url) if variant != EndpointVariant::default() => Err(format!(
            "{} cannot be combined with an endpoint override (`{url}` for {}, from --endpoint-url, \
             AWS_ENDPOINT_URL_{}, AWS_ENDPOINT_URL or endpoint_url in the AWS profile), as the AWS SDK \
             refuses them together: unset one of them (to use a specific FIPS endpoint, put its URL in \
             the override and turn the setting off)",
            variant.settings(),
            service.label,
            service.env_suffix,
        )),
        Some(url) => Ok((url, region.to_string())),
        None => default_endpoint(service, region, variant),
    }
}

/// AWS's own endpoint of `service` in `region` and the region to sign for, as the service's
/// SDK crate resolves it for `variant`; an error where the SDK has none (S3 FIPS in aws-cn).
/// A region outside the three partitions keeps the standard aws naming cairn has always
/// used, but refuses FIPS and dual-stack rather than guess their host names.
fn default_endpoint(service: &Service, region: &str, variant: EndpointVariant) -> Result<(String, String), String> {
    let partition = match Partition::of(region) {
        Some(p) => p,
        None if variant == EndpointVariant::default() => Partition::Aws,
        None => {
            return Err(format!(
                "{} are on, but cairn knows {}'s FIPS and dual-stack endpoints only in the aws, aws-cn and \
                 aws-us-gov partitions, not for region {region}: turn the setting off and set \
                 AWS_ENDPOINT_URL_{} to the endpoint to use",
                variant.settings(),
                service.label,
                service.env_suffix,
            ))
        }
    };
    let name = service.signing_name;
    match service.endpoints {
        Endpoints::Regional { gov_fips } => Ok((regional_url(name, region, partition, variant, gov_fips), region.to_string())),
        Endpoints::S3 => s3_endpoint(region, partition, variant).map(|url| (url, region.to_string())),
        Endpoints::Global => Ok((global_url(name, partition, variant), partition.home_region().to_string())),
    }
}

/// `https://{name}[-fips].{region}.{suffix}`: the standard rules of RDS, DynamoDB and
/// CloudWatch, except that GovCloud serves FIPS on the standard host (`gov_fips`).
fn regional_url(name: &str, region: &str, partition: Partition, variant: EndpointVariant, gov_fips: GovCloudFips) -> String {
    let standard_is_fips = partition == Partition::GovCloud
        && match gov_fips {
            GovCloudFips::StandardUnlessDualStack => !variant.dual_stack,
            GovCloudFips::Standard => true,
        };
    let fips = if variant.fips && !standard_is_fips { "-fips" } else { "" };
    let suffix = if variant.dual_stack {
        partition.dual_stack_dns_suffix()
    } else {
        partition.dns_suffix()
    };
    format!("https://{name}{fips}.{region}.{suffix}")
}

/// S3's regional endpoint (virtual-hosted requests put the bucket in front of its host):
/// `s3-fips`, then `.dualstack`, on the partition's standard suffix. aws-cn has no S3 FIPS
/// endpoint (the SDK: "Partition does not support FIPS").
fn s3_endpoint(region: &str, partition: Partition, variant: EndpointVariant) -> Result<String, String> {
    if variant.fips && partition == Partition::China {
        return Err(format!(
            "{} are on, but S3 has no FIPS endpoints in the China regions ({region}): \
             turn FIPS off for this environment",
            EndpointVariant {
                dual_stack: false,
                ..variant
            }
            .settings(),
        ));
    }
    let fips = if variant.fips { "-fips" } else { "" };
    let dual_stack = if variant.dual_stack { ".dualstack" } else { "" };
    Ok(format!("https://s3{fips}{dual_stack}.{region}.{}", partition.dns_suffix()))
}

/// The one endpoint of a global service (IAM) in `partition`: host names the SDK rules list
/// one by one rather than derive. GovCloud's are FIPS-validated, so FIPS changes nothing there.
fn global_url(name: &str, partition: Partition, variant: EndpointVariant) -> String {
    let fips = if variant.fips { "-fips" } else { "" };
    let host = match (partition, variant.fips, variant.dual_stack) {
        (Partition::Aws, _, false) => format!("{name}{fips}.amazonaws.com"),
        (Partition::Aws, _, true) => format!("{name}{fips}.global.api.aws"),
        (Partition::China, false, false) => format!("{name}.cn-north-1.amazonaws.com.cn"),
        (Partition::China, true, false) => format!("{name}-fips.amazonaws.com.cn"),
        (Partition::China, false, true) => format!("{name}.global.api.amazonwebservices.com.cn"),
        (Partition::China, true, true) => format!("{name}-fips.api.amazonwebservices.com.cn"),
        (Partition::GovCloud, _, false) => format!("{name}.us-gov.amazonaws.com"),
        (Partition::GovCloud, _, true) => format!("{name}.us-gov.api.aws"),
    };
    format!("https://{host}")
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

    const PLAIN: EndpointVariant = EndpointVariant {
        fips: false,
        dual_stack: false,
    };

    /// (region, FIPS, dual-stack, URL, signing region).
    type Row = (&'static str, bool, bool, &'static str, &'static str);

    fn check(service: &Service, rows: &[Row]) {
        for &(region, fips, dual_stack, url, signing_region) in rows {
            assert_eq!(
                default_endpoint(service, region, EndpointVariant { fips, dual_stack }),
                Ok((url.to_string(), signing_region.to_string())),
                "{} in {region}, fips={fips}, dual_stack={dual_stack}",
                service.label
            );
        }
    }

    #[test]
    fn aws_endpoints_follow_the_partition() {
        assert_eq!(
            default_endpoint(&RDS, "eu-west-1", PLAIN),
            Ok(("https://rds.eu-west-1.amazonaws.com".to_string(), "eu-west-1".to_string()))
        );
        assert_eq!(
            default_endpoint(&CLOUDWATCH, "cn-north-1", PLAIN).map(|e| e.0),
            Ok("https://monitoring.cn-north-1.amazonaws.com.cn".to_string())
        );
        // IAM is one endpoint per partition, signed for its home region.
        assert_eq!(
            default_endpoint(&IAM, "eu-west-1", PLAIN),
            Ok(("https://iam.amazonaws.com".to_string(), "us-east-1".to_string()))
        );
        assert_eq!(
            default_endpoint(&IAM, "us-gov-east-1", PLAIN),
            Ok(("https://iam.us-gov.amazonaws.com".to_string(), "us-gov-west-1".to_string()))
        );
        assert_eq!(
            default_endpoint(&IAM, "cn-northwest-1", PLAIN).map(|e| e.1),
            Ok("cn-north-1".to_string())
        );
        // Other partitions keep the naming cairn has always used when FIPS and dual-stack are off.
        assert_eq!(
            default_endpoint(&DYNAMODB, "us-iso-east-1", PLAIN).map(|e| e.0),
            Ok("https://dynamodb.us-iso-east-1.amazonaws.com".to_string())
        );
    }

    #[test]
    fn the_fips_and_dual_stack_settings_come_from_the_sdk_config() {
        let config = |fips: Option<bool>, dual_stack: Option<bool>| {
            let mut builder = SdkConfig::builder();
            builder.set_use_fips(fips);
            builder.set_use_dual_stack(dual_stack);
            EndpointVariant::of(&builder.build())
        };
        assert_eq!(config(None, None), PLAIN);
        assert_eq!(config(Some(false), Some(false)), PLAIN);
        assert_eq!(
            config(Some(true), None),
            EndpointVariant {
                fips: true,
                dual_stack: false
            }
        );
        assert_eq!(
            config(None, Some(true)),
            EndpointVariant {
                fips: false,
                dual_stack: true
            }
        );
    }

    /// The test cases of aws-sdk-rds 1.159.0 (src/config/endpoint.rs); GovCloud serves FIPS
    /// on the standard host unless dual-stack is on too.
    #[test]
    fn rds_endpoints_follow_the_sdk_rules() {
        check(
            &RDS,
            &[
                ("us-east-1", false, false, "https://rds.us-east-1.amazonaws.com", "us-east-1"),
                ("us-east-1", true, false, "https://rds-fips.us-east-1.amazonaws.com", "us-east-1"),
                ("us-east-1", false, true, "https://rds.us-east-1.api.aws", "us-east-1"),
                ("us-east-1", true, true, "https://rds-fips.us-east-1.api.aws", "us-east-1"),
                (
                    "ca-central-1",
                    true,
                    false,
                    "https://rds-fips.ca-central-1.amazonaws.com",
                    "ca-central-1",
                ),
                ("cn-north-1", false, false, "https://rds.cn-north-1.amazonaws.com.cn", "cn-north-1"),
                (
                    "cn-north-1",
                    true,
                    false,
                    "https://rds-fips.cn-north-1.amazonaws.com.cn",
                    "cn-north-1",
                ),
                (
                    "cn-north-1",
                    false,
                    true,
                    "https://rds.cn-north-1.api.amazonwebservices.com.cn",
                    "cn-north-1",
                ),
                (
                    "cn-north-1",
                    true,
                    true,
                    "https://rds-fips.cn-north-1.api.amazonwebservices.com.cn",
                    "cn-north-1",
                ),
                (
                    "cn-northwest-1",
                    false,
                    false,
                    "https://rds.cn-northwest-1.amazonaws.com.cn",
                    "cn-northwest-1",
                ),
                (
                    "us-gov-east-1",
                    false,
                    false,
                    "https://rds.us-gov-east-1.amazonaws.com",
                    "us-gov-east-1",
                ),
                (
                    "us-gov-east-1",
                    true,
                    false,
                    "https://rds.us-gov-east-1.amazonaws.com",
                    "us-gov-east-1",
                ),
                ("us-gov-east-1", false, true, "https://rds.us-gov-east-1.api.aws", "us-gov-east-1"),
                (
                    "us-gov-east-1",
                    true,
                    true,
                    "https://rds-fips.us-gov-east-1.api.aws",
                    "us-gov-east-1",
                ),
                (
                    "us-gov-west-1",
                    true,
                    false,
                    "https://rds.us-gov-west-1.amazonaws.com",
                    "us-gov-west-1",
                ),
            ],
        );
    }

    /// The test cases of aws-sdk-dynamodb 1.136.0 (src/config/endpoint.rs, without an account
    /// id: cairn does not use account-based endpoints); the same rules as RDS.
    #[test]
    fn dynamodb_endpoints_follow_the_sdk_rules() {
        check(
            &DYNAMODB,
            &[
                ("us-east-1", false, false, "https://dynamodb.us-east-1.amazonaws.com", "us-east-1"),
                (
                    "us-east-1",
                    true,
                    false,
                    "https://dynamodb-fips.us-east-1.amazonaws.com",
                    "us-east-1",
                ),
                ("us-east-1", false, true, "https://dynamodb.us-east-1.api.aws", "us-east-1"),
                ("us-east-1", true, true, "https://dynamodb-fips.us-east-1.api.aws", "us-east-1"),
                (
                    "us-west-2",
                    true,
                    false,
                    "https://dynamodb-fips.us-west-2.amazonaws.com",
                    "us-west-2",
                ),
                (
                    "cn-north-1",
                    false,
                    false,
                    "https://dynamodb.cn-north-1.amazonaws.com.cn",
                    "cn-north-1",
                ),
                (
                    "cn-north-1",
                    true,
                    false,
                    "https://dynamodb-fips.cn-north-1.amazonaws.com.cn",
                    "cn-north-1",
                ),
                (
                    "cn-north-1",
                    false,
                    true,
                    "https://dynamodb.cn-north-1.api.amazonwebservices.com.cn",
                    "cn-north-1",
                ),
                (
                    "cn-north-1",
                    true,
                    true,
                    "https://dynamodb-fips.cn-north-1.api.amazonwebservices.com.cn",
                    "cn-north-1",
                ),
                (
                    "us-gov-east-1",
                    false,
                    false,
                    "https://dynamodb.us-gov-east-1.amazonaws.com",
                    "us-gov-east-1",
                ),
                (
                    "us-gov-east-1",
                    true,
                    false,
                    "https://dynamodb.us-gov-east-1.amazonaws.com",
                    "us-gov-east-1",
                ),
                (
                    "us-gov-east-1",
                    false,
                    true,
                    "https://dynamodb.us-gov-east-1.api.aws",
                    "us-gov-east-1",
                ),
                (
                    "us-gov-east-1",
                    true,
                    true,
                    "https://dynamodb-fips.us-gov-east-1.api.aws",
                    "us-gov-east-1",
                ),
                (
                    "us-gov-west-1",
                    true,
                    false,
                    "https://dynamodb.us-gov-west-1.amazonaws.com",
                    "us-gov-west-1",
                ),
            ],
        );
    }

    /// aws-sdk-cloudwatch is not among this workspace's crates: the test cases of
    /// awslabs/aws-sdk-rust sdk/cloudwatch/src/config/endpoint.rs, which agree with the
    /// CloudWatch rule set botocore 1.44.8 ships (data/cloudwatch/2010-08-01). Unlike RDS,
    /// GovCloud's FIPS endpoint is the standard host with dual-stack too.
    #[test]
    fn cloudwatch_endpoints_follow_the_sdk_rules() {
        check(
            &CLOUDWATCH,
            &[
                ("us-east-1", false, false, "https://monitoring.us-east-1.amazonaws.com", "us-east-1"),
                (
                    "us-east-1",
                    true,
                    false,
                    "https://monitoring-fips.us-east-1.amazonaws.com",
                    "us-east-1",
                ),
                ("us-east-1", false, true, "https://monitoring.us-east-1.api.aws", "us-east-1"),
                ("us-east-1", true, true, "https://monitoring-fips.us-east-1.api.aws", "us-east-1"),
                (
                    "cn-northwest-1",
                    false,
                    false,
                    "https://monitoring.cn-northwest-1.amazonaws.com.cn",
                    "cn-northwest-1",
                ),
                (
                    "cn-northwest-1",
                    true,
                    false,
                    "https://monitoring-fips.cn-northwest-1.amazonaws.com.cn",
                    "cn-northwest-1",
                ),
                (
                    "cn-northwest-1",
                    false,
                    true,
                    "https://monitoring.cn-northwest-1.api.amazonwebservices.com.cn",
                    "cn-northwest-1",
                ),
                (
                    "cn-northwest-1",
                    true,
                    true,
                    "https://monitoring-fips.cn-northwest-1.api.amazonwebservices.com.cn",
                    "cn-northwest-1",
                ),
                (
                    "us-gov-west-1",
                    false,
                    false,
                    "https://monitoring.us-gov-west-1.amazonaws.com",
                    "us-gov-west-1",
                ),
                (
                    "us-gov-west-1",
                    true,
                    false,
                    "https://monitoring.us-gov-west-1.amazonaws.com",
                    "us-gov-west-1",
                ),
                (
                    "us-gov-west-1",
                    false,
                    true,
                    "https://monitoring.us-gov-west-1.api.aws",
                    "us-gov-west-1",
                ),
                (
                    "us-gov-west-1",
                    true,
                    true,
                    "https://monitoring.us-gov-west-1.api.aws",
                    "us-gov-west-1",
                ),
            ],
        );
    }

    /// The test cases of aws-sdk-iam 1.133.0 (src/config/endpoint.rs), with their
    /// signingRegion; the rules depend on the partition only, which the other regions of
    /// each partition (from that crate's resolver) show.
    #[test]
    fn iam_endpoints_follow_the_sdk_rules() {
        check(
            &IAM,
            &[
                ("us-east-1", false, false, "https://iam.amazonaws.com", "us-east-1"),
                ("us-east-1", true, false, "https://iam-fips.amazonaws.com", "us-east-1"),
                ("us-east-1", false, true, "https://iam.global.api.aws", "us-east-1"),
                ("us-east-1", true, true, "https://iam-fips.global.api.aws", "us-east-1"),
                ("eu-west-1", true, false, "https://iam-fips.amazonaws.com", "us-east-1"),
                (
                    "cn-northwest-1",
                    false,
                    false,
                    "https://iam.cn-north-1.amazonaws.com.cn",
                    "cn-north-1",
                ),
                ("cn-northwest-1", true, false, "https://iam-fips.amazonaws.com.cn", "cn-north-1"),
                (
                    "cn-northwest-1",
                    false,
                    true,
                    "https://iam.global.api.amazonwebservices.com.cn",
                    "cn-north-1",
                ),
                (
                    "cn-northwest-1",
                    true,
                    true,
                    "https://iam-fips.api.amazonwebservices.com.cn",
                    "cn-north-1",
                ),
                ("cn-north-1", true, false, "https://iam-fips.amazonaws.com.cn", "cn-north-1"),
                ("us-gov-west-1", false, false, "https://iam.us-gov.amazonaws.com", "us-gov-west-1"),
                ("us-gov-west-1", true, false, "https://iam.us-gov.amazonaws.com", "us-gov-west-1"),
                ("us-gov-west-1", false, true, "https://iam.us-gov.api.aws", "us-gov-west-1"),
                ("us-gov-west-1", true, true, "https://iam.us-gov.api.aws", "us-gov-west-1"),
                ("us-gov-east-1", true, true, "https://iam.us-gov.api.aws", "us-gov-west-1"),
            ],
        );
    }

    /// The test cases of aws-sdk-s3 1.157.0 (src/config/endpoint.rs: "virtual addressing +
    /// fips@us-west-2", "… + dualstack@cn-north-1", "fips@us-gov-west-2, bucket is not
    /// S3-dns-compatible (subdomains)", …); the GovCloud dual-stack rows and the dotted
    /// bucket with both settings come from that crate's resolver (no test case has them).
    #[test]
    fn s3_endpoints_follow_the_sdk_rules() {
        let rows: [(&str, &str, bool, bool, &str); 13] = [
            (
                "bucket-name",
                "us-west-2",
                true,
                false,
                "https://bucket-name.s3-fips.us-west-2.amazonaws.com",
            ),
            (
                "bucket-name",
                "us-west-2",
                false,
                true,
                "https://bucket-name.s3.dualstack.us-west-2.amazonaws.com",
            ),
            (
                "bucket-name",
                "us-west-2",
                true,
                true,
                "https://bucket-name.s3-fips.dualstack.us-west-2.amazonaws.com",
            ),
            (
                "bucket-name",
                "af-south-1",
                true,
                false,
                "https://bucket-name.s3-fips.af-south-1.amazonaws.com",
            ),
            (
                "bucket-name",
                "cn-north-1",
                false,
                false,
                "https://bucket-name.s3.cn-north-1.amazonaws.com.cn",
            ),
            (
                "bucket-name",
                "cn-north-1",
                false,
                true,
                "https://bucket-name.s3.dualstack.cn-north-1.amazonaws.com.cn",
            ),
            (
                "bucket.with.dots",
                "us-gov-west-1",
                true,
                false,
                "https://s3-fips.us-gov-west-1.amazonaws.com/bucket.with.dots",
            ),
            (
                "bucket-name",
                "us-gov-west-1",
                false,
                false,
                "https://bucket-name.s3.us-gov-west-1.amazonaws.com",
            ),
            (
                "bucket-name",
                "us-gov-west-1",
                true,
                false,
                "https://bucket-name.s3-fips.us-gov-west-1.amazonaws.com",
            ),
            (
                "bucket-name",
                "us-gov-west-1",
                false,
                true,
                "https://bucket-name.s3.dualstack.us-gov-west-1.amazonaws.com",
            ),
            (
                "bucket-name",
                "us-gov-east-1",
                true,
                true,
                "https://bucket-name.s3-fips.dualstack.us-gov-east-1.amazonaws.com",
            ),
            (
                "my.templates",
                "us-east-1",
                true,
                true,
                "https://s3-fips.dualstack.us-east-1.amazonaws.com/my.templates",
            ),
            (
                "my.templates",
                "cn-north-1",
                false,
                true,
                "https://s3.dualstack.cn-north-1.amazonaws.com.cn/my.templates",
            ),
        ];
        for (bucket, region, fips, dual_stack, url) in rows {
            let endpoint = default_endpoint(&S3, region, EndpointVariant { fips, dual_stack });
            assert_eq!(
                endpoint.map(|(base, signing_region)| (s3_url(&base, false, bucket, "k"), signing_region)),
                Ok((format!("{url}/k"), region.to_string())),
                "{bucket} in {region}, fips={fips}, dual_stack={dual_stack}"
            );
        }
    }

    /// aws-sdk-s3 1.157.0, "virtual addressing + fips@cn-north-1": "Partition does not
    /// support FIPS".
    #[test]
    fn s3_has_no_fips_endpoints_in_china() {
        for dual_stack in [false, true] {
            let err = default_endpoint(&S3, "cn-north-1", EndpointVariant { fips: true, dual_stack }).expect_err("no S3 FIPS in aws-cn");
            assert!(err.contains("AWS_USE_FIPS_ENDPOINT") && err.contains("cn-north-1"), "{err}");
        }
        // The other services have FIPS endpoints there.
        assert!(default_endpoint(
            &RDS,
            "cn-north-1",
            EndpointVariant {
                fips: true,
                dual_stack: false
            }
        )
        .is_ok());
    }

    /// Every crate's "For custom endpoint with fips enabled …" / "… dualstack enabled" cases
    /// (S3: "non-bucket endpoint override with FIPS = error"): the SDK refuses an override
    /// with either setting, so cairn does not let the override silently win either.
    #[test]
    fn fips_and_dual_stack_refuse_an_endpoint_override() {
        let url = || Some("https://example.com".to_string());
        for service in [&RDS, &IAM, &CLOUDWATCH, &DYNAMODB, &S3] {
            let fips = resolve(
                service,
                "us-east-1",
                EndpointVariant {
                    fips: true,
                    dual_stack: false,
                },
                url(),
            )
            .expect_err("FIPS with an override");
            assert!(fips.contains("AWS_USE_FIPS_ENDPOINT") && fips.contains("--endpoint-url"), "{fips}");
            assert!(fips.contains(&format!("AWS_ENDPOINT_URL_{}", service.env_suffix)), "{fips}");
            let dual = resolve(
                service,
                "us-east-1",
                EndpointVariant {
                    fips: false,
                    dual_stack: true,
                },
                url(),
            )
            .expect_err("dual-stack with an override");
            assert!(
                dual.contains("AWS_USE_DUALSTACK_ENDPOINT") && !dual.contains("AWS_USE_FIPS_ENDPOINT"),
                "{dual}"
            );
            // Without them the override wins, signed for the configured region (moto).
            assert_eq!(
                resolve(service, "eu-west-1", PLAIN, Some("http://127.0.0.1:5000".to_string())),
                Ok(("http://127.0.0.1:5000".to_string(), "eu-west-1".to_string()))
            );
        }
        assert_eq!(
            resolve(
                &RDS,
                "us-gov-west-1",
                EndpointVariant {
                    fips: true,
                    dual_stack: false
                },
                None
            ),
            Ok(("https://rds.us-gov-west-1.amazonaws.com".to_string(), "us-gov-west-1".to_string()))
        );
    }

    #[test]
    fn fips_outside_the_known_partitions_is_refused_not_guessed() {
        for region in ["us-iso-east-1", "us-isob-east-1", "eusc-de-east-1"] {
            let err = default_endpoint(
                &RDS,
                region,
                EndpointVariant {
                    fips: true,
                    dual_stack: false,
                },
            )
            .expect_err("unknown partition");
            assert!(err.contains(region) && err.contains("AWS_ENDPOINT_URL_RDS"), "{err}");
        }
        assert!(is_aws_region("il-central-1") && is_aws_region("ap-southeast-7"));
        assert!(!is_aws_region("us-iso-east-1") && !is_aws_region("local") && !is_aws_region("us-east-x"));
    }

    #[test]
    fn s3_buckets_go_in_the_host_name_except_on_emulators_and_with_dots() {
        let aws = default_endpoint(&S3, "eu-west-1", PLAIN).map(|e| e.0).expect("an endpoint");
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
