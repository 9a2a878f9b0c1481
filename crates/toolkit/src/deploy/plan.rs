//! What to do with a stack, given its current state.

use crate::aws::cloudformation::status;
use crate::aws::StackInfo;

/// The commands to suggest in messages (`cairn deploy dev`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hints {
    /// Command that repeats this operation, e.g. `cairn deploy dev`.
    pub deploy: String,
    /// Command that follows a running operation, e.g. `cairn status dev --watch`.
    pub watch: String,
    /// Command that shows state and recent events, e.g. `cairn status dev`.
    pub status: String,
    /// Command that deletes the environment's stacks, e.g. `cairn destroy dev`.
    pub destroy: String,
}

impl Hints {
    pub fn for_env(env: &str) -> Self {
        Hints {
            deploy: format!("cairn deploy {env}"),
            watch: format!("cairn status {env} --watch"),
            status: format!("cairn status {env}"),
            destroy: format!("cairn destroy {env}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// No stack yet: a CREATE change set.
    Create,
    /// Only an unexecuted review is there: REVIEW_IN_PROGRESS (a CREATE change set that
    /// was never executed), or moto's CREATE_PENDING (a CreateStack that failed before
    /// creating anything). Treated as absent once checked and removed.
    ReviewLeftover(StackInfo),
    /// An UPDATE change set.
    Update(StackInfo),
    /// The first create failed and was rolled back: delete it, then create (`--recreate`).
    Recreate(StackInfo),
}

/// Decides from the stack's state, or explains why nothing can be done.
/// `emulator` names the local emulator behind the endpoint (moto), whose operations
/// finish within their call: a stack it shows in progress is stuck, not being changed.
pub fn plan(name: &str, current: Option<&StackInfo>, recreate: bool, hints: &Hints, emulator: Option<&str>) -> Result<Plan, String> {
    let Some(info) = current else { return Ok(Plan::Create) };
    let s = info.status.as_str();
    match s {
        "DELETE_COMPLETE" => Ok(Plan::Create),
        "REVIEW_IN_PROGRESS" | "CREATE_PENDING" => Ok(Plan::ReviewLeftover(info.clone())),
        "CREATE_COMPLETE"
        | "UPDATE_COMPLETE"
        | "UPDATE_ROLLBACK_COMPLETE"
        | "IMPORT_COMPLETE"
        | "IMPORT_ROLLBACK_COMPLETE"
        | "UPDATE_FAILED" => Ok(Plan::Update(info.clone())),
        "ROLLBACK_COMPLETE" | "CREATE_FAILED" if recreate => Ok(Plan::Recreate(info.clone())),
        "ROLLBACK_COMPLETE" => Err(format!(
            "{name} is ROLLBACK_COMPLETE: its first creation failed and CloudFormation rolled it back, and a stack in this state \
             cannot be updated. Fix the cause (`{}` shows the failed resources), then run `{} --recreate` to delete it \
             (it holds no resources) and create it again",
            hints.status, hints.deploy
        )),
        "CREATE_FAILED" => Err(format!(
            "{name} is CREATE_FAILED (its creation failed and was not rolled back): run `{} --recreate` to delete it and create it again",
            hints.deploy
        )),
        "UPDATE_ROLLBACK_FAILED" => Err(format!(
            "{name} is UPDATE_ROLLBACK_FAILED: an update failed and so did its rollback. Fix what blocks the rollback \
             (`{}` shows the failed resources), then run `aws cloudformation continue-update-rollback --stack-name {name}` \
             (add --resources-to-skip for resources that cannot be fixed), wait for UPDATE_ROLLBACK_COMPLETE and deploy again",
            hints.status
        )),
        "ROLLBACK_FAILED" => Err(format!(
            "{name} is ROLLBACK_FAILED: its creation failed and so did the rollback. Remove the resources that could not be \
             deleted (`{}` lists them), delete the stack (`{} {name}`), then deploy again",
            hints.status, hints.destroy
        )),
        "DELETE_FAILED" => Err(format!(
            "{name} is DELETE_FAILED: a deletion did not finish. Remove what blocks it (`{}` lists it) and run `{} {name}` again, \
             then deploy",
            hints.status, hints.destroy
        )),
        s if status::in_progress(s) && emulator.is_some() => {
            let emulator = emulator.unwrap_or_default();
            Err(format!(
                "{name} is {s}, but no deployment is running: {emulator} finishes every operation within its call, so a \
                 stack it shows in progress was left stuck by an earlier call that failed (a resource {emulator} rejected \
                 or crashed on), and {emulator} never finishes it. Delete it with `{} {name}` (DeleteStack works on stuck \
                 stacks in {emulator}) or restart {emulator} (`make local-cloud-stop local-cloud`), then deploy again",
                hints.destroy
            ))
        }
        s if status::in_progress(s) => Err(format!(
            "{name} is {s}: another deployment is running. Wait for it to finish (`{}` follows it), then deploy again",
            hints.watch
        )),
        s => Err(format!(
            "{name} is {s}: CloudFormation cannot update a stack in this state; see `{}` and the CloudFormation console",
            hints.status
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(status: &str) -> StackInfo {
        StackInfo {
            name: "shop-dev-data".into(),
            status: status.into(),
            ..Default::default()
        }
    }

    #[test]
    fn states_map_to_plans() {
        let h = Hints::for_env("dev");
        assert_eq!(plan("s", None, false, &h, None), Ok(Plan::Create));
        assert!(matches!(
            plan("s", Some(&info("UPDATE_ROLLBACK_COMPLETE")), false, &h, None),
            Ok(Plan::Update(_))
        ));
        assert!(matches!(
            plan("s", Some(&info("REVIEW_IN_PROGRESS")), false, &h, None),
            Ok(Plan::ReviewLeftover(_))
        ));
        assert!(matches!(
            plan("s", Some(&info("CREATE_PENDING")), false, &h, None),
            Ok(Plan::ReviewLeftover(_))
        ));
        assert!(matches!(
            plan("s", Some(&info("ROLLBACK_COMPLETE")), true, &h, None),
            Ok(Plan::Recreate(_))
        ));
        let e = plan("s", Some(&info("ROLLBACK_COMPLETE")), false, &h, None).unwrap_err();
        assert!(e.contains("`cairn deploy dev --recreate`"), "{e}");
        let e = plan("s", Some(&info("UPDATE_IN_PROGRESS")), true, &h, None).unwrap_err();
        assert!(
            e.contains("another deployment is running") && e.contains("cairn status dev --watch"),
            "{e}"
        );
        // moto finishes operations within the call: in progress there means stuck.
        let e = plan("s", Some(&info("CREATE_IN_PROGRESS")), false, &h, Some("moto")).unwrap_err();
        assert!(
            !e.contains("another deployment") && e.contains("left stuck") && e.contains("`cairn destroy dev s`"),
            "{e}"
        );
        let e = plan("s", Some(&info("UPDATE_ROLLBACK_FAILED")), true, &h, None).unwrap_err();
        assert!(e.contains("continue-update-rollback --stack-name s"), "{e}");
        assert!(plan("s", Some(&info("ROLLBACK_FAILED")), true, &h, None)
            .unwrap_err()
            .contains("cairn destroy dev s"));
    }
}
