//! The project's own instructions for the command line: `make local-cloud` and the README
//! agree. The command line's behaviour itself is tested on a fixture application in
//! `crates/toolkit/tests/cli.rs`.

use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `make local-cloud` prints the same deploy command as the README, and neither asks for
/// credentials: a loopback endpoint needs none.
#[test]
fn local_cloud_instructions_agree_with_the_readme() {
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README.md");
    let script = std::fs::read_to_string(repo().join("scripts/local-cloud.sh")).expect("scripts/local-cloud.sh");
    let deploy = readme
        .lines()
        .find(|l| l.starts_with("AWS_ENDPOINT_URL=http://127.0.0.1:5000 "))
        .expect("the README's local-cloud deploy command");
    let printed = deploy.replace(":5000", ":$port");
    assert!(
        script.lines().any(|l| l.trim() == printed),
        "scripts/local-cloud.sh should print `{printed}` as the README does"
    );
    assert!(
        readme.contains("A local (loopback) endpoint needs no credentials"),
        "the README says why no credentials are set"
    );
    for text in [&readme, &script] {
        assert!(
            !text.contains("export AWS_ACCESS_KEY_ID") && !text.contains("AWS_SECRET_ACCESS_KEY=test"),
            "credentials are not needed for the local cloud"
        );
    }
    assert!(script.contains("needs no credentials"), "the script says so too");
}
