//! What every generated type shares: typed values ([`Val`]), the handle of a resource in
//! the construct tree ([`Handle`]), typed property keys ([`Prop`]), and the schema
//! constraints that literal values are checked against when a resource is created.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use cairn_core::ordered::OrderedMap;
use cairn_core::template::DependsOn;
use cairn_core::{Lazy, RemovalPolicy, Resource, ResourceRef, Result, Scope, Value};
use indexmap::IndexMap;

// For the generated service modules (`use crate::runtime::*`); unused when no service is enabled.
#[allow(unused_imports)]
pub use crate::check::{Check, Field, Shape};

/// A property value of type `T`: a literal of that type, or any intrinsic
/// (`Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::ImportValue`, `Fn::If`…) as a [`Value`].
///
/// `T` only steers which literals convert: `Val<i64>` takes integers, `Val<String>`
/// strings and resource references (`Ref`), `Val<Runtime>` the generated enum, `Val<Code>`
/// the generated struct. A [`Value`] converts into every `Val<T>`; literals inside it are
/// checked against the schema when the resource is created.
pub struct Val<T> {
    value: Value,
    _type: PhantomData<fn() -> T>,
}

impl<T> Val<T> {
    /// Wraps a value without converting it.
    pub fn from_value(value: Value) -> Self {
        Val { value, _type: PhantomData }
    }

    /// The CloudFormation value.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The CloudFormation value, owned.
    pub fn into_value(self) -> Value {
        self.value
    }
}

impl<T> Clone for Val<T> {
    fn clone(&self) -> Self {
        Val::from_value(self.value.clone())
    }
}

impl<T> fmt::Debug for Val<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T> PartialEq for Val<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> From<Value> for Val<T> {
    fn from(value: Value) -> Self {
        Val::from_value(value)
    }
}

impl<T> From<Val<T>> for Value {
    fn from(v: Val<T>) -> Self {
        v.value
    }
}

/// A free-form JSON property (a policy document, a schema-less map).
#[derive(Debug, Clone, Copy)]
pub enum Json {}

/// A map from string keys to values of type `T`.
#[derive(Debug, Clone, Copy)]
pub enum Map<T> {
    #[doc(hidden)]
    _Never(std::convert::Infallible, PhantomData<T>),
}

macro_rules! literal {
    ($target:ty: $($from:ty),*) => {$(
        impl From<$from> for Val<$target> {
            fn from(v: $from) -> Self {
                Val::from_value(Value::from(v))
            }
        }
    )*};
}
literal!(String: &str, String, &String);
literal!(i64: i64, i32, u32, u16, u8, usize);
literal!(f64: f64, i64, i32, u32);
literal!(bool: bool);
literal!(Json: &str, String, bool, i64, serde_json::Value);

impl From<&ResourceRef> for Val<String> {
    /// A resource converts to its `Ref`.
    fn from(r: &ResourceRef) -> Self {
        Val::from_value(r.as_ref())
    }
}

impl<T, X: Into<Val<T>>> From<Vec<X>> for Val<Vec<T>> {
    fn from(items: Vec<X>) -> Self {
        Val::from_value(Value::List(items.into_iter().map(|x| x.into().value).collect()))
    }
}

impl<T, K: Into<String>, X: Into<Val<T>>> From<Vec<(K, X)>> for Val<Map<T>> {
    fn from(pairs: Vec<(K, X)>) -> Self {
        Val::from_value(Value::Map(pairs.into_iter().map(|(k, x)| (k.into(), x.into().value)).collect()))
    }
}

impl<T, K: Into<String>, X: Into<Val<T>>> From<BTreeMap<K, X>> for Val<Map<T>> {
    fn from(pairs: BTreeMap<K, X>) -> Self {
        Val::from_value(Value::Map(pairs.into_iter().map(|(k, x)| (k.into(), x.into().value)).collect()))
    }
}

impl<T, K: Into<String>, X: Into<Val<T>>> From<IndexMap<K, X>> for Val<Map<T>> {
    fn from(pairs: IndexMap<K, X>) -> Self {
        Val::from_value(Value::Map(pairs.into_iter().map(|(k, x)| (k.into(), x.into().value)).collect()))
    }
}

