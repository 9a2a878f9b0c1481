//! Everything that talks to AWS (or a local endpoint that speaks its APIs).
//!
//! - [`connect`] builds the clients from an environment's settings: credentials
//!   and everything else from the standard chain (environment, profile, SSO,
//!   instance role), the region from the environment file, the endpoint from
//!   `--endpoint-url` or the SDK's `AWS_ENDPOINT_URL*` variables.
//! - [`CloudFormation`] is the trait the deploy logic runs against; the SDK
//!   implements it in [`sdk`], tests script it in `fake`.
//! - Every SDK error becomes one readable line ([`error`]).
//! - [`runtime`] is the only place a tokio runtime is created.

pub mod alarms;
pub mod backups;
pub mod call;
pub mod cloudformation;
pub mod drift;
pub mod emulator;
pub mod error;
pub mod oidc;
pub mod sdk;
pub mod templates;
pub mod xml;

#[cfg(test)]
pub(crate) mod fake;

use std::future::Future;
use std::sync::OnceLock;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use cairn_core::EnvSettings;
use clap::Args;
use tokio::runtime::Runtime;

pub use cloudformation::{
    ChangeSetInfo, ChangeSetRequest, ChangeSetSummary, ChangeSetType, CloudFormation, CreatedChangeSet, ResourceChange,
    RollbackConfiguration, StackEvent, StackInfo, StackRequest, StackResource, TemplateSource,
};
pub use emulator::Emulator;
pub use error::{AwsError, AwsErrorKind, AwsResult, Target};
pub use sdk::SdkCloudFormation;
pub use templates::{S3TemplateStore, TemplateStore};

use crate::error::{CliError, CliResult};

/// `--endpoint-url`, shared by every command that talks to AWS.
#[derive(Debug, Clone, Default, Args)]
pub struct EndpointArgs {
    /// Send every AWS call to this URL (a local endpoint such as moto); the SDK's
    /// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> variables work too.
    #[arg(long, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

/// The process's tokio runtime (created on first use, never twice).
pub fn runtime() -> CliResult<&'static Runtime> {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    if let Some(rt) = RUNTIME.get() {
        return Ok(rt);
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
    Ok(RUNTIME.get_or_init(|| rt))
}

/// What a local emulator does differently from CloudFormation, so cairn can work around it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quirks {
    /// Emulator name for messages (`moto`), `None` for AWS or an unknown endpoint.
    pub emulator: Option<&'static str>,
    /// ExecuteChangeSet of a CREATE change set neither resolves `Fn::ImportValue` nor
    /// registers the stack's exports (moto 5): new stacks are created with CreateStack
    /// from the reviewed template instead.
    pub create_with_create_stack: bool,
    /// Updates neither register new exports nor refresh changed ones (moto 5's registry
    /// learns exports only at CreateStack), and ExecuteChangeSet of an update leaves the
    /// stack without Outputs: updates go through UpdateStack with the reviewed template,
    /// and imports the registry cannot serve are sent as the exporting stack's current
    /// value (`deploy::imports`).
    pub update_with_update_stack: bool,
    /// TemplateURL must be `https://BUCKET.s3.amazonaws.com/KEY` (moto 5).
    pub legacy_s3_urls: bool,
    /// Creating an `AWS::KMS::Key` that has `Tags` fails (moto 5 reads them in the KMS
    /// API's shape): keys are sent without their tags.
    pub untagged_kms_keys: bool,
}

impl Quirks {
    pub fn moto() -> Self {
        Quirks {
            emulator: Some("moto"),
            create_with_create_stack: true,
            update_with_update_stack: true,
            legacy_s3_urls: true,
            untagged_kms_keys: true,
        }
    }

