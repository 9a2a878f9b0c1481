//! Bootstrap, destroy, failed creates, credentials and local endpoints (a malformed or
//! unreachable endpoint: `crates/toolkit/tests/endpoints.rs`).

use super::*;

#[test]
fn bootstrap_creates_the_template_bucket_and_deploy_passes_templates_by_url() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("upl", &[]);
    let bucket = "cairn-tests-templates-upl";

    // Without the bucket: a clear error, nothing created.
    let err = assert_fails(
        &cairn(
            &moto.url,
            &["deploy", "upl", "--approve", "--upload-templates", "--template-bucket", bucket],
            Some(&dir),
        ),
        1,
    );
    assert!(
        err.contains(&format!("template bucket `{bucket}` does not exist")) && err.contains("cairn bootstrap upl"),
        "{err}"
    );

    let out = assert_ok(&cairn(&moto.url, &["bootstrap", "upl", "--template-bucket", bucket], Some(&dir)));
    assert!(out.contains("cairn-bootstrap: CREATE_COMPLETE"), "{out}");
    aws.rt
        .block_on(aws.s3.head_bucket().bucket(bucket).send())
        .expect("the bootstrap bucket exists");
    let out = assert_ok(&cairn(&moto.url, &["bootstrap", "upl", "--template-bucket", bucket], Some(&dir)));
    assert!(out.contains("already bootstrapped"), "{out}");

    let env = synth("upl", Some(&dir));
    let out = assert_ok(&cairn(
        &moto.url,
        &["deploy", "upl", "--approve", "--upload-templates", "--template-bucket", bucket],
        Some(&dir),
    ));
    assert_eq!(
        out.matches(&format!("uploaded to s3://{bucket}/cairn/shop/upl/")).count(),
        env.stacks.len(),
        "{out}"
    );
    let listed = aws.rt.block_on(aws.s3.list_objects_v2().bucket(bucket).send()).unwrap();
    assert_eq!(listed.contents().len(), env.stacks.len());
    assert_deployed(&aws, &env);
}

#[test]
fn destroy_deletes_stacks_in_reverse_dependency_order() {
    // moto cannot delete a VPC whose NAT gateway it created (the gateway's network
    // interface stays behind: DependencyViolation), so the network stack stays;
    // every stack that depends on it is deleted, dependents first.
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("gone", &[]);
    let env = synth("gone", Some(&dir));
    let deletable: Vec<&StackArtifact> = env.stacks.iter().filter(|s| !s.depends_on.is_empty()).collect();
    assert!(deletable.len() >= 2, "the test wants at least two stacks that depend on another");
    assert_ok(&cairn(&moto.url, &["deploy", "gone", "--approve"], Some(&dir)));
    let mut args = vec!["destroy", "gone"];
    args.extend(deletable.iter().map(|s| s.id.as_str()));
    let err = assert_fails(&cairn(&moto.url, &args, Some(&dir)), 1);
    assert!(err.contains("pass --approve"), "{err}");
    assert!(
        aws.status(&deletable[0].name).is_some(),
        "nothing may be deleted without confirmation"
    );

    args.push("--approve");
    let out = assert_ok(&cairn(&moto.url, &args, Some(&dir)));
    let positions: Vec<usize> = deletable
        .iter()
        .map(|s| {
            out.find(&format!("{}: deleted", s.name))
                .unwrap_or_else(|| panic!("{} not deleted:\n{out}", s.name))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] > w[1]), "not in reverse dependency order:\n{out}");
    for stack in &deletable {
        assert_eq!(aws.status(&stack.name), None, "{} still exists", stack.name);
    }
    let err = assert_fails(&cairn(&moto.url, &["outputs", "gone", deletable[0].id.as_str()], Some(&dir)), 1);
    assert!(err.contains("not deployed"), "{err}");
}

#[test]
fn a_create_that_fails_on_moto_leaves_no_stack_and_the_next_deploy_is_not_blocked() {
    // moto creates new stacks with CreateStack; when that fails (here: an export name
    // that another stack already has) moto keeps a CREATE_PENDING stack, which blocked
    // every later deploy ("cannot update a stack in this state").
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("dupexp", &[]);
    let env = synth("dupexp", Some(&dir));
    let first = &env.stacks[0];
    let export = first.template["Outputs"]
        .as_object()
        .and_then(|o| o.values().find_map(|v| v["Export"]["Name"].as_str()))
        .unwrap_or_else(|| panic!("{} has no export", first.name))
        .to_string();
    let blocker = serde_json::json!({
        "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {"Taken": {"Value": {"Ref": "Queue"}, "Export": {"Name": export}}}
    });
    aws.rt
        .block_on(
            aws.cfn
                .create_stack()
                .stack_name("cairn-tests-blocker-dupexp")
                .template_body(blocker.to_string())
                .send(),
        )
        .expect("the blocking stack is created");

    let o = cairn(&moto.url, &["deploy", "dupexp", "--approve"], Some(&dir));
    let err = assert_fails(&o, 1);
    assert!(err.contains("Export names must be unique"), "{err}");
    assert!(
        err.contains(&format!("cairn deleted the half-created stack {} the call left", first.name))
            && err.contains("Either another stack holds the exports of the same name"),
        "{err}"
    );
    assert_eq!(aws.status(&first.name), None, "the failed create left {}", first.name);

    // The next deploy starts from scratch rather than refusing the stack's state: it
    // reaches CreateStack again (whether moto still sees the export as taken depends on
    // its bookkeeping of the deleted stack's exports).
    let o = cairn(&moto.url, &["deploy", "dupexp", "--approve", first.id.as_str()], Some(&dir));
    let (out, err) = text(&o);
    assert!(!err.contains("cannot update a stack in this state"), "{out}\n{err}");
    assert!(out.contains(&format!("creating {} with CreateStack", first.name)), "{out}\n{err}");
    assert!(o.status.success() || err.contains("Export names must be unique"), "{out}\n{err}");
}

#[test]
fn missing_credentials_are_reported_as_such_not_as_a_network_problem() {
    // No keys, no profile; the instance-metadata lookup (pointed at moto, which does not
    // serve it) fails the way it does on a machine without an instance role. The
    // endpoint is not on this machine (a local one gets test keys, see below) and is
    // never reached: credentials are resolved before the first request.
    let moto = Moto::shared();
    let home_dir = TempDir::new("deploytest-nohome");
    let home = home_dir.path().to_string_lossy().into_owned();
    let missing = format!("{home}/missing");
    let o = cairn_with(
        "http://192.0.2.1:9",
        &["status", &support::any_environment()],
        &[
            ("HOME", home.as_str()),
            ("AWS_CONFIG_FILE", missing.as_str()),
            ("AWS_SHARED_CREDENTIALS_FILE", missing.as_str()),
            ("AWS_EC2_METADATA_DISABLED", "false"),
            ("AWS_EC2_METADATA_SERVICE_ENDPOINT", moto.url.as_str()),
        ],
        &[
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        ],
    );
    let err = assert_fails(&o, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: no AWS credentials found"), "{err}");
    assert!(err.contains("AWS_PROFILE") && err.contains("aws sso login"), "{err}");
    assert!(!err.contains("cannot reach"), "{err}");
}

#[test]
fn a_local_endpoint_works_without_credentials() {
    // What the README shows: only AWS_ENDPOINT_URL, no keys, no profile.
    let moto = Moto::shared();
    let o = cairn_with(
        &moto.url,
        &["status", &support::any_environment()],
        &[("AWS_CONFIG_FILE", "/nonexistent"), ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")],
        &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(!err.contains("credentials"), "{err}");
}
