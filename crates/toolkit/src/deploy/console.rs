//! Output of the deploy commands: plain lines everywhere, plus a progress line
//! redrawn in place on a terminal. Without a terminal (CI) or with
//! `--progress events` nothing but plain text is written: no colors, no `\r`.

use std::cell::RefCell;
use std::io::{self, BufRead, Write};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use clap::ValueEnum;

use super::clock::Clock;
use crate::ui::Style;

/// `--progress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressMode {
    /// A progress line on a terminal, plain event lines otherwise.
    Auto,
    /// Plain event lines only (as in CI).
    Events,
}

/// Where deploy output goes.
pub struct Console {
    out: Box<dyn Write>,
    /// Colors, when writing to a terminal.
    pub style: Style,
    /// Draw the in-place progress line.
    bar: bool,
    bar_shown: bool,
}

impl Console {
    /// stdout; colors and the progress line only on a terminal and with `--progress auto`.
    pub fn stdout(style: Style, mode: ProgressMode) -> Self {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
        let plain = mode == ProgressMode::Events || !terminal;
        Console {
            out: Box::new(io::stdout()),
            style: if plain { Style::new(false) } else { style },
            bar: !plain,
            bar_shown: false,
        }
    }

    /// Writes into a shared buffer (tests), plain text.
    pub fn buffer() -> (Self, SharedBuffer) {
        let buf = SharedBuffer::default();
        (
            Console {
                out: Box::new(buf.clone()),
                style: Style::new(false),
                bar: false,
                bar_shown: false,
            },
            buf,
        )
    }

    /// One line of output.
    pub fn line(&mut self, s: &str) {
        self.clear_progress();
        let _ = writeln!(self.out, "{s}");
        let _ = self.out.flush();
    }

    /// Replaces the progress line (terminal only).
    pub fn progress(&mut self, s: &str) {
        if !self.bar {
            return;
        }
        let _ = write!(self.out, "\r\x1b[2K{s}");
        let _ = self.out.flush();
        self.bar_shown = true;
    }

    /// Erases the in-place progress line, if shown.
    pub fn clear_progress(&mut self) {
        if self.bar_shown {
            let _ = write!(self.out, "\r\x1b[2K");
            self.bar_shown = false;
        }
    }
}

/// A `Write` into memory that can be read afterwards.
#[derive(Clone, Default)]
pub struct SharedBuffer(Rc<RefCell<Vec<u8>>>);

impl SharedBuffer {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.borrow()).into_owned()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Asks the person at the terminal.
pub trait Prompt {
    /// Prints `question` and reads one line; `None` if there is no answer (end of
    /// input, Ctrl-C, or no terminal).
    fn ask(&mut self, question: &str) -> Option<String>;
}

/// Reads answers from stdin; gives up on Ctrl-C even while a line is being typed.
pub struct TerminalPrompt<'a> {
    /// For the Ctrl-C checks while waiting.
    pub clock: &'a dyn Clock,
}

impl Prompt for TerminalPrompt<'_> {
    fn ask(&mut self, question: &str) -> Option<String> {
        let presses = self.clock.interrupts();
        eprint!("{question} ");
        let _ = io::stderr().flush();
        let (tx, rx) = mpsc::channel();
        // stdin blocks; read it on a thread so Ctrl-C (caught once a deploy has
        // started executing) still ends the wait.
        std::thread::spawn(move || {
            let mut line = String::new();
            let read = io::stdin().lock().read_line(&mut line);
            let _ = tx.send(match read {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(line.trim().to_string()),
            });
        });
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(answer) => return answer,
                Err(mpsc::RecvTimeoutError::Timeout) if self.clock.interrupts() > presses => {
                    eprintln!();
                    return None;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }
}

/// Answers from a list (tests); records the questions. The answer [`CTRL_C`] presses
/// Ctrl-C on the shared counter (a `FakeClock`'s `presses`) and gives no answer.
#[cfg(test)]
#[derive(Default)]
pub struct ScriptedPrompt {
    /// The answers still to give, in order.
    pub answers: std::collections::VecDeque<String>,
    /// The questions asked so far.
    pub questions: Vec<String>,
    /// The Ctrl-C counter [`CTRL_C`] presses.
    pub presses: Option<std::rc::Rc<std::cell::Cell<u32>>>,
}

/// A scripted answer that is Ctrl-C at the prompt.
#[cfg(test)]
pub const CTRL_C: &str = "^C";

#[cfg(test)]
impl Prompt for ScriptedPrompt {
    fn ask(&mut self, question: &str) -> Option<String> {
        self.questions.push(question.to_string());
        let answer = self.answers.pop_front();
        if answer.as_deref() == Some(CTRL_C) {
            if let Some(p) = &self.presses {
                p.set(p.get() + 1);
            }
            return None;
        }
        answer
    }
}

/// Whether an answer means yes.
pub fn is_yes(answer: Option<&str>) -> bool {
    matches!(answer.map(|a| a.to_ascii_lowercase()).as_deref(), Some("y" | "yes"))
}
