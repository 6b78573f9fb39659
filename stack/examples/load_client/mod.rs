//! The GraphQL-over-HTTP client both load generators drive the stack with.

use anyhow::bail;
use serde_json::{Value, json};

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
}

impl Client {
    /// Sends `query` and returns its `data`; GraphQL errors are failures.
    pub async fn data(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(&self.url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response: Value = request.send().await?.error_for_status()?.json().await?;
        if let Some(errors) = response.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        Ok(response["data"].clone())
    }

    /// Runs a cart mutation and checks it answered a `Cart`.
    pub async fn cart_mutation(
        &self,
        query: &str,
        field: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let data = self.data(query, variables, None).await?;
        let cart = &data[field];
        if cart["__typename"] != "Cart" {
            bail!("{field} refused: {cart}");
        }
        Ok(cart.clone())
    }
}

/// The shipping address every generated order goes to.
pub fn address() -> Value {
    json!({
        "firstName": "Ada", "lastName": "Lovelace", "line1": "Unter den Linden 1",
        "city": "Berlin", "postalCode": "10117", "countryCode": "DE"
    })
}
