//! Passwords, tokens and scopes: argon2id hashes, random tokens stored only as their SHA-256
//! (a copy of the database does not let anyone act as a device), and a user's area turned from
//! names into the id every device derives the same way.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use jiayuan_core::areas::{area_id, Level};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A random token with a prefix saying what it is (so a leaked one is recognised in a paste).
pub(crate) fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", hex::encode(bytes))
}

/// What the database keeps of a token.
pub(crate) fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A password for the first admin or a user added without one: 16 characters from an alphabet
/// without look-alikes (no 0/O, 1/l/I), about 90 bits.
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect()
}

#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// An argon2id hash in PHC form (salt and parameters inside), with the crate's default cost
/// (19 MiB, 2 passes), OWASP's recommended minimum.
pub fn hash_password(password: &str) -> Result<String, HashError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Checks a password against a stored hash; with no user, against a fixed hash, so an
/// unknown name takes as long to refuse as a wrong password.
pub(crate) fn verify_password(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a password of anyone").unwrap_or_default());
    let hash = stored.unwrap_or(dummy);
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok() && stored.is_some()
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScopeError {
    #[error(
        "a scope names at most a street, a community and a grid (“街道/社区/网格”), not {0} parts"
    )]
    TooDeep(usize),
    #[error("a scope's parts cannot be empty (“{0}”)")]
    EmptyPart(String),
}

/// The area a scope path names under `district` ("东栅街道/建设社区/3网格": a street, its
/// community, its grid), as the id every device derives with [`area_id`]; `None` for an empty
/// path (the whole district).
pub fn scope_area(district: &str, path: &str) -> Result<Option<String>, ScopeError> {
    let path = path.trim().trim_matches('/');
    if path.is_empty() {
        return Ok(None);
    }
    let parts: Vec<&str> = path.split('/').map(str::trim).collect();
    if parts.len() > 3 {
        return Err(ScopeError::TooDeep(parts.len()));
    }
    if parts.iter().any(|p| p.is_empty()) {
        return Err(ScopeError::EmptyPart(path.to_owned()));
    }
    let mut id = area_id(None, Level::District, district);
    for (part, level) in parts.iter().zip([Level::Street, Level::Community, Level::Grid]) {
        id = area_id(Some(&id), level, part);
    }
    Ok(Some(id))
}

/// The canonical form of a scope path as stored and shown.
pub(crate) fn normalise_scope(path: &str) -> String {
    path.trim().trim_matches('/').split('/').map(str::trim).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_path_becomes_the_area_id_devices_derive() {
        let root = area_id(None, Level::District, "本区");
        let street = area_id(Some(&root), Level::Street, "东栅街道");
        let community = area_id(Some(&street), Level::Community, "建设社区");
        let grid = area_id(Some(&community), Level::Grid, "3网格");
        assert_eq!(scope_area("本区", "").unwrap(), None);
        assert_eq!(scope_area("本区", "东栅街道").unwrap(), Some(street));
        assert_eq!(scope_area("本区", " 东栅街道/建设社区/3网格/ ").unwrap(), Some(grid));
        assert_eq!(scope_area("本区", "a/b/c/d"), Err(ScopeError::TooDeep(4)));
        assert!(matches!(scope_area("本区", "a//c"), Err(ScopeError::EmptyPart(_))));
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let h = hash_password("correct horse").unwrap();
        assert!(h.starts_with("$argon2id$"), "argon2id, not another variant: {h}");
        assert!(verify_password("correct horse", Some(&h)));
        assert!(!verify_password("correct horse!", Some(&h)));
        assert!(!verify_password("not a password of anyone", None), "no user never verifies");
    }
}
