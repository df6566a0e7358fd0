//! The runtime catalog: every runtime identifier Lambda has ever accepted, which ones are
//! deprecated, the language version each one names, and how a sandbox launches it (the
//! launch recipe: argv, `AWS_EXECUTION_ENV`, `PYTHONPATH`/`NODE_PATH`). A function's runtime
//! is parsed once into a [`Runtime`], which is stored as its id string.
//!
//! Validation accepts any identifier Lambda has had (a deprecated runtime is still a runtime);
//! whether an image can *serve* it is the image manifest's question (the exact interpreter
//! probed in it), not this module's. This module says which interpreter versions qualify:
//! `python3.13` is served only by a CPython 3.13.x, `nodejs22.x` only by a Node 22.x.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Where Lamina's runtime clients are mounted in every sandbox.
pub const RUNTIME_DIR: &str = "/var/runtime";
/// Where the function's code is mounted.
pub const TASK_ROOT: &str = "/var/task";
/// The folder of an image where language runtimes installed by Lamina live (as in Lambda's
/// own images): Node.js major `N` in `/var/lang/nodejsN`.
pub const LANG_DIR: &str = "/var/lang";

/// How a runtime's bootstrap is found and started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// `provided*`: an executable `bootstrap` in the code or a layer's root.
    Provided,
    /// `python*`: Lamina's Python runtime client in `/var/runtime`.
    Python,
    /// `nodejs*`: Lamina's Node.js runtime client in `/var/runtime`.
    Node,
    /// Java, .NET, Ruby, Go: known identifiers Lamina cannot run yet.
    Other,
}

/// One runtime identifier and what Lamina knows of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RuntimeInfo {
    /// The identifier as in `Runtime` (`python3.12`).
    pub id: &'static str,
    /// Its family.
    pub family: Family,
    /// Whether Lambda has deprecated it (creation blocked in the cloud; still valid in templates).
    pub deprecated: bool,
}

const fn rt(id: &'static str, family: Family, deprecated: bool) -> RuntimeInfo {
    RuntimeInfo {
        id,
        family,
        deprecated,
    }
}

use Family::{Node, Other, Provided, Python};

/// Every value of botocore's `Runtime` enum (2026 model), with deprecation as of 2026.
pub const RUNTIMES: &[RuntimeInfo] = &[
    rt("nodejs", Node, true),
    rt("nodejs4.3", Node, true),
    rt("nodejs4.3-edge", Node, true),
    rt("nodejs6.10", Node, true),
    rt("nodejs8.10", Node, true),
    rt("nodejs10.x", Node, true),
    rt("nodejs12.x", Node, true),
    rt("nodejs14.x", Node, true),
    rt("nodejs16.x", Node, true),
    rt("nodejs18.x", Node, true),
    rt("nodejs20.x", Node, false),
    rt("nodejs22.x", Node, false),
    rt("nodejs24.x", Node, false),
    rt("nodejs26.x", Node, false),
    rt("python2.7", Python, true),
    rt("python3.6", Python, true),
    rt("python3.7", Python, true),
    rt("python3.8", Python, true),
    rt("python3.9", Python, true),
    rt("python3.10", Python, false),
    rt("python3.11", Python, false),
    rt("python3.12", Python, false),
    rt("python3.13", Python, false),
    rt("python3.14", Python, false),
    rt("python3.15", Python, false),
    rt("java8", Other, true),
    rt("java8.al2", Other, false),
    rt("java11", Other, false),
    rt("java17", Other, false),
    rt("java21", Other, false),
    rt("java25", Other, false),
    rt("java8.al2023", Other, false),
    rt("java11.al2023", Other, false),
    rt("java17.al2023", Other, false),
    rt("dotnetcore1.0", Other, true),
    rt("dotnetcore2.0", Other, true),
    rt("dotnetcore2.1", Other, true),
    rt("dotnetcore3.1", Other, true),
    rt("dotnet6", Other, true),
    rt("dotnet8", Other, false),
    rt("dotnet10", Other, false),
    rt("go1.x", Other, true),
    rt("ruby2.5", Other, true),
    rt("ruby2.7", Other, true),
    rt("ruby3.2", Other, false),
    rt("ruby3.3", Other, false),
    rt("ruby3.4", Other, false),
    rt("ruby4.0", Other, false),
    rt("provided", Provided, true),
    rt("provided.al2", Provided, false),
    rt("provided.al2023", Provided, false),
];

/// Looks up a runtime identifier; `None` when Lambda has never had it.
pub fn lookup(id: &str) -> Option<&'static RuntimeInfo> {
    RUNTIMES.iter().find(|r| r.id == id)
}

