//! Access keys on disk: `<data-dir>/auth/keys.json` holds each key's id, account, scope and
//! status, with its secret encrypted (ChaCha20-Poly1305, the key id and account bound in as
//! associated data) under `<data-dir>/auth/server.key`, 32 random bytes created with mode
//! 0600. Writers (`lamina auth …`) take an exclusive lock, write a temporary file, fsync it,
//! rename it over the old one and fsync the folder, so a reader sees the old file or the new
//! one, never half of either. The server reads through `KeyRing`, which notices a new file
//! by its inode, size and modification time and reloads it at the next request: a key
//! created, disabled or deleted while the server runs takes effect at once.
//!
//! It does not own what a key may do (`access`) or how requests are signed (`sigv4`).

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// What can go wrong with the key files.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// Reading or writing a file failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// `keys.json` is not what Lamina writes.
    #[error("{} is not a Lamina key file: {reason}", path.display())]
    Corrupt {
        /// What is wrong.
        reason: String,
        /// The file.
        path: PathBuf,
    },
    /// The server key cannot open a stored secret (a different or damaged `server.key`).
    #[error("the secret of access key {key} cannot be decrypted with {}", path.display())]
    Decrypt {
        /// The access key id.
        key: String,
        /// The server key file.
        path: PathBuf,
    },
    /// The server key file is readable by others.
    #[error("{} must be readable by its owner only (mode {mode:o}); run chmod 600 on it", path.display())]
    Exposed {
        /// The server key file.
        path: PathBuf,
        /// Its mode.
        mode: u32,
    },
    /// No such access key.
    #[error("no access key {0}")]
    NotFound(String),
    /// The account id is not twelve digits.
    #[error("the account id must be twelve digits, got {0:?}")]
    BadAccount(String),
}

/// Result of key operations.
pub type KeyResult<T> = Result<T, KeyError>;

/// Active keys sign requests; inactive ones are refused as unknown keys are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyStatus {
    /// Accepted.
    Active,
    /// Refused (`lamina auth disable-key`).
    Inactive,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredKey {
    access_key_id: String,
    account_id: String,
    read_only: bool,
    status: KeyStatus,
    created: String,
    nonce: String,
    secret: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct KeyDocument {
    keys: Vec<StoredKey>,
}

/// A key as `lamina auth create-key` prints it, the only time its secret is shown.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NewKey {
    /// The access key id (`LKIA…`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The account the key acts as.
    pub account_id: String,
    /// `ReadOnly` or `Admin`.
    pub scope: Scope,
}

/// A key as `lamina auth list-keys` prints it (never its secret).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySummary {
    /// The access key id.
    pub access_key_id: String,
    /// The account.
    pub account_id: String,
    /// `Active` or `Inactive`.
    pub status: KeyStatus,
    /// `ReadOnly` or `Admin`.
    pub scope: Scope,
    /// RFC 3339 creation instant.
    pub create_date: String,
}

/// What a key may do in its own account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Scope {
    /// Read operations only (no change, no invoke).
    ReadOnly,
    /// Everything.
    Admin,
}

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The key's account.
    pub account_id: String,
    /// The access key id.
    pub access_key_id: String,
    /// Read-only keys may not change anything.
    pub read_only: bool,
}

impl Identity {
    /// The principal ARN used in `AccessDeniedException` messages and policies.
    pub fn principal_arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:user/{}",
            self.account_id, self.access_key_id
        )
    }
}

