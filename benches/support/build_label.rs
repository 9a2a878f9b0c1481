//! What kind of build the benchmark numbers come from, for their header line: only an
//! optimized build without debug assertions (`cargo bench`, `make bench`) is "release";
//! `cargo test --all-targets` or `cargo bench --profile dev` run an unoptimized one.
//! Shared with `tests/bench_label.rs`.

/// The header's build label; `debug_assertions` is `cfg!(debug_assertions)` of the build.
pub fn build_label(debug_assertions: bool) -> &'static str {
    if debug_assertions {
        "debug build: numbers are not representative; run `cargo bench` or `make bench`"
    } else {
        "release build"
    }
}
