//! The construct tree: App → environment → Stack → constructs → resources.
//!
//! Handles ([`App`], [`Environment`], [`Stack`], [`Scope`]) are cheap clones of a
//! shared, single-threaded tree, so constructs can keep a handle to their stack and
//! later add to it (a grant adds a statement to a role's policy, `allow_from` adds an
//! ingress rule), the way CDK constructs do.

use std::cell::RefCell;
use std::rc::Rc;

use indexmap::IndexMap;

use crate::ordered::{OrderedMap, OrderedSet};

use crate::error::{Error, Result};
use crate::logical_id::is_valid_logical_id;
use crate::overrides::{parse_path, ResourceOverride};
use crate::template::{Output, Parameter, Resource};
use crate::value::{ResourceRef, Value};

mod scope;
pub use scope::Scope;

pub use crate::keys::{EnvKey, StackKey};

/// What the tree needs to know about an environment. Everything here comes from the
/// environment file; code branches on these fields, never on the name.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvSettings {
    /// The environment's name (`prod`).
    pub name: String,
    /// The AWS account id it deploys to.
    pub account: String,
    /// The AWS region it deploys to.
    pub region: String,
    /// Keep stateful resources on delete/replace (Retain/Snapshot policies,
    /// termination protection, deletion protection where the service has it).
    pub retain_data: bool,
    /// Deploys need an explicit approval.
    pub require_approval: bool,
    /// User tags added to every taggable resource.
    pub tags: IndexMap<String, String>,
}

/// A policy-check suppression recorded on a construct (applies to its children too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suppression {
    /// The suppressed rule's id.
    pub rule: String,
    /// Why the construct may break the rule.
    pub reason: String,
    /// Construct path inside the stack.
    pub path: String,
}

pub(crate) struct EnvData {
    pub settings: EnvSettings,
    pub stacks: Vec<StackKey>,
}

pub(crate) struct ResourceEntry {
    pub path: String,
    pub resource: Resource,
}

pub(crate) struct StackData {
    pub env: EnvKey,
    /// Short id inside the environment (`network`).
    pub id: String,
    /// CloudFormation stack name (`shop-prod-network`).
    pub name: String,
    pub description: Option<String>,
    pub resources: OrderedMap<String, ResourceEntry>,
    /// Every construct path registered in this stack (constructs and resources).
    pub nodes: OrderedSet<String>,
    pub outputs: OrderedMap<String, Output>,
    pub parameters: OrderedMap<String, Parameter>,
    pub conditions: OrderedMap<String, Value>,
    pub dependencies: OrderedSet<StackKey>,
    pub suppressions: Vec<Suppression>,
    /// Logical IDs kept across renames, by construct path (see [`Stack::override_logical_id`]).
    pub id_overrides: Vec<(String, IdOverride)>,
    /// Escape-hatch overrides by logical ID, applied at the end of synthesis
    /// (see [`Stack::add_override`]).
    pub overrides: OrderedMap<String, Vec<ResourceOverride>>,
}

/// How a construct path gets a logical ID other than its own.
#[derive(Debug, Clone)]
pub(crate) enum IdOverride {
    /// This exact ID for the resource at the path.
    Exact(String),
    /// Every resource under the path gets the ID it would have under this other path.
    Renamed(String),
}

pub(crate) struct AppData {
    pub name: String,
    /// This tree's number, in each of its [`StackKey`]s.
    pub tree: u32,
    pub envs: Vec<EnvData>,
    pub stacks: Vec<StackData>,
    /// Whether typed resources check their literals against the schema when created.
    /// Off only for the syntheses parity compares and drops (see [`App::for_comparison`]):
    /// each environment's own synthesis has already checked the same constructs.
    pub check_literals: bool,
    /// Only these resources (stack id → logical IDs) are rendered, and no outputs: for
    /// the comparison syntheses that only look at a few items. `None`: everything.
    pub render_only: Option<std::sync::Arc<RenderOnly>>,
    /// Another synthesis's resource forms: a resource of `render_only` whose form is the
    /// same renders the same, so it is not rendered but listed in `unchanged`.
    pub baseline: Option<std::sync::Arc<crate::synth::ModelForms>>,
    /// (stack id, logical ID) of the resources found unchanged from `baseline`.
    pub unchanged: RefCell<Vec<(String, String)>>,
}

