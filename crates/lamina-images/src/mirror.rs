//! Finding the Debian archive this machine already uses, from its apt sources: deb822
//! `*.sources` files (`URIs:` of a `deb` stanza) or one-line `sources.list` entries. Images
//! are bootstrapped from the same mirror so a build works wherever `apt-get` works (proxies,
//! snapshot mirrors and local caches included), with no mirror baked into Lamina.

use std::path::Path;

use crate::error::ImagesError;

/// One `deb` source: its archive URI and suites.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Source {
    uri: String,
    suites: Vec<String>,
}

impl Source {
    /// The main archive: not the security archive, not ports, and serving a release suite
    /// (one without `-updates`, `-security`, `-backports`).
    fn is_main_archive(&self) -> bool {
        let uri = self.uri.trim_end_matches('/');
        let http = uri.starts_with("http://") || uri.starts_with("https://");
        http && !uri.contains("security")
            && !uri.ends_with("-ports")
            && self
                .suites
                .iter()
                .any(|s| !s.contains('-') && !s.contains('/'))
    }
}

/// Parses the stanzas of a deb822 `.sources` file; disabled stanzas and `deb-src` are left out.
fn parse_deb822(text: &str) -> Vec<Source> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let mut types = Vec::new();
        let mut uris = Vec::new();
        let mut suites = Vec::new();
        let mut enabled = true;
        for line in stanza.lines() {
            if line.trim_start().starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let values = value.split_whitespace().map(str::to_string);
            match key.trim().to_ascii_lowercase().as_str() {
                "types" => types.extend(values),
                "uris" => uris.extend(values),
                "suites" => suites.extend(values),
                "enabled" => enabled = !value.trim().eq_ignore_ascii_case("no"),
                _ => {}
            }
        }
        if enabled && types.iter().any(|t| t == "deb") {
            out.extend(uris.into_iter().map(|uri| Source {
                uri,
                suites: suites.clone(),
            }));
        }
    }
    out
}

/// Parses one-line `deb [options] URI suite components…` entries.
fn parse_one_line(text: &str) -> Vec<Source> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("deb ") else {
            continue;
        };
        let rest = rest.trim_start();
        // `[arch=amd64 signed-by=…]` options come before the URI.
        let rest = match rest.strip_prefix('[') {
            Some(opts) => opts.split_once(']').map_or("", |(_, r)| r),
            None => rest,
        };
        let mut words = rest.split_whitespace();
        if let (Some(uri), Some(suite)) = (words.next(), words.next()) {
            out.push(Source {
                uri: uri.to_string(),
                suites: vec![suite.to_string()],
            });
        }
    }
    out
}

/// The main Debian archive among deb822 files' texts and a `sources.list` text, deb822 first
/// (it is what Debian 12 and later install). The URI is returned without a trailing `/`.
pub fn mirror_from_sources(deb822: &[String], sources_list: &str) -> Option<String> {
    deb822
        .iter()
        .flat_map(|t| parse_deb822(t))
        .chain(parse_one_line(sources_list))
        .find(Source::is_main_archive)
        .map(|s| s.uri.trim_end_matches('/').to_string())
}

/// The main Debian archive of this machine, read from `apt_dir` (normally `/etc/apt`):
/// `sources.list.d/*.sources`, then `sources.list` and `sources.list.d/*.list`.
pub fn host_mirror(apt_dir: &Path) -> Result<String, ImagesError> {
    let mut deb822 = Vec::new();
    let mut one_line = std::fs::read_to_string(apt_dir.join("sources.list")).unwrap_or_default();
    let dir = apt_dir.join("sources.list.d");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            match path.extension().and_then(|e| e.to_str()) {
                Some("sources") => deb822.push(text),
                Some("list") => {
                    one_line.push('\n');
                    one_line.push_str(&text);
                }
                _ => {}
            }
        }
    }
    mirror_from_sources(&deb822, &one_line)
        .ok_or_else(|| ImagesError::NoMirror(apt_dir.display().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEBIAN_SOURCES: &str = "Types: deb\n# http://snapshot.debian.org/archive/debian/20250520T000000Z\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\n";

    #[test]
    fn deb822_main_archive_is_found() {
        assert_eq!(
            mirror_from_sources(&[DEBIAN_SOURCES.to_string()], ""),
            Some("http://deb.debian.org/debian".to_string())
        );
    }

    #[test]
    fn security_first_still_gives_the_main_archive() {
        let text = "Types: deb\nURIs: https://security.debian.org/debian-security/\nSuites: trixie-security\n\nTypes: deb deb-src\nURIs: https://mirror.example.org/debian/\nSuites: trixie trixie-updates\n";
        assert_eq!(
            mirror_from_sources(&[text.to_string()], ""),
            Some("https://mirror.example.org/debian".to_string())
        );
    }

    #[test]
    fn disabled_and_source_only_stanzas_are_ignored() {
        let text = "Types: deb\nURIs: http://a.example/debian\nSuites: bookworm\nEnabled: no\n\nTypes: deb-src\nURIs: http://b.example/debian\nSuites: bookworm\n";
        assert_eq!(mirror_from_sources(&[text.to_string()], ""), None);
    }

    #[test]
    fn one_line_sources_list_with_options() {
        let list = "# comment\ndeb-src http://src.example/debian bookworm main\ndeb http://security.debian.org/debian-security bookworm-security main\ndeb [arch=amd64 signed-by=/k.gpg] http://ftp.example.org/debian/ bookworm main contrib\n";
        assert_eq!(
            mirror_from_sources(&[], list),
            Some("http://ftp.example.org/debian".to_string())
        );
    }

    #[test]
    fn nothing_usable_is_none() {
        assert_eq!(
            mirror_from_sources(&[], "deb cdrom:/ bookworm main\n"),
            None
        );
        assert_eq!(mirror_from_sources(&[], ""), None);
    }

    #[test]
    fn host_mirror_reads_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sources.list.d")).unwrap();
        std::fs::write(
            dir.path().join("sources.list.d/debian.sources"),
            DEBIAN_SOURCES,
        )
        .unwrap();
        assert_eq!(
            host_mirror(dir.path()).unwrap(),
            "http://deb.debian.org/debian"
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            host_mirror(empty.path()),
            Err(ImagesError::NoMirror(_))
        ));
    }
}
