//! Ctrl-C during deploy and destroy, and change sets other runs made.

use super::*;

#[test]
fn ctrl_c_during_a_deploy_stops_after_the_current_stack_with_exit_130() {
    // Reported: SIGINT while the network stack deployed, yet data and service were
    // deployed too and cairn exited 0.
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("sigint", &[]);
    let env = synth("sigint", Some(&dir));
    let network = &env.stacks[0].name;
    let o = cairn_interrupted(
        &moto.url,
        &["deploy", "sigint", "--approve"],
        &dir,
        &format!("creating {network} with CreateStack"),
    );
    let err = assert_fails(&o, 130);
    let (deployed, not_deployed) = (listed(&err, "deployed"), listed(&err, "not deployed"));
    // Stopped after the stack it was creating: at most that one deployed, the rest untouched.
    assert!(deployed.iter().all(|s| s == network), "{err}");
    assert!(not_deployed.len() >= env.stacks.len() - 1, "{err}");
    for stack in &env.stacks {
        let status = aws.status(&stack.name);
        assert_eq!(
            status.is_some(),
            deployed.contains(&stack.name.as_str()),
            "{} is {status:?}:\n{err}",
            stack.name
        );
    }
    // The hint repeats the run's arguments for the stacks not deployed.
    let resume = resume_hint(&err);
    let mut expected = vec!["cairn", "deploy", "sigint"];
    if !deployed.is_empty() {
        expected.extend(not_deployed.iter().copied());
    }
    let dir_arg = dir.to_string_lossy().into_owned();
    expected.extend(["--environments", dir_arg.as_str(), "--approve"]);
    assert_eq!(resume, expected, "{err}");
    let (out, _) = text(&o);
    assert!(!out.contains("done sigint"), "{out}");

    // Resuming with the hint, as pasted, deploys the rest.
    let out = assert_ok(&cairn_with(&moto.url, &resume[1..], &[], &[]));
    assert!(out.contains("done sigint"), "{out}");
}

#[test]
fn ctrl_c_during_destroy_stops_after_the_current_stack_with_exit_130() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("sigdel", &[]);
    let env = synth("sigdel", Some(&dir));
    assert_ok(&cairn(&moto.url, &["deploy", "sigdel", "--approve"], Some(&dir)));
    let first = &env.stacks.last().unwrap().name;
    let o = cairn_interrupted(
        &moto.url,
        &["destroy", "sigdel", "--approve"],
        &dir,
        &format!("{first} (1 of {})", env.stacks.len()),
    );
    let err = assert_fails(&o, 130);
    let (deleted, kept) = (listed(&err, "deleted"), listed(&err, "not deleted"));
    assert!(!kept.is_empty(), "Ctrl-C did not stop the destroy:\n{err}");
    for stack in &env.stacks {
        let exists = aws.status(&stack.name).is_some();
        assert_eq!(exists, kept.contains(&stack.name.as_str()), "{}:\n{err}", stack.name);
        assert_eq!(!exists, deleted.contains(&stack.name.as_str()), "{}:\n{err}", stack.name);
    }
    let dir_arg = dir.to_string_lossy().into_owned();
    let mut expected = vec!["cairn", "destroy", "sigdel"];
    expected.extend(kept.iter().copied());
    expected.extend(["--environments", dir_arg.as_str(), "--approve"]);
    assert_eq!(resume_hint(&err), expected, "{err}");
}

#[test]
fn a_change_set_another_run_made_blocks_the_deploy_and_is_never_executed() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("other", &[]);
    let env = synth("other", Some(&dir));
    assert_ok(&cairn(&moto.url, &["deploy", "other", "--approve"], Some(&dir)));
    let data = &env.stacks[1];
    let body = aws
        .rt
        .block_on(aws.cfn.get_template().stack_name(&data.name).send())
        .unwrap()
        .template_body()
        .unwrap()
        .to_string();
    let mut changed: Json = serde_json::from_str(&body).unwrap();
    changed["Description"] = Json::String("changed by another run".into());
    let created = aws
        .rt
        .block_on(
            aws.cfn
                .create_change_set()
                .stack_name(&data.name)
                .change_set_name("someone-elses-review")
                .change_set_type(aws_sdk_cloudformation::types::ChangeSetType::Update)
                .template_body(changed.to_string())
                .send(),
        )
        .expect("the other change set is created");

    edit(&dir, "other", "nginx:1.27", "nginx:1.27.1");
    let err = assert_fails(&cairn(&moto.url, &["deploy", "other", "--approve"], Some(&dir)), 1);
    assert!(
        err.contains(&format!(
            "error: {} has a change set this deploy did not make: someone-elses-review",
            data.name
        )),
        "{err}"
    );
    assert!(err.contains("never executes another run's change set"), "{err}");
    // Left as it was: not executed, not deleted.
    let cs = aws
        .rt
        .block_on(aws.cfn.describe_change_set().change_set_name(created.id().unwrap()).send())
        .unwrap();
    assert_eq!(cs.execution_status().map(|s| s.as_str()), Some("AVAILABLE"));
    let now = aws
        .rt
        .block_on(aws.cfn.get_template().stack_name(&data.name).send())
        .unwrap()
        .template_body()
        .unwrap()
        .to_string();
    assert_eq!(now, body);
}
