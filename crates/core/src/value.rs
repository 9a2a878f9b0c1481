//! CloudFormation values: plain JSON plus intrinsic functions as typed values.
//!
//! A [`Value`] is what a resource property, an output or a condition holds before
//! synthesis. References to resources are [`ResourceRef`]s (a construct path, not a
//! logical-ID string), so synthesis can check that the target exists and turn a
//! reference into another stack into an export/import pair.

use std::fmt;
use std::rc::Rc;

use crate::error::Result;
use crate::keys::StackKey;
use crate::ordered::OrderedMap;

/// A reference to a resource somewhere in the construct tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourceRef {
    pub(crate) stack: StackKey,
    /// Logical ID inside its stack.
    pub logical_id: String,
    /// Construct path inside its stack (e.g. `Vpc/PublicSubnet1/Subnet`).
    pub path: String,
    /// CloudFormation resource type, e.g. `AWS::S3::Bucket`.
    pub resource_type: String,
}

impl ResourceRef {
    /// `Ref` to this resource.
    pub fn as_ref(&self) -> Value {
        Value::Ref(RefTarget::Resource(self.clone()))
    }

    /// `Fn::GetAtt` of one attribute of this resource.
    pub fn get_att(&self, attribute: &str) -> Value {
        Value::GetAtt(RefTarget::Resource(self.clone()), attribute.to_string())
    }

    /// Name of the environment that owns the resource.
    pub fn stack_key(&self) -> StackKey {
        self.stack
    }
}

/// What a `Ref` or `Fn::GetAtt` points at.
#[derive(Debug, Clone, PartialEq)]
pub enum RefTarget {
    /// A resource created through the construct tree (checked, may cross stacks).
    Resource(ResourceRef),
    /// A logical ID (resource or parameter) of the consuming stack, written by hand.
    /// Synthesis fails if the stack has no such resource or parameter.
    LogicalId(String),
}

/// The pseudo parameters of CloudFormation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pseudo {
    /// `AWS::Region`.
    Region,
    /// `AWS::AccountId`.
    AccountId,
    /// `AWS::Partition`.
    Partition,
    /// `AWS::StackName`.
    StackName,
    /// `AWS::StackId`.
    StackId,
    /// `AWS::URLSuffix`.
    UrlSuffix,
    /// `AWS::NoValue`: removes the property it is the value of.
    NoValue,
}

impl Pseudo {
    /// `AWS::Region` and so on.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::Region => "AWS::Region",
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

/// A value computed when the template is rendered, after every construct has run (the
/// AWS CDK's `Lazy`). For a property that collects what later calls add (a task
/// definition's containers, a container's variables): the resource is built once and
/// the property reads the final state at synthesis, instead of being rendered again at
/// each addition. As a resource property, a lazy value that gives [`Value::Null`] leaves
/// the property out. The function must not change the construct tree (synthesis holds
/// it), and should give the same value each time it is called. An error it returns fails
/// synthesis like any other.
#[derive(Clone)]
pub struct Lazy(Rc<dyn Fn() -> Result<Value>>);

impl Lazy {
    /// A value computed by `produce` at synthesis.
    pub fn new(produce: impl Fn() -> Result<Value> + 'static) -> Lazy {
        Lazy(Rc::new(produce))
    }

    /// The value as it stands now.
    pub fn resolve(&self) -> Result<Value> {
        (self.0)()
    }
}

impl fmt::Debug for Lazy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Lazy(..)")
    }
}

/// Two lazy values are equal when they are the same one (functions cannot be compared).
impl PartialEq for Lazy {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl From<Lazy> for Value {
    fn from(lazy: Lazy) -> Value {
        Value::Lazy(lazy)
    }
}

/// A CloudFormation value: JSON with intrinsic functions.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// A list.
    List(Vec<Value>),
    /// An object, keys in the order written.
    Map(OrderedMap<String, Value>),
    /// `Ref`.
    Ref(RefTarget),
    /// `Fn::GetAtt` of an attribute.
    GetAtt(RefTarget, String),
    /// `Ref` of a pseudo parameter.
    Pseudo(Pseudo),
    /// `Fn::Sub` with an explicit variable map (values may be references).
    Sub(String, OrderedMap<String, Value>),
    /// `Fn::Join`: separator and parts.
    Join(String, Vec<Value>),
    /// `Fn::Select`: index and list.
    Select(u32, Box<Value>),
    /// `Fn::Split`: separator and string.
    Split(String, Box<Value>),
    /// `Fn::GetAZs`; `None` is the empty string (the stack's region).
    GetAzs(Option<Box<Value>>),
    /// `Fn::ImportValue` of an export name.
    ImportValue(Box<Value>),
    /// `Fn::If` on a named condition.
    If(String, Box<Value>, Box<Value>),
    /// `Fn::Equals`.
    Equals(Box<Value>, Box<Value>),
    /// `Fn::Not`.
    Not(Box<Value>),
    /// `Fn::And`.
    And(Vec<Value>),
    /// `Fn::Or`.
    Or(Vec<Value>),
    /// `{"Condition": name}` inside condition expressions.
    Condition(String),
    /// Computed at synthesis; see [`Lazy`].
    Lazy(Lazy),
}

impl Value {
    /// A string.
    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    /// An integer.
    pub fn int(n: i64) -> Value {
        Value::Number(n.into())
    }