/// Whether Lamina can run functions of this runtime at all (on some image).
pub fn is_runnable(id: &str) -> bool {
    matches!(lookup(id).map(|r| r.family), Some(Provided | Python | Node))
}

/// The language version a runtime identifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// CPython `major.minor` (`python3.13` → 3.13).
    Python {
        /// 2 or 3.
        major: u32,
        /// The minor version.
        minor: u32,
    },
    /// Node.js `major` (`nodejs22.x` → 22).
    Node {
        /// The major version.
        major: u32,
    },
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Python { major, minor } => write!(f, "Python {major}.{minor}"),
            Self::Node { major } => write!(f, "Node.js {major}"),
        }
    }
}

/// A runtime identifier Lambda has had, parsed once (at validation) and carried typed
/// from then on. Serialised as its id string, so stored configurations read as before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Runtime(&'static RuntimeInfo);

/// A string that is no runtime identifier Lambda has had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} is not a Lambda runtime identifier")]
pub struct UnknownRuntime(pub String);

impl Runtime {
    /// The runtime named `id`; an error when Lambda never had it.
    pub fn parse(id: &str) -> Result<Self, UnknownRuntime> {
        lookup(id)
            .map(Self)
            .ok_or_else(|| UnknownRuntime(id.to_string()))
    }

    /// The identifier (`python3.13`).
    pub fn id(self) -> &'static str {
        self.0.id
    }

    /// Everything the catalog knows of it.
    pub fn info(self) -> &'static RuntimeInfo {
        self.0
    }

    /// Its family.
    pub fn family(self) -> Family {
        self.info().family
    }

    /// Whether Lamina can run it on an image that serves it.
    pub fn is_runnable(self) -> bool {
        matches!(self.family(), Provided | Python | Node)
    }

    /// The language version it names (`None` for `provided*` and the families Lamina does
    /// not run).
    pub fn language(self) -> Option<Language> {
        let number = |s: &str| s.parse::<u32>().ok();
        match self.family() {
            Python => {
                let (major, minor) = self.0.id.strip_prefix("python")?.split_once('.')?;
                Some(Language::Python {
                    major: number(major)?,
                    minor: number(minor)?,
                })
            }
            Node => {
                let rest = self.0.id.strip_prefix("nodejs")?;
                let major = rest.split(['.', '-']).next()?;
                Some(Language::Node {
                    major: number(major)?,
                })
            }
            _ => None,
        }
    }

    /// Whether an interpreter reporting `version` (`3.13.5`, `22.23.5`) is this runtime's
    /// language version: same major and minor for Python, same major for Node.js.
    pub fn accepts_version(self, version: &str) -> bool {
        let mut parts = version.split('.');
        let mut next = || parts.next().and_then(|p| p.parse::<u32>().ok());
        match self.language() {
            Some(Language::Python { major, minor }) => {
                next() == Some(major) && next() == Some(minor)
            }
            Some(Language::Node { major }) => next() == Some(major),
            None => false,
        }
    }

    /// Where an image may hold this runtime's interpreter, most specific first: Lamina's
    /// runtime folder, then `/usr/local`, then the OS's own. Only exact names: `python3.13`,
    /// never the OS's `python3`, so a runtime is never served by another version.
    pub fn interpreter_candidates(self) -> Vec<String> {
        match self.language() {
            Some(Language::Python { major, minor }) => {
                ["/var/lang/bin", "/usr/local/bin", "/usr/bin"]
                    .iter()
                    .map(|d| format!("{d}/python{major}.{minor}"))
                    .collect()
            }
            Some(Language::Node { major }) => vec![
                format!("{LANG_DIR}/nodejs{major}/bin/node"),
                format!("{LANG_DIR}/bin/node"),
                "/usr/local/bin/node".to_string(),
                "/usr/bin/node".to_string(),
            ],
            None => Vec::new(),
        }
    }

    /// The launch recipe's command line, given the interpreter's absolute path in the image
    /// (from the image's manifest). `None` for `provided*` (whose bootstrap is found in the
    /// code or a layer) and for families Lamina does not run.
    pub fn argv(self, interpreter: &str) -> Option<Vec<String>> {
        let client = match self.family() {
            Python => format!("{RUNTIME_DIR}/python/bootstrap.py"),
            Node => format!("{RUNTIME_DIR}/nodejs/bootstrap.js"),
            _ => return None,
        };
        Some(vec![interpreter.to_string(), client])
    }

    /// The launch recipe's variables: `AWS_EXECUTION_ENV` (not for `provided*`, as in
    /// Lambda) and the family's module path.
    pub fn launch_env(self) -> Vec<(&'static str, String)> {
        let mut env = Vec::with_capacity(2);
        if self.family() != Provided {
            env.push(("AWS_EXECUTION_ENV", format!("AWS_Lambda_{}", self.0.id)));
        }
        match self.language() {
            Some(Language::Python { .. }) => env.push(("PYTHONPATH", RUNTIME_DIR.to_string())),
            Some(Language::Node { major }) => env.push((
                "NODE_PATH",
                format!(
                    "/opt/nodejs/node{major}/node_modules:/opt/nodejs/node_modules:{RUNTIME_DIR}/node_modules"
                ),
            )),
            None => {}
        }
        env
    }
}

