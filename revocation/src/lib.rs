//! Revoked access tokens, before they expire: a deny list of token ids (`jti`) and of subjects
//! whose tokens issued before a moment are all revoked (like Keycloak's not-before) (sign out everywhere, a staff member let
//! go). The subgraphs (through the kernel's `Verifier`) and the router check it on every
//! request, so every process keeps the whole list in memory and a check is a hash lookup.
//!
//! With Redis, the list is one sorted set, `<namespace>:revoked-tokens`, each entry scored with
//! the moment it may be forgotten (a token's `exp` plus [`GRACE_SECONDS`]; a subject's moment
//! plus the longest token lifetime) and dropped once past it; each write is also published on
//! the channel of the same name. A process loads the set after subscribing (so no write falls
//! between the two), applies each message as it arrives, and loads the set again after a lost
//! connection and every [`RELOAD_EVERY`] (a missed message). Without Redis the list is the
//! process's own: the all-in-one stack, whose subgraphs and router share one process, shares
//! it through [`DenyList::shared`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;

use futures::StreamExt;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

/// How long past a token's `exp` its entry is kept: verifiers accept tokens a little past it
/// (clock skew), and the entry must outlive that.
pub const GRACE_SECONDS: i64 = 120;

/// How often a process loads the whole set again, in case a message was lost.
pub const RELOAD_EVERY: Duration = Duration::from_secs(60);

/// What a check needs to know about a verified token.
#[derive(Debug, Clone, Copy)]
pub struct Token<'a> {
    /// The token's `jti`; a token without one can only be revoked with its subject.
    pub id: Option<&'a str>,
    /// Whom the token speaks for (the viewer's id).
    pub subject: &'a str,
    /// The token's `iat`; a token without one counts as issued before any subject revocation.
    /// One issued in the very second of a revocation stays valid (`iat` has whole seconds, and
    /// the subject may sign in again at once).
    pub issued_at: Option<i64>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Token id → when the entry may be forgotten.
    tokens: HashMap<String, i64>,
    /// Subject → (tokens issued before this moment are revoked, when the entry may be forgotten).
    subjects: HashMap<String, (i64, i64)>,
}

impl Entries {
    /// Applies one set member (`t <jti>` or `s <not_before> <subject>`) kept until `until`.
    fn apply(&mut self, member: &str, until: i64) {
        match member.split_once(' ') {
            Some(("t", id)) => {
                let kept = self.tokens.entry(id.to_owned()).or_default();
                *kept = (*kept).max(until);
            }
            Some(("s", rest)) => {
                let Some((before, subject)) = rest.split_once(' ') else {
                    return;
                };
                let Ok(before) = before.parse::<i64>() else {
                    return;
                };
                let entry = self.subjects.entry(subject.to_owned()).or_default();
                *entry = (entry.0.max(before), entry.1.max(until));
            }
            _ => tracing::debug!(member, "ignoring an unknown deny-list entry"),
        }
    }

    fn prune(&mut self, now: i64) {
        self.tokens.retain(|_, until| *until >= now);
        self.subjects.retain(|_, (_, until)| *until >= now);
    }
}

/// The deny list of one process. Cheap to share behind its `Arc`.
pub struct DenyList {
    entries: RwLock<Entries>,
    redis: Option<Shared>,
}

impl std::fmt::Debug for DenyList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DenyList")
            .field("redis", &self.redis.as_ref().map(|redis| &redis.key))
            .finish_non_exhaustive()
    }
}

struct Shared {
    client: redis::Client,
    /// The sorted set, and the channel of the same name.
    key: String,
    writer: tokio::sync::OnceCell<ConnectionManager>,
}

impl DenyList {
    /// A list only this process sees.
    pub fn in_process() -> Arc<Self> {
        Arc::new(Self {
            entries: RwLock::default(),
            redis: None,
        })
    }

    /// A list shared through the Redis at `url` by every process using `namespace`, loaded
    /// before this returns and kept current by a task of its own until the list is dropped.
    pub async fn connect(url: &str, namespace: &str) -> anyhow::Result<Arc<Self>> {
        let list = Self::redis(url, namespace)?;
        let (loaded, mut first_load) = tokio::sync::watch::channel(false);
        list.listen(loaded);
        tokio::time::timeout(
            Duration::from_secs(10),
            first_load.wait_for(|loaded| *loaded),
        )
        .await
        .map_err(|_| anyhow::anyhow!("the revocation list in Redis did not load in 10 s"))??;
        Ok(list)
    }

