//! Names that are the resource's own logical ID (stable, the same in every environment).

use std::cell::OnceCell;
use std::rc::Rc;

use cairn_cfn::Val;
use cairn_core::{Lazy, Value};

/// The logical ID is known only once the resource is added, so the name is a lazy value
/// given at creation and read at synthesis; [`LogicalIdName::set`] fills it right after.
#[derive(Default)]
pub(crate) struct LogicalIdName(Rc<OnceCell<String>>);

impl LogicalIdName {
    /// The value of the name property, for the resource's props.
    pub fn value<T>(&self) -> Val<T> {
        let id = self.0.clone();
        Val::from_value(Lazy::new(move || Ok(id.get().map_or(Value::Null, |id| Value::str(id.as_str())))).into())
    }

    /// Gives the name the resource's logical ID. A name the logical ID cannot be (too long
    /// for the property) fails the schema check at synthesis.
    pub fn set(&self, logical_id: &str) {
        let _ = self.0.set(logical_id.to_string());
    }
}
