//! Time, sleeping and Ctrl-C for the deploy loops, behind a trait so tests run
//! polling loops and timeouts instantly.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use super::error::{DeployError, DeployResult};

/// What the waiting loops need from the outside world.
pub trait Clock {
    /// Time since an arbitrary start.
    fn now(&self) -> Duration;
    /// Sleeps, returning early when Ctrl-C is pressed meanwhile.
    fn sleep(&self, d: Duration);
    /// How many times Ctrl-C was pressed so far. The first press asks a deploy to stop
    /// after what it started; a second one to stop waiting at once.
    fn interrupts(&self) -> u32;
    /// Whether Ctrl-C was pressed.
    fn interrupted(&self) -> bool {
        self.interrupts() > 0
    }
}

/// Ctrl-C presses counted by the handler, read by every loop.
static INTERRUPTS: AtomicU32 = AtomicU32::new(0);

/// Set while a command only reads (its first AWS calls, before any change): a press then
/// ends the process at once with 130, since a call to an endpoint that never answers would
/// otherwise hold it until the SDK's timeouts give up.
static EXIT_BEFORE_CHANGES: AtomicBool = AtomicBool::new(false);

/// Ctrl-C ends the process at once (exit 130, "nothing was changed") until
/// [`changes_begin`]: for the read-only calls a deploy makes first.
pub fn exit_on_ctrl_c_until_changes() {
    EXIT_BEFORE_CHANGES.store(true, Ordering::SeqCst);
}

/// From now on Ctrl-C is counted, not fatal: the deploy loop is about to change stacks.
pub fn changes_begin() {
    EXIT_BEFORE_CHANGES.store(false, Ordering::SeqCst);
}

fn on_ctrl_c() {
    if EXIT_BEFORE_CHANGES.load(Ordering::SeqCst) {
        eprintln!("\nstopped (Ctrl-C) before any change: nothing was changed");
        std::process::exit(130);
    }
    INTERRUPTS.fetch_add(1, Ordering::SeqCst);
}

/// Catches Ctrl-C from now on: instead of killing the process each press is counted,
/// and the deploy loops decide what to do (finish the current stack, then stop; or
/// stop waiting). The handler is registered before this returns, so a press right
/// after it can no longer kill a deploy half-way. Installed once.
pub fn catch_ctrl_c() -> DeployResult<()> {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    if INSTALLED.get().is_some() {
        return Ok(());
    }
    let rt = crate::aws::runtime()?;
    let _entered = rt.enter();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut sigint = signal(SignalKind::interrupt()).map_err(|e| DeployError::Failed(format!("cannot catch Ctrl-C: {e}")))?;
        rt.spawn(async move {
            while sigint.recv().await.is_some() {
                on_ctrl_c();
            }
        });
    }
    #[cfg(not(unix))]
    rt.spawn(async {
        while tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c();
        }
    });
    let _ = INSTALLED.set(());
    Ok(())
}

/// Wall-clock time and the process's Ctrl-C count.
pub struct SystemClock {
    start: Instant,
}

impl SystemClock {
    /// The system clock.
    pub fn new() -> Self {
        SystemClock { start: Instant::now() }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }

    fn sleep(&self, d: Duration) {
        // Short slices so a new Ctrl-C is noticed within 100 ms; one pressed before the
        // sleep does not shorten it (a deploy finishing its stack still polls calmly).
        let before = self.interrupts();
        let end = Instant::now() + d;
        while self.interrupts() == before {
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            std::thread::sleep(left.min(Duration::from_millis(100)));
        }
    }

    fn interrupts(&self) -> u32 {
        INTERRUPTS.load(Ordering::SeqCst)
    }
}

/// Parses `90s`, `30m`, `2h`, `1h30m` or plain seconds; zero is refused (nothing
/// can be waited for in no time).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    match parse_duration_or_zero(s)? {
        d if d.is_zero() => Err(format!("`{s}` is zero: it must be more than 0, e.g. 90s, 30m or 2h")),
        d => Ok(d),
    }
}

/// `--timeout`: a duration of more than 0.
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    match parse_duration_or_zero(s)? {
        d if d.is_zero() => Err("the timeout must be more than 0; use e.g. 90s, 30m or 2h".to_string()),
        d => Ok(d),
    }
}

fn parse_duration_or_zero(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let not = || format!("`{s}` is not a duration; use e.g. 90s, 30m, 2h or 1h30m");
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut number = String::new();
    let mut units = 0;
    for c in s.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(not()),
        };
        let n: u64 = number.parse().map_err(|_| not())?;
        total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(not)?;
        number.clear();
        units += 1;
    }
    if !number.is_empty() || units == 0 {
        return Err(not());
    }
    Ok(Duration::from_secs(total))
}

/// `1h02m`, `4m10s`, `12s`.
pub fn format_duration(d: Duration) -> String {
    let s = d.as_secs();
    match (s / 3600, s / 60 % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

#[cfg(test)]
pub(crate) mod fake {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;

    use super::*;

    /// A clock that jumps forward on sleep. Ctrl-C is pressed once each of the sleep
    /// counts in `ctrl_c_after_sleeps` is reached, and once per increment of `presses`
    /// (shared with a scripted prompt or the fake CloudFormation, to press it mid-call).
    #[derive(Default)]
    pub struct FakeClock {
        pub now: Cell<Duration>,
        pub sleeps: Cell<u32>,
        pub ctrl_c_after_sleeps: RefCell<Vec<u32>>,
        pub presses: Rc<Cell<u32>>,
    }

    impl Clock for FakeClock {
        fn now(&self) -> Duration {
            self.now.get()
        }
        fn sleep(&self, d: Duration) {
            self.now.set(self.now.get() + d);
            self.sleeps.set(self.sleeps.get() + 1);
        }
        fn interrupts(&self) -> u32 {
            let scheduled = self
                .ctrl_c_after_sleeps
                .borrow()
                .iter()
                .filter(|n| **n <= self.sleeps.get())
                .count();
            self.presses.get() + scheduled as u32
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("90s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert!(parse_duration("10x").is_err());
        assert!(parse_duration("5m3").is_err());
        assert!(parse_duration("").is_err());
        for zero in ["0", "0s", "0h0m"] {
            let e = parse_duration(zero).unwrap_err();
            assert!(e.contains("must be more than 0") && !e.contains("not a duration"), "{e}");
            let e = parse_timeout(zero).unwrap_err();
            assert!(e.starts_with("the timeout must be more than 0"), "{e}");
        }
        assert_eq!(parse_timeout("2m").unwrap(), Duration::from_secs(120));
        assert!(parse_timeout("soon").unwrap_err().contains("not a duration"));
        assert_eq!(format_duration(Duration::from_secs(12)), "12s");
        assert_eq!(format_duration(Duration::from_secs(250)), "4m10s");
        assert_eq!(format_duration(Duration::from_secs(3720)), "1h02m");
    }
}
