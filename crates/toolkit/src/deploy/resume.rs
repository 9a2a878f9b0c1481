//! The command that picks up a run Ctrl-C stopped: the run's own command line, rebuilt
//! from its parsed arguments (environment folder, flags, endpoint), restricted to the
//! stacks it did not finish, shell-quoted so that it can be pasted as is.

use std::path::Path;
use std::time::Duration;

/// A run's command line without its stack selection (`deploy`, `destroy`, `bootstrap`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeCommand {
    /// `cairn deploy dev`.
    head: Vec<String>,
    /// Options after the stack names, each already one or two words.
    options: Vec<String>,
    /// The run was given stack names (so the resume names stacks too).
    selected: bool,
}

impl ResumeCommand {
    /// `cairn <command> <env>`, with `--environments DIR` when the run had one.
    pub fn new(command: &str, env: &str, environments: Option<&Path>) -> Self {
        let mut r = ResumeCommand {
            head: vec!["cairn".into(), command.into(), env.into()],
            options: Vec::new(),
            selected: false,
        };
        if let Some(dir) = environments {
            r.options.push("--environments".into());
            r.options.push(dir.display().to_string());
        }
        r
    }

    /// Records that the run was restricted to some of the environment's stacks.
    pub fn selected(mut self, selected: bool) -> Self {
        self.selected = selected;
        self
    }

    /// Adds `--name` when `on`.
    pub fn flag(mut self, name: &str, on: bool) -> Self {
        if on {
            self.options.push(format!("--{name}"));
        }
        self
    }

    /// Adds `--name VALUE` when there is a value.
    pub fn option(mut self, name: &str, value: Option<impl Into<String>>) -> Self {
        if let Some(v) = value {
            self.options.push(format!("--{name}"));
            self.options.push(v.into());
        }
        self
    }

    /// The whole run again (its own stack selection, `stacks`).
    pub fn repeat(&self, stacks: &[String]) -> String {
        let names: Vec<&str> = stacks.iter().map(String::as_str).collect();
        self.render(&names)
    }

    /// The command for the stacks not finished: named explicitly once some were done or
    /// the run named stacks itself; the bare environment when the run covered all of it
    /// and nothing was done yet.
    pub fn for_rest(&self, rest: &[&str], some_done: bool) -> String {
        if self.selected || some_done {
            self.render(rest)
        } else {
            self.render(&[])
        }
    }

    fn render(&self, stacks: &[&str]) -> String {
        let words = self
            .head
            .iter()
            .map(String::as_str)
            .chain(stacks.iter().copied())
            .chain(self.options.iter().map(String::as_str));
        words.map(shell_quote).collect::<Vec<_>>().join(" ")
    }
}

/// `90s` when `d` is not the option's default (seconds: every duration option reads
/// them), for a duration option of a resume command.
pub fn non_default(d: Duration, default: Duration) -> Option<String> {
    (d != default).then(|| format!("{}s", d.as_secs()))
}

/// A word as a POSIX shell reads it back unchanged: as is when it is plain, else in
/// single quotes.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | '@' | '%' | '+' | ','));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resume_command_keeps_the_runs_arguments_and_names_the_rest() {
        let r = ResumeCommand::new("deploy", "dev", Some(Path::new("/tmp/my envs")))
            .flag("approve", true)
            .flag("allow-replace", true)
            .flag("recreate", false)
            .option("endpoint-url", Some("http://127.0.0.1:5000"));
        assert_eq!(
            r.for_rest(&["shop-dev-service"], true),
            "cairn deploy dev shop-dev-service --environments '/tmp/my envs' --approve --allow-replace --endpoint-url http://127.0.0.1:5000"
        );
        // Nothing done in a run over the whole environment: the whole environment again.
        assert_eq!(
            r.for_rest(&["shop-dev-network", "shop-dev-data"], false),
            "cairn deploy dev --environments '/tmp/my envs' --approve --allow-replace --endpoint-url http://127.0.0.1:5000"
        );
        // A run restricted to `data` resumes `data` only, never the whole environment.
        let r = ResumeCommand::new("destroy", "dev", None).selected(true);
        assert_eq!(r.for_rest(&["shop-dev-data"], false), "cairn destroy dev shop-dev-data");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
