//! The password policy and argon2id hashing.
//!
//! Policy (NIST SP 800-63B style): 10 to 128 characters, any characters; not one repeated
//! character, not a well-known password, not the email's local part. No composition rules:
//! length beats forced symbols. The upper bound keeps hashing cost bounded per request.

use argon2::password_hash::SaltString;
use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordVerifier, Version};

use super::{CustomerError, Email};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

/// A handful of the passwords every credential-stuffing list starts with.
const COMMON: &[&str] = &[
    "password",
    "password1",
    "password123",
    "1234567890",
    "12345678910",
    "qwertyuiop",
    "qwerty1234",
    "iloveyou12",
    "letmein123",
    "welcome123",
    "passw0rd12",
    "administrator",
    "abcdefghij",
    "0987654321",
    "1q2w3e4r5t",
    "changeme123",
];

/// A password that meets the policy. Not `Debug`, so it never lands in a log.
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str, email: &Email) -> Result<Self, CustomerError> {
        let weak = |why: &str| CustomerError::WeakPassword(format!("password too weak: {why}"));
        let chars = raw.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(weak(&format!(
                "use at least {MIN_PASSWORD_CHARS} characters"
            )));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(weak(&format!(
                "use at most {MAX_PASSWORD_CHARS} characters"
            )));
        }
        let mut distinct: Vec<char> = raw.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 4 {
            return Err(weak("use more than a few different characters"));
        }
        let lower = raw.to_lowercase();
        if COMMON.contains(&lower.as_str()) {
            return Err(weak("it is one of the most common passwords"));
        }
        let local = email.local_part();
        if local.chars().count() >= 4 && lower.contains(local) {
            return Err(weak("it contains your email address"));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// argon2id cost parameters. The default is OWASP's recommendation for argon2id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingParams {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashingParams {
    /// OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1.
    pub const OWASP: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Cheap parameters for tests only: unsafe for real passwords.
    pub const INSECURE_FAST: Self = Self {
        memory_kib: 256,
        iterations: 1,
        parallelism: 1,
    };
}

impl Default for HashingParams {
    fn default() -> Self {
        Self::OWASP
    }
}

/// Hashes and verifies passwords. CPU- and memory-heavy by design: call from a blocking thread.
pub struct PasswordHasher {
    argon2: Argon2<'static>,
    /// A hash of a random password, verified against when the account does not exist, so an
    /// unknown email costs the same time as a wrong password.
    dummy_hash: String,
}

impl PasswordHasher {
    pub fn new(params: HashingParams) -> anyhow::Result<Self> {
        let params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|error| anyhow::anyhow!("invalid argon2 parameters: {error}"))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let mut hasher = Self {
            argon2,
            dummy_hash: String::new(),
        };
        hasher.dummy_hash = hasher.hash_secret(&hex::encode(rand::random::<[u8; 16]>()))?;
        Ok(hasher)
    }

    pub fn hash(&self, password: &Password) -> anyhow::Result<String> {
        self.hash_secret(password.expose())
    }

    fn hash_secret(&self, secret: &str) -> anyhow::Result<String> {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|error| anyhow::anyhow!("encoding a salt: {error}"))?;
        argon2::PasswordHasher::hash_password(&self.argon2, secret.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|error| anyhow::anyhow!("hashing a password: {error}"))
    }

    /// Whether `stored` was made with other parameters (or another algorithm) than today's,
    /// so it should be replaced after the next successful sign-in.
    pub fn needs_rehash(&self, stored: &str) -> bool {
        let Ok(hash) = PasswordHash::new(stored) else {
            return true;
        };
        let current = self.argon2.params();
        let same = hash.algorithm == Algorithm::Argon2id.ident()
            && hash.version == Some(Version::V0x13.into())
            && Params::try_from(&hash).is_ok_and(|params| {
                (params.m_cost(), params.t_cost(), params.p_cost())
                    == (current.m_cost(), current.t_cost(), current.p_cost())
            });
        !same
    }

    /// Hashes a password that was just verified, without the policy (it may predate it).
    pub fn rehash(&self, verified: &str) -> anyhow::Result<String> {
        self.hash_secret(verified)
    }

    /// Whether `candidate` matches `stored` (a PHC string; its own parameters are used), or,
    /// without a stored hash, spends the same time and answers `false`.
    pub fn verify(&self, candidate: &str, stored: Option<&str>) -> bool {
        let hash = stored.unwrap_or(&self.dummy_hash);
        let matches = PasswordHash::new(hash).is_ok_and(|parsed| {
            self.argon2
                .verify_password(candidate.as_bytes(), &parsed)
                .is_ok()
        });
        matches && stored.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn email() -> Email {
        Email::parse("grace.hopper@example.com").expect("valid")
    }

    #[test]
    fn accepts_long_passphrases_and_rejects_weak_ones() {
        assert!(Password::parse("correct horse battery staple", &email()).is_ok());
        for weak in [
            "short",
            "aaaaaaaaaaaaaaa",
            "Password123",
            "my-grace.hopper-pw",
            &"x".repeat(129),
        ] {
            let error = Password::parse(weak, &email()).err();
            assert!(
                matches!(error, Some(CustomerError::WeakPassword(_))),
                "{weak:?} accepted"
            );
        }
    }

    #[test]
    fn hashes_with_argon2id_and_verifies_only_the_right_password() {
        let hasher = PasswordHasher::new(HashingParams::INSECURE_FAST).expect("params");
        let password = Password::parse("correct horse battery staple", &email()).expect("ok");
        let hash = hasher.hash(&password).expect("hashes");
        assert!(hash.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{hash}");
        assert!(hasher.verify("correct horse battery staple", Some(&hash)));
        assert!(!hasher.verify("wrong horse battery staple", Some(&hash)));
        assert!(!hasher.verify("correct horse battery staple", None));
        assert!(!hasher.needs_rehash(&hash));
        let stronger = HashingParams {
            memory_kib: 512,
            ..HashingParams::INSECURE_FAST
        };
        let upgraded = PasswordHasher::new(stronger).expect("params");
        assert!(upgraded.needs_rehash(&hash));
        assert!(upgraded.needs_rehash("$2b$12$not-an-argon2-hash"));
        let rehashed = upgraded
            .rehash("correct horse battery staple")
            .expect("hashes");
        assert!(!upgraded.needs_rehash(&rehashed));
    }
}
