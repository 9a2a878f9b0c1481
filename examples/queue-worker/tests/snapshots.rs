//! Every stack of every environment file as an insta snapshot (`tests/snapshots/`).
//!
//! A change to the templates fails here with the diff: review it (`cargo insta review`,
//! or read the `.snap.new` files) and accept it only if it is the change you meant.

use infra::QueueWorker;

#[test]
fn every_stack_of_every_environment_matches_its_snapshot() {
    let assembly = cairn_assertions::synth_app(&QueueWorker::default());
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for env in &assembly.environments {
            for stack in &env.stacks {
                insta::assert_json_snapshot!(format!("{}__{}", env.name(), stack.id), stack.template);
            }
        }
    });
}
