//! The command line of this application: `cargo run -- synth prod`, `cargo run -- --help`.

fn main() -> std::process::ExitCode {
    cairn_toolkit::main(infra::QueueWorker::default())
}