/// The resources a comparison synthesis renders: stack id → logical IDs.
pub type RenderOnly = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

impl AppData {
    pub(crate) fn stack(&self, key: StackKey) -> &StackData {
        &self.stacks[key.index as usize]
    }
    /// Whether `key` is a stack of this tree (not one kept from another synthesis).
    pub(crate) fn owns(&self, key: StackKey) -> bool {
        key.tree == self.tree && (key.index as usize) < self.stacks.len()
    }
    pub(crate) fn env(&self, key: EnvKey) -> &EnvData {
        &self.envs[key.0 as usize]
    }
    /// `<env>/<stack id>/<path>`: how errors name a construct.
    pub(crate) fn full_path(&self, key: StackKey, path: &str) -> String {
        let stack = self.stack(key);
        let env = &self.env(stack.env).settings.name;
        if path.is_empty() {
            format!("{env}/{}", stack.id)
        } else {
            format!("{env}/{}/{path}", stack.id)
        }
    }
}

/// The root of the tree: one application, several environments.
#[derive(Clone)]
pub struct App {
    pub(crate) data: Rc<RefCell<AppData>>,
}

impl App {
    /// `name` becomes the first part of every stack name, so it must be a valid
    /// stack-name fragment (letters, digits, hyphens; starting with a letter).
    pub fn new(name: &str) -> Result<App> {
        validate_name_fragment(name).map_err(|m| {
            Error::new(m)
                .property("app name")
                .fix("use letters, digits and hyphens, starting with a letter, e.g. `shop`")
        })?;
        Ok(App {
            data: Rc::new(RefCell::new(AppData {
                name: name.to_string(),
                tree: crate::keys::next_tree(),
                envs: Vec::new(),
                stacks: Vec::new(),
                check_literals: true,
                render_only: None,
                baseline: None,
                unchanged: RefCell::default(),
            })),
        })
    }

    /// An application tree built only to be compared and dropped (parity's re-syntheses
    /// with one knob changed): typed resources skip their literal checks, which the
    /// environments' own syntheses run. Its templates must not be written or deployed.
    pub fn for_comparison(name: &str) -> Result<App> {
        let app = App::new(name)?;
        app.data.borrow_mut().check_literals = false;
        Ok(app)
    }

    /// [`App::for_comparison`] that renders only the resources in `only` and no outputs
    /// (everything is still built: construct errors surface as they would). Its templates
    /// hold just those resources.
    pub fn for_comparison_of(name: &str, only: impl Into<std::sync::Arc<RenderOnly>>) -> Result<App> {
        let app = App::for_comparison(name)?;
        app.data.borrow_mut().render_only = Some(only.into());
        Ok(app)
    }

    /// [`App::for_comparison_of`] that does not render a resource whose form (its model
    /// and what its rendering reads of the tree) is the same as in `baseline`: such a
    /// resource renders the same, and [`App::unchanged`] lists it instead.
    pub fn for_comparison_with(
        name: &str,
        only: impl Into<std::sync::Arc<RenderOnly>>,
        baseline: std::sync::Arc<crate::synth::ModelForms>,
    ) -> Result<App> {
        let app = App::for_comparison_of(name, only)?;
        app.data.borrow_mut().baseline = Some(baseline);
        Ok(app)
    }

    /// The resources (stack id, logical ID) a synthesis of a tree made by
    /// [`App::for_comparison_with`] found unchanged from its baseline, and did not render.
    pub fn unchanged(&self) -> Vec<(String, String)> {
        self.data.borrow().unchanged.borrow().clone()
    }

    /// The forms of the resources in `render_only` of the only environment of this tree,
    /// built and not rendered (see [`App::for_comparison_with`]).
    pub fn model_forms(&self) -> crate::synth::ModelForms {
        crate::synth::model_forms(&self.data.borrow())
    }

