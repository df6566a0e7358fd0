//! Comparing a package's ELF requirements with an environment image's libraries.
//!
//! A requirement is met when the image (or the package itself) has the needed soname and,
//! for a versioned requirement, that soname defines the version. Libraries the package ships
//! are trusted: they are found through `LD_LIBRARY_PATH` (`/var/task/lib`, `/opt/lib`) before
//! the image's. The interpreter is checked by its file name against the image's sonames
//! (`ld-linux-x86-64.so.2` defines a soname of the same name).

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use super::reader::ElfRequirements;

/// One requirement an image does not meet, and the package file that has it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Missing {
    /// Path of the ELF file inside the package.
    pub file: String,
    /// What it lacks.
    pub what: MissingKind,
}

/// What kind of requirement is unmet.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum MissingKind {
    /// No library with this soname.
    Soname(String),
    /// The library exists but does not define this symbol version.
    Version {
        /// The library's soname, e.g. `libc.so.6`.
        lib: String,
        /// The version, e.g. `GLIBC_2.38`.
        version: String,
    },
    /// The program interpreter (dynamic loader) is absent.
    Interpreter(String),
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.what {
            MissingKind::Soname(s) => write!(f, "{} needs {s}, which the image lacks", self.file),
            MissingKind::Version { lib, version } => {
                write!(
                    f,
                    "{} needs {version} from {lib}, which the image's {lib} lacks",
                    self.file
                )
            }
            MissingKind::Interpreter(i) => {
                write!(
                    f,
                    "{} needs the interpreter {i}, which the image lacks",
                    self.file
                )
            }
        }
    }
}

/// The outcome for one package against one image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every ELF file's requirements are met.
    Compatible,
    /// Some requirements are unmet; the function may fail to load native code.
    PotentiallyAffected(Vec<Missing>),
    /// The package holds no ELF file: nothing depends on the image's libraries.
    NoNativeCode,
}

/// The sonames a package provides itself: each ELF file's `DT_SONAME`, and its file name
/// (the loader matches a `NEEDED` entry against file names in the search path).
pub fn own_sonames(reqs: &[ElfRequirements]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for r in reqs {
        if let Some(s) = &r.soname {
            out.insert(s.clone());
        }
        let base = r.path.rsplit('/').next().unwrap_or(&r.path);
        out.insert(base.to_string());
    }
    out
}

/// Every unmet requirement of `reqs` against `available` (soname → versions it defines),
/// ignoring libraries in `own_sonames`. Sorted and without duplicates.
pub fn check(
    reqs: &[ElfRequirements],
    available: &HashMap<String, BTreeSet<String>>,
    own_sonames: &BTreeSet<String>,
) -> Vec<Missing> {
    let mut missing = BTreeSet::new();
    for r in reqs {
        let miss = |what| Missing {
            file: r.path.clone(),
            what,
        };
        if let Some(interp) = &r.interpreter {
            let base = interp.rsplit('/').next().unwrap_or(interp);
            if !available.contains_key(base) && !own_sonames.contains(base) {
                missing.insert(miss(MissingKind::Interpreter(interp.clone())));
            }
        }
        for soname in &r.needed {
            if !available.contains_key(soname) && !own_sonames.contains(soname) {
                missing.insert(miss(MissingKind::Soname(soname.clone())));
            }
        }
        for (lib, version) in &r.versions {
            if own_sonames.contains(lib) {
                continue;
            }
            match available.get(lib) {
                Some(defined) if defined.contains(version) => {}
                Some(_) => {
                    missing.insert(miss(MissingKind::Version {
                        lib: lib.clone(),
                        version: version.clone(),
                    }));
                }
                None => {
                    missing.insert(miss(MissingKind::Soname(lib.clone())));
                }
            }
        }
    }
    missing.into_iter().collect()
}

/// [`check`] summarised: no ELF files, all met, or the list of what is missing.
pub fn verdict(
    reqs: &[ElfRequirements],
    available: &HashMap<String, BTreeSet<String>>,
    own_sonames: &BTreeSet<String>,
) -> Verdict {
    if reqs.is_empty() {
        return Verdict::NoNativeCode;
    }
    let missing = check(reqs, available, own_sonames);
    if missing.is_empty() {
        Verdict::Compatible
    } else {
        Verdict::PotentiallyAffected(missing)
    }
}
