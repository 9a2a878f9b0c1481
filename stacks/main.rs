//! `cairn`: synthesize, diff, check parity of and deploy the shop's infrastructure.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cairn_toolkit::main(cairn_app::Shop::default())
}