/// The key files of one data folder.
#[derive(Debug, Clone)]
pub struct Keys {
    dir: PathBuf,
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_string(alphabet: &[u8], len: usize) -> String {
    // `rand::rng()` is a CSPRNG seeded from the operating system.
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> KeyError {
    let path = path.to_path_buf();
    move |source| KeyError::Io { what, path, source }
}

impl Keys {
    /// The key files under `<data_dir>/auth` (nothing is read or created yet).
    pub fn new(data_dir: &Path) -> Self {
        Self {
            dir: data_dir.join("auth"),
        }
    }

    /// `keys.json`.
    pub fn key_file(&self) -> PathBuf {
        self.dir.join("keys.json")
    }

    /// `server.key`.
    pub fn server_key_file(&self) -> PathBuf {
        self.dir.join("server.key")
    }

    /// Creates an access key for `account_id` and returns it with its secret.
    pub fn create(&self, account_id: &str, read_only: bool, now: &str) -> KeyResult<NewKey> {
        if account_id.len() != 12 || !account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(KeyError::BadAccount(account_id.to_string()));
        }
        let _lock = self.lock()?;
        let cipher = self.cipher(true)?;
        let mut doc = self.read()?;
        let access_key_id = format!("LKIA{}", random_string(ID_ALPHABET, 16));
        let secret = random_string(SECRET_ALPHABET, 40);
        let nonce: [u8; 12] = rand::random();
        let aad = format!("{access_key_id}/{account_id}");
        let sealed = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| KeyError::Decrypt {
                key: access_key_id.clone(),
                path: self.server_key_file(),
            })?;
        doc.keys.push(StoredKey {
            access_key_id: access_key_id.clone(),
            account_id: account_id.to_string(),
            read_only,
            status: KeyStatus::Active,
            created: now.to_string(),
            nonce: hex::encode(nonce),
            secret: hex::encode(sealed),
        });
        self.write(&doc)?;
        Ok(NewKey {
            access_key_id,
            secret_access_key: secret,
            account_id: account_id.to_string(),
            scope: if read_only {
                Scope::ReadOnly
            } else {
                Scope::Admin
            },
        })
    }

    /// Every key, without secrets.
    pub fn list(&self) -> KeyResult<Vec<KeySummary>> {
        Ok(self
            .read()?
            .keys
            .into_iter()
            .map(|k| KeySummary {
                access_key_id: k.access_key_id,
                account_id: k.account_id,
                status: k.status,
                scope: if k.read_only {
                    Scope::ReadOnly
                } else {
                    Scope::Admin
                },
                create_date: k.created,
            })
            .collect())
    }

    /// Marks a key active or inactive.
    pub fn set_status(&self, access_key_id: &str, status: KeyStatus) -> KeyResult<()> {
        let _lock = self.lock()?;
        let mut doc = self.read()?;
        let key = doc
            .keys
            .iter_mut()
            .find(|k| k.access_key_id == access_key_id)
            .ok_or_else(|| KeyError::NotFound(access_key_id.to_string()))?;
        key.status = status;
        self.write(&doc)
    }

    /// Deletes a key for good.
    pub fn delete(&self, access_key_id: &str) -> KeyResult<()> {
        let _lock = self.lock()?;
        let mut doc = self.read()?;
        let before = doc.keys.len();
        doc.keys.retain(|k| k.access_key_id != access_key_id);
        if doc.keys.len() == before {
            return Err(KeyError::NotFound(access_key_id.to_string()));
        }
        self.write(&doc)
    }

