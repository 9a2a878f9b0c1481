//! The built form of a resource: its model (type, properties, dependencies, policies,
//! metadata, overrides) together with everything its rendering reads from the rest
//! of the tree (whether what it references exists, the producer stack's name for an
//! import, whether its conditions and `Fn::Sub` names are defined). Two resources
//! with the same form render to the same JSON, with the same errors (none), in any
//! tree of environments with the same settings.
//!
//! Parity re-synthesizes the reference environment once per knob value and compares
//! a few dozen resources each time; most of them do not change. A comparison
//! synthesis given the reference's forms ([`ModelForms`]) renders only the resources
//! whose form differs and reports the others as unchanged.
//!
//! Kept next to the renderer on purpose: whatever `render.rs` starts reading from the
//! tree while rendering a resource must be written into the form here as well.

use std::collections::BTreeMap;

use crate::template::DependsOn;
use crate::tree::{AppData, EnvKey, ResourceEntry, StackKey};
use crate::value::{RefTarget, ResourceRef, Value};

/// The forms of some resources of one environment (stack id, logical ID → form) and of
/// the environment's settings, from a comparison synthesis (see
/// [`crate::application::model_forms`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelForms {
    pub(crate) settings: Vec<u8>,
    pub(crate) forms: BTreeMap<(String, String), Vec<u8>>,
}

impl ModelForms {
    /// How many resources have a form (a resource with a lazy value that fails has
    /// none: it is always rendered).
    pub fn len(&self) -> usize {
        self.forms.len()
    }

    /// Whether no resource has a form.
    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }
}

/// The form of what rendering a resource reads of its environment's settings: the
/// tags every resource gets (application, environment, the file's tags). The other
/// settings reach a template only through what constructs built from them (the model).
pub(crate) fn settings_form(data: &AppData, env: EnvKey) -> Vec<u8> {
    let s = &data.env(env).settings;
    let mut w = Writer::default();
    w.str(&data.name);
    w.str(&s.name);
    w.len(s.tags.len());
    for (k, v) in &s.tags {
        w.str(k);
        w.str(v);
    }
    w.out
}

/// The form of one resource of stack `key`, and the other stacks it refers to (for
/// the stack dependencies its rendering would add). A lazy value's form is the form of
/// what it gives; `None` when one fails (rendering reports why).
pub(crate) fn resource_form(data: &AppData, key: StackKey, logical_id: &str, entry: &ResourceEntry) -> Option<(Vec<u8>, Vec<StackKey>)> {
    let stack = data.stack(key);
    let mut f = Form {
        data,
        key,
        w: Writer::default(),
        producers: Vec::new(),
    };
    let r = &entry.resource;
    f.w.str(&stack.id);
    f.w.str(&entry.path);
    f.w.str(&r.resource_type);
    f.map(&r.properties)?;
    f.w.len(r.depends_on.len());
    for d in &r.depends_on {
        match d {
            DependsOn::Resource(target) => {
                f.w.tag(1);
                f.target(target);
            }
            DependsOn::LogicalId(id) => {
                f.w.tag(2);
                f.w.str(id);
                f.w.flag(stack.resources.contains_key(id));
            }
        }
    }
    f.w.str(r.deletion_policy.map_or("", |p| p.as_str()));
    f.w.str(r.update_replace_policy.map_or("", |p| p.as_str()));
    match &r.condition {
        Some(c) => f.condition(c),
        None => f.w.tag(0),
    }
    f.map(&r.metadata)?;
    let overrides = stack.overrides.get(logical_id).map_or(&[][..], Vec::as_slice);
    f.w.len(overrides.len());
    for o in overrides {
        f.w.str(&o.path);
        match &o.value {
            Some(v) => {
                f.w.tag(1);
                f.value(v)?;
            }
            None => f.w.tag(0),
        }
    }
    Some((f.w.out, f.producers))
}

/// Bytes with every piece length-prefixed or tagged, so that different models cannot
/// write the same bytes.
#[derive(Default)]
struct Writer {
    out: Vec<u8>,
}

impl Writer {
    fn tag(&mut self, t: u8) {
        self.out.push(t);
    }
    fn flag(&mut self, b: bool) {
        self.out.push(u8::from(b));
    }
    fn len(&mut self, n: usize) {
        self.out.extend_from_slice(&(n as u64).to_le_bytes());
    }
    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.out.extend_from_slice(s.as_bytes());
    }
}

struct Form<'a> {
    data: &'a AppData,
    key: StackKey,
    w: Writer,
    producers: Vec<StackKey>,
}

