//! `cairn pipeline`: the workflow generated from the environment files' `[delivery]`
//! tables, on copies of depot's files (`envs/` in a sandbox that is the "repository
//! root", the current folder of each run).

mod support;
use std::path::PathBuf;
use std::process::Output;

use support::{command, exits, Sandbox};

const WORKFLOW: &str = ".github/workflows/cairn-depot.yml";

fn role(env: &str) -> String {
    format!("arn:aws:iam::123456789012:role/cairn-depot-{env}-deploy")
}

/// A sandbox whose environments carry `[delivery]` tables: dev and staging automatic,
/// prod manual behind reviewers, all with deploy roles.
fn delivered(name: &str) -> Sandbox {
    let s = Sandbox::new(name);
    append(
        &s,
        "dev",
        &format!("[delivery]\ntrigger = \"automatic\"\nrole_arn = \"{}\"\n", role("dev")),
    );
    append(
        &s,
        "staging",
        &format!("[delivery]\ntrigger = \"automatic\"\nrole_arn = \"{}\"\n", role("staging")),
    );
    append(
        &s,
        "prod",
        &format!(
            "[delivery]\ntrigger = \"manual\"\ngithub_environment = \"production\"\nrequired_reviewers = [\"octocat\", \"acme/ops\"]\n\
             wait_timer_minutes = 5\nrequires_previous = true\nsoak_minutes = 30\nrole_arn = \"{}\"\n",
            role("prod")
        ),
    );
    // The repository has the review gate's scripts, as cairn's own does.
    std::fs::create_dir_all(s.root().join("scripts")).unwrap();
    for script in ["review-gate.sh", "pr-diff.sh"] {
        std::fs::write(s.root().join("scripts").join(script), "#!/bin/sh\n").unwrap();
    }
    s
}

fn append(s: &Sandbox, env: &str, text: &str) {
    let file = s.envs().join(format!("{env}.toml"));
    let mut body = std::fs::read_to_string(&file).unwrap_or_default();
    body.push('\n');
    body.push_str(text);
    std::fs::write(&file, body).expect("write the environment file");
}

/// `cairn-fixture pipeline ARGS --environments envs`, run in the sandbox.
fn pipeline(s: &Sandbox, args: &[&str]) -> Output {
    command()
        .arg("pipeline")
        .args(args)
        .args(["--environments", "envs"])
        .current_dir(s.root())
        .output()
        .expect("cairn-fixture runs")
}

fn workflow_path(s: &Sandbox) -> PathBuf {
    s.root().join(WORKFLOW)
}

fn workflow(s: &Sandbox) -> String {
    std::fs::read_to_string(workflow_path(s)).expect("the workflow was written")
}

/// A job's header line: `  id:` (two spaces in, in the jobs section).
fn job_header(line: &str) -> Option<&str> {
    let id = line.strip_prefix("  ")?.strip_suffix(':')?;
    (!id.starts_with(' ') && !id.contains(' ')).then_some(id)
}

fn jobs_section(text: &str) -> &str {
    &text[text.find("\njobs:\n").expect("a jobs section")..]
}

/// The text of job `id` (its lines up to the next job).
fn job(text: &str, id: &str) -> String {
    let mut lines = jobs_section(text).lines().skip_while(|l| job_header(l) != Some(id));
    let header = lines.next().unwrap_or_else(|| panic!("no job {id} in:\n{text}"));
    let body: Vec<&str> = lines.take_while(|l| job_header(l).is_none()).collect();
    format!("{header}\n{}\n", body.join("\n"))
}

/// Job ids in file order.
fn job_ids(text: &str) -> Vec<String> {
    jobs_section(text).lines().filter_map(job_header).map(String::from).collect()
}