/// Collects the properties of a generated struct, in the order written (the generator
/// writes them alphabetically), leaving out the ones not set. They are gathered in a
/// vector and hashed into the map once, at its final size: growing a map one property at
/// a time (rehashing at each doubling) was most of what building a resource cost.
#[doc(hidden)]
#[derive(Default)]
pub struct Props(Vec<(&'static str, Value)>);

impl Props {
    pub fn new() -> Self {
        Props(Vec::with_capacity(8))
    }

    pub fn req<T>(&mut self, name: &'static str, value: Val<T>) {
        self.0.push((name, value.value));
    }

    pub fn opt<T>(&mut self, name: &'static str, value: Option<Val<T>>) {
        if let Some(v) = value {
            self.0.push((name, v.value));
        }
    }

    pub fn into_map(self) -> OrderedMap<String, Value> {
        let mut map = OrderedMap::with_capacity_and_hasher(self.0.len(), Default::default());
        for (name, value) in self.0 {
            map.insert(name.to_string(), value);
        }
        map
    }

    pub fn into_val<T>(self) -> Val<T> {
        Val::from_value(Value::Map(self.into_map()))
    }
}

/// A typed key of a top-level property of the resource type `R` (`CfnQueue::DELAY_SECONDS`
/// is a `Prop<CfnQueue, i64>`), for edits after creation (`CfnQueue::set`,
/// `CfnQueue::override_prop`): a key of another type, or a value of another type, does not
/// compile.
pub struct Prop<R, T> {
    name: &'static str,
    _type: PhantomData<fn() -> (R, T)>,
}

impl<R, T> Prop<R, T> {
    #[doc(hidden)]
    pub const fn new(name: &'static str) -> Self {
        Prop { name, _type: PhantomData }
    }

    /// The CloudFormation property name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

impl<R, T> Clone for Prop<R, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R, T> Copy for Prop<R, T> {}

/// A resource of a generated type in the construct tree: what every `Cfn*` handle
/// dereferences to. Cheap to clone; edits go to the resource in its stack.
#[derive(Clone)]
pub struct Handle {
    resource: ResourceRef,
    /// The scope the resource was added under (its parent).
    scope: Scope,
    shape: &'static Shape,
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("resource", &self.resource).finish()
    }
}

impl Handle {
    /// Checks the literals of `properties` against the type's schema, then adds the
    /// resource `id` under `scope`.
    #[allow(dead_code)] // used by the service modules, each behind its feature
    pub(crate) fn create(
        scope: &Scope,
        id: &str,
        resource_type: &str,
        shape: &'static Shape,
        properties: OrderedMap<String, Value>,
    ) -> Result<Handle> {
        // The full path is built only for an error: synthesis creates every resource here.
        let mut properties = properties;
        if scope.checks_literals() {
            crate::check::check_object(shape, &properties, "")
                .map_err(|v| v.into_error(format!("{}/{id}", scope.full_path()), resource_type))?;
            // A lazy value is checked when it is computed, at synthesis.
            for (name, value) in properties.iter_mut() {
                if let (Value::Lazy(lazy), Some(field)) = (&*value, shape.fields.iter().find(|f| f.name == name.as_str())) {
                    let path = format!("{}/{id}", scope.full_path());
                    *value = Value::Lazy(checked_lazy(lazy.clone(), field, path, resource_type.to_string()));
                }
            }
        }
        let mut resource = Resource::new(resource_type);
        resource.properties = properties;
        let resource = scope.add_resource(id, resource)?;
        Ok(Handle {
            resource,
            scope: scope.clone(),
            shape,
        })
    }

    /// The reference other resources use (`Ref`, `Fn::GetAtt`, cross-stack exports).
    pub fn resource_ref(&self) -> &ResourceRef {
        &self.resource
    }

    /// The resource's logical ID in its stack.
    pub fn logical_id(&self) -> &str {
        &self.resource.logical_id
    }

    /// `Ref` to the resource (what `Ref` returns depends on the type: often its name or id).
    pub fn r#ref(&self) -> Value {
        self.resource.as_ref()
    }

    /// `Fn::GetAtt` of an attribute by name; prefer the generated accessors (`arn()`).
    pub fn get_att(&self, attribute: &str) -> Value {
        self.resource.get_att(attribute)
    }

    /// Sets the top-level property `name` after creation, checked against the schema (the
    /// generated `Cfn*::set` takes a typed key instead of a name). A construct that renders
    /// the property later overwrites it; an override does not.
    pub fn set_property(&self, name: &str, value: Value) -> Result<()> {
        self.check_field(name, &value)?;
        self.scope.stack().update_resource(&self.resource, |r| {
            r.properties.insert(name.to_string(), value);
        })
    }

    /// Sets the top-level property of `prop` to a value computed at synthesis, after
    /// every construct has run (see [`cairn_core::Lazy`]): for a property that collects
    /// what later calls add, so the resource is built once. The value is checked against
    /// the schema when it is computed.
    pub fn set_lazy<R, T, V: Into<Val<T>>>(&self, prop: Prop<R, T>, produce: impl Fn() -> V + 'static) -> Result<()> {
        let name = prop.name();
        let field = self.shape.fields.iter().find(|f| f.name == name);
        if field.is_none() {
            // Not a property of this type: refused by a closed schema, with the known ones listed.
            self.check_field(name, &Value::Null)?;
        }
        let lazy = Lazy::new(move || Ok(produce().into().into_value()));
        let lazy = match field.filter(|_| self.scope.checks_literals()) {
            Some(field) => checked_lazy(lazy, field, self.full_path(), self.resource.resource_type.clone()),
            None => lazy,
        };
        self.scope.stack().update_resource(&self.resource, |r| {
            // Where the generated props would have put it: they are written alphabetically.
            r.properties.insert_sorted(name.to_string(), Value::Lazy(lazy));
        })
    }

    /// Edits the untyped resource in its stack (policies, `DependsOn`, metadata, or a
    /// property the schema does not know yet). A construct that renders the same
    /// property later overwrites it.
    pub fn edit<R>(&self, f: impl FnOnce(&mut Resource) -> R) -> Result<R> {
        self.scope.stack().update_resource(&self.resource, f)
    }

    /// Sets both `DeletionPolicy` and `UpdateReplacePolicy`.
    pub fn apply_removal_policy(&self, policy: RemovalPolicy) -> Result<()> {
        self.edit(|r| {
            r.deletion_policy = Some(policy);
            r.update_replace_policy = Some(policy);
        })
    }

    /// Makes the resource depend on another (`DependsOn`, or a stack dependency when
    /// `other` is in another stack).
    pub fn add_depends_on(&self, other: &ResourceRef) -> Result<()> {
        self.edit(|r| r.depends_on.push(DependsOn::Resource(other.clone())))
    }

    /// Creates the resource only when the stack's condition `name` holds.
    pub fn set_condition(&self, name: impl Into<String>) -> Result<()> {
        let name = name.into();
        self.edit(|r| r.condition = Some(name))
    }

    /// Adds a `Metadata` entry.
    pub fn add_metadata(&self, key: impl Into<String>, value: impl Into<Value>) -> Result<()> {
        let (key, value) = (key.into(), value.into());
        self.edit(|r| {
            r.metadata.insert(key, value);
        })
    }

    /// Sets `path` (`Properties.A.B`, `DeletionPolicy`, `Metadata.X`; `\\.` is a dot in a
    /// key, a number indexes a list) in the resource's template entry at the end of
    /// synthesis, after every construct has rendered: unlike the typed `set` of each `Cfn*` type and
    /// [`Handle::edit`], nothing a construct renders later undoes it. Not checked
    /// against the schema (it is the escape hatch for what the schema does not know).
    pub fn add_override(&self, path: &str, value: impl Into<Value>) -> Result<()> {
        self.scope.stack().add_override(&self.resource, path, value)
    }

    /// [`Handle::add_override`] of the top-level property `name`, checked against the schema
    /// (the generated `Cfn*::override_prop` takes a typed key instead of a name).
    pub fn override_property(&self, name: &str, value: Value) -> Result<()> {
        self.check_field(name, &value)?;
        let escaped = name.replace('.', "\\.");
        self.add_override(&format!("Properties.{escaped}"), value)
    }

    /// Removes `path` from the resource's template entry at the end of synthesis.
    pub fn add_deletion_override(&self, path: &str) -> Result<()> {
        self.scope.stack().add_deletion_override(&self.resource, path)
    }

    /// [`Handle::add_override`] under `Properties.`.
    pub fn add_property_override(&self, property_path: &str, value: impl Into<Value>) -> Result<()> {
        self.scope.stack().add_property_override(&self.resource, property_path, value)
    }

    /// [`Handle::add_deletion_override`] under `Properties.`.
    pub fn add_property_deletion_override(&self, property_path: &str) -> Result<()> {
        self.scope.stack().add_property_deletion_override(&self.resource, property_path)
    }

    /// The full construct path (`dev/jobs/Queue/Resource`), as errors name it.
    pub fn full_path(&self) -> String {
        let id = self.resource.path.rsplit('/').next().unwrap_or_default();
        format!("{}/{id}", self.scope.full_path())
    }

    fn check_field(&self, name: &str, value: &Value) -> Result<()> {
        if !self.scope.checks_literals() {
            return Ok(()); // a tree built for comparison only; see `Handle::create`
        }
        let checked = match self.shape.fields.iter().find(|f| f.name == name) {
            Some(field) => crate::check::check_value(&field.check, value, field.name),
            None => {
                // Not a property of this type: the object check says so and lists the known ones.
                let mut single = OrderedMap::default();
                single.insert(name.to_string(), value.clone());
                crate::check::check_fields(self.shape, &single, "")
            }
        };
        checked.map_err(|v| v.into_error(self.full_path(), &self.resource.resource_type))
    }

    /// The resource as it stands in its stack now.
    pub fn resource(&self) -> Option<Resource> {
        self.scope.stack().resource(&self.resource)
    }
}

/// `lazy`, checked against the schema of `field` each time it is computed.
fn checked_lazy(lazy: Lazy, field: &'static crate::check::Field, path: String, resource_type: String) -> Lazy {
    Lazy::new(move || {
        let value = lazy.resolve()?;
        crate::check::check_value(&field.check, &value, field.name).map_err(|v| v.into_error(path.clone(), &resource_type))?;
        Ok(value)
    })
}
