//! The SSRF guard (unless `webhooks.allow_private_targets`): an endpoint's host must be, and
//! resolve only to, public addresses (`domain::non_public`). Checked when an endpoint is
//! registered or its URL changed, and again by each delivery: the worker's client resolves
//! names through [`PublicOnly`], so a name that has since been pointed at a private address
//! (DNS rebinding) is refused at the moment of connecting.

use std::net::{IpAddr, SocketAddr};

use super::WebhooksError;
use crate::domain::non_public;

/// The first address of `addresses` that is not public, as the error that refuses `host`.
fn refuse(host: &str, addresses: impl IntoIterator<Item = IpAddr>) -> Result<(), WebhooksError> {
    for address in addresses {
        if let Some(kind) = non_public(address) {
            return Err(WebhooksError::TargetNotAllowed {
                host: host.to_owned(),
                address,
                kind,
            });
        }
    }
    Ok(())
}

/// `url`'s host when it is an address literal (`127.0.0.1`, `[::1]`).
pub(super) fn literal_address(url: &reqwest::Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Refuses an address literal that is not public (names are left to [`PublicOnly`]).
pub(super) fn check_literal(url: &str) -> Result<(), WebhooksError> {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return Ok(());
    };
    let host = parsed.host_str().unwrap_or_default();
    refuse(host, literal_address(&parsed))
}

/// Refuses `url` when its host is, or resolves to, an address that is not public; a name
/// that does not resolve is refused too (nothing could be delivered to it).
pub(super) async fn check_url(url: &str) -> Result<(), WebhooksError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| WebhooksError::invalid("url", format!("not a URL: {error}")))?;
    let host = parsed.host_str().unwrap_or_default().to_owned();
    if let Some(address) = literal_address(&parsed) {
        return refuse(&host, [address]);
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
        .await
        .map_err(|error| {
            WebhooksError::invalid("url", format!("{host} does not resolve: {error}"))
        })?
        .collect();
    refuse(&host, addresses.iter().map(SocketAddr::ip))
}

/// The delivery client's resolver: the system's, refusing a name with any address that is
/// not public.
pub(super) struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            refuse(&name, addresses.iter().map(SocketAddr::ip)).map_err(Box::new)?;
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}