#[test]
fn automatic_environments_deploy_the_tested_synthesis_in_promotion_order_and_manual_ones_on_dispatch() {
    let s = delivered("pipeline-order");
    let (out, _) = exits(&pipeline(&s, &[]), 0);
    assert!(out.contains(&format!("wrote {WORKFLOW}")), "{out}");
    assert!(out.contains("on every push to main: dev → staging"), "{out}");
    assert!(out.contains("on a manual dispatch:  prod"), "{out}");
    let text = workflow(&s);
    assert_eq!(
        job_ids(&text),
        ["test", "diff", "deploy-dev", "deploy-staging", "tested-run", "deploy-prod"]
    );

    // The test job synthesizes once and keeps that synthesis and the binary as the artifact.
    let test = job(&text, "test");
    assert!(test.contains("run: make test"), "{test}");
    assert!(
        test.contains("cp target/debug/cairn-fixture cairn-synthesis/cairn-fixture"),
        "{test}"
    );
    assert!(test.contains("name: cairn-synthesis"), "{test}");

    let dev = job(&text, "deploy-dev");
    assert!(dev.contains("needs: test\n"), "{dev}");
    assert!(
        dev.contains("if: github.event_name == 'push' && github.ref == 'refs/heads/main'"),
        "{dev}"
    );
    assert!(dev.contains("environment: \"dev\""), "{dev}");
    assert!(dev.contains("      contents: read\n      id-token: write\n"), "{dev}");
    assert!(dev.contains(&format!("role-to-assume: \"{}\"", role("dev"))), "{dev}");
    assert!(dev.contains("aws-region: \"us-east-1\""), "{dev}");
    assert!(
        dev.contains("cairn-synthesis/cairn-fixture --environments envs deploy dev --from cairn-synthesis/out --approve"),
        "{dev}"
    );
    assert!(!dev.contains("cargo "), "a deploy job never builds: {dev}");
    assert!(job(&text, "deploy-staging").contains("needs: deploy-dev\n"));

    // prod: only on a dispatch naming it, from a tested push run, in its GitHub environment.
    let prod = job(&text, "deploy-prod");
    assert!(prod.contains("needs: tested-run\n"), "{prod}");
    assert!(
        prod.contains("if: github.event_name == 'workflow_dispatch' && inputs.environment == 'prod'"),
        "{prod}"
    );
    assert!(prod.contains("environment: \"production\""), "{prod}");
    assert!(prod.contains("ref: ${{ needs.tested-run.outputs.sha }}"), "{prod}");
    assert!(text.contains("  workflow_dispatch:\n    inputs:\n      environment:"), "{text}");
    assert!(text.contains("        options:\n          - \"prod\"\n      run_id:"), "{text}");
    // Pull requests: the review gate, its comment and its verdict.
    let diff = job(&text, "diff");
    assert!(
        diff.contains("scripts/review-gate.sh scripts/pr-diff.sh \"$BASE_REF\" > diff.md"),
        "{diff}"
    );
    assert!(diff.contains("gh pr comment") && diff.contains("pull-requests: write"), "{diff}");
    assert!(!diff.contains("id-token"), "no diff role, no token: {diff}");
    let tested = job(&text, "tested-run");
    assert!(tested.contains("--event push --status success"), "{tested}");
    assert!(tested.contains("[ \"$conclusion\" != success ]"), "{tested}");
    assert!(tested.contains("run-id: ${{ steps.run.outputs.run_id }}"), "{tested}");

    // Every action is pinned to a full commit SHA.
    for line in text.lines().filter(|l| l.contains("uses: ")) {
        let reference = line.split('@').nth(1).unwrap_or_default();
        let sha = reference.split(' ').next().unwrap_or_default();
        assert!(sha.len() == 40 && sha.chars().all(|c| c.is_ascii_hexdigit()), "not pinned: {line}");
        assert!(reference.contains(" # "), "no version comment: {line}");
    }

    // Deterministic: a second run writes nothing new, and --check agrees.
    let (again, _) = exits(&pipeline(&s, &[]), 0);
    assert!(again.contains("is up to date"), "{again}");
    assert_eq!(workflow(&s), text);
    exits(&pipeline(&s, &["--check"]), 0);
}

#[test]
fn a_new_environment_file_adds_its_job_in_promotion_order_without_code() {
    let s = delivered("pipeline-qa");
    std::fs::copy(s.envs().join("staging.toml"), s.envs().join("qa.toml")).expect("copy staging.toml");
    let qa = std::fs::read_to_string(s.envs().join("qa.toml")).unwrap();
    let qa = qa
        .replace("promotion_order = 20", "promotion_order = 25")
        .replace(&role("staging"), &role("qa"));
    std::fs::write(s.envs().join("qa.toml"), qa).unwrap();
    exits(&pipeline(&s, &[]), 0);
    let text = workflow(&s);
    assert_eq!(
        job_ids(&text),
        [
            "test",
            "diff",
            "deploy-dev",
            "deploy-staging",
            "deploy-qa",
            "tested-run",
            "deploy-prod"
        ]
    );
    let qa = job(&text, "deploy-qa");
    assert!(qa.contains("needs: deploy-staging\n"), "{qa}");
    assert!(qa.contains("environment: \"qa\""), "{qa}");
    assert!(qa.contains(&format!("role-to-assume: \"{}\"", role("qa"))), "{qa}");
    // The committed file no longer matches: --check says so and how to fix it.
    std::fs::remove_file(s.envs().join("qa.toml")).unwrap();
    let (_, err) = exits(&pipeline(&s, &["--check"]), 1);
    assert!(err.contains(&format!("{WORKFLOW} is stale")), "{err}");
    assert!(err.contains("run `cargo run -- pipeline` and commit it"), "{err}");
}

