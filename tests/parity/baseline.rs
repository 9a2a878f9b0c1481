//! Parity's re-syntheses of the reference skip rendering the resources built exactly as
//! in the reference (`application::synthesize_changed`). On the shipped application, for
//! every knob value another environment uses: what is skipped renders as in the
//! reference, and what is rendered renders as a full synthesis renders it.

use std::collections::BTreeSet;
use std::sync::Arc;

use cairn_core::config;
use cairn_core::RenderOnly;

use super::*;

/// Stack id → resources, of one environment's templates.
fn resources(env: &cairn_core::EnvArtifact) -> Vec<(String, String, Json)> {
    env.stacks
        .iter()
        .flat_map(|s| {
            s.template["Resources"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(id, r)| (s.id.clone(), id.clone(), r.clone()))
        })
        .collect()
}

#[test]
fn skipped_resources_render_as_in_the_reference_for_every_knob_value() {
    let app = cairn_app::Shop::default();
    let envs = application::load_all(&app).unwrap();
    let (reference, others) = envs.split_last().unwrap();
    let full = application::synthesize_model(&app, &[(reference.name.as_str(), &reference.config)]).unwrap();
    let reference_resources = resources(&full.environments[0]);
    let mut only = RenderOnly::new();
    for (stack, id, _) in &reference_resources {
        only.entry(stack.clone()).or_default().insert(id.clone());
    }
    let forms = Arc::new(application::model_forms(&app, &reference.name, &reference.config, only.clone()).unwrap());
    assert!(forms.len() > 50, "most resources have a form: {}", forms.len());

    let (mut swaps, mut skipped, mut rendered) = (0, 0, 0);
    for knob in app.knobs() {
        for other in others {
            let value = config::get_value(&other.table, &knob.key);
            if value == config::get_value(&reference.table, &knob.key) {
                continue;
            }
            let table = config::with_value(&reference.table, &knob.key, value);
            let Ok(config) = config::from_table::<cairn_app::Config>(&reference.file, table) else {
                continue;
            };
            let plain = application::synthesize_only(&app, &[(reference.name.as_str(), &config)], only.clone());
            let changed = application::synthesize_changed(&app, &reference.name, &config, only.clone(), Arc::clone(&forms));
            let (Ok(plain), Ok((changed, unchanged))) = (plain, changed) else {
                panic!("{} = {value:?}: both syntheses must fail or succeed alike", knob.key);
            };
            swaps += 1;
            let plain = resources(&plain.environments[0]);
            let changed = resources(&changed.environments[0]);
            let unchanged: BTreeSet<(String, String)> = unchanged.into_iter().collect();
            for (stack, id, json) in &plain {
                let key = (stack.clone(), id.clone());
                if unchanged.contains(&key) {
                    skipped += 1;
                    let before = reference_resources.iter().find(|(s, i, _)| s == stack && i == id).map(|(.., j)| j);
                    assert_eq!(
                        Some(json),
                        before,
                        "{} = {value:?}: {stack}/{id} was skipped but renders differently",
                        knob.key
                    );
                    assert!(
                        !changed.iter().any(|(s, i, _)| s == stack && i == id),
                        "{stack}/{id} skipped and rendered"
                    );
                } else {
                    rendered += 1;
                    let again = changed.iter().find(|(s, i, _)| s == stack && i == id).map(|(.., j)| j);
                    assert_eq!(
                        again,
                        Some(json),
                        "{} = {value:?}: {stack}/{id} neither skipped nor rendered alike",
                        knob.key
                    );
                }
            }
        }
    }
    assert!(swaps >= 20, "{swaps} knob values swapped");
    assert!(skipped > 2 * rendered, "{skipped} resources skipped, {rendered} rendered");
}
