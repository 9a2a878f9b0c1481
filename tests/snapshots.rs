//! Snapshot of every stack of every environment (`tests/snapshots/<env>__<stack>.snap`):
//! any change to a template shows up in review. Accept deliberate changes with
//! `cargo insta review` (or `INSTA_UPDATE=always`) after reading the diff.

mod support;

#[test]
fn every_stack_of_every_environment() {
    let assembly = support::synth_all();
    let mut count = 0;
    for env in &assembly.environments {
        for stack in &env.stacks {
            insta::with_settings!({ snapshot_path => "snapshots", prepend_module_to_snapshot => false, omit_expression => true }, {
                insta::assert_snapshot!(format!("{}__{}", env.settings.name, stack.id), stack.body);
            });
            count += 1;
        }
    }
    let envs = support::environment_files().len();
    assert_eq!(assembly.environments.len(), envs, "one synthesis per environment file");
    assert_eq!(count, 3 * envs, "three stacks in each of the {envs} environments");
}
