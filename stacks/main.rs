//! `cairn`: synthesize, diff, check parity of and deploy the shop's infrastructure.

fn main() -> std::process::ExitCode {
    cairn_toolkit::main(cairn_app::Shop::default())
}
