//! `cairn bootstrap ENV --github-repo OWNER/REPO` against moto: the GitHub OIDC provider,
//! the deploy and diff roles read back with IAM (trust policies, permissions), the
//! provider reused by a second environment, a bad repository refused.
//!
//! One test: the provider is account-wide, so the steps must run in this order. Its
//! environments live in us-west-2, so its `cairn-bootstrap` stack (one per region) is
//! not the one `bootstrap_and_destroy` creates in us-east-1 at the same time.

use super::*;

const WEST: (&str, &str) = ("region = \"us-east-1\"", "region = \"us-west-2\"");

struct Iam {
    rt: tokio::runtime::Runtime,
    iam: aws_sdk_iam::Client,
}

impl Iam {
    fn new(endpoint: &str) -> Iam {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let config: SdkConfig = rt.block_on(
            aws_config::defaults(BehaviorVersion::latest())
                .http_client(cairn_toolkit::http_client())
                .region(Region::new("us-east-1"))
                .credentials_provider(Credentials::from_keys("test", "test", None))
                .endpoint_url(endpoint)
                .load(),
        );
        Iam {
            iam: aws_sdk_iam::Client::new(&config),
            rt,
        }
    }

    fn github_providers(&self) -> Vec<String> {
        let out = self.rt.block_on(self.iam.list_open_id_connect_providers().send()).unwrap();
        out.open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn())
            .filter(|a| a.ends_with(":oidc-provider/token.actions.githubusercontent.com"))
            .map(str::to_string)
            .collect()
    }

    fn role_missing(&self, role: &str) -> bool {
        self.rt.block_on(self.iam.get_role().role_name(role).send()).is_err()
    }

    fn trust(&self, role: &str) -> Json {
        let out = self.rt.block_on(self.iam.get_role().role_name(role).send()).unwrap();
        let doc = out.role().unwrap().assume_role_policy_document().unwrap();
        serde_json::from_str(&percent_decoded(doc)).unwrap()
    }

    fn inline_policy(&self, role: &str, name: &str) -> Json {
        let out = self
            .rt
            .block_on(self.iam.get_role_policy().role_name(role).policy_name(name).send())
            .unwrap();
        let doc = percent_decoded(out.policy_document());
        serde_json::from_str(&doc).unwrap_or_else(|_| {
            // moto 5.2.5 keeps an inline policy that CloudFormation gave it as an object in
            // Python's notation (`{'Version': '2012-10-17', ...}`); cairn's policies hold no
            // quotes or booleans, so swapping the quotes gives the JSON back.
            assert!(!doc.contains('"') && !doc.contains("True"), "{doc}");
            serde_json::from_str(&doc.replace('\'', "\"")).unwrap_or_else(|e| panic!("{e}: {doc}"))
        })
    }

    fn policy_names(&self, role: &str) -> (Vec<String>, Vec<String>) {
        let inline = self.rt.block_on(self.iam.list_role_policies().role_name(role).send()).unwrap();
        let attached = self
            .rt
            .block_on(self.iam.list_attached_role_policies().role_name(role).send())
            .unwrap();
        (
            inline.policy_names().to_vec(),
            attached
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect(),
        )
    }
}

/// IAM returns policy documents URL-encoded (RFC 3986).
fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn expected_trust(provider: &str, subject: &str) -> Json {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
                "token.actions.githubusercontent.com:sub": subject
            }}
        }]
    })
}

fn actions(policy: &Json) -> Vec<String> {
    policy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            Json::String(a) => vec![a.clone()],
            Json::Array(a) => a.iter().map(|a| a.as_str().unwrap().to_string()).collect(),
            other => panic!("Action {other}"),
        })
        .collect()
}

