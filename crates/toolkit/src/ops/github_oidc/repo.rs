//! `--github-repo OWNER/REPO`, checked against GitHub's naming rules.

use std::fmt;
use std::str::FromStr;

/// A GitHub repository, as `--github-repo` names it. The role trust policies compare
/// the token's subject with its exact text (`StringEquals`), so it is kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubRepo {
    /// The user or organization (`acme`).
    pub owner: String,
    /// The repository (`shop-infra`).
    pub name: String,
}

impl GithubRepo {
    /// The OIDC subject of jobs that use the GitHub environment `environment`.
    pub fn environment_subject(&self, environment: &str) -> String {
        format!("repo:{self}:environment:{environment}")
    }

    /// The OIDC subject of pull-request jobs (without a GitHub environment).
    pub fn pull_request_subject(&self) -> String {
        format!("repo:{self}:pull_request")
    }
}

impl fmt::Display for GithubRepo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

const FIX: &str = "pass the repository as OWNER/REPO exactly as GitHub shows it, e.g. --github-repo acme/shop-infra";

impl FromStr for GithubRepo {
    type Err = String;

    /// OWNER: 1 to 39 letters, digits or single hyphens, not starting or ending with a
    /// hyphen (GitHub's rule for user and organization names). REPO: 1 to 100 letters,
    /// digits, `.`, `-` or `_`, not `.` or `..`, and without the `.git` GitHub strips.
    fn from_str(s: &str) -> Result<Self, String> {
        let Some((owner, name)) = s.split_once('/') else {
            return Err(format!("`{s}` is not OWNER/REPO (no `/`); {FIX}"));
        };
        if name.contains('/') {
            return Err(format!("`{s}` has more than one `/`; {FIX}"));
        }
        let owner_ok = (1..=39).contains(&owner.len())
            && owner.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !owner.starts_with('-')
            && !owner.ends_with('-')
            && !owner.contains("--");
        if !owner_ok {
            return Err(format!(
                "owner `{owner}` is not a GitHub user or organization name (1 to 39 letters, digits or single hyphens, \
                 not starting or ending with a hyphen); {FIX}"
            ));
        }
        let name_ok = (1..=100).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            && name != "."
            && name != "..";
        if !name_ok {
            return Err(format!(
                "repository `{name}` is not a GitHub repository name (1 to 100 letters, digits, `.`, `-` or `_`); {FIX}"
            ));
        }
        if name.to_ascii_lowercase().ends_with(".git") {
            return Err(format!(
                "repository `{name}` ends in `.git`, which is part of the clone URL, not of the name; pass --github-repo {owner}/{}",
                &name[..name.len() - 4]
            ));
        }
        Ok(GithubRepo {
            owner: owner.to_string(),
            name: name.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names_parse_and_give_the_subjects() {
        let r: GithubRepo = "acme-corp/shop_infra.v2".parse().unwrap();
        assert_eq!(r.owner, "acme-corp");
        assert_eq!(r.name, "shop_infra.v2");
        assert_eq!(r.environment_subject("prod"), "repo:acme-corp/shop_infra.v2:environment:prod");
        assert_eq!(r.pull_request_subject(), "repo:acme-corp/shop_infra.v2:pull_request");
        assert!("a/b".parse::<GithubRepo>().is_ok());
    }

    #[test]
    fn bad_names_are_refused_with_the_fix() {
        for bad in [
            "acme",
            "acme/",
            "/shop",
            "acme/shop/x",
            "-acme/shop",
            "acme-/shop",
            "ac--me/shop",
            "ac_me/shop",
            "acme/sh op",
            "acme/..",
            "acme/*",
            "acme/shop*",
            "*/shop",
            &format!("{}/shop", "a".repeat(40)),
            &format!("acme/{}", "s".repeat(101)),
        ] {
            let err = bad.parse::<GithubRepo>().unwrap_err();
            assert!(err.contains("--github-repo"), "{bad}: {err}");
        }
        let err = "acme/shop.git".parse::<GithubRepo>().unwrap_err();
        assert!(err.contains("--github-repo acme/shop"), "{err}");
    }
}
