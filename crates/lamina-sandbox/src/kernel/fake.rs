//! A recording fake of [`Kernel`] for unit tests: an in-memory tree of directories, files and
//! symlinks, plus the ordered list of calls made, so a test asserts the exact plan.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use nix::mount::MsFlags;

use super::Kernel;

/// One recorded call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Call {
    Mkdir(PathBuf),
    Write(PathBuf, String),
    Symlink {
        target: PathBuf,
        link: PathBuf,
    },
    Touch(PathBuf),
    CharDevice(PathBuf, u32, u32),
    Mount {
        source: Option<PathBuf>,
        target: PathBuf,
        fstype: Option<String>,
        flags: MsFlags,
        data: Option<String>,
    },
    Umount(PathBuf),
    PivotRoot(PathBuf),
    Rmdir(PathBuf),
    RemoveAll(PathBuf),
    Signal(i32, i32),
    MoveMount(PathBuf),
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    dirs: BTreeSet<PathBuf>,
    files: BTreeMap<PathBuf, String>,
    links: BTreeMap<PathBuf, PathBuf>,
    /// Writes to these paths fail with EACCES (to test error paths).
    failing: BTreeSet<PathBuf>,
}

/// The fake kernel. Interior mutability so it can be used through `&dyn Kernel`.
#[derive(Default)]
pub(crate) struct FakeKernel {
    state: Mutex<State>,
}

impl FakeKernel {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    /// Adds a directory (and its parents) to the fake tree.
    pub(crate) fn add_dir(&self, path: &str) {
        self.with(|s| {
            for p in Path::new(path).ancestors() {
                s.dirs.insert(p.to_path_buf());
            }
        });
    }

    /// Adds a file with contents.
    pub(crate) fn add_file(&self, path: &str, contents: &str) {
        self.with(|s| s.files.insert(path.into(), contents.into()));
    }

    /// Adds a symlink.
    pub(crate) fn add_link(&self, path: &str, target: &str) {
        self.with(|s| s.links.insert(path.into(), target.into()));
    }

    /// Makes writes to `path` fail.
    pub(crate) fn fail_writes_to(&self, path: &str) {
        self.with(|s| s.failing.insert(path.into()));
    }

    /// The calls made so far.
    pub(crate) fn calls(&self) -> Vec<Call> {
        self.with(|s| s.calls.clone())
    }

    /// The writes made so far, as (path, contents).
    pub(crate) fn writes(&self) -> Vec<(String, String)> {
        self.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Write(p, v) => Some((p.display().to_string(), v)),
                _ => None,
            })
            .collect()
    }

    /// The current contents of a fake file.
    pub(crate) fn file(&self, path: &str) -> Option<String> {
        self.with(|s| s.files.get(Path::new(path)).cloned())
    }
}

impl Kernel for FakeKernel {
    fn mkdir_all(&self, path: &Path) -> io::Result<()> {
        self.with(|s| {
            s.calls.push(Call::Mkdir(path.into()));
            for p in path.ancestors() {
                s.dirs.insert(p.to_path_buf());
            }
        });
        Ok(())
    }

    fn write_file(&self, path: &Path, contents: &[u8]) -> io::Result<()> {
        self.with(|s| {
            let text = String::from_utf8_lossy(contents).into_owned();
            s.calls.push(Call::Write(path.into(), text.clone()));
            if s.failing.contains(path) {
                return Err(io::Error::from_raw_os_error(nix::libc::EACCES));
            }
            s.files.insert(path.into(), text);
            Ok(())
        })
    }

    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        self.with(|s| s.files.get(path).cloned())
            .ok_or_else(|| io::Error::from_raw_os_error(nix::libc::ENOENT))
    }

    fn read_link(&self, path: &Path) -> io::Result<Option<PathBuf>> {
        self.with(|s| {
            if let Some(t) = s.links.get(path) {
                Ok(Some(t.clone()))
            } else if s.dirs.contains(path) || s.files.contains_key(path) {
                Ok(None)
            } else {
                Err(io::Error::from_raw_os_error(nix::libc::ENOENT))
            }
        })
    }

    fn exists(&self, path: &Path) -> bool {
        self.with(|s| {
            s.dirs.contains(path) || s.files.contains_key(path) || s.links.contains_key(path)
        })
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.with(|s| s.dirs.contains(path))
    }

    fn symlink(&self, target: &Path, link: &Path) -> io::Result<()> {
        self.with(|s| {
            s.calls.push(Call::Symlink {
                target: target.into(),
                link: link.into(),
            });
            s.links.insert(link.into(), target.into());
        });
        Ok(())
    }

    fn touch(&self, path: &Path) -> io::Result<()> {
        self.with(|s| {
            s.calls.push(Call::Touch(path.into()));
            s.files.entry(path.into()).or_default();
        });
        Ok(())
    }

    fn mknod_char(&self, path: &Path, major: u32, minor: u32) -> io::Result<()> {
        self.with(|s| s.calls.push(Call::CharDevice(path.into(), major, minor)));
        Ok(())
    }

    fn mount(
        &self,
        source: Option<&Path>,
        target: &Path,
        fstype: Option<&str>,
        flags: MsFlags,
        data: Option<&str>,
    ) -> io::Result<()> {
        self.with(|s| {
            s.calls.push(Call::Mount {
                source: source.map(Path::to_path_buf),
                target: target.into(),
                fstype: fstype.map(str::to_string),
                flags,
                data: data.map(str::to_string),
            })
        });
        Ok(())
    }

    fn umount(&self, target: &Path, _detach: bool) -> io::Result<()> {
        self.with(|s| s.calls.push(Call::Umount(target.into())));
        Ok(())
    }

    fn pivot_root(&self, new_root: &Path) -> io::Result<()> {
        self.with(|s| s.calls.push(Call::PivotRoot(new_root.into())));
        Ok(())
    }

    fn rmdir(&self, path: &Path) -> io::Result<()> {
        self.with(|s| {
            s.calls.push(Call::Rmdir(path.into()));
            s.dirs.remove(path);
        });
        Ok(())
    }

    fn remove_dir_all(&self, path: &Path) -> io::Result<()> {
        self.with(|s| {
            s.calls.push(Call::RemoveAll(path.into()));
            s.dirs.retain(|d| !d.starts_with(path));
        });
        Ok(())
    }

    fn list_dir(&self, path: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self.with(|s| {
            s.dirs
                .iter()
                .filter(|d| d.parent() == Some(path))
                .cloned()
                .collect()
        }))
    }

    fn signal(&self, pid: i32, signal: i32) -> io::Result<()> {
        self.with(|s| s.calls.push(Call::Signal(pid, signal)));
        Ok(())
    }

    fn move_mount(&self, _tree: std::os::fd::BorrowedFd<'_>, target: &Path) -> io::Result<()> {
        self.with(|s| s.calls.push(Call::MoveMount(target.into())));
        Ok(())
    }
}
