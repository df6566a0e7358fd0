//! TLS for `lamina server`: the operator's certificate (`--tls-cert/--tls-key`, PEM), or a
//! self-signed one generated on first start into `<data-dir>/tls/` (key mode 0600) and
//! reused afterwards, its SHA-256 fingerprint printed so clients can pin it. rustls with the
//! `ring` provider serves it (through `axum-server`).

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use axum_server::tls_rustls::RustlsConfig;
use base64::Engine;
use sha2::Digest;

/// A server certificate ready to serve.
pub struct Tls {
    /// rustls' configuration.
    pub config: RustlsConfig,
    /// `AB:CD:…`, SHA-256 of the certificate's DER.
    pub fingerprint: String,
    /// The certificate file (for clients to trust).
    pub cert: PathBuf,
}

/// Loads the operator's certificate, or generates (once) and loads a self-signed one.
pub async fn load(
    cert: Option<&Path>,
    key: Option<&Path>,
    data_dir: &Path,
    listen: SocketAddr,
) -> anyhow::Result<Tls> {
    let (cert, key) = match (cert, key) {
        (Some(c), Some(k)) => (c.to_path_buf(), k.to_path_buf()),
        (None, None) => generate(data_dir, listen)?,
        _ => anyhow::bail!("--tls-cert and --tls-key go together"),
    };
    let pem = std::fs::read_to_string(&cert)
        .with_context(|| format!("reading the certificate {}", cert.display()))?;
    let fingerprint = fingerprint(&pem)
        .with_context(|| format!("{} holds no PEM certificate", cert.display()))?;
    let config = RustlsConfig::from_pem_file(&cert, &key)
        .await
        .with_context(|| {
            format!(
                "loading the TLS certificate {} and key {}",
                cert.display(),
                key.display()
            )
        })?;
    Ok(Tls {
        config,
        fingerprint,
        cert,
    })
}

/// `<data-dir>/tls/cert.pem` and `key.pem`, made on first use for `localhost`, 127.0.0.1,
/// ::1, this host's name and the listen address.
fn generate(data_dir: &Path, listen: SocketAddr) -> anyhow::Result<(PathBuf, PathBuf)> {
    let dir = data_dir.join("tls");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if !listen.ip().is_unspecified() {
        names.push(listen.ip().to_string());
    }
    if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
        let host = host.trim();
        if !host.is_empty() {
            names.push(host.to_string());
        }
    }
    let generated = rcgen::generate_simple_self_signed(names)
        .context("generating a self-signed certificate")?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&key)
        .with_context(|| format!("creating {}", key.display()))?;
    file.write_all(generated.signing_key.serialize_pem().as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", key.display()))?;
    std::fs::write(&cert, generated.cert.pem())
        .with_context(|| format!("writing {}", cert.display()))?;
    tracing::info!(cert = %cert.display(), "generated a self-signed TLS certificate");
    Ok((cert, key))
}

/// SHA-256 of the first certificate in `pem`, as `AB:CD:…`.
fn fingerprint(pem: &str) -> Option<String> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()?;
    let digest = sha2::Sha256::digest(&der);
    Some(
        digest
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":"),
    )
}
