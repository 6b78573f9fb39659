//! Endpoints: a URL (http or https), the event types it receives, a description, its signing
//! secrets, and whether it is enabled (and why not).

use super::{EVENT_TYPES, Secret, WebhooksError};

const MAX_URL: usize = 2048;
const MAX_DESCRIPTION: usize = 500;

/// A registered receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: i64,
    pub url: String,
    pub description: String,
    pub event_types: EventTypes,
    pub secret: Secret,
    /// The secret before the last rotation, still signing until `previous_secret_expires_at`.
    pub previous_secret: Option<(Secret, i64)>,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<i64>,
    pub consecutive_failures: i32,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Endpoint {
    /// The secrets that sign a delivery sent at `now` (microseconds): the current one, and
    /// the previous one during the overlap after a rotation.
    pub fn signing_secrets(&self, now: i64) -> Vec<&Secret> {
        let mut secrets = vec![&self.secret];
        if let Some((previous, expires_at)) = &self.previous_secret
            && *expires_at > now
        {
            secrets.push(previous);
        }
        secrets
    }

    /// When the previous secret stops signing, if it still does at `now`.
    pub fn previous_secret_expires_at(&self, now: i64) -> Option<i64> {
        self.previous_secret
            .as_ref()
            .map(|(_, expires_at)| *expires_at)
            .filter(|expires_at| *expires_at > now)
    }
}

/// A non-empty set of known event types, sorted, without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTypes(Vec<String>);

impl EventTypes {
    pub fn parse(values: &[String]) -> Result<Self, WebhooksError> {
        let mut types = Vec::with_capacity(values.len());
        for value in values {
            let value = value.trim();
            if !EVENT_TYPES.contains(&value) {
                return Err(WebhooksError::UnknownEventType {
                    event_type: value.to_owned(),
                });
            }
            types.push(value.to_owned());
        }
        types.sort_unstable();
        types.dedup();
        if types.is_empty() {
            return Err(WebhooksError::invalid(
                "eventTypes",
                "subscribe to at least one event type",
            ));
        }
        Ok(Self(types))
    }

    /// Types read back from the database (validated when written).
    pub fn stored(types: Vec<String>) -> Self {
        Self(types)
    }

    pub fn contains(&self, event_type: &str) -> bool {
        self.0.iter().any(|known| known == event_type)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// A valid new endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointInput {
    pub url: String,
    pub description: String,
    pub event_types: EventTypes,
}

impl EndpointInput {
    pub fn parse(
        url: &str,
        event_types: &[String],
        description: Option<&str>,
    ) -> Result<Self, WebhooksError> {
        Ok(Self {
            url: parse_url(url)?,
            event_types: EventTypes::parse(event_types)?,
            description: parse_description(description.unwrap_or(""))?,
        })
    }
}

/// A valid change of an endpoint: fields left out stay as they are.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<EventTypes>,
}

impl EndpointPatch {
    pub fn parse(
        url: Option<&str>,
        event_types: Option<&[String]>,
        description: Option<&str>,
    ) -> Result<Self, WebhooksError> {
        Ok(Self {
            url: url.map(parse_url).transpose()?,
            event_types: event_types.map(EventTypes::parse).transpose()?,
            description: description.map(parse_description).transpose()?,
        })
    }
}

/// An absolute http(s) URL with a host, without credentials or a fragment.
fn parse_url(raw: &str) -> Result<String, WebhooksError> {
    let raw = raw.trim();
    if raw.len() > MAX_URL {
        return Err(WebhooksError::invalid(
            "url",
            format!("at most {MAX_URL} characters"),
        ));
    }
    let url = reqwest::Url::parse(raw)
        .map_err(|error| WebhooksError::invalid("url", format!("not a URL: {error}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(WebhooksError::invalid(
            "url",
            format!("must be http or https, not {}", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(WebhooksError::invalid("url", "must name a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(WebhooksError::invalid(
            "url",
            "must not carry credentials; deliveries are signed instead",
        ));
    }
    if url.fragment().is_some() {
        return Err(WebhooksError::invalid("url", "must not have a fragment"));
    }
    Ok(url.to_string())
}

fn parse_description(raw: &str) -> Result<String, WebhooksError> {
    let description = raw.trim();
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(WebhooksError::invalid(
            "description",
            format!("at most {MAX_DESCRIPTION} characters"),
        ));
    }
    Ok(description.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn accepts_http_and_https_urls_only() {
        let ok = EndpointInput::parse(
            " https://hooks.example.com/in?x=1 ",
            &types(&["orders.order_placed"]),
            None,
        )
        .expect("valid");
        assert_eq!(ok.url, "https://hooks.example.com/in?x=1");
        for bad in [
            "ftp://example.com/",
            "example.com/hook",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
            "file:///etc/passwd",
        ] {
            let error =
                EndpointInput::parse(bad, &types(&["orders.order_placed"]), None).expect_err(bad);
            assert!(
                matches!(error, WebhooksError::InvalidInput { field: "url", .. }),
                "{bad}: {error:?}"
            );
        }
    }

    #[test]
    fn event_types_must_be_known_and_not_empty() {
        let parsed = EventTypes::parse(&types(&[
            "orders.order_placed",
            "catalog.product_changed",
            "orders.order_placed",
        ]))
        .expect("known");
        assert_eq!(
            parsed.as_slice(),
            ["catalog.product_changed", "orders.order_placed"]
        );
        assert!(matches!(
            EventTypes::parse(&types(&["orders.exploded"])),
            Err(WebhooksError::UnknownEventType { .. })
        ));
        assert!(matches!(
            EventTypes::parse(&[]),
            Err(WebhooksError::InvalidInput {
                field: "eventTypes",
                ..
            })
        ));
    }

    #[test]
    fn the_previous_secret_signs_until_it_expires() {
        let endpoint = Endpoint {
            id: 1,
            url: "https://example.com/".to_owned(),
            description: String::new(),
            event_types: EventTypes::stored(types(&["orders.order_placed"])),
            secret: Secret::generate(),
            previous_secret: Some((Secret::generate(), 1_000)),
            enabled: true,
            disabled_reason: None,
            disabled_at: None,
            consecutive_failures: 0,
            created_at: 0,
            updated_at: 0,
        };
        assert_eq!(endpoint.signing_secrets(999).len(), 2);
        assert_eq!(endpoint.signing_secrets(1_000).len(), 1);
        assert_eq!(endpoint.previous_secret_expires_at(999), Some(1_000));
        assert_eq!(endpoint.previous_secret_expires_at(1_000), None);
    }
}
