//! The `[delivery]` table of an environment file: how a commit reaches the environment
//! (the generated pipeline, the deploy role, the promotion gate, backups). It belongs to
//! cairn, not to the application: every application's files may carry it, and the
//! application's own config type never sees it (see [`super::from_table`]).

use serde::Deserialize;

use super::{in_range, shown, ConfigError, FieldError};

/// The name of the table in the environment file.
pub const DELIVERY_TABLE: &str = "delivery";

/// How a commit on main reaches an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    /// Deployed by the pipeline on every push to main, after the environment before it in
    /// promotion order succeeded with the same synthesis.
    Automatic,
    /// Deployed only when someone asks (a manual workflow dispatch). The default: an
    /// environment nobody configured is not deployed by surprise.
    #[default]
    Manual,
}

/// The `[delivery]` table, with its defaults when the file has none.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Delivery {
    /// `automatic` or `manual` (default).
    pub trigger: Trigger,
    /// The GitHub environment its deploy job runs in (default: the environment's name).
    /// The deploy role trusts exactly this environment's OIDC subject.
    pub github_environment: Option<String>,
    /// GitHub users or teams (`octocat`, `org/team`) who must approve a deploy; none by default.
    pub required_reviewers: Vec<String>,
    /// Minutes GitHub waits before the deploy job starts (0 to 43,200).
    #[serde(deserialize_with = "in_range::<_, _, 0, 43_200>")]
    pub wait_timer_minutes: u32,
    /// The IAM role the pipeline's deploy job assumes (an output of `cairn bootstrap ENV
    /// --github-repo OWNER/REPO`).
    pub role_arn: Option<String>,
    /// The read-only role the pull-request job assumes for template diffs.
    pub diff_role_arn: Option<String>,
    /// The promotion gate: the environment before this one in promotion order must
    /// already run the same synthesis, healthy, for `soak_minutes`.
    pub requires_previous: bool,
    /// Minutes the previous environment must have run the synthesis (0 to 10,080).
    #[serde(deserialize_with = "in_range::<_, _, 0, 10_080>")]
    pub soak_minutes: u32,
    /// Take an RDS snapshot / DynamoDB on-demand backup before a deploy whose change set
    /// touches a stateful resource, and stop if a backup fails.
    pub backup_before_stateful_changes: bool,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            trigger: Trigger::Manual,
            github_environment: None,
            required_reviewers: Vec::new(),
            wait_timer_minutes: 0,
            role_arn: None,
            diff_role_arn: None,
            requires_previous: false,
            soak_minutes: 0,
            backup_before_stateful_changes: false,
        }
    }
}

impl Delivery {
    /// The GitHub environment of environment `env`: the configured one, or `env` itself.
    pub fn github_environment_of<'a>(&'a self, env: &'a str) -> &'a str {
        self.github_environment.as_deref().unwrap_or(env)
    }

    fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let key = |k: &str| format!("{DELIVERY_TABLE}.{k}");
        if let Some(name) = &self.github_environment {
            // GitHub: up to 255 characters; no quotes, backticks or control characters.
            let ok = !name.trim().is_empty() && name.len() <= 255 && !name.chars().any(|c| c.is_control() || "'\"`".contains(c));
            if !ok {
                errors.push(FieldError::new(
                    key("github_environment"),
                    format!(
                        "`{}` is not a GitHub environment name; allowed: 1-255 characters without quotes",
                        shown(name)
                    ),
                ));
            }
        }
        for reviewer in &self.required_reviewers {
            let ok = !reviewer.is_empty()
                && reviewer.split('/').count() <= 2
                && reviewer
                    .split('/')
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            if !ok {
                errors.push(FieldError::new(
                    key("required_reviewers"),
                    format!("`{}` is not a GitHub user or team; allowed: `user` or `org/team`", shown(reviewer)),
                ));
            }
        }
        if self.required_reviewers.len() > 6 {
            errors.push(FieldError::new(
                key("required_reviewers"),
                "GitHub allows at most 6 required reviewers",
            ));
        }
        for (field, arn) in [("role_arn", &self.role_arn), ("diff_role_arn", &self.diff_role_arn)] {
            if let Some(arn) = arn {
                if !is_role_arn(arn) {
                    errors.push(FieldError::new(
                        key(field),
                        format!(
                            "`{}` is not an IAM role ARN; allowed: arn:aws:iam::<12-digit account>:role/<name> \
                             (the output of `cairn bootstrap ENV --github-repo OWNER/REPO`)",
                            shown(arn)
                        ),
                    ));
                }
            }
        }
        if self.soak_minutes > 0 && !self.requires_previous {
            errors.push(FieldError::new(
                key("soak_minutes"),
                "has no effect without `requires_previous = true`; set that too, or remove soak_minutes",
            ));
        }
        errors
    }
}

