//! The secret webhooks are signed with.
//!
//! The kernel configuration has no key for it yet, and unknown `COMMERCE_*` variables are
//! refused, so until it does each deployment uses a development secret: 32 random bytes,
//! hex-encoded in `<data_dir>/payments-webhook-secret`, created on first start (as the
//! development JWT key is). Point the provider (or a test) at that file's content.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::Path;

use anyhow::Context;

const FILE: &str = "payments-webhook-secret";

pub struct WebhookSecret(Vec<u8>);

impl WebhookSecret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The development secret of `data_dir`, created there on first use.
    pub fn for_data_dir(data_dir: &Path) -> anyhow::Result<Self> {
        let path = data_dir.join(FILE);
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let fresh = hex::encode(rand::random::<[u8; 32]>());
        // `create_new` makes two processes starting at once agree on the first file written.
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        // Readable by its owner only, like a private key.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(&path) {
            Ok(mut file) => {
                file.write_all(fresh.as_bytes())
                    .with_context(|| format!("writing {}", path.display()))?;
                tracing::info!(path = %path.display(), "created a development webhook secret");
            }
            Err(error) if error.kind() == ErrorKind::AlreadyExists => {}
            Err(error) => {
                return Err(error).with_context(|| format!("creating {}", path.display()));
            }
        }
        let stored = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        anyhow::ensure!(!stored.trim().is_empty(), "{} is empty", path.display());
        Ok(Self(stored.trim().as_bytes().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_the_secret_once_per_data_dir() {
        let dir = tempfile_dir();
        let first = WebhookSecret::for_data_dir(&dir).expect("created");
        let again = WebhookSecret::for_data_dir(&dir).expect("read back");
        assert_eq!(first.as_bytes(), again.as_bytes());
        assert_eq!(first.as_bytes().len(), 64);
        let other = WebhookSecret::for_data_dir(&dir.join("other")).expect("created");
        assert_ne!(first.as_bytes(), other.as_bytes());
        std::fs::remove_dir_all(&dir).expect("cleans up");
    }

    fn tempfile_dir() -> std::path::PathBuf {
        std::env::temp_dir().join(format!("payments-secret-{}", uuid::Uuid::new_v4().simple()))
    }
}
