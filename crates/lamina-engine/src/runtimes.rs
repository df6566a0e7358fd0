//! Lamina's runtime interface clients (`runtimes/` in the repository), embedded in the
//! binary and written to disk at start-up, where sandboxes mount them at `/var/runtime`.
//! Embedding keeps `lamina` a single file to install.

use std::path::Path;

use crate::error::EngineError;

const FILES: &[(&str, &str, u32)] = &[
    (
        "python/bootstrap.py",
        include_str!("../../../runtimes/python/bootstrap.py"),
        0o644,
    ),
    (
        "nodejs/bootstrap.js",
        include_str!("../../../runtimes/nodejs/bootstrap.js"),
        0o644,
    ),
    (
        "nodejs/package.json",
        include_str!("../../../runtimes/nodejs/package.json"),
        0o644,
    ),
];

/// Writes the runtime clients under `dir` (replacing older copies).
pub fn install(dir: &Path) -> Result<(), EngineError> {
    use std::os::unix::fs::PermissionsExt;
    for (name, content, mode) in FILES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| EngineError::io("create", parent, e))?;
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| EngineError::io("chmod", parent, e))?;
        }
        std::fs::write(&path, content).map_err(|e| EngineError::io("write", &path, e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode))
            .map_err(|e| EngineError::io("chmod", &path, e))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| EngineError::io("chmod", dir, e))?;
    Ok(())
}
