//! The `gh api` commands that make the repository's GitHub environments match the
//! environment files: required reviewers, wait timer, and deployments from main only.
//! They are settings of the repository, not of the workflow, so cairn prints them for an
//! administrator to run (in a clone: `gh` fills in `{owner}` and `{repo}`); running them
//! again sets the same values.

use std::fmt::Write as _;

use super::{Pipeline, Stage};

/// A shell script of `gh api` commands, one block per environment in promotion order.
pub fn render(p: &Pipeline) -> String {
    let mut out = format!(
        "# GitHub environments of {workflow}, from the [delivery] tables of {dir}/*.toml.\n\
         # Run in a clone of the repository as one of its administrators (gh fills in {{owner}}/{{repo}}).\n\
         # Each environment: its required reviewers and wait timer, and deployments from main only\n\
         # (without that, a workflow on any branch could run in it and assume its deploy role).\n\
         set -euo pipefail\n",
        workflow = p.workflow_path,
        dir = p.environments_dir,
    );
    for s in &p.stages {
        environment(&mut out, s);
    }
    out
}

fn environment(out: &mut String, s: &Stage) {
    let d = &s.delivery;
    let path = format!("repos/{{owner}}/{{repo}}/environments/{}", url_encoded(s.github_environment()));
    let reviewers: Vec<String> = d
        .required_reviewers
        .iter()
        .map(|r| match r.split_once('/') {
            Some((org, team)) => format!("{{\"type\": \"Team\", \"id\": $(gh api orgs/{org}/teams/{team} --jq .id)}}"),
            None => format!("{{\"type\": \"User\", \"id\": $(gh api users/{r} --jq .id)}}"),
        })
        .collect();
    let who = if d.required_reviewers.is_empty() {
        "no reviewers".to_string()
    } else {
        format!("reviewers {}", d.required_reviewers.join(", "))
    };
    let _ = write!(
        out,
        "\n# {name} → GitHub environment `{github}`: {who}, wait timer {wait} min.\n\
         gh api -X PUT \"{path}\" --input - > /dev/null <<EOF\n\
         {{\"wait_timer\": {wait}, \"reviewers\": [{reviewers}], \
         \"deployment_branch_policy\": {{\"protected_branches\": false, \"custom_branch_policies\": true}}}}\n\
         EOF\n\
         gh api \"{path}/deployment-branch-policies\" --jq '.branch_policies[].name' | grep -x main > /dev/null \\\n  \
         || gh api -X POST \"{path}/deployment-branch-policies\" -f name=main -f type=branch > /dev/null\n",
        name = s.name,
        github = s.github_environment(),
        wait = d.wait_timer_minutes,
        reviewers = reviewers.join(", "),
    );
}

/// Percent-encodes everything but unreserved characters (a GitHub environment may hold spaces).
fn url_encoded(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_are_encoded_for_the_url() {
        assert_eq!(url_encoded("prod"), "prod");
        assert_eq!(url_encoded("Prod EU/1"), "Prod%20EU%2F1");
        assert_eq!(url_encoded("$(x)"), "%24%28x%29");
    }
}