/// `arn:<partition>:iam::<account>:role/<path/name>`.
fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty()))
}

/// Reads the `[delivery]` table of the environment file `path` (its defaults when absent).
pub fn delivery_from_table(path: &std::path::Path, table: &toml::Table) -> Result<Delivery, ConfigError> {
    let error = |key: Option<String>, message: String| ConfigError {
        file: path.to_path_buf(),
        key,
        message,
    };
    let Some(value) = table.get(DELIVERY_TABLE) else {
        return Ok(Delivery::default());
    };
    if !value.is_table() {
        return Err(error(
            Some(DELIVERY_TABLE.to_string()),
            "must be a table: write `[delivery]` on its own line with its keys below it".to_string(),
        ));
    }
    let delivery: Delivery = serde_path_to_error::deserialize(value.clone()).map_err(|e| {
        let key = e.path().to_string();
        let key = if key == "." {
            DELIVERY_TABLE.to_string()
        } else {
            format!("{DELIVERY_TABLE}.{key}")
        };
        error(Some(key), super::readable(&e.into_inner().to_string()))
    })?;
    if let Some(first) = delivery.validate().into_iter().next() {
        return Err(error(Some(first.key), first.message));
    }
    Ok(delivery)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Delivery, ConfigError> {
        delivery_from_table(std::path::Path::new("prod.toml"), &text.parse::<toml::Table>().unwrap())
    }

    #[test]
    fn without_a_table_an_environment_is_deployed_only_by_hand() {
        let d = parse("account = \"1\"").unwrap();
        assert_eq!(d, Delivery::default());
        assert_eq!(d.trigger, Trigger::Manual);
        assert_eq!(d.github_environment_of("qa"), "qa");
    }

    #[test]
    fn a_full_table_is_read() {
        let d = parse(
            "[delivery]\ntrigger = \"automatic\"\ngithub_environment = \"production\"\nrequired_reviewers = [\"octocat\", \"acme/ops\"]\n\
             wait_timer_minutes = 5\nrole_arn = \"arn:aws:iam::123456789012:role/shop-prod-deploy\"\nrequires_previous = true\n\
             soak_minutes = 30\nbackup_before_stateful_changes = true\n",
        )
        .unwrap();
        assert_eq!(d.trigger, Trigger::Automatic);
        assert_eq!(d.github_environment_of("prod"), "production");
        assert_eq!(d.required_reviewers, ["octocat", "acme/ops"]);
        assert_eq!((d.wait_timer_minutes, d.soak_minutes), (5, 30));
        assert!(d.requires_previous && d.backup_before_stateful_changes);
    }

    #[test]
    fn bad_keys_name_the_key_and_the_fix() {
        let e = parse("[delivery]\ntriger = \"manual\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("delivery.triger"), "{e}");
        let e = parse("[delivery]\ntrigger = \"sometimes\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("delivery.trigger"), "{e}");
        assert!(e.message.contains("automatic") && e.message.contains("manual"), "{e}");
        let e = parse("[delivery]\nwait_timer_minutes = 50000").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("delivery.wait_timer_minutes"), "{e}");
        let e = parse("[delivery]\nrole_arn = \"deploy-role\"").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("delivery.role_arn"), "{e}");
        assert!(e.message.contains("cairn bootstrap"), "{e}");
        let e = parse("[delivery]\nsoak_minutes = 30").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("delivery.soak_minutes"), "{e}");
        let e = parse("[delivery]\nrequired_reviewers = [\"a b\"]").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("delivery.required_reviewers"), "{e}");
        let e = parse("delivery = 1").unwrap_err();
        assert_eq!(e.key.as_deref(), Some("delivery"), "{e}");
    }
}
