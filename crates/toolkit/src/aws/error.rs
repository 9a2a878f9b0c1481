//! AWS failures as one readable line that says what to do.
//!
//! Every SDK error goes through [`from_sdk`]: the SDK's own `Display` is terse
//! ("service error", "dispatch failure") and its `Debug` is a struct dump, so the
//! message is rebuilt from the error's kind, code and source chain.

use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, OnceLock};

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_cloudformation::config::http::HttpResponse;
use aws_sdk_cloudformation::error::{ProvideErrorMetadata, SdkError};

use super::emulator::Emulator;

/// What kind of failure, for callers that react to some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwsErrorKind {
    /// No credentials could be loaded, or they are invalid or expired.
    Credentials,
    /// The caller is not allowed to do this.
    AccessDenied,
    /// The endpoint could not be reached (connection refused, DNS, timeout).
    Unreachable,
    /// AWS kept throttling after the SDK's retries.
    Throttled,
    /// The service rejected the request (CloudFormation's ValidationError and friends).
    Validation,
    /// The operation is not implemented by this endpoint (a local emulator).
    Unsupported,
    /// Anything else.
    Other,
}

/// A failed AWS call: a one-line message and its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    pub kind: AwsErrorKind,
    pub message: String,
}

pub type AwsResult<T> = Result<T, AwsError>;

