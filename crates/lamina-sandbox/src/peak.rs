//! The memory peak of one sandbox (REPORT's `Max Memory Used`), read through its cgroup file
//! kept open for the sandbox's life. Reading or resetting through the path costs an open, a
//! read or write and a close each time (plus a path lookup); a kept descriptor makes each one
//! a single `pread`/`pwrite`, which matters on every warm invoke. When the file cannot be
//! opened (another cgroup layout, a kernel without the file) the cgroup's path-based reads
//! through [`Kernel`](crate::Kernel) are used instead, so the figures never differ.

use std::fs::File;
use std::os::unix::fs::FileExt;

use crate::cgroup::Cgroup;
use crate::error::SandboxError;
use crate::kernel::RealKernel;

/// The peak-usage file of one sandbox's memory cgroup, kept open when possible.
#[derive(Debug)]
pub(crate) struct PeakFile {
    file: Option<File>,
    /// cgroup v1: writing 0 resets the peak. v2 offers no reset here.
    resettable: bool,
}

impl PeakFile {
    /// Opens the peak file of `cgroup`.
    pub(crate) fn open(cgroup: &Cgroup) -> Self {
        let (path, resettable) = cgroup.peak_file();
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(resettable)
            .open(&path);
        if let Err(e) = &file {
            tracing::debug!(path = %path.display(), error = %e, "memory peak file not kept open; reading it per call");
        }
        Self {
            file: file.ok(),
            resettable,
        }
    }

    /// Resets the peak; false where the kernel offers no reset.
    pub(crate) fn reset(&self, cgroup: &Cgroup) -> Result<bool, SandboxError> {
        match &self.file {
            Some(file) if self.resettable => {
                // The cgroup file takes the value whatever the offset.
                let (path, _) = cgroup.peak_file();
                file.write_at(b"0", 0)
                    .map_err(|e| SandboxError::io("write", path, e))?;
                Ok(true)
            }
            Some(_) => Ok(false),
            None => cgroup.reset_peak(&RealKernel),
        }
    }

    /// Peak memory use in bytes since the last reset.
    pub(crate) fn read(&self, cgroup: &Cgroup) -> Result<u64, SandboxError> {
        let Some(file) = &self.file else {
            return cgroup.peak(&RealKernel);
        };
        let mut buf = [0u8; 32];
        match file.read_at(&mut buf, 0) {
            Ok(n) => std::str::from_utf8(&buf[..n])
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .map_or_else(|| cgroup.peak(&RealKernel), Ok),
            Err(_) => cgroup.peak(&RealKernel),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cgroup::CgroupLayout;

    /// A layout whose file exists is read through the kept descriptor, and reset writes 0.
    #[test]
    fn reads_and_resets_through_the_kept_file() {
        let dir = std::env::temp_dir().join(format!("lamina-peak-test-{}", std::process::id()));
        let memory = dir.join("memory");
        std::fs::create_dir_all(memory.join("sb")).unwrap();
        let path = memory.join("sb/memory.max_usage_in_bytes");
        std::fs::write(&path, "73400320\n").unwrap();
        let layout = CgroupLayout::V1 {
            memory,
            pids: dir.join("pids"),
            cpu: None,
        };
        let cgroup = Cgroup::placeholder(&layout, "sb");
        let peak = PeakFile::open(&cgroup);
        assert!(peak.file.is_some());
        assert_eq!(peak.read(&cgroup).unwrap(), 73_400_320);
        // A regular file stands in for the cgroup file: the reset lands at offset 0.
        assert!(peak.reset(&cgroup).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "03400320\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_file_falls_back_to_the_path() {
        let layout = CgroupLayout::V2 {
            parent: "/nonexistent/lamina".into(),
        };
        let cgroup = Cgroup::placeholder(&layout, "sb");
        let peak = PeakFile::open(&cgroup);
        assert!(peak.file.is_none());
        assert!(peak.read(&cgroup).is_err(), "the path read fails as well");
        assert!(!peak.reset(&cgroup).unwrap(), "v2 has no reset");
    }
}