    /// Empties the tree's stacks (resources, outputs, parameters, conditions, overrides)
    /// once it is no longer needed. Values computed at synthesis ([`crate::Lazy`]) often
    /// hold constructs, whose scopes hold the tree: without this, every tree stays in
    /// memory until the process ends (a synthesis through [`crate::application`] does it
    /// for its own tree). The environments and stacks stay, empty: handles to them still
    /// work, and a synthesis afterwards reports the stacks as having no resources.
    pub fn clear(&self) {
        let taken: Vec<_> = {
            let mut data = self.data.borrow_mut();
            data.stacks
                .iter_mut()
                .map(|s| {
                    (
                        std::mem::take(&mut s.resources),
                        std::mem::take(&mut s.outputs),
                        std::mem::take(&mut s.parameters),
                        std::mem::take(&mut s.conditions),
                        std::mem::take(&mut s.overrides),
                    )
                })
                .collect()
        };
        // Dropped outside the borrow: what the lazy values held is released here.
        drop(taken);
    }

    /// The application's name.
    pub fn name(&self) -> String {
        self.data.borrow().name.clone()
    }

    /// Adds an environment. Two environments with the same name are an error.
    pub fn environment(&self, settings: EnvSettings) -> Result<Environment> {
        validate_name_fragment(&settings.name).map_err(|m| {
            Error::new(m)
                .property("environment name")
                .fix("name environment files with letters, digits and hyphens, e.g. `qa.toml`")
        })?;
        let mut data = self.data.borrow_mut();
        if data.envs.iter().any(|e| e.settings.name == settings.name) {
            return Err(Error::new(format!("environment `{}` is defined twice", settings.name)));
        }
        data.envs.push(EnvData {
            settings,
            stacks: Vec::new(),
        });
        Ok(Environment {
            app: self.clone(),
            key: EnvKey(data.envs.len() as u32 - 1),
        })
    }

    /// The environments, in the order they were added.
    pub fn environments(&self) -> Vec<Environment> {
        let n = self.data.borrow().envs.len();
        (0..n)
            .map(|i| Environment {
                app: self.clone(),
                key: EnvKey(i as u32),
            })
            .collect()
    }
}

/// One environment (dev, staging, prod…) of the application.
#[derive(Clone)]
pub struct Environment {
    app: App,
    key: EnvKey,
}

impl Environment {
    /// The environment's settings.
    pub fn settings(&self) -> EnvSettings {
        self.app.data.borrow().env(self.key).settings.clone()
    }

    /// The environment's name.
    pub fn name(&self) -> String {
        self.app.data.borrow().env(self.key).settings.name.clone()
    }

    /// The environment's key in the tree (cheap to copy and compare).
    pub fn key(&self) -> EnvKey {
        self.key
    }

    /// Adds a stack named `<app>-<env>-<id>`.
    pub fn stack(&self, id: &str) -> Result<Stack> {
        validate_name_fragment(id).map_err(|m| {
            Error::new(m)
                .at(format!("{}/{id}", self.name()))
                .property("stack id")
                .fix("use letters, digits and hyphens, e.g. `data`")
        })?;
        let mut data = self.app.data.borrow_mut();
        let env_name = data.env(self.key).settings.name.clone();
        let name = format!("{}-{}-{}", data.name, env_name, id);
        if data.env(self.key).stacks.iter().any(|s| data.stack(*s).id == id) {
            return Err(Error::new(format!("stack id `{id}` is used twice"))
                .at(format!("{env_name}/{id}"))
                .fix("give each stack of an environment its own id"));
        }
        if name.len() > 128 {
            return Err(
                Error::new(format!("stack name `{name}` is longer than CloudFormation's 128 characters")).at(format!("{env_name}/{id}")),
            );
        }
        let key = StackKey {
            tree: data.tree,
            index: data.stacks.len() as u32,
        };
        data.stacks.push(StackData {
            env: self.key,
            id: id.to_string(),
            name,
            description: None,
            resources: OrderedMap::default(),
            nodes: OrderedSet::default(),
            outputs: OrderedMap::default(),
            parameters: OrderedMap::default(),
            conditions: OrderedMap::default(),
            dependencies: OrderedSet::default(),
            suppressions: Vec::new(),
            id_overrides: Vec::new(),
            overrides: OrderedMap::default(),
        });
        data.envs[self.key.0 as usize].stacks.push(key);
        Ok(Stack {
            app: self.app.clone(),
            key,
        })
    }

    /// The environment's stacks, in the order they were added.
    pub fn stacks(&self) -> Vec<Stack> {
        let data = self.app.data.borrow();
        data.env(self.key)
            .stacks
            .iter()
            .map(|k| Stack {
                app: self.app.clone(),
                key: *k,
            })
            .collect()
    }
}

