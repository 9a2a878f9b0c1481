//! Deploying exactly what was tested (`deploy --from DIR`), the synthesis record on
//! the deployed stacks, the promotion gate (`[delivery] requires_previous`,
//! `soak_minutes`, critical alarms, `--skip-promotion-gate`) and `status --all`.
//!
//! Two environments in one git repository: `proma` (first in promotion order) and
//! `promb`, whose gate requires that proma runs the same synthesis.

use super::*;

/// A git repository holding proma.toml (order 10) and promb.toml (order 20, gated).
fn repo() -> TempDir {
    let dir = TempDir::new("deploytest-promotion");
    let a = env_copy("proma", &[]);
    let text = std::fs::read_to_string(a.join("proma.toml")).unwrap();
    let order = |text: &str, n: u32| -> String {
        text.lines()
            .map(|l| {
                if l.split('=').next().is_some_and(|k| k.trim() == "promotion_order") {
                    format!("promotion_order = {n}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect()
    };
    std::fs::write(dir.join("proma.toml"), order(&text, 10)).unwrap();
    set_delivery(
        &dir.join("promb.toml"),
        &order(&text, 20),
        &["requires_previous = true", "soak_minutes = 0"],
    );
    git(&dir, &["init", "--quiet"]);
    commit(&dir, "first");
    dir
}

/// Writes `text` to `file` with `keys` in its [delivery] table (replacing those keys).
fn set_delivery(file: &Path, text: &str, keys: &[&str]) {
    let names: Vec<&str> = keys.iter().map(|k| k.split('=').next().unwrap().trim()).collect();
    let kept: String = text
        .lines()
        .filter(|l| !names.iter().any(|n| l.split('=').next().is_some_and(|k| k.trim() == *n)))
        .map(|l| format!("{l}\n"))
        .collect();
    let lines = keys.join("\n");
    let text = if kept.contains("\n[delivery]\n") {
        kept.replacen("\n[delivery]\n", &format!("\n[delivery]\n{lines}\n"), 1)
    } else {
        format!("{kept}\n[delivery]\n{lines}\n")
    };
    std::fs::write(file, text).unwrap();
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=cairn tests",
            "-c",
            "user.email=tests@cairn.invalid",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Commits everything; returns the commit id.
fn commit(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "--quiet", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// `cairn synth --all` of the repository's environments into a fresh folder outside it.
fn synth_all(moto: &str, dir: &Path, name: &str) -> TempDir {
    let out = TempDir::new(&format!("deploytest-promotion-{name}"));
    let folder = out.to_string_lossy().into_owned();
    assert_ok(&cairn(moto, &["synth", "--all", "--quiet", "--out", &folder], Some(dir)));
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// moto's CloudWatch: an alarm named `name` in `state`. moto 5 speaks only CloudWatch's
/// query protocol (the SDK speaks RPC v2 CBOR), so the calls are form posts.
fn set_alarm(endpoint: &str, name: &str, state: &str) {
    let put = format!(
        "Action=PutMetricAlarm&Version=2010-08-01&AlarmName={name}&Namespace=AWS%2FApplicationELB\
         &MetricName=HTTPCode_Target_5XX_Count&Statistic=Sum&Period=60&EvaluationPeriods=1&Threshold=1\
         &ComparisonOperator=GreaterThanOrEqualToThreshold"
    );
    query(endpoint, &put);
    query(
        endpoint,
        &format!("Action=SetAlarmState&Version=2010-08-01&AlarmName={name}&StateValue={state}&StateReason=test"),
    );
}

fn query(endpoint: &str, body: &str) {
    use std::io::{Read, Write};
    let address = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(address).expect("moto answers");
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{body}: {response}");
}

fn status_all(moto: &str, dir: &Path) -> Json {
    let out = assert_ok(&cairn(moto, &["status", "--all", "--format", "json"], Some(dir)));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn env_of<'a>(doc: &'a Json, name: &str) -> &'a Json {
    doc["environments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {doc}"))
}

#[test]
fn deploy_from_a_tested_synthesis_through_the_promotion_gate() {
    let moto = Moto::shared();
    let aws = Aws::new(&moto.url);
    let dir = repo();
    let c1 = git(&dir, &["rev-parse", "HEAD"]);
    let out1 = synth_all(&moto.url, &dir, "out1");
    let out1s = out1.to_string_lossy().into_owned();
    let manifest: Json = serde_json::from_str(&std::fs::read_to_string(out1.join("proma/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["synthesis"]["commit"], c1.as_str(), "the manifest records the commit");
    assert_eq!(manifest["synthesis"]["dirty"], false);
    let a_stacks = synth("proma", Some(&dir));
    let b_stacks = synth("promb", Some(&dir));

    // A template edited after synthesis, a folder of another application, of another
    // environment: exit 2, nothing deployed.
    let edited = TempDir::new("deploytest-promotion-edited");
    copy_dir(&out1, &edited);
    let victim = edited.join("proma").join(a_stacks.stacks[0].file_name());
    let text = std::fs::read_to_string(&victim).unwrap();
    std::fs::write(&victim, text.replacen("\"Resources\"", "\"Resources\" ", 1)).unwrap();
    let err = assert_fails(
        &cairn(
            &moto.url,
            &["deploy", "proma", "--from", &edited.to_string_lossy(), "--approve"],
            Some(&dir),
        ),
        2,
    );
    assert!(
        err.contains(&victim.display().to_string()) && err.contains("changed after synthesis"),
        "{err}"
    );

    let foreign = TempDir::new("deploytest-promotion-foreign");
    copy_dir(&out1, &foreign);
    let manifest_file = foreign.join("proma/manifest.json");
    let text = std::fs::read_to_string(&manifest_file).unwrap();
    std::fs::write(&manifest_file, text.replacen("\"app\": \"shop\"", "\"app\": \"billing\"", 1)).unwrap();
    let err = assert_fails(
        &cairn(
            &moto.url,
            &["deploy", "proma", "--from", &foreign.to_string_lossy(), "--approve"],
            Some(&dir),
        ),
        2,
    );
    assert!(err.contains("application `billing`, not `shop`"), "{err}");

    let only_a = out1.join("proma").to_string_lossy().into_owned();
    let err = assert_fails(
        &cairn(&moto.url, &["deploy", "promb", "--from", &only_a, "--approve"], Some(&dir)),
        2,
    );
    assert!(err.contains("not of environment `promb`"), "{err}");
    for stack in a_stacks.stacks.iter().chain(&b_stacks.stacks) {
        assert_eq!(aws.status(&stack.name), None, "{} must not exist", stack.name);
    }

    // The gate: proma runs nothing yet, so promb is refused (exit 1), nothing created.
    let o = cairn(&moto.url, &["deploy", "promb", "--from", &out1s, "--approve"], Some(&dir));
    let err = assert_fails(&o, 1);
    assert!(
        err.contains("promotion gate: promb may not be deployed yet") && err.contains("is not deployed"),
        "{err}"
    );
    assert!(err.contains("--skip-promotion-gate"), "{err}");
    assert!(b_stacks.stacks.iter().all(|s| aws.status(&s.name).is_none()));

    // proma deploys the tested synthesis; its stacks record it.
    let out = assert_ok(&cairn(&moto.url, &["deploy", "proma", "--from", &out1s, "--approve"], Some(&dir)));
    assert!(out.contains(&format!("synthesis: commit {}", &c1[..7])), "{out}");

    // A critical alarm of proma in ALARM closes the gate; back to OK opens it.
    let alarm = a_stacks
        .critical_alarms()
        .into_iter()
        .next()
        .expect("the environment has critical alarms")
        .alarm_name;
    set_alarm(&moto.url, &alarm, "ALARM");
    let err = assert_fails(
        &cairn(&moto.url, &["deploy", "promb", "--from", &out1s, "--approve"], Some(&dir)),
        1,
    );
    assert!(err.contains(&format!("proma's critical alarm {alarm} is in ALARM")), "{err}");
    assert!(b_stacks.stacks.iter().all(|s| aws.status(&s.name).is_none()));
    set_alarm(&moto.url, &alarm, "OK");
    let out = assert_ok(&cairn(&moto.url, &["deploy", "promb", "--from", &out1s, "--approve"], Some(&dir)));
    assert!(out.contains("promotion gate open: proma runs this synthesis"), "{out}");

    let doc = status_all(&moto.url, &dir);
    for name in ["proma", "promb"] {
        let env = env_of(&doc, name);
        assert_eq!(env["commit"], c1.as_str(), "{doc}");
        assert_eq!(env["deployedBy"], "arn:aws:sts::123456789012:user/moto", "{doc}");
        assert_eq!(env["deployedStacks"], env["stacks"], "{doc}");
    }
    assert_eq!(env_of(&doc, "promb")["previous"]["commitsBehind"], 0, "{doc}");

    // A second commit (a new image, promoted in both files) reaches proma only.
    for name in ["proma", "promb"] {
        edit(&dir, name, "nginx:1.27", "nginx:1.27.1");
    }
    let c2 = commit(&dir, "second");
    let out2 = synth_all(&moto.url, &dir, "out2");
    let out2s = out2.to_string_lossy().into_owned();
    assert_ok(&cairn(&moto.url, &["deploy", "proma", "--from", &out2s, "--approve"], Some(&dir)));
    let text = assert_ok(&cairn(&moto.url, &["status", "--all"], Some(&dir)));
    assert!(text.contains(&format!("proma runs {}", &c2[..7])), "{text}");
    assert!(
        text.contains(&format!("promb runs {}", &c1[..7])) && text.contains("1 commit behind proma"),
        "{text}"
    );

    // A soak time proma has not served yet closes the gate; an emergency deploy passes it
    // and is recorded on the stacks.
    let b_file = dir.join("promb.toml");
    let text = std::fs::read_to_string(&b_file).unwrap();
    set_delivery(&b_file, &text, &["requires_previous = true", "soak_minutes = 30"]);
    let err = assert_fails(
        &cairn(&moto.url, &["deploy", "promb", "--from", &out2s, "--approve"], Some(&dir)),
        1,
    );
    assert!(
        err.contains("proma has run this synthesis for 0 minutes") && err.contains("requires 30 minutes"),
        "{err}"
    );
    let o = cairn(
        &moto.url,
        &[
            "deploy",
            "promb",
            "--from",
            &out2s,
            "--approve",
            "--skip-promotion-gate",
            "hotfix INC-7",
        ],
        Some(&dir),
    );
    assert_ok(&o);
    assert!(text_of(&o).contains("EMERGENCY DEPLOY of promb"), "{}", text_of(&o));
    let doc = status_all(&moto.url, &dir);
    let b = env_of(&doc, "promb");
    assert_eq!(b["commit"], c2.as_str(), "{doc}");
    assert_eq!(b["emergency"], "hotfix INC-7", "{doc}");
    assert_eq!(b["previous"]["commitsBehind"], 0, "{doc}");
}

fn text_of(o: &Output) -> String {
    let (out, err) = text(o);
    format!("{out}{err}")
}