#[test]
fn an_environment_without_a_role_gets_a_job_that_fails_closed() {
    let s = Sandbox::new("pipeline-norole");
    append(&s, "dev", "[delivery]\ntrigger = \"automatic\"\n");
    append(
        &s,
        "staging",
        &format!("[delivery]\ntrigger = \"automatic\"\nrole_arn = \"{}\"\n", role("staging")),
    );
    let (_, err) = exits(&pipeline(&s, &[]), 0);
    assert!(err.contains("warning: envs/dev.toml: no [delivery] role_arn"), "{err}");
    let text = workflow(&s);
    // No review-gate scripts in this repository and no diff role: no pull-request diff job.
    assert_eq!(
        job_ids(&text),
        ["test", "deploy-dev", "deploy-staging", "tested-run", "deploy-prod"]
    );
    let dev = job(&text, "deploy-dev");
    assert!(dev.contains("::error file=envs/dev.toml::dev has no [delivery] role_arn"), "{dev}");
    assert!(dev.contains("cairn bootstrap dev --github-repo OWNER/REPO"), "{dev}");
    assert!(dev.contains("exit 1"), "{dev}");
    // No GitHub environment, no OIDC token, no deploy.
    for absent in ["environment:", "id-token", "configure-aws-credentials", "deploy dev --from"] {
        assert!(!dev.contains(absent), "{absent} in {dev}");
    }
    // The next environment waits for it, so nothing after it deploys either.
    assert!(job(&text, "deploy-staging").contains("needs: deploy-dev\n"));
    // depot's prod has no [delivery] table: manual by default, and fails closed too.
    let prod = job(&text, "deploy-prod");
    assert!(
        prod.contains("needs: tested-run\n") && prod.contains("prod has no [delivery] role_arn"),
        "{prod}"
    );
}

#[test]
fn check_fails_on_a_missing_or_edited_workflow_and_writes_nothing() {
    let s = delivered("pipeline-check");
    let (_, err) = exits(&pipeline(&s, &["--check"]), 1);
    assert!(
        err.contains(&format!("{WORKFLOW} does not exist; run `cargo run -- pipeline`")),
        "{err}"
    );
    assert!(!workflow_path(&s).exists(), "--check wrote the file");
    exits(&pipeline(&s, &[]), 0);
    let text = workflow(&s);
    std::fs::write(workflow_path(&s), text.replace("timeout-minutes: 90", "timeout-minutes: 9")).unwrap();
    let (_, err) = exits(&pipeline(&s, &["--check"]), 1);
    assert!(err.contains("is stale") && err.contains("first at line"), "{err}");
    assert_ne!(workflow(&s), text, "--check rewrote the file");
}

#[test]
fn bad_delivery_settings_exit_2_and_write_nothing() {
    let cases: [(&str, &str, &str, &[&str]); 4] = [
        (
            "trigger",
            "dev",
            "[delivery]\ntrigger = \"sometimes\"\n",
            &["dev.toml", "delivery.trigger", "automatic"],
        ),
        (
            "account",
            "dev",
            "[delivery]\nrole_arn = \"arn:aws:iam::210987654321:role/x\"\n",
            &["envs/dev.toml", "delivery.role_arn", "account 210987654321", "123456789012"],
        ),
        (
            "shared",
            "staging",
            "[delivery]\ngithub_environment = \"DEV\"\n",
            &[
                "envs/staging.toml",
                "delivery.github_environment",
                "`DEV` is also the GitHub environment of `dev`",
            ],
        ),
        (
            "expression",
            "dev",
            "[delivery]\ngithub_environment = \"${{ github.head_ref }}\"\n",
            &["envs/dev.toml", "delivery.github_environment", "plain name"],
        ),
    ];
    for (name, env, table, expected) in cases {
        let s = Sandbox::new(&format!("pipeline-bad-{name}"));
        append(&s, env, table);
        let (_, err) = exits(&pipeline(&s, &[]), 2);
        for e in expected {
            assert!(err.contains(e), "{name}: expected `{e}` in: {err}");
        }
        assert!(!workflow_path(&s).exists(), "{name}: a workflow was written");
    }
    // A workflow file outside the repository root (the current folder).
    let s = Sandbox::new("pipeline-bad-out");
    let (_, err) = exits(&pipeline(&s, &["--out", "../elsewhere.yml"]), 2);
    assert!(err.contains("is not inside the current folder"), "{err}");
}