impl From<&'static RuntimeInfo> for Runtime {
    fn from(info: &'static RuntimeInfo) -> Self {
        Self(info)
    }
}

impl std::str::FromStr for Runtime {
    type Err = UnknownRuntime;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for Runtime {
    type Error = UnknownRuntime;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Runtime> for String {
    fn from(r: Runtime) -> Self {
        r.0.id.to_string()
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.id)
    }
}

/// Reads as its id, so code that compares or prints runtime ids (`spec.runtime.as_deref()`)
/// keeps working on the typed value.
impl std::ops::Deref for Runtime {
    type Target = str;
    fn deref(&self) -> &str {
        self.0.id
    }
}

impl PartialEq<str> for Runtime {
    fn eq(&self, other: &str) -> bool {
        self.0.id == other
    }
}

impl PartialEq<&str> for Runtime {
    fn eq(&self, other: &&str) -> bool {
        self.0.id == *other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_current_and_deprecated_runtimes() {
        assert!(lookup("python3.12").is_some());
        assert!(lookup("nodejs4.3-edge").is_some_and(|r| r.deprecated));
        assert!(lookup("python9.9").is_none());
        assert!(is_runnable("provided.al2023"));
        assert!(!is_runnable("java21"));
    }

    #[test]
    fn runtimes_name_their_language_version() {
        let py = Runtime::parse("python3.13").unwrap();
        assert_eq!(
            py.language(),
            Some(Language::Python {
                major: 3,
                minor: 13
            })
        );
        assert!(py.accepts_version("3.13.5"));
        assert!(!py.accepts_version("3.11.2"));
        assert!(!py.accepts_version("3.1.3"));
        let node = Runtime::parse("nodejs22.x").unwrap();
        assert_eq!(node.language(), Some(Language::Node { major: 22 }));
        assert!(node.accepts_version("22.23.5"));
        assert!(!node.accepts_version("20.19.2"));
        assert!(!node.accepts_version("2.2.0"));
        assert_eq!(
            Runtime::parse("nodejs4.3-edge").unwrap().language(),
            Some(Language::Node { major: 4 })
        );
        assert_eq!(Runtime::parse("provided.al2023").unwrap().language(), None);
        assert!(Runtime::parse("python9.9").is_err());
        assert!(Runtime::parse("provided").unwrap().info().family == Family::Provided);
    }

    #[test]
    fn runtime_serialises_as_its_id() {
        let r: Runtime = serde_json::from_str("\"nodejs20.x\"").unwrap();
        assert_eq!(r, "nodejs20.x");
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"nodejs20.x\"");
        assert!(serde_json::from_str::<Runtime>("\"cobol\"").is_err());
    }

    #[test]
    fn launch_recipes() {
        let py = Runtime::parse("python3.11").unwrap();
        assert_eq!(
            py.argv("/usr/bin/python3.11").unwrap(),
            ["/usr/bin/python3.11", "/var/runtime/python/bootstrap.py"]
        );
        assert_eq!(
            py.launch_env(),
            [
                ("AWS_EXECUTION_ENV", "AWS_Lambda_python3.11".to_string()),
                ("PYTHONPATH", "/var/runtime".to_string())
            ]
        );
        assert_eq!(py.interpreter_candidates()[2], "/usr/bin/python3.11");
        let node = Runtime::parse("nodejs24.x").unwrap();
        assert_eq!(
            node.interpreter_candidates()[0],
            "/var/lang/nodejs24/bin/node"
        );
        assert!(
            node.launch_env()[1]
                .1
                .starts_with("/opt/nodejs/node24/node_modules:")
        );
        let provided = Runtime::parse("provided.al2").unwrap();
        assert_eq!(provided.argv("/x"), None);
        assert!(provided.launch_env().is_empty());
        assert_eq!(Runtime::parse("java21").unwrap().argv("/x"), None);
    }

    #[test]
    fn identifiers_are_unique() {
        let mut ids: Vec<_> = RUNTIMES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RUNTIMES.len());
    }
}