    /// A list of values.
    pub fn list<I: IntoIterator<Item = V>, V: Into<Value>>(items: I) -> Value {
        Value::List(items.into_iter().map(Into::into).collect())
    }

    /// A map from `(key, value)` pairs, in the given order.
    pub fn map<I, K, V>(pairs: I) -> Value
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<Value>,
    {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect())
    }

    /// An empty map, to be filled with [`Value::with`].
    pub fn object() -> Value {
        Value::Map(OrderedMap::default())
    }

    /// Builder-style insert into a map value. Non-map values are returned unchanged.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Value {
        if let Value::Map(m) = &mut self {
            m.insert(key.to_string(), value.into());
        }
        self
    }

    /// `Ref` to a logical ID (resource or parameter) of the same stack, checked at synthesis.
    pub fn ref_logical_id(id: impl Into<String>) -> Value {
        Value::Ref(RefTarget::LogicalId(id.into()))
    }

    /// `Fn::GetAtt` on a logical ID of the same stack, checked at synthesis.
    pub fn get_att_logical_id(id: impl Into<String>, attribute: impl Into<String>) -> Value {
        Value::GetAtt(RefTarget::LogicalId(id.into()), attribute.into())
    }

    /// `Fn::Sub` of a string with `${...}` references.
    pub fn sub(template: impl Into<String>) -> Value {
        Value::Sub(template.into(), OrderedMap::default())
    }

    /// `Fn::Sub` with a variable map (values may be references).
    pub fn sub_with<I, K>(template: impl Into<String>, vars: I) -> Value
    where
        I: IntoIterator<Item = (K, Value)>,
        K: Into<String>,
    {
        Value::Sub(template.into(), vars.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// `Fn::Join`.
    pub fn join<I: IntoIterator<Item = V>, V: Into<Value>>(sep: impl Into<String>, parts: I) -> Value {
        Value::Join(sep.into(), parts.into_iter().map(Into::into).collect())
    }

    /// `Fn::Select`.
    pub fn select(index: u32, list: Value) -> Value {
        Value::Select(index, Box::new(list))
    }

    /// `Fn::Split`.
    pub fn split(sep: impl Into<String>, source: Value) -> Value {
        Value::Split(sep.into(), Box::new(source))
    }

    /// `Fn::GetAZs ""`: the availability zones of the stack's region.
    pub fn azs() -> Value {
        Value::GetAzs(None)
    }

    /// `{"Fn::Select": [index, {"Fn::GetAZs": ""}]}`.
    pub fn az(index: u32) -> Value {
        Value::select(index, Value::azs())
    }

    /// `Fn::ImportValue`.
    pub fn import_value(name: impl Into<Value>) -> Value {
        Value::ImportValue(Box::new(name.into()))
    }

    /// `Fn::If` on a named condition.
    pub fn if_(condition: impl Into<String>, then: impl Into<Value>, otherwise: impl Into<Value>) -> Value {
        Value::If(condition.into(), Box::new(then.into()), Box::new(otherwise.into()))
    }

    /// `Fn::Equals`.
    pub fn equals(a: impl Into<Value>, b: impl Into<Value>) -> Value {
        Value::Equals(Box::new(a.into()), Box::new(b.into()))
    }

    /// `Fn::Not`: named after the intrinsic, not `std::ops::Not` (it builds a value, it negates nothing).
    #[allow(clippy::should_implement_trait)]
    pub fn not(v: Value) -> Value {
        Value::Not(Box::new(v))
    }

    /// `Ref: AWS::Region`.
    pub fn region() -> Value {
        Value::Pseudo(Pseudo::Region)
    }
    /// `Ref: AWS::AccountId`.
    pub fn account_id() -> Value {
        Value::Pseudo(Pseudo::AccountId)
    }
    /// `Ref: AWS::Partition`.
    pub fn partition() -> Value {
        Value::Pseudo(Pseudo::Partition)
    }
    /// `Ref: AWS::StackName`.
    pub fn stack_name() -> Value {
        Value::Pseudo(Pseudo::StackName)
    }
    /// `Ref: AWS::URLSuffix`.
    pub fn url_suffix() -> Value {
        Value::Pseudo(Pseudo::UrlSuffix)
    }
    /// `Ref: AWS::NoValue`.
    pub fn no_value() -> Value {
        Value::Pseudo(Pseudo::NoValue)
    }

    /// Mutable access to a key of a map value.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Value::Map(m) => m.get_mut(key),
            _ => None,
        }
    }

    /// The value under `key` of a map value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(m) => m.get(key),
            _ => None,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::String(s.clone())
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self { Value::Number(n.into()) }
        }
    )*};
}
from_int!(i32, i64, u8, u16, u32, u64, usize);
impl From<f64> for Value {
    fn from(n: f64) -> Self {
        serde_json::Number::from_f64(n).map(Value::Number).unwrap_or(Value::Null)
    }
}
impl<V: Into<Value>> From<Vec<V>> for Value {
    fn from(v: Vec<V>) -> Self {
        Value::List(v.into_iter().map(Into::into).collect())
    }
}
impl From<&ResourceRef> for Value {
    /// A resource converts to its `Ref`.
    fn from(r: &ResourceRef) -> Self {
        r.as_ref()
    }
}
impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(s),
            serde_json::Value::Array(a) => Value::List(a.into_iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => Value::Map(o.into_iter().map(|(k, v)| (k, Value::from(v))).collect()),
        }
    }
}