#[test]
fn github_setup_prints_the_environments_reviewers_and_wait_timers() {
    let s = delivered("pipeline-setup");
    let (out, _) = exits(&pipeline(&s, &["--github-setup"]), 0);
    assert!(!workflow_path(&s).exists(), "--github-setup wrote the workflow");
    assert!(
        out.contains("gh api -X PUT \"repos/{owner}/{repo}/environments/production\""),
        "{out}"
    );
    assert!(
        out.contains(
            "{\"wait_timer\": 5, \"reviewers\": [{\"type\": \"User\", \"id\": $(gh api users/octocat --jq .id)}, \
             {\"type\": \"Team\", \"id\": $(gh api orgs/acme/teams/ops --jq .id)}]"
        ),
        "{out}"
    );
    // Every environment deploys from main only.
    for env in ["dev", "staging", "production"] {
        assert!(
            out.contains(&format!(
                "gh api -X POST \"repos/{{owner}}/{{repo}}/environments/{env}/deployment-branch-policies\" -f name=main -f type=branch"
            )),
            "{env}: {out}"
        );
    }
    assert!(out.contains("{\"wait_timer\": 0, \"reviewers\": []"), "{out}");
}

/// actionlint (with shellcheck) on generated workflows of other shapes than the shop's:
/// a manual environment without a role, diff roles. Runs where `make venv` installed it
/// (`CAIRN_VENV`, set by the Makefile).
#[test]
fn generated_workflows_pass_actionlint() {
    let Some(venv) = std::env::var_os("CAIRN_VENV").map(PathBuf::from) else {
        eprintln!("CAIRN_VENV is not set (make test sets it): actionlint not run");
        return;
    };
    let (actionlint, shellcheck) = (venv.join("bin/actionlint"), venv.join("bin/shellcheck"));
    if !actionlint.exists() {
        eprintln!("{} is missing (`make venv` installs it): actionlint not run", actionlint.display());
        return;
    }
    let s = delivered("pipeline-actionlint");
    append(&s, "staging", "");
    let staging = std::fs::read_to_string(s.envs().join("staging.toml")).unwrap();
    std::fs::write(
        s.envs().join("staging.toml"),
        staging.replace(
            "[delivery]\n",
            "[delivery]\ndiff_role_arn = \"arn:aws:iam::123456789012:role/cairn-depot-staging-diff\"\n",
        ),
    )
    .unwrap();
    std::fs::copy(s.envs().join("dev.toml"), s.envs().join("qa.toml")).unwrap();
    let qa = std::fs::read_to_string(s.envs().join("qa.toml")).unwrap();
    let qa = qa
        .replace("promotion_order = 10", "promotion_order = 40")
        .replace("[delivery]\ntrigger = \"automatic\"\n", "[delivery]\n");
    std::fs::write(
        s.envs().join("qa.toml"),
        qa.replace(&format!("role_arn = \"{}\"\n", role("dev")), ""),
    )
    .unwrap();
    exits(&pipeline(&s, &[]), 0);
    let text = workflow(&s);
    assert!(text.contains("qa has no [delivery] role_arn") && text.contains("Diff against what staging runs"));
    let lint = || {
        let o = std::process::Command::new(&actionlint)
            .arg("-shellcheck")
            .arg(&shellcheck)
            .arg(WORKFLOW)
            .current_dir(s.root())
            .output()
            .expect("actionlint runs");
        assert!(o.status.success(), "actionlint:\n{}{}", support::stdout(&o), support::stderr(&o));
    };
    lint();
    // A repository without the review gate's scripts (a `cairn new` project): the pull-request
    // job only diffs against what staging runs, with no comment to post.
    std::fs::remove_dir_all(s.root().join("scripts")).unwrap();
    exits(&pipeline(&s, &[]), 0);
    let diff = job(&workflow(&s), "diff");
    assert!(
        diff.contains("Template diff against the deployed stacks") && diff.contains("id-token: write"),
        "{diff}"
    );
    assert!(!diff.contains("review-gate") && !diff.contains("pull-requests: write"), "{diff}");
    lint();
}
