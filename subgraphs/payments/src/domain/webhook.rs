//! The provider webhook's signature: `Commerce-Signature: t=<unix seconds>,v1=<hex>` where the
//! hex is HMAC-SHA256(secret, "<t>.<raw body>"). The timestamp is inside the signed text, so a
//! captured request cannot be replayed outside the tolerance window with a new time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a signature's time may be from ours, either way.
pub const TOLERANCE_SECONDS: i64 = 300;

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "commerce-signature";

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook request is refused before its body is read as an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the Commerce-Signature header is missing or malformed")]
    Malformed,
    #[error("the signature's timestamp is more than {TOLERANCE_SECONDS} seconds from now")]
    OutsideTolerance,
    #[error("the signature does not match the body")]
    Mismatch,
}

impl SignatureError {
    /// The stable code of the JSON error answer.
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "MALFORMED_SIGNATURE",
            Self::OutsideTolerance => "TIMESTAMP_OUTSIDE_TOLERANCE",
            Self::Mismatch => "INVALID_SIGNATURE",
        }
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The header value for `body` signed at `timestamp` (what the provider sends; tests use it).
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let signature = hex::encode(mac(secret, timestamp, body).finalize().into_bytes());
    format!("t={timestamp},v1={signature}")
}

/// Checks a header value against the raw body at time `now` (Unix seconds). Any of several
/// `v1` signatures may match (a provider rotating its secret sends both).
pub fn verify(secret: &[u8], header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                );
            }
            Some(("v1", value)) => {
                signatures.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?);
            }
            // Other schemes may come; they are not ours to check.
            Some(_) => {}
            None => return Err(SignatureError::Malformed),
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECONDS {
        return Err(SignatureError::OutsideTolerance);
    }
    // `verify_slice` compares in constant time.
    let matches = signatures
        .iter()
        .any(|signature| mac(secret, timestamp, body).verify_slice(signature).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";
    const BODY: &[u8] = br#"{"id":"evt_1"}"#;

    #[test]
    fn accepts_its_own_signature_within_the_tolerance() {
        let header = sign(SECRET, 1_000, BODY);
        assert_eq!(verify(SECRET, &header, BODY, 1_000), Ok(()));
        assert_eq!(verify(SECRET, &header, BODY, 1_300), Ok(()));
        assert_eq!(verify(SECRET, &header, BODY, 700), Ok(()));
    }

    #[test]
    fn refuses_other_bodies_secrets_times_and_malformed_headers() {
        let header = sign(SECRET, 1_000, BODY);
        assert_eq!(
            verify(SECRET, &header, b"{}", 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", &header, BODY, 1_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, &header, BODY, 1_301),
            Err(SignatureError::OutsideTolerance)
        );
        // A new time with the old signature does not match: the time is signed.
        let moved = header.replace("t=1000", "t=2000");
        assert_eq!(
            verify(SECRET, &moved, BODY, 2_000),
            Err(SignatureError::Mismatch)
        );
        for bad in [
            "",
            "t=1000",
            "v1=00",
            "t=x,v1=00",
            "t=1000,v1=zz",
            "garbage",
        ] {
            assert_eq!(
                verify(SECRET, bad, BODY, 1_000),
                Err(SignatureError::Malformed),
                "{bad}"
            );
        }
    }
}
