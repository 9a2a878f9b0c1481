//! [`Scope`]: a position in the construct tree, where constructs add children and resources.

use super::*;
use crate::logical_id::{make_unique_id, unique_id_of_path};

/// A position in the construct tree: a stack and a path inside it.
#[derive(Clone)]
pub struct Scope {
    pub(super) stack: Stack,
    /// The ids from the stack down (shared: scopes are cloned far more often than made).
    pub(super) path: Rc<[Rc<str>]>,
}

impl From<&Stack> for Scope {
    fn from(stack: &Stack) -> Self {
        stack.scope()
    }
}

impl From<&Scope> for Scope {
    fn from(scope: &Scope) -> Self {
        scope.clone()
    }
}

impl Scope {
    /// The stack the scope is in.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The path inside the stack (`Vpc/PublicSubnet1`).
    pub fn path(&self) -> String {
        self.path.join("/")
    }

    /// The path that names derived from this construct's path use (physical names,
    /// descriptions, alarm names, `Name` tags): [`Scope::path`], or for a construct
    /// renamed with [`Stack::keep_logical_ids`] the path it had before, so that keeping
    /// its identity keeps its database identifier, secret name, alarm names, ... as well
    /// (many of them cannot change without replacing the resource).
    pub fn name_path(&self) -> String {
        let path = self.path();
        let data = self.stack.app.data.borrow();
        let overrides = &data.stack(self.stack.key).id_overrides;
        overrides
            .iter()
            .find_map(|(at, how)| match how {
                IdOverride::Renamed(old) => renamed(&path, at, old),
                IdOverride::Exact(_) => None,
            })
            .unwrap_or(path)
    }

    /// Whether resources created under this scope check their literal values against the
    /// schema (false only in a tree made by [`App::for_comparison`]).
    pub fn checks_literals(&self) -> bool {
        self.stack.app.data.borrow().check_literals
    }

    /// `<env>/<stack id>/<path>`, as used in error messages.
    pub fn full_path(&self) -> String {
        self.stack.app.data.borrow().full_path(self.stack.key, &self.path())
    }

    /// The settings of the scope's environment.
    pub fn env_settings(&self) -> EnvSettings {
        self.stack.env_settings()
    }