/// One CloudFormation stack.
#[derive(Clone)]
pub struct Stack {
    app: App,
    key: StackKey,
}

impl Stack {
    /// The application the stack belongs to (e.g. to synthesize it in a test).
    pub fn app(&self) -> App {
        self.app.clone()
    }

    /// The stack's key in the tree (cheap to copy and compare).
    pub fn key(&self) -> StackKey {
        self.key
    }

    /// The short id (`data`).
    pub fn id(&self) -> String {
        self.app.data.borrow().stack(self.key).id.clone()
    }

    /// The CloudFormation stack name (`shop-prod-data`).
    pub fn name(&self) -> String {
        self.app.data.borrow().stack(self.key).name.clone()
    }

    /// The settings of the stack's environment.
    pub fn env_settings(&self) -> EnvSettings {
        let data = self.app.data.borrow();
        data.env(data.stack(self.key).env).settings.clone()
    }

    /// The key of the stack's environment: equal for two stacks of one environment.
    pub fn env_key(&self) -> EnvKey {
        self.app.data.borrow().stack(self.key).env
    }

    /// Sets the template's `Description`.
    pub fn set_description(&self, description: impl Into<String>) {
        self.app.data.borrow_mut().stacks[self.key.index as usize].description = Some(description.into());
    }

    /// The stack's root scope, for constructs created directly in it.
    pub fn scope(&self) -> Scope {
        Scope {
            stack: self.clone(),
            path: Rc::from([]),
        }
    }

    /// Gives the resource at `path` (inside this stack: `OrdersV2/Resource`) the logical
    /// ID `logical_id` instead of the one derived from its path, e.g. to keep the ID it
    /// had before its construct was renamed: CloudFormation then updates the resource
    /// instead of replacing it, and its exports keep their names. Only the ID: names
    /// derived from the construct path follow the new path (use
    /// [`Stack::keep_logical_ids`] to keep those too). Call it before creating the construct.
    pub fn override_logical_id(&self, path: &str, logical_id: &str) -> Result<()> {
        if !is_valid_logical_id(logical_id) {
            return Err(self
                .scope()
                .error(format!("`{logical_id}` is not a valid logical ID"))
                .property("logical_id")
                .fix("use 1-255 letters and digits, e.g. the ID `cairn diff` shows for the removed resource"));
        }
        self.add_id_override(path, IdOverride::Exact(logical_id.to_string()))
    }

    /// Keeps the logical IDs of a construct renamed from `old_path` to `new_path`
    /// (`keep_logical_ids("OrdersV2", "Orders")`): every resource under `new_path`
    /// gets the ID it had under `old_path`, and names derived from the construct path
    /// ([`Scope::name_path`]) keep the old path too, so nothing is replaced and exports
    /// keep their names. Call it before creating the construct.
    pub fn keep_logical_ids(&self, new_path: &str, old_path: &str) -> Result<()> {
        if old_path.split('/').any(str::is_empty) {
            return Err(self
                .scope()
                .error(format!("`{old_path}` is not a construct path"))
                .property("old_path")
                .fix("use the construct's old path inside the stack, e.g. `Orders`"));
        }
        self.add_id_override(new_path, IdOverride::Renamed(old_path.to_string()))
    }

    fn add_id_override(&self, path: &str, how: IdOverride) -> Result<()> {
        let mut data = self.app.data.borrow_mut();
        let full = data.full_path(self.key, path);
        let stack = &mut data.stacks[self.key.index as usize];
        if path.split('/').any(str::is_empty) {
            return Err(Error::new(format!("`{path}` is not a construct path"))
                .at(full)
                .property("path")
                .fix("use the path inside the stack, e.g. `OrdersV2/Resource`"));
        }
        if stack.nodes.contains(path) {
            return Err(Error::new("the construct already exists; its logical IDs are set")
                .at(full)
                .property("path")
                .fix("override or keep logical IDs before creating the construct"));
        }
        if stack.id_overrides.iter().any(|(p, _)| p == path) {
            return Err(Error::new("the logical ID of this path is overridden twice")
                .at(full)
                .property("path")
                .fix("keep one override per construct path"));
        }
        stack.id_overrides.push((path.to_string(), how));
        Ok(())
    }