    /// `template` as it is sent to this endpoint (unchanged for AWS).
    pub fn as_sent<'a>(&self, template: &'a serde_json::Value) -> std::borrow::Cow<'a, serde_json::Value> {
        if !self.untagged_kms_keys {
            return std::borrow::Cow::Borrowed(template);
        }
        let tagged_key = |r: &serde_json::Value| r["Type"] == "AWS::KMS::Key" && r["Properties"].get("Tags").is_some();
        if !template["Resources"].as_object().is_some_and(|r| r.values().any(tagged_key)) {
            return std::borrow::Cow::Borrowed(template);
        }
        let mut sent = template.clone();
        if let Some(resources) = sent["Resources"].as_object_mut() {
            for r in resources.values_mut() {
                if r["Type"] == "AWS::KMS::Key" {
                    if let Some(props) = r["Properties"].as_object_mut() {
                        props.shift_remove("Tags");
                    }
                }
            }
        }
        std::borrow::Cow::Owned(sent)
    }
}

/// The clients of one environment's account and region.
#[derive(Clone)]
pub struct AwsClients {
    /// CloudFormation, for [`Deployer`](crate::deploy::Deployer).
    pub cloudformation: SdkCloudFormation,
    /// STS, for checking the account.
    pub sts: aws_sdk_sts::Client,
    /// The shared SDK configuration (region, credentials, endpoint).
    pub sdk_config: SdkConfig,
    /// Region and endpoint override, for messages.
    pub target: Target,
    runtime: &'static Runtime,
    /// Signed requests to the services cairn calls without an SDK crate (S3, RDS,
    /// DynamoDB, IAM, CloudWatch).
    caller: call::Caller,
}

/// Builds the clients for `settings`' region; `endpoint` (from `--endpoint-url`) wins over
/// `AWS_ENDPOINT_URL`. Makes no call yet: credentials are resolved on the first request.
pub fn connect(settings: &EnvSettings, endpoint: Option<&str>) -> CliResult<AwsClients> {
    check_endpoints(endpoint, |name| std::env::var(name).ok())?;
    let runtime = runtime()?;
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .region(Region::new(settings.region.clone()));
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    if local_needs_test_credentials(endpoint.map(str::to_string).or_else(|| env("AWS_ENDPOINT_URL")).as_deref(), env) {
        loader = loader.credentials_provider(Credentials::new("test", "test", None, None, "cairn-local-endpoint"));
    }
    let sdk_config = runtime.block_on(loader.load());
    let target = Target::new(
        endpoint
            .map(str::to_string)
            .or_else(|| sdk_config.endpoint_url().map(str::to_string)),
        settings.region.clone(),
    );
    let cfn = aws_sdk_cloudformation::Client::new(&sdk_config);
    let caller = call::Caller::new(sdk_config.clone(), runtime, target.clone(), endpoint.map(str::to_string));
    Ok(AwsClients {
        cloudformation: SdkCloudFormation::new(cfn, runtime, target.clone()),
        sts: aws_sdk_sts::Client::new(&sdk_config),
        sdk_config,
        target,
        runtime,
        caller,
    })
}

/// The HTTP client of every AWS call: rustls on ring, the platform's root certificates.
/// The SDK crates are built without their default clients (which bring a second TLS
/// stack and aws-lc's C build), so every `SdkConfig` needs this one:
/// `aws_config::defaults(..).http_client(cairn_toolkit::http_client())`.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(tls_provider()).build_https()
}

/// The one TLS stack: rustls on ring (the signed requests of [`call`] use it too).
fn tls_provider() -> aws_smithy_http_client::tls::Provider {
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    Provider::Rustls(CryptoMode::Ring)
}

/// A local emulator (a loopback endpoint) accepts any keys: when the caller set none
/// (no `AWS_ACCESS_KEY_ID`, no `AWS_PROFILE`), use test keys instead of failing, so
/// `AWS_ENDPOINT_URL=http://127.0.0.1:5000 cairn deploy staging` works as it is.
fn local_needs_test_credentials(endpoint: Option<&str>, env: impl Fn(&str) -> Option<String>) -> bool {
    endpoint.is_some_and(error::is_loopback_url) && env("AWS_ACCESS_KEY_ID").is_none() && env("AWS_PROFILE").is_none()
}

/// The endpoint variables the SDK reads for the services cairn calls.
const ENDPOINT_VARIABLES: [&str; 8] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_CLOUDFORMATION",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_RDS",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_CLOUDWATCH",
];

