//! IAM's OpenID Connect providers: the account's GitHub provider, looked up before the
//! delivery stack is synthesized (it is account-wide, one per issuer URL).

use super::call::{Caller, IAM};
use super::error::{AwsError, AwsErrorKind, AwsResult};

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

/// [`OidcProviders`] through IAM's Query API.
pub struct IamOidcProviders {
    caller: Caller,
}

impl IamOidcProviders {
    /// IAM with the environment's SDK configuration (same credentials and endpoint).
    pub fn new(caller: Caller) -> Self {
        IamOidcProviders { caller }
    }
}

impl OidcProviders for IamOidcProviders {
    fn find(&self, host: &str) -> AwsResult<Option<OidcProvider>> {
        let list = self.caller.query(&IAM, "ListOpenIDConnectProviders", &[])?;
        let suffix = format!(":oidc-provider/{host}");
        let Some(arn) = list
            .find_all("Arn")
            .into_iter()
            .map(|a| a.text.clone())
            .find(|arn| arn.ends_with(&suffix))
        else {
            return Ok(None);
        };
        let got = self.caller.query(
            &IAM,
            "GetOpenIDConnectProvider",
            &[("OpenIDConnectProviderArn".to_string(), arn.clone())],
        )?;
        let client_ids = got
            .find("ClientIDList")
            .map(|l| l.children.iter().map(|m| m.text.clone()).collect())
            .unwrap_or_default();
        Ok(Some(OidcProvider { arn, client_ids }))
    }

    fn create(&self, url: &str, client_ids: &[&str]) -> AwsResult<String> {
        let mut params = vec![("Url".to_string(), url.to_string())];
        for (i, id) in client_ids.iter().enumerate() {
            params.push((format!("ClientIDList.member.{}", i + 1), id.to_string()));
        }
        let answer = self.caller.query(&IAM, "CreateOpenIDConnectProvider", &params)?;
        answer
            .find("OpenIDConnectProviderArn")
            .map(|a| a.text.clone())
            .filter(|a| !a.is_empty())
            .ok_or_else(|| AwsError::new(AwsErrorKind::Other, "CreateOpenIDConnectProvider returned no ARN"))
    }
}
