//! The shop's delivery pipeline: the committed `.github/workflows/cairn-shop.yml` is
//! exactly what `cairn pipeline` writes from the shipped environment files, and those
//! files say what seed 001 asks for (dev and staging on every push, prod by hand behind
//! reviewers and a 5-minute wait, after staging ran the same synthesis for 30 minutes).
//! The command itself is tested on a fixture in `crates/toolkit/tests/pipeline.rs`.

use std::path::PathBuf;

mod support;
use support::cairn;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn the_committed_workflow_is_what_the_environment_files_give() {
    let o = cairn(&["pipeline", "--check"], &repo());
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(repo().join(".github/workflows/cairn-shop.yml")).unwrap();
    // The hand-written workflow it replaces is gone: one pipeline.
    assert!(!repo().join(".github/workflows/infrastructure.yml").exists());
    assert!(
        text.contains("  deploy-dev:\n    name: Deploy dev\n    if: github.event_name == 'push'"),
        "{text}"
    );
    assert!(text.contains("  deploy-staging:\n    name: Deploy staging\n    if: github.event_name == 'push' && github.ref == 'refs/heads/main'\n    needs: deploy-dev\n"));
    assert!(text.contains(
        "  deploy-prod:\n    name: Deploy prod\n    if: github.event_name == 'workflow_dispatch' && inputs.environment == 'prod'\n    needs: tested-run\n"
    ));
    assert!(text.contains("    environment: \"production\"\n"));
    assert!(text.contains("cairn-synthesis/cairn --environments stacks/environments deploy prod --from cairn-synthesis/out --approve"));
}

#[test]
fn prod_waits_for_reviewers_five_minutes_and_staging() {
    let o = cairn(&["pipeline", "--github-setup"], &repo());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let setup = String::from_utf8_lossy(&o.stdout);
    let prod = &setup[setup.find("# prod → GitHub environment `production`").expect("prod's block")..];
    assert!(prod.contains("{\"wait_timer\": 5, \"reviewers\": [{\"type\": "), "{prod}");
    let text = std::fs::read_to_string(repo().join("stacks/environments/prod.toml")).unwrap();
    let delivery: toml::Table = text.parse::<toml::Table>().unwrap()["delivery"].as_table().unwrap().clone();
    assert_eq!(delivery["trigger"].as_str(), Some("manual"));
    assert_eq!(delivery["requires_previous"].as_bool(), Some(true));
    assert_eq!(delivery["soak_minutes"].as_integer(), Some(30));
    assert_eq!(delivery["backup_before_stateful_changes"].as_bool(), Some(true));
}
