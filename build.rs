//! How the `cairn` binary is linked on x86-64 Linux (README, "Speed and memory").
//!
//! - At a fixed address (`-no-pie`): a position-independent program is relocated by the
//!   dynamic loader at every start, 32,000 pointers written into 0.66 MB of tables and the
//!   0.77 MB relocation table read before `main` runs. Linked at a fixed address, neither
//!   happens: about 1 MB less memory and 0.5 ms less per run. The program's own code is
//!   then not at a random address (libraries, stack and heap still are); cairn is a
//!   command-line tool that reads the project's own files.
//! - Release builds only: the functions listed in `stacks/hot-functions.txt` (what the
//!   offline commands run, written by `scripts/hot-functions.sh`) first, side by side. A
//!   run touches about 2 MB of code instead of pages spread over 11 MB, and the kernel
//!   keeps resident 64 KB around each touched page: about 4 MB less memory.
//!
//! The ordering is an LLD option, and LLD is Rust's linker on this target since 1.90; with
//! another linker (a `linker` setting, linker flags in RUSTFLAGS) or an older Rust it is
//! left out rather than failing the link.
use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=stacks/hot-functions.txt");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");

    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    let own_linker =
        std::env::var_os("RUSTC_LINKER").is_some() || ["fuse-ld", "linker", "link-self-contained"].iter().any(|f| flags.contains(f));
    if var("PROFILE") != "release" || var("CARGO_CFG_TARGET_ARCH") != "x86_64" || own_linker || !rustc_links_with_lld() {
        return;
    }
    let list = Path::new(&var("CARGO_MANIFEST_DIR")).join("stacks/hot-functions.txt");
    if list.is_file() {
        println!("cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}", list.display());
        // Names the binary no longer has (a renamed function) are skipped, not reported.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// Whether this rustc links x86-64 Linux programs with its own LLD (1.90 and later).
fn rustc_links_with_lld() -> bool {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(rustc).arg("-vV").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let Some(release) = text.lines().find_map(|l| l.strip_prefix("release: ")) else {
        return false;
    };
    let mut parts = release.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 90)
}
