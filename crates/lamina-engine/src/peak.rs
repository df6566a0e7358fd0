//! The per-invoke memory peak of one sandbox (REPORT's `Max Memory Used`), read through a
//! cgroup file kept open for the environment's life. `Sandbox::reset_peak` and
//! `Sandbox::max_memory_used_bytes` open, use and close the file on every call (three
//! syscalls each, plus a path lookup); a kept descriptor makes each one a single
//! `pwrite`/`pread`. When the file cannot be opened (another cgroup layout, a kernel
//! without the file) the sandbox's own methods are used, so the figures never differ.

use std::fs::File;
use std::os::unix::fs::FileExt;

use lamina_sandbox::{CgroupLayout, Sandbox};

/// The peak-usage file of one sandbox's memory cgroup, kept open.
#[derive(Debug)]
pub(crate) struct MemoryPeak {
    file: Option<File>,
    /// cgroup v1: writing 0 resets the peak. v2 offers no reset here (as in the sandbox).
    resettable: bool,
}

impl MemoryPeak {
    /// Opens the peak file of the memory cgroup named `cgroup_id` under `layout`.
    pub(crate) fn open(layout: &CgroupLayout, cgroup_id: &str) -> Self {
        let (path, resettable) = match layout {
            CgroupLayout::V1 { memory, .. } => (
                memory.join(cgroup_id).join("memory.max_usage_in_bytes"),
                true,
            ),
            CgroupLayout::V2 { parent } => (parent.join(cgroup_id).join("memory.peak"), false),
        };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(resettable)
            .open(&path);
        match file {
            Ok(file) => Self {
                file: Some(file),
                resettable,
            },
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "memory peak file not kept open; reading it per call");
                Self {
                    file: None,
                    resettable,
                }
            }
        }
    }

    /// Resets the peak before an invoke, so the next reading covers only that invoke.
    pub(crate) fn reset(&self, sandbox: &Sandbox) {
        match &self.file {
            Some(file) if self.resettable => {
                // The cgroup file takes the value whatever the offset; failing to reset only
                // makes the next figure cover more than one invoke.
                let _ = file.write_at(b"0", 0);
            }
            Some(_) => {}
            None => {
                let _ = sandbox.reset_peak();
            }
        }
    }

    /// Peak memory use in bytes since the last reset (0 if it cannot be read).
    pub(crate) fn read(&self, sandbox: &Sandbox) -> u64 {
        let Some(file) = &self.file else {
            return sandbox.max_memory_used_bytes().unwrap_or(0);
        };
        let mut buf = [0u8; 32];
        match file.read_at(&mut buf, 0) {
            Ok(n) => std::str::from_utf8(&buf[..n])
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0),
            Err(_) => sandbox.max_memory_used_bytes().unwrap_or(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A layout whose file exists is read through the kept descriptor, and reset writes 0.
    #[test]
    fn reads_and_resets_through_the_kept_file() {
        let dir = std::env::temp_dir().join(format!("lamina-peak-test-{}", std::process::id()));
        let memory = dir.join("memory");
        std::fs::create_dir_all(memory.join("sb")).unwrap();
        let file = memory.join("sb/memory.max_usage_in_bytes");
        std::fs::write(&file, "73400320\n").unwrap();
        let layout = CgroupLayout::V1 {
            memory,
            pids: dir.join("pids"),
            cpu: None,
        };
        let peak = MemoryPeak::open(&layout, "sb");
        let f = peak.file.as_ref().unwrap();
        let mut buf = [0u8; 32];
        let n = f.read_at(&mut buf, 0).unwrap();
        assert_eq!(&buf[..n], b"73400320\n");
        assert!(peak.resettable);
        // A regular file stands in for the cgroup file: the reset lands at offset 0.
        f.write_at(b"0", 0).unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "03400320\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_file_falls_back() {
        let layout = CgroupLayout::V2 {
            parent: "/nonexistent/lamina".into(),
        };
        assert!(MemoryPeak::open(&layout, "sb").file.is_none());
    }
}