#[test]
fn bootstrap_with_a_github_repo_creates_oidc_roles_and_reuses_the_provider() {
    let moto = Moto::shared();
    let iam = Iam::new(&moto.url);
    let bucket = "cairn-tests-templates-oidc";
    let dir = env_copy("oidca", &[WEST]);

    // A bad repository: exit 2 naming the flag and the fix, nothing deployed.
    for bad in ["acme", "acme/shop/infra", "-acme/shop", "acme/*", "acme/shop.git"] {
        let flag = format!("--github-repo={bad}");
        let err = assert_fails(
            &cairn(
                &moto.url,
                &["bootstrap", "oidca", &flag, "--template-bucket", bucket, "--approve"],
                Some(&dir),
            ),
            2,
        );
        assert!(err.contains("--github-repo") && err.contains("OWNER/REPO"), "{bad}: {err}");
    }
    assert!(
        iam.role_missing("cairn-shop-oidca-deploy"),
        "nothing may be deployed for a bad --github-repo"
    );
    assert!(iam.github_providers().is_empty());

    // First environment: the provider, the roles, and the lines for the environment file.
    let out = assert_ok(&cairn(
        &moto.url,
        &[
            "bootstrap",
            "oidca",
            "--github-repo",
            "acme/shop-infra",
            "--template-bucket",
            bucket,
            "--approve",
        ],
        Some(&dir),
    ));
    let providers = iam.github_providers();
    assert_eq!(providers.len(), 1, "{out}");
    let provider = &providers[0];
    assert!(out.contains("cairn created") && out.contains(provider.as_str()), "{out}");
    assert!(out.contains("cairn-shop-oidca-delivery: CREATE_COMPLETE"), "{out}");
    let deploy_arn = "arn:aws:iam::123456789012:role/cairn-shop-oidca-deploy";
    let diff_arn = "arn:aws:iam::123456789012:role/cairn-shop-oidca-diff";
    assert!(out.contains(&format!("role_arn = \"{deploy_arn}\"")), "{out}");
    assert!(out.contains(&format!("diff_role_arn = \"{diff_arn}\"")), "{out}");
    assert!(
        out.contains(&format!("[delivery] table of {}", dir.join("oidca.toml").display())),
        "{out}"
    );

    // The trust policies, exactly: the environment's GitHub environment (default: its
    // name) for deploys, pull requests for diffs; the audience; the provider.
    assert_eq!(
        iam.trust("cairn-shop-oidca-deploy"),
        expected_trust(provider, "repo:acme/shop-infra:environment:oidca")
    );
    assert_eq!(
        iam.trust("cairn-shop-oidca-diff"),
        expected_trust(provider, "repo:acme/shop-infra:pull_request")
    );

    // Permissions: one inline policy each, nothing attached (no AdministratorAccess), no `*` action.
    assert_eq!(
        iam.policy_names("cairn-shop-oidca-deploy"),
        (vec!["cairn-deploy".to_string()], vec![])
    );
    assert_eq!(iam.policy_names("cairn-shop-oidca-diff"), (vec!["cairn-diff".to_string()], vec![]));
    let deploy = iam.inline_policy("cairn-shop-oidca-deploy", "cairn-deploy");
    let deploy_actions = actions(&deploy);
    assert!(deploy_actions.iter().all(|a| a != "*" && a != "*:*" && a != "iam:*"), "{deploy}");
    assert!(deploy_actions.contains(&"cloudformation:ExecuteChangeSet".to_string()), "{deploy}");
    for s in deploy["Statement"].as_array().unwrap() {
        let wild = s["Action"].as_array().unwrap().iter().any(|a| a.as_str().unwrap().contains('*'));
        if wild {
            assert_eq!(
                s["Condition"]["ForAnyValue:StringEquals"]["aws:CalledVia"],
                serde_json::json!(["cloudformation.amazonaws.com"]),
                "a wildcard action outside CloudFormation: {s}"
            );
        }
    }
    let stacks = deploy["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == "EnvironmentStacks")
        .unwrap();
    assert_eq!(
        stacks["Resource"],
        serde_json::json!([
            "arn:aws:cloudformation:us-west-2:123456789012:stack/shop-oidca-*/*",
            "arn:aws:cloudformation:us-west-2:123456789012:changeSet/cairn-*/*"
        ])
    );
    let diff = iam.inline_policy("cairn-shop-oidca-diff", "cairn-diff");
    assert!(
        actions(&diff).iter().all(|a| a.starts_with("cloudformation:Describe")
            || a.starts_with("cloudformation:Get")
            || a.starts_with("cloudformation:List")),
        "{diff}"
    );

    // A second environment (GitHub environment named in its file) reuses the provider.
    let dir_b = env_copy("oidcb", &[WEST]);
    let file_b = dir_b.join("oidcb.toml");
    let text = std::fs::read_to_string(&file_b).unwrap();
    // The copied environment may already have a [delivery] table (and a GitHub environment).
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("github_environment"))
        .map(|l| format!("{l}\n"))
        .collect();
    let text = if text.contains("\n[delivery]\n") {
        text.replacen("\n[delivery]\n", "\n[delivery]\ngithub_environment = \"shop-b\"\n", 1)
    } else {
        format!("{text}\n[delivery]\ngithub_environment = \"shop-b\"\n")
    };
    std::fs::write(&file_b, text).unwrap();
    let out = assert_ok(&cairn(
        &moto.url,
        &[
            "bootstrap",
            "oidcb",
            "--github-repo",
            "acme/shop-infra",
            "--template-bucket",
            bucket,
            "--approve",
        ],
        Some(&dir_b),
    ));
    assert!(!out.contains("cairn created"), "{out}");
    assert_eq!(iam.github_providers(), providers, "the provider is reused");
    assert_eq!(
        iam.trust("cairn-shop-oidcb-deploy"),
        expected_trust(provider, "repo:acme/shop-infra:environment:shop-b")
    );

    // Bootstrapping the first environment again changes nothing.
    let out = assert_ok(&cairn(
        &moto.url,
        &[
            "bootstrap",
            "oidca",
            "--github-repo",
            "acme/shop-infra",
            "--template-bucket",
            bucket,
            "--approve",
        ],
        Some(&dir),
    ));
    assert!(out.contains("already bootstrapped"), "{out}");
    assert_eq!(iam.github_providers(), providers);
}
