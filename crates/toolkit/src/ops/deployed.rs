//! Reading what is deployed: a stack's template as CloudFormation holds it.

use serde_json::Value as Json;

use crate::aws::CloudFormation;
use crate::deploy::record::SynthesisRecord;
use crate::error::{CliError, CliResult};

/// The deployed template of `stack`, or `None` when nothing is deployed under that
/// name (no stack, a stack waiting for its first change set, or a failed creation).
/// cairn's synthesis record is taken off: it is not part of what was synthesized.
pub fn deployed_template(cfn: &dyn CloudFormation, stack: &str) -> CliResult<Option<Json>> {
    Ok(deployed_template_and_record(cfn, stack)?.map(|(template, _)| template))
}

/// [`deployed_template`] and the synthesis record the stack carries, if any.
pub fn deployed_template_and_record(cfn: &dyn CloudFormation, stack: &str) -> CliResult<Option<(Json, Option<SynthesisRecord>)>> {
    let Some(info) = cfn.describe_stack(stack)? else {
        return Ok(None);
    };
    if matches!(info.status.as_str(), "REVIEW_IN_PROGRESS" | "ROLLBACK_COMPLETE" | "DELETE_COMPLETE") {
        return Ok(None);
    }
    let Some(body) = cfn.get_template(stack)? else {
        return Ok(None);
    };
    let template: Json = serde_json::from_str(&body).map_err(|e| {
        CliError::Failed(format!(
            "the deployed template of stack {stack} is not JSON ({e}); it was not deployed by cairn \
             (YAML templates cannot be compared): deploy it with cairn once, or compare with `cairn diff --base DIR`"
        ))
    })?;
    Ok(Some(crate::deploy::record::split(template)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::fake::FakeCloudFormation;
    use serde_json::json;

    #[test]
    fn only_a_stack_with_resources_counts_as_deployed() {
        let cfn = FakeCloudFormation::new();
        let template = json!({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}});
        cfn.add_stack("live", "UPDATE_ROLLBACK_COMPLETE", &template);
        cfn.add_stack("pending", "REVIEW_IN_PROGRESS", &template);
        cfn.add_stack("failed", "ROLLBACK_COMPLETE", &template);
        assert_eq!(deployed_template(&cfn, "live").ok().flatten(), Some(template));
        for name in ["pending", "failed", "missing"] {
            assert_eq!(deployed_template(&cfn, name).ok().flatten(), None, "{name}");
        }
        assert!(!cfn.calls().iter().any(|c| c == "GetTemplate pending"), "{:?}", cfn.calls());
    }
}
