//! The init's status pipe, read on the engine side: one line per event — "started" once the
//! runtime is exec'd, "exec <path>: <error>" or "error <step>: <error>" when it could not be,
//! and "exit <raw wait status>" when the runtime ended. The protocol's writer is `init.rs`.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::libc;

use crate::error::SandboxError;

/// Reads the init's status pipe: one line per event ("started", "error …", "exec …",
/// "exit <raw status>").
pub(crate) struct StatusReader {
    file: File,
    buf: Vec<u8>,
    eof: bool,
}

impl StatusReader {
    pub(crate) fn new(fd: OwnedFd) -> StatusReader {
        StatusReader {
            file: File::from(fd),
            buf: Vec::new(),
            eof: false,
        }
    }

    fn take_line(&mut self) -> Option<String> {
        let pos = self.buf.iter().position(|&b| b == b'\n')?;
        let line: Vec<u8> = self.buf.drain(..=pos).collect();
        Some(String::from_utf8_lossy(&line[..pos]).into_owned())
    }

    /// The next line, waiting at most `timeout`; `None` at end of file or timeout.
    pub(crate) fn next_line(&mut self, timeout: Duration) -> Result<Option<String>, SandboxError> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.take_line() {
                return Ok(Some(line));
            }
            if self.eof {
                return Ok(None);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(None);
            }
            let mut pfd = libc::pollfd {
                fd: self.file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            let ms = left.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd for the duration of the call.
            let rc = unsafe { libc::poll(&mut pfd, 1, ms.max(1)) };
            if rc < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(SandboxError::sys("poll status pipe", e));
            }
            if rc == 0 {
                continue;
            }
            self.fill()?;
        }
    }

    fn fill(&mut self) -> Result<(), SandboxError> {
        let mut chunk = [0u8; 512];
        match self.file.read(&mut chunk) {
            Ok(0) => self.eof = true,
            Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SandboxError::sys("read status pipe", e)),
        }
        Ok(())
    }

    /// Whether `line` has arrived, reading what is there without waiting and without taking
    /// any line (so [`StatusReader::drain`] still sees them all).
    pub(crate) fn seen(&mut self, line: &str) -> bool {
        while !self.eof {
            let mut pfd = libc::pollfd {
                fd: self.file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the duration of the call.
            let rc = unsafe { libc::poll(&mut pfd, 1, 0) };
            if rc <= 0 || self.fill().is_err() {
                break;
            }
        }
        self.buf
            .split(|&b| b == b'\n')
            .any(|l| l == line.as_bytes())
    }

    /// Reads everything left (the writer has exited) and returns the lines.
    pub(crate) fn drain(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            if let Some(l) = self.take_line() {
                lines.push(l);
                continue;
            }
            if self.eof {
                return lines;
            }
            // The init is dead, so this read cannot block for long: the pipe is at EOF.
            if self
                .next_line(Duration::from_millis(100))
                .ok()
                .flatten()
                .map(|l| lines.push(l))
                .is_none()
            {
                return lines;
            }
        }
    }
}