    /// Makes this stack deploy after `other` (both in the same environment).
    pub fn add_dependency(&self, other: &Stack) -> Result<()> {
        let mut data = self.app.data.borrow_mut();
        if data.stack(self.key).env != data.stack(other.key).env {
            let (a, b) = (data.full_path(self.key, ""), data.full_path(other.key, ""));
            return Err(
                Error::new(format!("stack {a} cannot depend on {b}: they are in different environments"))
                    .at(a)
                    .fix("keep dependencies inside one environment"),
            );
        }
        data.stacks[self.key.index as usize].dependencies.insert(other.key);
        Ok(())
    }

    /// Adds a stack output. Output ids must be valid logical IDs and unique.
    pub fn add_output(&self, id: &str, output: Output) -> Result<()> {
        let mut data = self.app.data.borrow_mut();
        let path = data.full_path(self.key, "");
        if !is_valid_logical_id(id) {
            return Err(Error::new(format!("output id `{id}` is not a valid logical ID"))
                .at(path)
                .property("output")
                .fix("use 1 to 255 letters and digits"));
        }
        let stack = &mut data.stacks[self.key.index as usize];
        if stack.outputs.contains_key(id) {
            return Err(Error::new(format!("output `{id}` is defined twice"))
                .at(path)
                .property("output")
                .fix("give each output its own id"));
        }
        stack.outputs.insert(id.to_string(), output);
        Ok(())
    }

    /// Adds a template parameter; returns its `Ref`.
    pub fn add_parameter(&self, id: &str, parameter: Parameter) -> Result<Value> {
        let mut data = self.app.data.borrow_mut();
        let path = data.full_path(self.key, "");
        let stack = &mut data.stacks[self.key.index as usize];
        if !is_valid_logical_id(id) || stack.parameters.contains_key(id) || stack.resources.contains_key(id) {
            return Err(Error::new(format!("parameter id `{id}` is invalid or already used"))
                .at(path)
                .property("parameter")
                .fix("use a unique id of letters and digits"));
        }
        stack.parameters.insert(id.to_string(), parameter);
        Ok(Value::ref_logical_id(id))
    }

    /// Adds a named condition, for [`Resource::condition`](crate::Resource::condition) and `Fn::If`.
    pub fn add_condition(&self, id: &str, expression: Value) -> Result<()> {
        let mut data = self.app.data.borrow_mut();
        let path = data.full_path(self.key, "");
        let stack = &mut data.stacks[self.key.index as usize];
        if !is_valid_logical_id(id) || stack.conditions.contains_key(id) {
            return Err(Error::new(format!("condition id `{id}` is invalid or already used"))
                .at(path)
                .property("condition")
                .fix("use a unique id of letters and digits"));
        }
        stack.conditions.insert(id.to_string(), expression);
        Ok(())
    }

    /// Overrides what `path` names in the template entry of `target`
    /// (`Properties.A.B`, `DependsOn`, `Metadata.X`, `DeletionPolicy`, …; a numeric
    /// segment indexes a list, `\.` is a dot inside a key), like the AWS CDK's
    /// `addOverride`. Overrides apply at the end of synthesis, after every construct has
    /// rendered its resources, in the order they were added, so a construct that rewrites
    /// the property later (a grant re-rendering a policy document) does not undo them;
    /// an edit through [`Stack::update_resource`] gives no such promise. `value` is
    /// rendered like any property: references are checked, and one into another stack
    /// becomes an export and an import. Missing maps on the path are created; a path
    /// through a string, a number or past a list's end fails synthesis naming the resource
    /// and the path.
    ///
    /// `target` may be in any stack of the app (the override is kept with the resource).
    pub fn add_override(&self, target: &ResourceRef, path: &str, value: impl Into<Value>) -> Result<()> {
        self.store_override(target, path, Some(value.into()))
    }

    /// Removes what `path` names from the template entry of `target` at the end of
    /// synthesis (the AWS CDK's `addDeletionOverride`), e.g. `DeletionPolicy` or
    /// `Properties.Description`. Deleting something that is not there does nothing, so
    /// one deletion holds in every environment, also where the construct does not write
    /// the property (e.g. versioning, written only where data is kept).
    pub fn add_deletion_override(&self, target: &ResourceRef, path: &str) -> Result<()> {
        self.store_override(target, path, None)
    }