impl Form<'_> {
    fn map(&mut self, m: &crate::ordered::OrderedMap<String, Value>) -> Option<()> {
        self.w.len(m.len());
        for (k, v) in m {
            self.w.str(k);
            self.value(v)?;
        }
        Some(())
    }

    fn list(&mut self, items: &[Value]) -> Option<()> {
        self.w.len(items.len());
        items.iter().try_for_each(|i| self.value(i))
    }

    /// What `Cx::render_resource_ref` reads: the environments, whether the target
    /// exists, its stack (an import names the producer stack), its logical ID.
    fn target(&mut self, r: &ResourceRef) {
        // A reference kept from another synthesis renders as an error, whatever it names.
        let owned = self.data.owns(r.stack);
        self.w.flag(owned);
        if !owned {
            self.w.str(&r.path);
            self.w.str(&r.logical_id);
            return;
        }
        let producer = self.data.stack(r.stack);
        let same_env = producer.env == self.data.stack(self.key).env;
        self.w.flag(same_env);
        self.w.flag(r.stack == self.key);
        self.w.str(&producer.name);
        self.w.str(&r.logical_id);
        self.w.flag(producer.resources.contains_key(&r.logical_id));
        if r.stack != self.key && !self.producers.contains(&r.stack) {
            self.producers.push(r.stack);
        }
    }

    fn logical(&mut self, id: &str) {
        let stack = self.data.stack(self.key);
        self.w.str(id);
        self.w.flag(stack.resources.contains_key(id));
        self.w.flag(stack.parameters.contains_key(id));
    }

    fn condition(&mut self, name: &str) {
        self.w.tag(1);
        self.w.str(name);
        self.w.flag(self.data.stack(self.key).conditions.contains_key(name));
    }

    fn value(&mut self, v: &Value) -> Option<()> {
        match v {
            Value::Null => self.w.tag(0),
            Value::Bool(b) => {
                self.w.tag(1);
                self.w.flag(*b);
            }
            Value::Number(n) => {
                self.w.tag(2);
                // How the number is held (integer or float) and its bits: the same pair
                // renders the same, without formatting it.
                match (n.as_u64(), n.as_i64(), n.as_f64()) {
                    (Some(u), _, _) => {
                        self.w.tag(0);
                        self.w.out.extend_from_slice(&u.to_le_bytes());
                    }
                    (None, Some(i), _) => {
                        self.w.tag(1);
                        self.w.out.extend_from_slice(&i.to_le_bytes());
                    }
                    (None, None, Some(f)) => {
                        self.w.tag(2);
                        self.w.out.extend_from_slice(&f.to_bits().to_le_bytes());
                    }
                    _ => {
                        self.w.tag(3);
                        self.w.str(&n.to_string());
                    }
                }
            }
            Value::String(s) => {
                self.w.tag(3);
                self.w.str(s);
            }
            Value::List(items) => {
                self.w.tag(4);
                self.list(items)?;
            }
            Value::Map(m) => {
                self.w.tag(5);
                self.map(m)?;
            }
            Value::Ref(RefTarget::Resource(r)) => {
                self.w.tag(6);
                self.target(r);
            }
            Value::GetAtt(RefTarget::Resource(r), a) => {
                self.w.tag(7);
                self.target(r);
                self.w.str(a);
            }
            Value::Ref(RefTarget::LogicalId(id)) => {
                self.w.tag(8);
                self.logical(id);
            }
            Value::GetAtt(RefTarget::LogicalId(id), a) => {
                self.w.tag(9);
                self.logical(id);
                self.w.str(a);
            }
            Value::Pseudo(p) => {
                self.w.tag(10);
                self.w.str(p.name());
            }
            Value::Sub(template, vars) => {
                self.w.tag(11);
                self.w.str(template);
                let stack = self.data.stack(self.key);
                self.w.flag(super::render::unknown_sub_names(stack, template, vars).is_empty());
                self.map(vars)?;
            }
            Value::Join(sep, parts) => {
                self.w.tag(12);
                self.w.str(sep);
                self.list(parts)?;
            }
            Value::Select(i, list) => {
                self.w.tag(13);
                self.w.len(*i as usize);
                self.value(list)?;
            }
            Value::Split(sep, src) => {
                self.w.tag(14);
                self.w.str(sep);
                self.value(src)?;
            }
            Value::GetAzs(None) => self.w.tag(15),
            Value::GetAzs(Some(region)) => {
                self.w.tag(16);
                self.value(region)?;
            }
            Value::ImportValue(name) => {
                self.w.tag(17);
                self.value(name)?;
            }
            Value::If(c, a, b) => {
                self.w.tag(18);
                self.condition(c);
                self.value(a)?;
                self.value(b)?;
            }
            Value::Equals(a, b) => {
                self.w.tag(19);
                self.value(a)?;
                self.value(b)?;
            }
            Value::Not(x) => {
                self.w.tag(20);
                self.value(x)?;
            }
            Value::And(xs) => {
                self.w.tag(21);
                self.list(xs)?;
            }
            Value::Or(xs) => {
                self.w.tag(22);
                self.list(xs)?;
            }
            Value::Condition(c) => {
                self.w.tag(23);
                self.condition(c);
            }
            // A lazy value gives the same value each time (its contract): the form is the
            // value it gives now, so resources holding one are skipped when unchanged too.
            // One that fails has no form: rendering reports the error.
            Value::Lazy(lazy) => {
                let resolved = lazy.resolve().ok()?;
                self.w.tag(24);
                self.value(&resolved)?;
            }
        }
        Some(())
    }
}
