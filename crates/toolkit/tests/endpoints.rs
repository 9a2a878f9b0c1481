//! The AWS endpoint as the commands that talk to AWS meet it, without any server: a
//! malformed endpoint or timeout is bad input, an unreachable one gives one clear line.
//! Deploys against a real (moto) endpoint are tested in the root `tests/deploy/`.

mod support;

use std::process::Output;

use support::exits;

/// The fixture with `AWS_ENDPOINT_URL=endpoint` and test credentials.
fn cairn(endpoint: &str, args: &[&str]) -> Output {
    support::command()
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint)
        .output()
        .expect("cairn-fixture runs")
}

#[test]
fn a_malformed_endpoint_or_a_zero_timeout_is_bad_input() {
    let (_, err) = exits(&cairn("not-a-url", &["status", "dev"]), 2);
    assert!(
        err.starts_with("error: AWS_ENDPOINT_URL=`not-a-url` is not a usable endpoint (it must start with http:// or https://)"),
        "{err}"
    );
    assert!(err.contains("http://127.0.0.1:5000") && err.lines().count() == 1, "{err}");
    let (_, err) = exits(&cairn("http://127.0.0.1:1", &["status", "dev", "--endpoint-url", "not-a-url"]), 2);
    assert!(
        err.starts_with("error: --endpoint-url `not-a-url` is not a usable endpoint"),
        "{err}"
    );

    let (_, err) = exits(&cairn("http://127.0.0.1:1", &["deploy", "dev", "--timeout", "0s"]), 2);
    assert!(err.contains("the timeout must be more than 0"), "{err}");
    assert!(!err.contains("is not a duration"), "{err}");
}

#[test]
fn an_unreachable_endpoint_gives_one_clear_line() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port");
    let url = format!("http://127.0.0.1:{port}");
    let (_, err) = exits(&cairn(&url, &["deploy", "dev", "--approve"]), 1);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!("error: cannot reach {url} (connection refused) for GetCallerIdentity")),
        "{err}"
    );
    assert!(err.contains("make local-cloud"), "{err}");
    for debug in ["DispatchFailure", "ConnectorError", "{ ", "Some("] {
        assert!(!err.contains(debug), "an SDK struct leaks into: {err}");
    }
}

#[cfg(unix)]
#[test]
fn ctrl_c_while_the_first_calls_wait_on_a_silent_endpoint_ends_at_once_with_nothing_changed() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    // An endpoint that accepts connections and never answers: GetCallerIdentity waits.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let mut child = support::command()
        .args(["deploy", "dev", "--approve"])
        .env("AWS_ENDPOINT_URL", &url)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("cairn-fixture starts");
    // Keep the accepted connection open, so the call is in flight when Ctrl-C comes.
    let (_connection, _) = listener.accept().expect("cairn connects");
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let pressed = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if pressed.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("cairn still waits on the silent endpoint 30 s after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr is text");
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("stopped (Ctrl-C) before any change: nothing was changed"), "{err}");
}
