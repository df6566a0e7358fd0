//! Exit statuses worded as Lambda words them. Lambda's runtime wrapper is written in Go and
//! prints `os.ProcessState.String()`: "exit status 3", "signal: killed",
//! "signal: segmentation fault". This module owns that wording and nothing else.

use std::fmt;

/// How the runtime process ended, decoded from a raw `wait` status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// It called `exit(code)`.
    Exited(i32),
    /// A signal ended it; `core_dumped` when the kernel wrote a core file.
    Signaled {
        /// The signal number.
        signal: i32,
        /// Whether a core dump was written (never, with the sandbox's RLIMIT_CORE of 0).
        core_dumped: bool,
    },
}

impl ExitStatus {
    /// Decodes a raw status as `waitpid` returns it.
    pub fn from_raw(raw: i32) -> ExitStatus {
        if nix::libc::WIFSIGNALED(raw) {
            ExitStatus::Signaled {
                signal: nix::libc::WTERMSIG(raw),
                core_dumped: nix::libc::WCOREDUMP(raw),
            }
        } else {
            ExitStatus::Exited(nix::libc::WEXITSTATUS(raw))
        }
    }

    /// True for `exit(0)`.
    pub fn success(&self) -> bool {
        *self == ExitStatus::Exited(0)
    }

    /// The signal that ended the process, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self {
            ExitStatus::Signaled { signal, .. } => Some(*signal),
            ExitStatus::Exited(_) => None,
        }
    }
}

/// Go's description of a Linux signal (`syscall.Signal.String()` on linux/amd64).
pub fn signal_name(signal: i32) -> String {
    let name = match signal {
        1 => "hangup",
        2 => "interrupt",
        3 => "quit",
        4 => "illegal instruction",
        5 => "trace/breakpoint trap",
        6 => "aborted",
        7 => "bus error",
        8 => "floating point exception",
        9 => "killed",
        10 => "user defined signal 1",
        11 => "segmentation fault",
        12 => "user defined signal 2",
        13 => "broken pipe",
        14 => "alarm clock",
        15 => "terminated",
        16 => "stack fault",
        17 => "child exited",
        18 => "continued",
        19 => "stopped (signal)",
        20 => "stopped",
        21 => "stopped (tty input)",
        22 => "stopped (tty output)",
        23 => "urgent I/O condition",
        24 => "CPU time limit exceeded",
        25 => "file size limit exceeded",
        26 => "virtual timer expired",
        27 => "profiling timer expired",
        28 => "window changed",
        29 => "I/O possible",
        30 => "power failure",
        31 => "bad system call",
        other => return format!("signal {other}"),
    };
    name.to_string()
}

impl fmt::Display for ExitStatus {
    /// Formats exactly as Go's `ProcessState.String()` does for an exited or signalled process.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Exited(code) => write!(f, "exit status {code}"),
            ExitStatus::Signaled {
                signal,
                core_dumped,
            } => {
                write!(f, "signal: {}", signal_name(*signal))?;
                if *core_dumped {
                    write!(f, " (core dumped)")?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_lambda() {
        assert_eq!(ExitStatus::Exited(3).to_string(), "exit status 3");
        assert_eq!(ExitStatus::Exited(0).to_string(), "exit status 0");
        let killed = ExitStatus::Signaled {
            signal: 9,
            core_dumped: false,
        };
        assert_eq!(killed.to_string(), "signal: killed");
        let segv = ExitStatus::Signaled {
            signal: 11,
            core_dumped: false,
        };
        assert_eq!(segv.to_string(), "signal: segmentation fault");
        let abrt = ExitStatus::Signaled {
            signal: 6,
            core_dumped: true,
        };
        assert_eq!(abrt.to_string(), "signal: aborted (core dumped)");
        assert_eq!(signal_name(40), "signal 40");
    }

    #[test]
    fn decodes_raw_wait_status() {
        // exit(3) is encoded as 3 << 8; death by SIGKILL as 9; SIGSEGV with core as 11 | 0x80.
        assert_eq!(ExitStatus::from_raw(3 << 8), ExitStatus::Exited(3));
        assert_eq!(
            ExitStatus::from_raw(9),
            ExitStatus::Signaled {
                signal: 9,
                core_dumped: false
            }
        );
        assert_eq!(
            ExitStatus::from_raw(11 | 0x80),
            ExitStatus::Signaled {
                signal: 11,
                core_dumped: true
            }
        );
        assert!(ExitStatus::from_raw(0).success());
    }
}