    /// [`Stack::add_override`] under `Properties.` (the CDK's `addPropertyOverride`).
    pub fn add_property_override(&self, target: &ResourceRef, property_path: &str, value: impl Into<Value>) -> Result<()> {
        self.add_override(target, &format!("Properties.{property_path}"), value)
    }

    /// [`Stack::add_deletion_override`] under `Properties.`.
    pub fn add_property_deletion_override(&self, target: &ResourceRef, property_path: &str) -> Result<()> {
        self.add_deletion_override(target, &format!("Properties.{property_path}"))
    }

    fn store_override(&self, target: &ResourceRef, path: &str, value: Option<Value>) -> Result<()> {
        let mut data = self.app.data.borrow_mut();
        let exists = data.owns(target.stack)
            && data
                .stack(target.stack)
                .resources
                .get(&target.logical_id)
                .is_some_and(|e| e.path == target.path);
        if !exists {
            return Err(Error::new(format!(
                "there is no resource `{}` (logical ID `{}`) in this app to override",
                target.path, target.logical_id
            ))
            .at(data.full_path(self.key, ""))
            .property(path.to_string())
            .fix("override a resource of this app, e.g. the one a construct's `resource()` returns"));
        }
        let full = data.full_path(target.stack, &target.path);
        let segments = parse_path(path).map_err(|m| {
            Error::new(m).at(full).property(path.to_string()).fix(
                "write a dotted path that starts with Properties, DependsOn, Metadata, DeletionPolicy, UpdateReplacePolicy, \
                 Condition, CreationPolicy or UpdatePolicy, e.g. `Properties.VersioningConfiguration.Status` (`\\.` for a dot in a key)",
            )
        })?;
        let stack = &mut data.stacks[target.stack.index as usize];
        stack
            .overrides
            .entry(target.logical_id.clone())
            .or_default()
            .push(ResourceOverride {
                path: path.to_string(),
                segments,
                value,
            });
        Ok(())
    }

    /// Changes a resource that was added earlier (grants, connections). Constructs use
    /// it to keep their resources up to date, so a later call on a construct may
    /// overwrite what this changed: for edits that must survive, use
    /// [`Stack::add_override`].
    pub fn update_resource<R>(&self, target: &ResourceRef, f: impl FnOnce(&mut Resource) -> R) -> Result<R> {
        if target.stack != self.key {
            return Err(Error::new("resource belongs to another stack").at(target.path.clone()));
        }
        let mut data = self.app.data.borrow_mut();
        let stack = &mut data.stacks[self.key.index as usize];
        match stack.resources.get_mut(&target.logical_id) {
            Some(entry) => Ok(f(&mut entry.resource)),
            None => Err(Error::new(format!("resource `{}` does not exist", target.logical_id)).at(target.path.clone())),
        }
    }

    /// Reads a resource that was added earlier.
    pub fn resource(&self, target: &ResourceRef) -> Option<Resource> {
        if target.stack != self.key {
            return None;
        }
        self.app
            .data
            .borrow()
            .stack(self.key)
            .resources
            .get(&target.logical_id)
            .map(|e| e.resource.clone())
    }

    /// Number of resources added so far.
    pub fn resource_count(&self) -> usize {
        self.app.data.borrow().stack(self.key).resources.len()
    }

    /// Handle of the stack that holds `target` (same app).
    pub fn of(&self, target: &ResourceRef) -> Stack {
        Stack {
            app: self.app.clone(),
            key: target.stack,
        }
    }
}

/// `path` with its prefix `new` (a whole construct path) replaced by `old`; `None`
/// when `path` is not `new` or under it.
fn renamed(path: &str, new: &str, old: &str) -> Option<String> {
    let rest = path.strip_prefix(new).filter(|r| r.is_empty() || r.starts_with('/'))?;
    Some(format!("{old}{rest}"))
}

/// Stack names and their parts: letters, digits and hyphens, starting with a letter.
pub fn validate_name_fragment(s: &str) -> std::result::Result<(), String> {
    let ok = s.chars().next().is_some_and(|c| c.is_ascii_alphabetic()) && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(format!("`{s}` is not a valid name"))
    }
}
