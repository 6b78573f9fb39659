//! Signing as the Standard Webhooks specification has it: the secret is `whsec_` followed by
//! the base64 of the key; a signature is `v1,` and the base64 HMAC-SHA256 of
//! `{webhook-id}.{webhook-timestamp}.{body}` under that key. While a rotated secret is still
//! valid, both signatures are sent, separated by a space, so a receiver holding either verifies.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::WebhooksError;

const PREFIX: &str = "whsec_";
/// 24 random bytes (192 bits), within the specification's 24 to 64.
const KEY_BYTES: usize = 24;

/// A signing secret: the key bytes, shown to staff (once) as `whsec_<base64>`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    pub fn generate() -> Self {
        Self(rand::random::<[u8; KEY_BYTES]>().to_vec())
    }

    /// Reads `whsec_<base64>`, as stored and as receivers configure it.
    pub fn parse(value: &str) -> Result<Self, WebhooksError> {
        let key = value
            .strip_prefix(PREFIX)
            .and_then(|encoded| STANDARD.decode(encoded).ok())
            .filter(|key| !key.is_empty())
            .ok_or_else(|| {
                WebhooksError::Unexpected(anyhow::anyhow!("a stored secret is malformed"))
            })?;
        Ok(Self(key))
    }

    pub fn encoded(&self) -> String {
        format!("{PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// `v1,<base64 signature>` of one message.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The `webhook-signature` header: one signature per valid secret, space-separated.
pub fn signature_header(secrets: &[&Secret], id: &str, timestamp: i64, body: &[u8]) -> String {
    secrets
        .iter()
        .map(|secret| secret.sign(id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_specification_example() {
        // The example of the Standard Webhooks reference libraries.
        let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").expect("valid");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            secret.sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_round_trip_and_sign_with_each() {
        let old = Secret::generate();
        let new = Secret::generate();
        assert_eq!(Secret::parse(&new.encoded()).expect("parses"), new);
        assert!(new.encoded().starts_with("whsec_"));
        let header = signature_header(&[&new, &old], "e1", 7, b"{}");
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(parts, [new.sign("e1", 7, b"{}"), old.sign("e1", 7, b"{}")]);
        assert!(Secret::parse("nope").is_err());
    }
}