/// Refuses (bad input, before any call) an endpoint override that is not an
/// `http://` or `https://` URL with a host: `--endpoint-url`, then the SDK's
/// `AWS_ENDPOINT_URL*` variables (`var` reads the environment).
fn check_endpoints(flag: Option<&str>, var: impl Fn(&str) -> Option<String>) -> CliResult<()> {
    if let Some(url) = flag {
        if let Err(why) = check_endpoint_url(url) {
            return Err(CliError::BadInput(format!(
                "--endpoint-url `{url}` is not a usable endpoint ({why}); pass e.g. --endpoint-url http://127.0.0.1:5000"
            )));
        }
    }
    let ignored = var("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
    if flag.is_some() || ignored {
        return Ok(());
    }
    for name in ENDPOINT_VARIABLES {
        let Some(url) = var(name) else { continue };
        if url.is_empty() {
            continue;
        }
        if let Err(why) = check_endpoint_url(&url) {
            return Err(CliError::BadInput(format!(
                "{name}=`{url}` is not a usable endpoint ({why}); set it to e.g. http://127.0.0.1:5000, or unset it to use AWS"
            )));
        }
    }
    Ok(())
}

/// `http://HOST[:PORT][/PATH]` or `https://…`; the reason otherwise.
fn check_endpoint_url(url: &str) -> Result<(), &'static str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("it must start with http:// or https://")?;
    if url.chars().any(char::is_whitespace) {
        return Err("it contains a space");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) => (h, p.strip_prefix(':')),
            None => return Err("its IPv6 address lacks the closing `]`"),
        }
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    if host.is_empty() {
        return Err("it has no host");
    }
    if let Some(p) = port {
        if p.parse::<u16>().is_err() {
            return Err("its port is not a number from 0 to 65535");
        }
    }
    Ok(())
}

impl AwsClients {
    /// Runs a future on cairn's runtime (for SDK calls outside the trait).
    pub fn block_on<F: Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// The endpoint override in effect, if any.
    pub fn endpoint(&self) -> Option<&str> {
        self.target.endpoint.as_deref()
    }

    /// The account of the credentials in use (STS GetCallerIdentity).
    pub fn caller_account(&self) -> AwsResult<String> {
        Ok(self.caller()?.0)
    }

    /// The account and ARN of the identity the credentials belong to (GetCallerIdentity).
    pub fn caller(&self) -> AwsResult<(String, String)> {
        let out = self
            .runtime
            .block_on(self.sts.get_caller_identity().send())
            .map_err(|e| error::from_sdk("STS", "GetCallerIdentity", &self.target, &e))?;
        let account = out
            .account()
            .map(str::to_string)
            .ok_or_else(|| AwsError::new(AwsErrorKind::Other, "GetCallerIdentity returned no account"))?;
        Ok((account, out.arn().unwrap_or("unknown").to_string()))
    }

    /// Refuses credentials of another account than the environment's.
    pub fn check_account(&self, settings: &EnvSettings) -> CliResult<String> {
        let account = self.caller_account()?;
        if account != settings.account {
            return Err(CliError::Failed(format!(
                "the AWS credentials in use belong to account {account}, but environment `{}` lives in account {}; \
                 nothing was changed. Switch credentials (AWS_PROFILE, `aws sso login`) to account {} and run again",
                settings.name, settings.account, settings.account
            )));
        }
        Ok(account)
    }

    /// What the endpoint does differently from AWS: probes `/moto-api/` on a plain-HTTP override.
    pub fn detect_quirks(&self) -> Quirks {
        match self.target.emulator() {
            Some(Emulator::Moto) => Quirks::moto(),
            None => Quirks::default(),
        }
    }

    /// RDS snapshots and DynamoDB backups, taken before a deploy changes stateful resources.
    pub fn backups(&self) -> backups::AwsBackups {
        backups::AwsBackups::new(self.caller.clone())
    }

    /// CloudWatch alarm states, for the promotion gate.
    pub fn alarms(&self) -> alarms::QueryAlarms {
        alarms::QueryAlarms::new(self.caller.clone())
    }