    fn ensure_dir(&self) -> KeyResult<()> {
        std::fs::create_dir_all(&self.dir).map_err(io("creating", &self.dir))?;
        std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io("restricting", &self.dir))
    }

    /// An exclusive lock against other writers, released when dropped.
    fn lock(&self) -> KeyResult<File> {
        self.ensure_dir()?;
        let path = self.dir.join("keys.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&path)
            .map_err(io("opening", &path))?;
        file.lock().map_err(io("locking", &path))?;
        Ok(file)
    }

    /// The cipher from `server.key`, created (0600, never overwritten) when `create`.
    fn cipher(&self, create: bool) -> KeyResult<ChaCha20Poly1305> {
        let path = self.server_key_file();
        if create && !path.exists() {
            self.ensure_dir()?;
            let key: [u8; 32] = rand::random();
            let mut file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(io("creating", &path))?;
            file.write_all(&key).map_err(io("writing", &path))?;
            file.sync_all().map_err(io("syncing", &path))?;
            sync_dir(&self.dir)?;
        }
        let meta = std::fs::metadata(&path).map_err(io("reading", &path))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyError::Exposed { path, mode });
        }
        let bytes = std::fs::read(&path).map_err(io("reading", &path))?;
        if bytes.len() != 32 {
            return Err(KeyError::Corrupt {
                reason: format!("{} bytes instead of 32", bytes.len()),
                path,
            });
        }
        Ok(ChaCha20Poly1305::new(Key::from_slice(&bytes)))
    }

    fn read(&self) -> KeyResult<KeyDocument> {
        let path = self.key_file();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| KeyError::Corrupt {
                reason: e.to_string(),
                path: path.clone(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(KeyDocument::default()),
            Err(e) => Err(io("reading", &path)(e)),
        }
    }

    fn write(&self, doc: &KeyDocument) -> KeyResult<()> {
        let path = self.key_file();
        let tmp = self.dir.join("keys.json.tmp");
        let bytes = serde_json::to_vec_pretty(doc).map_err(|e| KeyError::Corrupt {
            reason: e.to_string(),
            path: path.clone(),
        })?;
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(io("creating", &tmp))?;
        file.write_all(&bytes).map_err(io("writing", &tmp))?;
        file.sync_all().map_err(io("syncing", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io("replacing", &path))?;
        sync_dir(&self.dir)
    }

    /// Every active key with its secret decrypted.
    fn load_active(&self) -> KeyResult<HashMap<String, (Identity, String)>> {
        let doc = self.read()?;
        if doc.keys.is_empty() {
            return Ok(HashMap::new());
        }
        let cipher = self.cipher(false)?;
        let mut out = HashMap::new();
        for key in doc.keys {
            if key.status != KeyStatus::Active {
                continue;
            }
            let fail = || KeyError::Decrypt {
                key: key.access_key_id.clone(),
                path: self.server_key_file(),
            };
            let nonce = hex::decode(&key.nonce).map_err(|_| fail())?;
            let sealed = hex::decode(&key.secret).map_err(|_| fail())?;
            if nonce.len() != 12 {
                return Err(fail());
            }
            let aad = format!("{}/{}", key.access_key_id, key.account_id);
            let secret = cipher
                .decrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: &sealed,
                        aad: aad.as_bytes(),
                    },
                )
                .map_err(|_| fail())?;
            let secret = String::from_utf8(secret).map_err(|_| fail())?;
            out.insert(
                key.access_key_id.clone(),
                (
                    Identity {
                        account_id: key.account_id,
                        access_key_id: key.access_key_id,
                        read_only: key.read_only,
                    },
                    secret,
                ),
            );
        }
        Ok(out)
    }
}

fn sync_dir(dir: &Path) -> KeyResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io("syncing", dir))
}

/// The file's identity: a rename gives a new inode, an edit a new size or mtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    inode: u64,
    len: u64,
    mtime_ns: i64,
}

#[derive(Debug)]
enum Loaded {
    /// No key file, or one with no key in it.
    Nothing,
    /// The active keys by id (inactive ones are counted in `any`).
    Keys {
        active: HashMap<String, (Identity, String)>,
        any: bool,
    },
    /// The file exists but cannot be used: every request is refused.
    Broken,
}

/// The server's view of the keys: decrypted in memory, reloaded when the file changes.
pub struct KeyRing {
    keys: Keys,
    state: Mutex<(Option<Stamp>, Arc<Loaded>)>,
}

impl KeyRing {
    /// A key ring over `keys`; the file is read at the first lookup.
    pub fn new(keys: Keys) -> Self {
        Self {
            keys,
            state: Mutex::new((None, Arc::new(Loaded::Nothing))),
        }
    }

