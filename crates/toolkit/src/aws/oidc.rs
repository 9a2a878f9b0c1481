//! IAM's OpenID Connect providers: the account's GitHub provider, looked up before the
//! delivery stack is synthesized (it is account-wide, one per issuer URL).

use tokio::runtime::Runtime;

use super::error::{self, AwsError, AwsErrorKind, AwsResult, Target};

/// One OIDC provider of the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProvider {
    /// Its ARN (`arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com`).
    pub arn: String,
    /// The audiences it accepts.
    pub client_ids: Vec<String>,
}

/// The IAM calls `bootstrap --github-repo` makes (tests script them).
pub trait OidcProviders {
    /// The provider whose ARN ends in `/host`, if the account has one.
    fn find(&self, host: &str) -> AwsResult<Option<OidcProvider>>;
    /// Creates a provider for `url` accepting `client_ids` (only where CloudFormation
    /// cannot: moto does not provision `AWS::IAM::OIDCProvider`); returns its ARN.
    fn create(&self, url: &str, client_ids: &[&str]) -> AwsResult<String>;
}

/// The SDK's IAM client.
pub struct SdkOidcProviders {
    client: aws_sdk_iam::Client,
    runtime: &'static Runtime,
    target: Target,
}

impl SdkOidcProviders {
    /// IAM through the environment's SDK configuration (same credentials and endpoint).
    pub fn new(sdk_config: &aws_config::SdkConfig, runtime: &'static Runtime, target: Target) -> Self {
        SdkOidcProviders {
            client: aws_sdk_iam::Client::new(sdk_config),
            runtime,
            target,
        }
    }
}

impl OidcProviders for SdkOidcProviders {
    fn find(&self, host: &str) -> AwsResult<Option<OidcProvider>> {
        let list = self
            .runtime
            .block_on(self.client.list_open_id_connect_providers().send())
            .map_err(|e| error::from_sdk("IAM", "ListOpenIDConnectProviders", &self.target, &e))?;
        let suffix = format!(":oidc-provider/{host}");
        let Some(arn) = list
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn())
            .find(|arn| arn.ends_with(&suffix))
        else {
            return Ok(None);
        };
        let got = self
            .runtime
            .block_on(self.client.get_open_id_connect_provider().open_id_connect_provider_arn(arn).send())
            .map_err(|e| error::from_sdk("IAM", "GetOpenIDConnectProvider", &self.target, &e))?;
        Ok(Some(OidcProvider {
            arn: arn.to_string(),
            client_ids: got.client_id_list().to_vec(),
        }))
    }

    fn create(&self, url: &str, client_ids: &[&str]) -> AwsResult<String> {
        let mut call = self.client.create_open_id_connect_provider().url(url);
        for id in client_ids {
            call = call.client_id_list(*id);
        }
        let out = self
            .runtime
            .block_on(call.send())
            .map_err(|e| error::from_sdk("IAM", "CreateOpenIDConnectProvider", &self.target, &e))?;
        out.open_id_connect_provider_arn()
            .map(str::to_string)
            .ok_or_else(|| AwsError::new(AwsErrorKind::Other, "CreateOpenIDConnectProvider returned no ARN"))
    }
}
