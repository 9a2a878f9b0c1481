//! The benchmark's header names the build it ran in (it said "release build" for every
//! profile, also when `cargo test --all-targets` ran it unoptimized).

#[path = "../benches/support/build_label.rs"]
mod build_label;

use build_label::build_label;

#[test]
fn only_a_build_without_debug_assertions_is_called_release() {
    assert_eq!(build_label(false), "release build");
    let debug = build_label(true);
    assert!(!debug.contains("release"), "{debug}");
    assert!(debug.starts_with("debug build"), "{debug}");
    // This test binary itself is a debug-profile build, like the bench under `cargo test`.
    if cfg!(debug_assertions) {
        assert!(build_label(cfg!(debug_assertions)).starts_with("debug build"));
    }
}