    /// The one list of this process for `namespace`: shared through Redis when `redis_url` is
    /// set, else in-process (so an all-in-one binary's services share it). It starts loading
    /// at once, when called inside a Tokio runtime; until then it is empty.
    pub fn shared(redis_url: Option<&str>, namespace: &str) -> Arc<Self> {
        type Registry = Mutex<HashMap<(Option<String>, String), Arc<DenyList>>>;
        static LISTS: OnceLock<Registry> = OnceLock::new();
        let mut lists = LISTS
            .get_or_init(Registry::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (redis_url.map(str::to_owned), namespace.to_owned());
        if let Some(list) = lists.get(&key) {
            return list.clone();
        }
        let list = match redis_url {
            None => Self::in_process(),
            Some(url) => match Self::redis(url, namespace) {
                Ok(list) if tokio::runtime::Handle::try_current().is_ok() => {
                    list.listen(tokio::sync::watch::channel(false).0);
                    list
                }
                Ok(list) => list,
                Err(error) => {
                    tracing::error!(%error, "the revocation list cannot use Redis; in-process only");
                    Self::in_process()
                }
            },
        };
        lists.insert(key, list.clone());
        list
    }

    fn redis(url: &str, namespace: &str) -> anyhow::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            entries: RwLock::default(),
            redis: Some(Shared {
                client: redis::Client::open(url)?,
                key: format!("{namespace}:revoked-tokens"),
                writer: tokio::sync::OnceCell::new(),
            }),
        }))
    }

    /// Whether `token` was revoked: its id is listed, or its subject's tokens issued before a
    /// moment after its `iat` are.
    pub fn is_revoked(&self, token: &Token<'_>) -> bool {
        let now = unix_now();
        let entries = self
            .entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let listed = token
            .id
            .and_then(|id| entries.tokens.get(id))
            .is_some_and(|until| *until >= now);
        listed
            || entries
                .subjects
                .get(token.subject)
                .is_some_and(|(before, until)| {
                    *until >= now && token.issued_at.is_none_or(|iat| iat < *before)
                })
    }

    /// Revokes the token `id`, which expires at `expires_at` (unix seconds).
    pub async fn revoke_token(&self, id: &str, expires_at: i64) -> anyhow::Result<()> {
        self.write(format!("t {id}"), expires_at.saturating_add(GRACE_SECONDS))
            .await
    }

    /// Revokes every token of `subject` issued before `not_before` (unix seconds); the entry is
    /// kept until all of them have expired: `max_lifetime_secs` is the longest a token lives.
    pub async fn revoke_subject(
        &self,
        subject: &str,
        not_before: i64,
        max_lifetime_secs: i64,
    ) -> anyhow::Result<()> {
        let until = not_before
            .saturating_add(max_lifetime_secs)
            .saturating_add(GRACE_SECONDS);
        self.write(format!("s {not_before} {subject}"), until).await
    }

    /// Applies locally first (this process refuses the token at once), then stores and
    /// publishes in one transaction, dropping the entries past their time.
    async fn write(&self, member: String, until: i64) -> anyhow::Result<()> {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .apply(&member, until);
        let Some(redis) = &self.redis else {
            return Ok(());
        };
        let mut connection = redis
            .writer
            .get_or_try_init(|| ConnectionManager::new(redis.client.clone()))
            .await?
            .clone();
        let now = unix_now();
        redis::pipe()
            .atomic()
            .zadd(&redis.key, &member, until)
            .ignore()
            .zrembyscore(&redis.key, "-inf", format!("({now}"))
            .ignore()
            .publish(&redis.key, format!("{until} {member}"))
            .ignore()
            .query_async::<()>(&mut connection)
            .await?;
        Ok(())
    }

    /// Replaces the local copy with the set's live entries.
    async fn load(
        &self,
        connection: &mut redis::aio::MultiplexedConnection,
    ) -> redis::RedisResult<()> {
        let Some(redis) = &self.redis else {
            return Ok(());
        };
        let now = unix_now();
        let rows: Vec<(String, f64)> = connection
            .zrangebyscore_withscores(&redis.key, now, "+inf")
            .await?;
        let mut entries = Entries::default();
        for (member, until) in rows {
            entries.apply(&member, until as i64);
        }
        *self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = entries;
        Ok(())
    }

    fn apply_message(&self, payload: &str) {
        let Some((until, member)) = payload.split_once(' ') else {
            return;
        };
        let Ok(until) = until.parse::<i64>() else {
            return;
        };
        let mut entries = self
            .entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.apply(member, until);
    }

    fn prune(&self) {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .prune(unix_now());
    }

    /// Keeps the local copy current until the list is dropped; `loaded` turns true after each
    /// load.
    fn listen(self: &Arc<Self>, loaded: tokio::sync::watch::Sender<bool>) {
        let Some(redis) = &self.redis else { return };
        let client = redis.client.clone();
        let channel = redis.key.clone();
        let list = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                if let Err(error) = follow(&list, &client, &channel, &loaded).await {
                    tracing::warn!(%error, "revocation list: Redis unreachable; retrying");
                }
                if list.strong_count() == 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

/// Subscribes, loads, then applies messages (and reloads every [`RELOAD_EVERY`]) until the
/// connection is lost or the list dropped.
async fn follow(
    list: &Weak<DenyList>,
    client: &redis::Client,
    channel: &str,
    loaded: &tokio::sync::watch::Sender<bool>,
) -> redis::RedisResult<()> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let mut messages = pubsub.on_message();
    let mut reload = tokio::time::interval(RELOAD_EVERY);
    loop {
        tokio::select! {
            _ = reload.tick() => {
                let Some(list) = list.upgrade() else { return Ok(()) };
                list.load(&mut connection).await?;
                loaded.send_replace(true);
            }
            message = messages.next() => {
                let Some(message) = message else { return Ok(()) };
                let Some(list) = list.upgrade() else { return Ok(()) };
                if let Ok(payload) = message.get_payload::<String>() {
                    list.apply_message(&payload);
                }
                list.prune_now_and_then();
            }
        }
    }
}

