//! A moto server for integration tests: one per test binary, on a free loopback
//! port, stopped when the test process ends.
//!
//! The server comes from `MOTO_SERVER` (set by `make test`) or the repository's
//! `.venv/bin/moto_server`; without either the tests fail and say to run
//! `make venv` (they never skip silently). Its state is global, so tests use
//! environments with their own names (their own stack names).
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// A running moto server.
pub struct Moto {
    pub port: u16,
    /// `http://127.0.0.1:<port>`
    pub url: String,
    child: Mutex<Option<Child>>,
}

/// The moto_server executable, or a panic that says how to get one.
pub fn moto_server_path() -> PathBuf {
    if let Some(p) = std::env::var_os("MOTO_SERVER") {
        let p = PathBuf::from(p);
        assert!(
            p.exists(),
            "MOTO_SERVER={} does not exist; run `make venv` (it installs moto[server] into .venv/)",
            p.display()
        );
        return p;
    }
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/moto_server");
    assert!(
        p.exists(),
        "moto_server not found: MOTO_SERVER is unset and {} is missing; run `make venv` (these tests need it and are not skipped)",
        p.display()
    );
    p
}

impl Moto {
    /// The server shared by every test of this binary, started on first use.
    pub fn shared() -> &'static Moto {
        static SERVER: OnceLock<Moto> = OnceLock::new();
        SERVER.get_or_init(Moto::start)
    }

    /// Starts a new server and waits until it answers.
    pub fn start() -> Moto {
        let server = moto_server_path();
        let port = free_port();
        // moto outlives a test process that ends without dropping statics; a small
        // shell watchdog stops it within a second of this process exiting.
        let script = r#"
            "$0" -H 127.0.0.1 -p "$1" >/dev/null 2>&1 </dev/null &
            moto=$!
            trap 'kill $moto 2>/dev/null; exit 0' TERM INT
            while kill -0 "$2" 2>/dev/null && kill -0 $moto 2>/dev/null; do sleep 0.5; done
            kill $moto 2>/dev/null
            wait $moto 2>/dev/null
        "#;
        let child = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&server)
            .arg(port.to_string())
            .arg(std::process::id().to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let moto = Moto {
            port,
            url: format!("http://127.0.0.1:{port}"),
            child: Mutex::new(Some(child)),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !moto.answers() {
            assert!(Instant::now() < deadline, "moto_server did not answer on {} within 30 s", moto.url);
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    /// Whether `GET /moto-api/` answers 200.
    pub fn answers(&self) -> bool {
        http(self.port, "GET", "/moto-api/").is_some_and(|status| status == 200)
    }

    /// Wipes every resource of the server (`POST /moto-api/reset`).
    pub fn reset(&self) {
        assert_eq!(http(self.port, "POST", "/moto-api/reset"), Some(200), "moto reset failed");
    }

    /// Stops the server now.
    pub fn stop(&self) {
        if let Some(mut child) = self.child.lock().ok().and_then(|mut c| c.take()) {
            let _ = Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// A minimal HTTP/1.0 request; the status code, if the server answered.
fn http(port: u16, method: &str, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