    /// An error located at this scope.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::new(message).at(self.full_path())
    }

    /// Registers a child construct. A second child with the same id is an error.
    pub fn child(&self, id: &str) -> Result<Scope> {
        let (path, _) = self.register(id)?;
        Ok(Scope {
            stack: self.stack.clone(),
            path: path.into(),
        })
    }

    /// The child path of `id` (its ids and joined with `/`), registered as taken.
    fn register(&self, id: &str) -> Result<(Vec<Rc<str>>, String)> {
        if id.is_empty() || id.contains('/') {
            return Err(self
                .error(format!("construct id `{id}` is not allowed"))
                .property("id")
                .fix("use a non-empty id without `/`"));
        }
        let mut path: Vec<Rc<str>> = Vec::with_capacity(self.path.len() + 1);
        path.extend(self.path.iter().cloned());
        path.push(Rc::from(id));
        let joined = path.join("/");
        let mut data = self.stack.app.data.borrow_mut();
        if data.stack(self.stack.key).nodes.contains(&joined) {
            let full = data.full_path(self.stack.key, &joined);
            return Err(Error::new(format!("there is already a construct with id `{id}` here"))
                .at(full)
                .property("id")
                .fix("give each construct a unique id among its siblings"));
        }
        data.stacks[self.stack.key.index as usize].nodes.insert(joined.clone());
        Ok((path, joined))
    }

    /// Adds a resource named `id` under this scope and returns a reference to it.
    pub fn add_resource(&self, id: &str, resource: Resource) -> Result<ResourceRef> {
        let (path, joined) = self.register(id)?;
        let parts: Vec<&str> = path.iter().map(|s| &**s).collect();
        // Only errors need the full path; build it lazily (synthesis adds thousands of resources).
        let full = || self.stack.app.data.borrow().full_path(self.stack.key, &joined);
        let overridden = self.overridden_id(&joined);
        let logical_id = overridden
            .or_else(|| unique_id_of_path(&joined, &parts))
            .filter(|id| is_valid_logical_id(id))
            .ok_or_else(|| {
                Error::new("this path gives no valid logical ID")
                    .at(full())
                    .fix("use construct ids that contain letters or digits")
            })?;
        let full = || self.stack.app.data.borrow().full_path(self.stack.key, &joined);
        let clash = {
            let data = self.stack.app.data.borrow();
            let stack = data.stack(self.stack.key);
            if stack.parameters.contains_key(&logical_id) {
                Some(None)
            } else {
                stack
                    .resources
                    .get(&logical_id)
                    .map(|existing| Some(data.full_path(self.stack.key, &existing.path)))
            }
        };
        match clash {
            Some(None) => {
                return Err(Error::new(format!("logical ID `{logical_id}` is already used by a parameter"))
                    .at(full())
                    .fix("rename the construct or the parameter"));
            }
            Some(Some(other_full)) => {
                let full = full();
                return Err(
                    Error::new(format!("logical ID `{logical_id}` would be used by both {other_full} and {full}"))
                        .at(full)
                        .fix("rename one of the two constructs"),
                );
            }
            None => {}
        }
        let mut data = self.stack.app.data.borrow_mut();
        let stack = &mut data.stacks[self.stack.key.index as usize];
        let resource_type = resource.resource_type.clone();
        stack.resources.insert(
            logical_id.clone(),
            ResourceEntry {
                path: joined.clone(),
                resource,
            },
        );
        Ok(ResourceRef {
            stack: self.stack.key,
            logical_id,
            path: joined,
            resource_type,
        })
    }

    /// The logical ID an override gives the resource at `path`, if one does.
    fn overridden_id(&self, path: &str) -> Option<String> {
        let data = self.stack.app.data.borrow();
        let overrides = &data.stack(self.stack.key).id_overrides;
        overrides.iter().find_map(|(at, how)| match how {
            IdOverride::Exact(id) if at == path => Some(id.clone()),
            IdOverride::Renamed(old) => {
                let old_path = renamed(path, at, old)?;
                make_unique_id(&old_path.split('/').collect::<Vec<_>>())
            }
            IdOverride::Exact(_) => None,
        })
    }

    /// The resource at `relative_path` under this construct (`Resource`, `Policy`,
    /// `LoadBalancer/HttpListener`): every resource a construct creates can be reached
    /// this way for an escape hatch ([`Stack::add_override`]), also those its accessors
    /// do not expose. An unknown path is an error that lists the resources there are.
    pub fn resource_at(&self, relative_path: &str) -> Result<ResourceRef> {
        let here = self.path();
        let path = if here.is_empty() {
            relative_path.to_string()
        } else {
            format!("{here}/{relative_path}")
        };
        let data = self.stack.app.data.borrow();
        let stack = data.stack(self.stack.key);
        let found = stack.resources.iter().find(|(_, e)| e.path == path);
        if let Some((logical_id, entry)) = found {
            return Ok(ResourceRef {
                stack: self.stack.key,
                logical_id: logical_id.clone(),
                path,
                resource_type: entry.resource.resource_type.clone(),
            });
        }
        let prefix = if here.is_empty() { String::new() } else { format!("{here}/") };
        let there: Vec<&str> = stack
            .resources
            .values()
            .filter_map(|e| e.path.strip_prefix(prefix.as_str()))
            .collect();
        Err(
            Error::new(format!("there is no resource at `{relative_path}` under this construct"))
                .at(data.full_path(self.stack.key, &here))
                .property("path")
                .fix(if there.is_empty() {
                    "this construct has no resources of its own; reach them through the construct that creates them".to_string()
                } else {
                    format!("use one of: {}", there.join(", "))
                }),
        )
    }

    /// Suppresses a policy-check rule on this construct and its children, with a reason.
    pub fn suppress(&self, rule: &str, reason: &str) -> Result<()> {
        if reason.trim().len() < 10 {
            return Err(self
                .error(format!("suppression of `{rule}` needs a reason"))
                .property("reason")
                .fix("say in a sentence why the rule does not apply here"));
        }
        let mut data = self.stack.app.data.borrow_mut();
        data.stacks[self.stack.key.index as usize].suppressions.push(Suppression {
            rule: rule.to_string(),
            reason: reason.to_string(),
            path: self.path(),
        });
        Ok(())
    }
}