impl DenyList {
    /// Drops expired entries once in a while (entries only grow between loads otherwise).
    fn prune_now_and_then(&self) {
        let size = {
            let entries = self
                .entries
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            entries.tokens.len() + entries.subjects.len()
        };
        if size.is_power_of_two() {
            self.prune();
        }
    }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|elapsed| i64::try_from(elapsed.as_secs()).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token<'a>(id: &'a str, subject: &'a str, issued_at: i64) -> Token<'a> {
        Token {
            id: Some(id),
            subject,
            issued_at: Some(issued_at),
        }
    }

    #[tokio::test]
    async fn refuses_listed_tokens_and_a_subjects_tokens_issued_until_the_revocation() {
        let list = DenyList::in_process();
        let now = unix_now();
        assert!(!list.is_revoked(&token("a", "alice", now)));
        list.revoke_token("a", now + 60).await.expect("in process");
        assert!(list.is_revoked(&token("a", "alice", now)));
        assert!(!list.is_revoked(&token("b", "alice", now)));

        list.revoke_subject("bob", now, 900)
            .await
            .expect("in process");
        assert!(list.is_revoked(&token("c", "bob", now - 10)));
        assert!(!list.is_revoked(&token("d", "bob", now)), "signed in again");
        let without_iat = Token {
            id: None,
            subject: "bob",
            issued_at: None,
        };
        assert!(list.is_revoked(&without_iat));
    }

    #[tokio::test]
    async fn forgets_entries_past_their_time() {
        let list = DenyList::in_process();
        let now = unix_now();
        list.revoke_token("old", now - GRACE_SECONDS - 10)
            .await
            .expect("in process");
        list.revoke_subject("carol", now - 1000, 1000 - GRACE_SECONDS - 1)
            .await
            .expect("in process");
        assert!(!list.is_revoked(&token("old", "x", now - 2000)));
        assert!(!list.is_revoked(&token("y", "carol", now - 2000)));
        list.prune();
        let entries = list.entries.read().expect("not poisoned");
        assert!(entries.tokens.is_empty() && entries.subjects.is_empty());
    }

    #[test]
    fn one_list_per_namespace_in_a_process() {
        let first = DenyList::shared(None, "shop-a");
        assert!(Arc::ptr_eq(&first, &DenyList::shared(None, "shop-a")));
        assert!(!Arc::ptr_eq(&first, &DenyList::shared(None, "shop-b")));
    }
}
