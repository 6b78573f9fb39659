//! Calls to the orders subgraph, with the document it commits under
//! `schema/operations/internal/orders/`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::Remote;
use crate::domain::CheckoutError;

const PLACE_ORDER: &str =
    include_str!("../../../../schema/operations/internal/orders/place_order.graphql");

/// The order orders placed.
#[derive(Debug, Deserialize)]
pub(crate) struct PlacedOrder {
    pub id: String,
    pub number: i64,
}

impl Remote {
    /// Places the order described by `input` (orders' `PlaceOrderInput`) under `key`; a replay
    /// returns the order placed the first time.
    pub async fn place_order(
        &self,
        key: &str,
        input: &Value,
    ) -> Result<PlacedOrder, CheckoutError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            place_order: PlacedOrder,
        }
        let variables = json!({ "input": input, "idempotencyKey": key });
        let answer: Answer = self
            .client
            .execute("orders", PLACE_ORDER, variables)
            .await?;
        Ok(answer.place_order)
    }
}
