//! The project `cairn new` writes: the files of `examples/queue-worker/`, embedded at
//! build time, so the example in the repository (built, tested and linted by cairn's
//! `make test`) is the one source. A test compares this list with the folder.

// Every path below is relative to the example's folder, `examples/queue-worker/`.

/// The example's package name: replaced by the new project's name in every file.
pub const EXAMPLE_NAME: &str = "queue-worker";

macro_rules! example_files {
    ($($path:literal),* $(,)?) => {
        &[$(($path, include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/queue-worker/", $path)))),*]
    };
}

/// (path in the project, contents) of every file of the example.
pub const FILES: &[(&str, &str)] = example_files!(
    ".github/workflows/ci.yml",
    ".gitignore",
    "Cargo.toml",
    "Makefile",
    "README.md",
    "requirements.txt",
    "stacks/config.rs",
    "stacks/environments/dev.toml",
    "stacks/environments/prod.toml",
    "stacks/environments/staging.toml",
    "stacks/lib.rs",
    "stacks/main.rs",
    "stacks/scaling.rs",
    "tests/assertions.rs",
    "tests/snapshots.rs",
    "tests/snapshots/dev__data.snap",
    "tests/snapshots/dev__network.snap",
    "tests/snapshots/dev__worker.snap",
    "tests/snapshots/prod__data.snap",
    "tests/snapshots/prod__network.snap",
    "tests/snapshots/prod__worker.snap",
    "tests/snapshots/staging__data.snap",
    "tests/snapshots/staging__network.snap",
    "tests/snapshots/staging__worker.snap",
);

/// The checkout's lock file: the new project builds with the versions cairn was tested with.
pub const CARGO_LOCK: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock"));

/// The cairn crates the example depends on: (folder under `crates/`, package name).
pub const CAIRN_CRATES: &[(&str, &str)] = &[
    ("assertions", "cairn-assertions"),
    ("cfn", "cairn-cfn"),
    ("constructs", "cairn-constructs"),
    ("core", "cairn-core"),
    ("toolkit", "cairn-toolkit"),
];
