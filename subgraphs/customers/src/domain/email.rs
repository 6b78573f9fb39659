//! Email addresses, normalised so one mailbox is one account.

use super::CustomerError;

/// A syntactically plausible address, trimmed and lowercased. Lowercasing the local part is
/// what every major provider does in practice; provider-specific rules (Gmail dots, `+tags`)
/// are kept, since they name different mailboxes elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, CustomerError> {
        let email = raw.trim().to_lowercase();
        let invalid = |why: &str| CustomerError::InvalidEmail(format!("invalid email: {why}"));
        if email.len() > 254 {
            return Err(invalid("longer than 254 characters"));
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(|| invalid("missing @"))?;
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(invalid("the part before @ must be 1 to 64 characters"));
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("must not contain spaces"));
        }
        let labels_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !labels_ok {
            return Err(invalid("the domain is not valid"));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn local_part(&self) -> &str {
        self.0.split_once('@').map_or("", |(local, _)| local)
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let email = Email::parse("  Ada.Lovelace+Shop@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "ada.lovelace+shop@example.com");
        assert_eq!(email.local_part(), "ada.lovelace+shop");
    }

    #[test]
    fn rejects_implausible_addresses() {
        for raw in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@localhost",
            "ada@exa mple.com",
            "a@b@example.com",
            "ada@-example.com",
            "ada@example..com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} accepted");
        }
    }
}