    fn current(&self) -> Arc<Loaded> {
        let path = self.keys.key_file();
        let stamp = std::fs::metadata(&path).ok().map(|m| Stamp {
            inode: m.ino(),
            len: m.len(),
            mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
        });
        let mut state = match self.state.lock() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        if state.0 == stamp && stamp.is_some() {
            return Arc::clone(&state.1);
        }
        let loaded = match stamp {
            None => Loaded::Nothing,
            Some(_) => match (self.keys.load_active(), self.keys.read()) {
                (Ok(active), Ok(doc)) => Loaded::Keys {
                    any: !doc.keys.is_empty(),
                    active,
                },
                (Err(e), _) | (_, Err(e)) => {
                    tracing::error!(error = %e, "access keys cannot be read; every signed request is refused until this is fixed");
                    Loaded::Broken
                }
            },
        };
        *state = (stamp, Arc::new(loaded));
        Arc::clone(&state.1)
    }

    /// Whether any key exists (active or not), or the key file is unreadable: either way
    /// the server must require authentication.
    pub fn any(&self) -> bool {
        match &*self.current() {
            Loaded::Nothing => false,
            Loaded::Keys { any, .. } => *any,
            Loaded::Broken => true,
        }
    }

    /// The identity and secret of an active key.
    pub fn lookup(&self, access_key_id: &str) -> Option<(Identity, String)> {
        match &*self.current() {
            Loaded::Keys { active, .. } => active.get(access_key_id).cloned(),
            Loaded::Nothing | Loaded::Broken => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: &str = "2026-12-03T06:00:00Z";

    #[test]
    fn created_keys_are_found_with_their_secret_and_stored_encrypted() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::new(dir.path());
        let ring = KeyRing::new(keys.clone());
        assert!(!ring.any());
        let key = keys.create("111122223333", false, NOW).unwrap();
        assert!(key.access_key_id.starts_with("LKIA") && key.access_key_id.len() == 20);
        assert_eq!(key.secret_access_key.len(), 40);
        let (identity, secret) = ring.lookup(&key.access_key_id).unwrap();
        assert_eq!(secret, key.secret_access_key);
        assert_eq!(identity.account_id, "111122223333");
        assert!(!identity.read_only);
        let on_disk = std::fs::read_to_string(keys.key_file()).unwrap();
        assert!(!on_disk.contains(&key.secret_access_key));
        let mode = |p: PathBuf| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(keys.server_key_file()), 0o600);
        assert_eq!(mode(keys.key_file()), 0o600);
    }

    #[test]
    fn disabled_and_deleted_keys_stop_working_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::new(dir.path());
        let ring = KeyRing::new(keys.clone());
        let a = keys.create("111122223333", true, NOW).unwrap();
        let b = keys.create("444455556666", false, NOW).unwrap();
        assert!(ring.lookup(&a.access_key_id).unwrap().0.read_only);
        keys.set_status(&a.access_key_id, KeyStatus::Inactive)
            .unwrap();
        assert!(ring.lookup(&a.access_key_id).is_none());
        assert!(ring.any());
        keys.delete(&b.access_key_id).unwrap();
        assert!(ring.lookup(&b.access_key_id).is_none());
        keys.delete(&a.access_key_id).unwrap();
        assert!(!ring.any());
        assert!(matches!(
            keys.delete("LKIANOPE"),
            Err(KeyError::NotFound(_))
        ));
    }

    #[test]
    fn a_different_server_key_opens_nothing_and_the_ring_fails_closed() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::new(dir.path());
        let key = keys.create("111122223333", false, NOW).unwrap();
        std::fs::write(keys.server_key_file(), [7u8; 32]).unwrap();
        let ring = KeyRing::new(keys.clone());
        assert!(
            ring.any(),
            "an unreadable key file must keep authentication on"
        );
        assert!(ring.lookup(&key.access_key_id).is_none());
    }

    #[test]
    fn a_server_key_readable_by_others_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::new(dir.path());
        keys.create("111122223333", false, NOW).unwrap();
        std::fs::set_permissions(
            keys.server_key_file(),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        assert!(matches!(
            keys.create("111122223333", false, NOW),
            Err(KeyError::Exposed { mode: 0o644, .. })
        ));
    }

    #[test]
    fn account_ids_must_be_twelve_digits() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::new(dir.path());
        assert!(matches!(
            keys.create("1234", false, NOW),
            Err(KeyError::BadAccount(_))
        ));
    }
}
