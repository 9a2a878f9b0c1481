//! Deploying, updating and refusing: the first deploys against moto.

use super::*;

#[test]
fn deploying_dev_creates_every_stack_and_a_second_deploy_has_no_changes() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("firstdeploy", &[]);
    let env = synth("firstdeploy", Some(&dir));

    let out = assert_ok(&cairn(&moto.url, &["deploy", "firstdeploy", "--approve"], Some(&dir)));
    for stack in &env.stacks {
        assert!(out.contains(&format!("{}: CREATE_COMPLETE", stack.name)), "{out}");
    }
    assert!(
        out.contains(&format!("done firstdeploy: {} deployed, 0 without changes", env.stacks.len())),
        "{out}"
    );
    // No terminal: plain lines only.
    assert!(!out.contains('\x1b') && !out.contains('\r'), "control characters in:\n{out}");
    assert_deployed(&aws, &env);

    let out = assert_ok(&cairn(&moto.url, &["deploy", "firstdeploy"], Some(&dir)));
    assert_eq!(out.matches("  no changes").count(), env.stacks.len(), "{out}");
    assert!(
        out.contains(&format!("done firstdeploy: 0 deployed, {} without changes", env.stacks.len())),
        "{out}"
    );
    assert!(!out.contains("approval needed"), "{out}");

    let out = assert_ok(&cairn(&moto.url, &["status", "firstdeploy"], Some(&dir)));
    for stack in &env.stacks {
        assert!(out.contains(&format!("{}  CREATE_COMPLETE", stack.name)), "{out}");
    }
    let out = assert_ok(&cairn(&moto.url, &["outputs", "firstdeploy", "--format", "json"], Some(&dir)));
    let outputs: Json = serde_json::from_str(&out).expect("outputs --format json prints JSON");
    for stack in &env.stacks {
        assert!(outputs[&stack.name].is_object(), "{out}");
    }
}

#[test]
fn a_changed_environment_file_deploys_an_update_change_set() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("upd", &[]);
    assert_ok(&cairn(&moto.url, &["deploy", "upd", "--approve"], Some(&dir)));
    let before = synth("upd", Some(&dir));

    edit(&dir, "upd", "nginx:1.27", "nginx:1.27.1");
    let after = synth("upd", Some(&dir));
    let changed: Vec<&str> = after
        .stacks
        .iter()
        .filter(|s| before.stack(&s.name).is_none_or(|b| b.body != s.body))
        .map(|s| s.name.as_str())
        .collect();
    assert!(!changed.is_empty(), "changing service.image changed no template");

    let out = assert_ok(&cairn(&moto.url, &["deploy", "upd", "--approve"], Some(&dir)));
    for stack in &after.stacks {
        let status = aws.status(&stack.name).unwrap();
        if changed.contains(&stack.name.as_str()) {
            assert_eq!(status, "UPDATE_COMPLETE", "{}\n{out}", stack.name);
            assert!(out.contains(&format!("{}: UPDATE_COMPLETE", stack.name)), "{out}");
        } else {
            assert_eq!(status, "CREATE_COMPLETE", "{}\n{out}", stack.name);
        }
    }
    assert!(out.contains("  update: ") && out.contains("  ~ modify"), "{out}");
    assert!(out.contains(&format!(
        "done upd: {} deployed, {} without changes",
        changed.len(),
        after.stacks.len() - changed.len()
    )));
    // The deployed template is the new one.
    for name in &changed {
        assert_eq!(aws.deployed_template(name), Aws::as_on_moto(&after.stack(name).unwrap().template));
    }
}

#[test]
fn prod_without_a_terminal_or_approve_is_refused_and_creates_nothing() {
    if !support::requires(&["prod"]) {
        return;
    }
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let err = assert_fails(&cairn(&moto.url, &["deploy", "prod"], None), 1);
    assert!(err.contains("environment `prod` requires approval of every deploy"), "{err}");
    assert!(err.contains("pass --approve") && err.contains("Nothing was changed"), "{err}");
    for stack in &synth("prod", None).stacks {
        assert_eq!(aws.status(&stack.name), None, "{} exists", stack.name);
    }
    // destroy refuses an environment that keeps data, --force without a terminal too.
    let err = assert_fails(&cairn(&moto.url, &["destroy", "prod", "--approve"], None), 1);
    assert!(err.contains("keeps data") && err.contains("--force"), "{err}");
    let err = assert_fails(&cairn(&moto.url, &["destroy", "prod", "--force", "--approve"], None), 1);
    assert!(err.contains("needs its name typed on a terminal"), "{err}");
}

#[test]
fn broader_access_without_approve_is_refused_and_leaves_no_stack() {
    // A first deploy that creates IAM roles needs approval, and without a terminal or
    // --approve nothing of the refused stack may be left behind (not even a
    // REVIEW_IN_PROGRESS stack).
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("noapprove", &[]);
    let env = synth("noapprove", Some(&dir));
    let o = cairn(&moto.url, &["deploy", "noapprove"], Some(&dir));
    let err = assert_fails(&o, 1);
    assert!(err.contains("needs approval (it broadens IAM or network access"), "{err}");
    let (out, _) = text(&o);
    assert!(
        out.contains("approval needed:") && out.contains("(AWS::IAM::Role) AssumeRolePolicyDocument: Allow sts:AssumeRole"),
        "{out}"
    );
    // The network stack broadens nothing and is deployed; the data stack (the first with
    // IAM roles) is refused before anything of it exists, and nothing after it is tried.
    for stack in &env.stacks {
        let expected = (stack.id == "network").then(|| "CREATE_COMPLETE".to_string());
        assert_eq!(aws.status(&stack.name), expected, "{}", stack.name);
    }
}

/// `outputs` of an environment that is not deployed fails with nothing on stdout: no `{}`
/// for a script to take as "no outputs".
#[test]
fn outputs_of_an_undeployed_environment_print_nothing_on_stdout() {
    let moto = Moto::shared();
    let dir = env_copy("nooutputs", &[]);
    for format in ["json", "text"] {
        let o = cairn(&moto.url, &["outputs", "nooutputs", "--format", format], Some(&dir));
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{format}: {out}{err}");
        assert_eq!(out, "", "{format}: nothing on stdout on failure; stderr: {err}");
        assert!(
            err.contains("not deployed: shop-nooutputs-network, shop-nooutputs-data, shop-nooutputs-service"),
            "{err}"
        );
    }
}

#[test]
fn credentials_of_another_account_are_refused() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = env_copy("otheracct", &[("account = \"123456789012\"", "account = \"210987654321\"")]);
    let err = assert_fails(&cairn(&moto.url, &["deploy", "otheracct", "--approve"], Some(&dir)), 1);
    assert!(
        err.contains("belong to account 123456789012, but environment `otheracct` lives in account 210987654321"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    for stack in &synth("otheracct", Some(&dir)).stacks {
        assert_eq!(aws.status(&stack.name), None);
    }
}
