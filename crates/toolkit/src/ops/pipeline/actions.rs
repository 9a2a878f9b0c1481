//! The third-party actions the generated workflow uses, pinned to full commit SHAs
//! (a tag can be moved; a commit cannot), with the version each SHA is, for the comment
//! beside it. To upgrade: find the new tag's commit (`git ls-remote --tags
//! https://github.com/OWNER/REPO 'vX.Y.Z^{}'`), change both here, run `cairn pipeline`.
//!
//! The majors are the newest ones on GitHub's node24 runtime: node20 actions (every v4
//! of actions/checkout and the artifact actions, configure-aws-credentials v4 and v5)
//! are past GitHub's removal date (2026-09-23).

/// One pinned action.
#[derive(Debug, Clone, Copy)]
pub struct Action {
    /// `owner/repo`.
    pub name: &'static str,
    /// The full commit SHA.
    pub sha: &'static str,
    /// The tag (or branch) that commit is, for humans.
    pub version: &'static str,
}

impl Action {
    /// `owner/repo@sha # version`, the value of a step's `uses:`.
    pub fn uses(&self) -> String {
        format!("{}@{} # {}", self.name, self.sha, self.version)
    }
}

/// actions/checkout v7.0.1.
pub const CHECKOUT: Action = Action {
    name: "actions/checkout",
    sha: "3d3c42e5aac5ba805825da76410c181273ba90b1",
    version: "v7.0.1",
};

/// actions/setup-python v7.0.0 (cfn-lint and moto for `make test`).
pub const SETUP_PYTHON: Action = Action {
    name: "actions/setup-python",
    sha: "5fda3b95a4ea91299a34e894583c3862153e4b97",
    version: "v7.0.0",
};

/// dtolnay/rust-toolchain, the head of its `stable` branch (pinned, the action cannot
/// read the toolchain from the ref, so the steps pass `toolchain: stable`).
pub const RUST_TOOLCHAIN: Action = Action {
    name: "dtolnay/rust-toolchain",
    sha: "29eef336d9b2848a0b548edc03f92a220660cdb8",
    version: "stable branch, 2026-03-27",
};

/// Swatinem/rust-cache v2.9.2.
pub const RUST_CACHE: Action = Action {
    name: "Swatinem/rust-cache",
    sha: "6323deb102c322ba6fcbdcafc7e3dddab59af2b6",
    version: "v2.9.2",
};

/// actions/upload-artifact v7.0.0.
pub const UPLOAD_ARTIFACT: Action = Action {
    name: "actions/upload-artifact",
    sha: "bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
    version: "v7.0.0",
};

/// actions/download-artifact v8.0.1 (`run-id` downloads another run's artifact).
pub const DOWNLOAD_ARTIFACT: Action = Action {
    name: "actions/download-artifact",
    sha: "3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c",
    version: "v8.0.1",
};

/// aws-actions/configure-aws-credentials v6.2.3 (GitHub OIDC → the deploy role).
pub const AWS_CREDENTIALS: Action = Action {
    name: "aws-actions/configure-aws-credentials",
    sha: "e6de054238d6b7531b4efff3b6587d9aade6a06c",
    version: "v6.2.3",
};