    /// IAM's OIDC providers, for `bootstrap --github-repo`.
    pub fn oidc_providers(&self) -> oidc::IamOidcProviders {
        oidc::IamOidcProviders::new(self.caller.clone())
    }

    /// S3 uploads of templates into `bucket`.
    pub fn template_store(&self, quirks: Quirks) -> S3TemplateStore {
        S3TemplateStore::new(self.caller.clone(), quirks.legacy_s3_urls)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_go_to_moto_without_kms_key_tags_and_to_aws_as_they_are() {
        let template = serde_json::json!({"Resources": {
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": true, "Tags": [{"Key": "a", "Value": "b"}]}},
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"Tags": [{"Key": "a", "Value": "b"}]}}
        }});
        assert!(matches!(Quirks::default().as_sent(&template), std::borrow::Cow::Borrowed(_)));
        let sent = Quirks::moto().as_sent(&template).into_owned();
        assert_eq!(
            sent["Resources"]["Key"]["Properties"],
            serde_json::json!({"EnableKeyRotation": true})
        );
        assert_eq!(
            sent["Resources"]["Queue"], template["Resources"]["Queue"],
            "other resources keep their tags"
        );
    }

    #[test]
    fn a_local_endpoint_without_credentials_gets_test_keys() {
        let none = |_: &str| None;
        assert!(local_needs_test_credentials(Some("http://127.0.0.1:5000"), none));
        assert!(local_needs_test_credentials(Some("http://localhost:4566"), none));
        // Not on this machine, or credentials chosen by the caller: the standard chain.
        assert!(!local_needs_test_credentials(
            Some("https://cloudformation.eu-west-1.amazonaws.com"),
            none
        ));
        assert!(!local_needs_test_credentials(None, none));
        let keys = |n: &str| (n == "AWS_ACCESS_KEY_ID").then(|| "AKIA".to_string());
        assert!(!local_needs_test_credentials(Some("http://127.0.0.1:5000"), keys));
        let profile = |n: &str| (n == "AWS_PROFILE").then(|| "dev".to_string());
        assert!(!local_needs_test_credentials(Some("http://127.0.0.1:5000"), profile));
    }

    #[test]
    fn endpoint_urls_are_checked_up_front() {
        for ok in [
            "http://127.0.0.1:5000",
            "https://cloudformation.us-east-1.amazonaws.com",
            "http://localhost:4566/",
            "http://[::1]:5000",
        ] {
            assert_eq!(check_endpoint_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "not-a-url",
            "127.0.0.1:5000",
            "http://",
            "http://:5000",
            "https:///x",
            "http://host:port",
            "ftp://h",
        ] {
            assert!(check_endpoint_url(bad).is_err(), "{bad}");
        }
        let none = |_: &str| None;
        assert!(check_endpoints(Some("http://127.0.0.1:5000"), none).is_ok());
        let e = check_endpoints(Some("not-a-url"), none).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.report().contains("--endpoint-url `not-a-url`") && e.report().contains("http://127.0.0.1:5000"),
            "{}",
            e.report()
        );

        let env = |name: &str| (name == "AWS_ENDPOINT_URL").then(|| "not-a-url".to_string());
        let e = check_endpoints(None, env).unwrap_err();
        assert_eq!(e.exit_code(), 2);
        assert!(
            e.report()
                .starts_with("error: AWS_ENDPOINT_URL=`not-a-url` is not a usable endpoint (it must start with http:// or https://)"),
            "{}",
            e.report()
        );
        assert_eq!(e.report().lines().count(), 1);
        // The flag wins over the variable; the SDK ignores the variables when told to.
        assert!(check_endpoints(Some("http://127.0.0.1:5000"), env).is_ok());
        let ignoring = |name: &str| match name {
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS" => Some("true".to_string()),
            _ => env(name),
        };
        assert!(check_endpoints(None, ignoring).is_ok());
        let sts = |name: &str| (name == "AWS_ENDPOINT_URL_STS").then(|| "http://".to_string());
        assert!(check_endpoints(None, sts)
            .unwrap_err()
            .report()
            .contains("AWS_ENDPOINT_URL_STS=`http://` is not a usable endpoint (it has no host)"));
    }
}
