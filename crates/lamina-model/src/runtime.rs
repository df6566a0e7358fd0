//! The runtime catalog: every runtime identifier Lambda has ever accepted, which ones are
//! deprecated, and how Lamina serves each family. Validation accepts any identifier Lambda
//! has had (a deprecated runtime is still a runtime); whether a local image can *serve* it is
//! the environment's question, not this module's.

/// How a runtime's bootstrap is found and started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    fn identifiers_are_unique() {
        let mut ids: Vec<_> = RUNTIMES.iter().map(|r| r.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), RUNTIMES.len());
    }
}
