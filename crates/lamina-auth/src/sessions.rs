//! Console sessions: a random token (the `HttpOnly` cookie) that stands for an access key
//! after sign-in, with its own CSRF token (a second, script-readable cookie the console's
//! script echoes in a header; a cross-site page can neither read it nor set the header).
//! Sessions live in memory for eight hours; a restart signs everyone out. The caller checks
//! at each use that the session's key is still active.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use subtle::ConstantTimeEq;

use crate::keys::Identity;

/// How long a session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);
/// Sessions kept at most (expired ones are dropped first).
const MAX_SESSIONS: usize = 10_000;

/// A signed-in console user.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who signed in.
    pub identity: Identity,
    /// The CSRF token mutations must echo.
    pub csrf: String,
    expires: Instant,
}

impl Session {
    /// Whether `given` is this session's CSRF token (constant time).
    pub fn csrf_matches(&self, given: &str) -> bool {
        secrets_equal(&self.csrf, given)
    }
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The live sessions.
#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        match self.map.lock() {
            Ok(m) => m,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Starts a session for `identity`: returns (session token, CSRF token).
    pub fn create(&self, identity: Identity, now: Instant) -> (String, String) {
        let mut map = self.lock();
        if map.len() >= MAX_SESSIONS {
            map.retain(|_, s| s.expires > now);
        }
        let (session, csrf) = (token(), token());
        map.insert(
            session.clone(),
            Session {
                identity,
                csrf: csrf.clone(),
                expires: now + SESSION_TTL,
            },
        );
        (session, csrf)
    }

    /// The session of `token`, if it exists and has not expired.
    pub fn get(&self, token: &str, now: Instant) -> Option<Session> {
        let mut map = self.lock();
        match map.get(token) {
            Some(s) if s.expires > now => Some(s.clone()),
            Some(_) => {
                map.remove(token);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn remove(&self, token: &str) {
        self.lock().remove(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_expire_and_end_and_check_their_csrf_token() {
        let sessions = Sessions::default();
        let who = Identity {
            account_id: "000000000000".into(),
            access_key_id: "LKIA".into(),
            read_only: false,
        };
        let t0 = Instant::now();
        let (token, csrf) = sessions.create(who, t0);
        let s = sessions.get(&token, t0).unwrap();
        assert!(s.csrf_matches(&csrf));
        assert!(!s.csrf_matches("x"));
        assert!(!s.csrf_matches(&csrf.replace(&csrf[..1], "z")));
        assert!(sessions.get("other", t0).is_none());
        assert!(sessions.get(&token, t0 + SESSION_TTL).is_none());
        let (token, _) = sessions.create(s.identity, t0);
        sessions.remove(&token);
        assert!(sessions.get(&token, t0).is_none());
    }
}
