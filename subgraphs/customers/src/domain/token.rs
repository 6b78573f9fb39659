//! Opaque bearer secrets (refresh and password-reset tokens): 256 random bits for the client,
//! only their SHA-256 stored, so a database leak yields no usable token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

pub struct OpaqueToken {
    /// Given to the client once; never stored.
    pub secret: String,
    /// What the database keeps and looks up by.
    pub hash: String,
}

impl OpaqueToken {
    pub fn generate() -> Self {
        let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let hash = Self::hash(&secret);
        Self { secret, hash }
    }

    /// The stored form of a secret a client presents. A fast hash is enough: the secret has
    /// 256 bits of entropy, so there is nothing to brute-force.
    pub fn hash(secret: &str) -> String {
        hex::encode(Sha256::digest(secret.trim().as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_only_a_hash_that_matches_the_secret() {
        let token = OpaqueToken::generate();
        assert_ne!(token.secret, token.hash);
        assert_eq!(OpaqueToken::hash(&token.secret), token.hash);
        assert_ne!(OpaqueToken::generate().secret, token.secret);
    }
}