impl AwsError {
    pub fn new(kind: AwsErrorKind, message: impl Into<String>) -> Self {
        AwsError {
            kind,
            message: one_line(&message.into()),
        }
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for AwsError {}

/// Where calls go, for messages about connectivity.
#[derive(Debug, Clone)]
pub struct Target {
    /// The endpoint override, if any (`http://127.0.0.1:5000`).
    pub endpoint: Option<String>,
    pub region: String,
    /// The emulator at `endpoint`, probed once, when first asked.
    emulator: Arc<OnceLock<Option<Emulator>>>,
}

impl PartialEq for Target {
    fn eq(&self, other: &Self) -> bool {
        self.endpoint == other.endpoint && self.region == other.region
    }
}

impl Eq for Target {}

impl Target {
    pub fn new(endpoint: Option<String>, region: impl Into<String>) -> Self {
        Target {
            endpoint,
            region: region.into(),
            emulator: Arc::default(),
        }
    }

    /// A target whose emulator is known already (tests, or a probe made elsewhere).
    pub fn with_emulator(mut self, emulator: Option<Emulator>) -> Self {
        self.emulator = Arc::new(OnceLock::from(emulator));
        self
    }

    /// The emulator answering at the endpoint override (`None` for AWS).
    pub fn emulator(&self) -> Option<Emulator> {
        let endpoint = self.endpoint.as_deref()?;
        *self.emulator.get_or_init(|| super::emulator::probe(endpoint))
    }

    fn describe(&self, service: &str) -> String {
        match &self.endpoint {
            Some(url) => url.clone(),
            None => format!("AWS {service} in {}", self.region),
        }
    }

    fn is_loopback(&self) -> bool {
        self.endpoint.as_deref().is_some_and(is_loopback_url)
    }
}

/// Whether an endpoint URL names this machine (`127.x.x.x`, `localhost`, `[::1]`).
pub fn is_loopback_url(url: &str) -> bool {
    url.contains("://127.") || url.contains("://localhost") || url.contains("://[::1]")
}

/// Turns an SDK error from `service`'s operation `op` into one line.
pub fn from_sdk<E>(service: &str, op: &str, target: &Target, err: &SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let chain = source_chain(err);
    if let Some(m) = credentials_problem(err, &chain, target) {
        return AwsError::new(AwsErrorKind::Credentials, m);
    }
    match err {
        SdkError::ConstructionFailure(_) => AwsError::new(
            AwsErrorKind::Other,
            format!("{op}: the request could not be built: {}", last_cause(&chain)),
        ),
        SdkError::TimeoutError(_) => unreachable_error(service, op, target, "timed out"),
        SdkError::DispatchFailure(d) => dispatch_reason(service, op, target, &chain, d.is_timeout()),
        SdkError::ResponseError(r) => response_error(op, target, service, r.raw().status().as_u16(), body_text(r.raw())),
        SdkError::ServiceError(s) => {
            let status = s.raw().status().as_u16();
            match s.err().code() {
                Some(code) => service_error(op, code, s.err().message().unwrap_or(""), target),
                None => response_error(op, target, service, status, body_text(s.raw())),
            }
        }
        _ => AwsError::new(AwsErrorKind::Other, format!("{op} failed: {}", last_cause(&chain))),
    }
}

/// A request that did not get an answer (`err` from the HTTP client), as one line.
pub(super) fn dispatch_error(service: &str, op: &str, target: &Target, err: &(dyn StdError + 'static), timeout: bool) -> AwsError {
    dispatch_reason(service, op, target, &source_chain(err), timeout)
}

fn dispatch_reason(service: &str, op: &str, target: &Target, chain: &[String], timeout: bool) -> AwsError {
    let reason = if timeout {
        "timed out".to_string()
    } else if chain
        .iter()
        .any(|c| c.contains("Connection refused") || c.contains("connection refused"))
    {
        "connection refused".to_string()
    } else if chain
        .iter()
        .any(|c| c.contains("dns error") || c.contains("failed to lookup address"))
    {
        "the host name does not resolve".to_string()
    } else {
        last_cause(chain)
    };
    unreachable_error(service, op, target, &reason)
}

/// Credentials that could not be loaded (`err` from the provider chain), as one line with the fix.
pub(super) fn credentials_message(err: &(dyn StdError + 'static), target: &Target) -> String {
    let chain = source_chain(err);
    credentials_problem(err, &chain, target).unwrap_or_else(|| format!("AWS credentials could not be loaded: {}", last_cause(&chain)))
}

fn unreachable_error(service: &str, op: &str, target: &Target, reason: &str) -> AwsError {
    let fix = if target.is_loopback() {
        "is the local endpoint running? (`make local-cloud` starts one on 127.0.0.1:5000)"
    } else if target.endpoint.is_some() {
        "check --endpoint-url / AWS_ENDPOINT_URL and that the endpoint is up"
    } else {
        "check the network connection, proxy settings (HTTPS_PROXY) and the region"
    };
    AwsError::new(
        AwsErrorKind::Unreachable,
        format!("cannot reach {} ({reason}) for {op}: {fix}", target.describe(service)),
    )
}

/// A response the SDK could not decode: an emulator's HTML error page, a proxy's page.
/// A bare HTTP 5xx from an endpoint override is "not supported" only for an operation
/// the emulator is known not to implement; any other is the endpoint failing.
pub(super) fn response_error(op: &str, target: &Target, service: &str, status: u16, body: String) -> AwsError {
    let html = body.trim_start().starts_with('<') && body.to_ascii_lowercase().contains("<html");
    if status >= 500 && (html || body.trim().is_empty()) && target.endpoint.is_some() {
        let at = target.describe(service);
        let emulator = target.emulator();
        if let Some(e) = emulator.filter(|e| e.implements(service, op) == Some(false)) {
            return AwsError::new(
                AwsErrorKind::Unsupported,
                format!(
                    "{op} is not supported by {} ({at} answered HTTP {status}: it does not implement {op})",
                    e.name()
                ),
            );
        }
        let why = match emulator {
            Some(e) => format!(
                "; {} fails this way on a resource type or property it cannot handle: its log has the cause",
                e.name()
            ),
            None => "; its log has the cause".to_string(),
        };
        return AwsError::new(
            AwsErrorKind::Other,
            format!("{op}: the endpoint failed (HTTP {status}): {at} answered with no AWS error{why}"),
        );
    }
    if status == 403 {
        return AwsError::new(
            AwsErrorKind::AccessDenied,
            format!("{op}: access denied (HTTP 403) by {}", target.describe(service)),
        );
    }
    AwsError::new(
        AwsErrorKind::Other,
        format!(
            "{op}: {} answered HTTP {status} with a response that is not an AWS answer; check the endpoint URL",
            target.describe(service)
        ),
    )
}

/// Known error codes get an explanation and a fix; others keep code and message.
pub(super) fn service_error(op: &str, code: &str, message: &str, target: &Target) -> AwsError {
    let message = message.trim();
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    match code {
        "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "AuthorizationError" => AwsError::new(
            AwsErrorKind::AccessDenied,
            format!("access denied for {op}{said}; the credentials need permission for it (check the role or policy of your profile)"),
        ),
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => AwsError::new(
            AwsErrorKind::Credentials,
            format!("the AWS credentials have expired ({code}): log in again (`aws sso login` for SSO profiles) or refresh the keys"),
        ),
        "InvalidClientTokenId" | "UnrecognizedClientException" | "SignatureDoesNotMatch" | "InvalidAccessKeyId" => AwsError::new(
            AwsErrorKind::Credentials,
            format!("the AWS credentials were rejected ({code}{said}): check AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"),
        ),
        "Throttling" | "ThrottlingException" | "RequestLimitExceeded" | "TooManyRequestsException" | "SlowDown" => AwsError::new(
            AwsErrorKind::Throttled,
            format!("AWS kept throttling {op} after retries ({code}); wait a minute and run again"),
        ),
        "ValidationError" | "ValidationException" | "InvalidParameterValue" | "InvalidParameterCombination" => {
            AwsError::new(AwsErrorKind::Validation, format!("{} rejected {op}{said}", service_name(target)))
        }
        "InsufficientCapabilitiesException" => AwsError::new(
            AwsErrorKind::Validation,
            format!("CloudFormation needs more capabilities for {op}{said}"),
        ),
        "AlreadyExistsException" => AwsError::new(AwsErrorKind::Validation, format!("{op}: already exists{said}")),
        "LimitExceededException" => AwsError::new(
            AwsErrorKind::Validation,
            format!("{op}: an account limit was reached{said}; raise the quota or remove unused stacks"),
        ),
        "TokenAlreadyExistsException" | "ChangeSetNotFound" | "ChangeSetNotFoundException" => {
            AwsError::new(AwsErrorKind::Validation, format!("{op}: {code}{said}"))
        }
        "NoSuchBucket" | "NotFound" => AwsError::new(AwsErrorKind::Validation, format!("{op}: the bucket does not exist{said}")),
        "InternalFailure" | "InternalError" | "ServiceUnavailable" => AwsError::new(
            AwsErrorKind::Other,
            format!("{op}: AWS had an internal error ({code}{said}); run again in a minute"),
        ),
        _ => AwsError::new(AwsErrorKind::Other, format!("{op} failed: {code}{said}")),
    }
}

fn service_name(target: &Target) -> &'static str {
    if target.endpoint.is_some() {
        "the endpoint"
    } else {
        "AWS"
    }
}

/// A credentials-provider failure somewhere in the chain: the SDK reports it as a
/// dispatch failure, so it is recognized before any connectivity classification,
/// by type (`CredentialsError` in the sources) and, as a fallback, by its words.
fn credentials_problem(err: &(dyn StdError + 'static), chain: &[String], target: &Target) -> Option<String> {
    let typed = credentials_error(err);
    let text = chain.join(" | ");
    let lower = text.to_ascii_lowercase();
    let not_loaded = matches!(typed, Some(CredentialsError::CredentialsNotLoaded(_)))
        || lower.contains("no credentials")
        || lower.contains("credentialsnotloaded")
        || lower.contains("could not load credentials");
    let provider_failed = typed.is_some()
        || lower.contains("failed to load credentials")
        || lower.contains("an error occurred while loading credentials")
        || lower.contains("provider error");
    // The default chain ends at the instance role (IMDS): its failure means no other
    // source had credentials either.
    let imds = lower.contains("imds") || lower.contains("instance metadata") || lower.contains("ec2instancemetadata");
    let sso = lower.contains("sso") && (lower.contains("token") || lower.contains("session"));
    if not_loaded || (provider_failed && imds && !sso) {
        return Some(no_credentials_message(target));
    }
    if provider_failed || (sso && lower.contains("expired")) {
        let fix = if sso {
            "run `aws sso login` (with the same AWS_PROFILE) and try again"
        } else {
            "check AWS_PROFILE and ~/.aws/config, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        };
        return Some(format!("could not load AWS credentials ({}): {fix}", last_cause(chain)));
    }
    None
}

/// "No credentials found" and how to set them; a local endpoint takes any keys.
pub(super) fn no_credentials_message(target: &Target) -> String {
    let profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.trim().is_empty());
    let mut m = match profile {
        Some(p) => format!(
            "no AWS credentials found (AWS_PROFILE is `{p}`, but it gave none): check that profile in ~/.aws/config \
             (then `aws sso login` for an SSO profile), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        ),
        None => "no AWS credentials found (looked at environment variables, the shared config/credentials files, SSO and the \
                 instance role): set AWS_PROFILE (then `aws sso login` for an SSO profile) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            .to_string(),
    };
    if target.endpoint.is_some() {
        m.push_str("; a local endpoint accepts any keys, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test");
    }
    m
}

/// The credentials provider's error among `err`'s sources, if one is there.
fn credentials_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a CredentialsError> {
    let mut cur: Option<&'a (dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(c) = e.downcast_ref::<CredentialsError>() {
            return Some(c);
        }
        cur = e.source();
    }
    None
}

/// Display texts of the error and its sources, outermost first.
fn source_chain(err: &(dyn StdError + 'static)) -> Vec<String> {
    let mut out = vec![err.to_string()];
    let mut cur = err.source();
    while let Some(e) = cur {
        out.push(e.to_string());
        cur = e.source();
    }
    out
}

/// The innermost cause that says something.
fn last_cause(chain: &[String]) -> String {
    chain
        .iter()
        .rev()
        .find(|s| !s.trim().is_empty())
        .map(|s| one_line(s))
        .unwrap_or_else(|| "unknown error".to_string())
}

fn body_text(raw: &HttpResponse) -> String {
    raw.body()
        .bytes()
        .map(|b| String::from_utf8_lossy(&b[..b.len().min(2048)]).into_owned())
        .unwrap_or_default()
}

/// Collapses whitespace and newlines so a message stays on one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(endpoint: Option<&str>) -> Target {
        Target::new(endpoint.map(str::to_string), "us-east-1").with_emulator(None)
    }

    #[test]
    fn known_codes_explain_what_to_do() {
        let t = target(None);
        let e = service_error("CreateChangeSet", "AccessDenied", "User x is not authorized", &t);
        assert_eq!(e.kind, AwsErrorKind::AccessDenied);
        assert!(
            e.message.contains("access denied for CreateChangeSet: User x is not authorized"),
            "{}",
            e.message
        );
        let e = service_error("DescribeStacks", "Throttling", "Rate exceeded", &t);
        assert_eq!(e.kind, AwsErrorKind::Throttled);
        assert!(e.message.contains("wait a minute"), "{}", e.message);
        let e = service_error("GetCallerIdentity", "ExpiredToken", "", &t);
        assert_eq!(e.kind, AwsErrorKind::Credentials);
        assert!(e.message.contains("aws sso login"), "{}", e.message);
        let e = service_error("CreateChangeSet", "ValidationError", "Template format error:\n bad", &t);
        assert_eq!(e.message, "AWS rejected CreateChangeSet: Template format error: bad");
    }

    #[test]
    fn html_500_is_unsupported_only_for_what_the_emulator_lacks() {
        let page = || "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>".to_string();
        let moto = Target::new(Some("http://127.0.0.1:5000".into()), "us-east-1").with_emulator(Some(Emulator::Moto));
        let e = response_error("UpdateTerminationProtection", &moto, "CloudFormation", 500, page());
        assert_eq!(e.kind, AwsErrorKind::Unsupported);
        assert_eq!(
            e.message,
            "UpdateTerminationProtection is not supported by moto (http://127.0.0.1:5000 answered HTTP 500: it does not implement UpdateTerminationProtection)"
        );
        // An operation moto implements that crashed (e.g. on a property it cannot handle).
        let e = response_error("CreateStack", &moto, "CloudFormation", 500, page());
        assert_eq!(e.kind, AwsErrorKind::Other);
        assert!(
            e.message
                .starts_with("CreateStack: the endpoint failed (HTTP 500): http://127.0.0.1:5000 answered with no AWS error; moto fails"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("not supported"), "{}", e.message);
        // An endpoint that is not a known emulator: never "not supported".
        let other = target(Some("http://127.0.0.1:4566"));
        for op in ["UpdateTerminationProtection", "CreateStack"] {
            let e = response_error(op, &other, "CloudFormation", 500, page());
            assert_eq!(e.kind, AwsErrorKind::Other, "{op}");
            assert_eq!(
                e.message,
                format!("{op}: the endpoint failed (HTTP 500): http://127.0.0.1:4566 answered with no AWS error; its log has the cause")
            );
        }
        // Services whose gaps cairn does not know: failed.
        let e = response_error("PutObject", &moto, "S3", 500, String::new());
        assert!(e.message.starts_with("PutObject: the endpoint failed (HTTP 500)"), "{}", e.message);
    }

    #[test]
    fn unreachable_loopback_points_at_local_cloud() {
        let e = unreachable_error(
            "STS",
            "GetCallerIdentity",
            &target(Some("http://127.0.0.1:9")),
            "connection refused",
        );
        assert_eq!(e.kind, AwsErrorKind::Unreachable);
        assert!(e
            .message
            .starts_with("cannot reach http://127.0.0.1:9 (connection refused) for GetCallerIdentity"));
        assert!(e.message.contains("make local-cloud"));
        let e = unreachable_error("STS", "GetCallerIdentity", &target(None), "timed out");
        assert!(
            e.message.starts_with("cannot reach AWS STS in us-east-1 (timed out)"),
            "{}",
            e.message
        );
    }

    /// A dispatch failure caused by a credentials provider, as the SDK builds it.
    fn credentials_failure(
        e: CredentialsError,
    ) -> SdkError<aws_sdk_sts::operation::get_caller_identity::GetCallerIdentityError, HttpResponse> {
        SdkError::dispatch_failure(aws_sdk_cloudformation::error::ConnectorError::other(Box::new(e), None))
    }

    #[test]
    fn credentials_provider_failures_come_before_connectivity() {
        // No keys, no profile: the default chain ends at IMDS, which refuses (seen with
        // IMDS disabled or unreachable). Before: "cannot reach …".
        let imds = std::io::Error::other("failed to load IMDS session token: request forbidden: IMDS is disabled");
        for t in [target(None), target(Some("http://127.0.0.1:5000"))] {
            let e = from_sdk(
                "STS",
                "GetCallerIdentity",
                &t,
                &credentials_failure(CredentialsError::provider_error(imds.to_string())),
            );
            assert_eq!(e.kind, AwsErrorKind::Credentials, "{}", e.message);
            assert!(e.message.starts_with("no AWS credentials found"), "{}", e.message);
            assert!(e.message.contains("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"), "{}", e.message);
            assert!(!e.message.contains("cannot reach"), "{}", e.message);
            assert_eq!(
                e.message.contains("a local endpoint accepts any keys"),
                t.endpoint.is_some(),
                "{}",
                e.message
            );
        }
        let e = from_sdk(
            "STS",
            "GetCallerIdentity",
            &target(None),
            &credentials_failure(CredentialsError::not_loaded("no providers in chain provided credentials")),
        );
        assert!(e.message.starts_with("no AWS credentials found"), "{}", e.message);
        // An expired SSO session: log in again.
        let e = from_sdk(
            "STS",
            "GetCallerIdentity",
            &target(None),
            &credentials_failure(CredentialsError::provider_error("the SSO session token has expired")),
        );
        assert_eq!(e.kind, AwsErrorKind::Credentials);
        assert!(
            e.message.starts_with("could not load AWS credentials") && e.message.contains("aws sso login"),
            "{}",
            e.message
        );
    }

    #[test]
    fn missing_credentials_are_recognized_in_the_chain() {
        let chain = vec![
            "dispatch failure".to_string(),
            "other".to_string(),
            "the credential provider was not enabled".to_string(),
            "no credentials in the property bag".to_string(),
        ];
        let io = std::io::Error::other("x");
        let m = credentials_problem(&io, &chain, &target(None)).unwrap();
        assert!(m.starts_with("no AWS credentials found"), "{m}");
        assert!(credentials_problem(&io, &["connection refused".to_string()], &target(None)).is_none());
    }
}
