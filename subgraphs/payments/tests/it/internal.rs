//! The internal operations over real HTTP, as the other subgraphs reach them: the kernel's
//! `InternalClient` with a service token sends the committed document to `router(state)`,
//! which verifies tokens with the keys of the state's own configuration; a customer's access
//! token on the same request is refused.

use commerce_kernel::auth::{AccessClaims, SigningKey, SubjectKind};
use commerce_kernel::config::Config;
use commerce_kernel::internal::InternalClient;
use commerce_testkit::Backend;
use serde_json::{Value, json};

use crate::support::{SUCCEEDS, TestApp, operations};

/// Serves the payments subgraph's routes on a free port.
async fn serve(app: &TestApp) -> String {
    let http = commerce_payments::router(app.state.clone(), app.verifier());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move { axum::serve(listener, http).await });
    format!("http://{addr}/graphql")
}

fn customer_token(config: &Config) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = AccessClaims {
        sub: commerce_kernel::GlobalId::encode("Customer", 1),
        kind: SubjectKind::Customer,
        iss: config.jwt_issuer.clone(),
        aud: config.jwt_audience.clone(),
        iat: now,
        exp: now + 60,
        jti: None,
        groups: vec![],
        permissions: vec![],
    };
    SigningKey::from_config(config)
        .expect("the development key")
        .sign(&claims)
        .expect("signs")
}

#[tokio::test]
async fn checkout_authorizes_and_cancels_over_http_with_a_service_token_and_customers_cannot() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut config = app.config();
    let url = serve(&app).await;
    config.services.insert("payments".to_owned(), url.clone());
    let variables = json!({
        "input": {
            "reference": "checkout-9",
            "amount": { "amount": "12.34", "currency": "EUR" },
            "method": { "provider": "test", "token": SUCCEEDS },
        },
        "idempotencyKey": "over-http",
    });

    let client = InternalClient::from_config(&config, "checkout").expect("a client");
    let data: Value = client
        .execute("payments", operations::AUTHORIZE, variables.clone())
        .await
        .expect("payments answers");
    let intent = &data["authorizePayment"];
    assert_eq!(intent["__typename"], "PaymentIntent", "{data}");
    assert_eq!(intent["amountAuthorized"]["amount"], "12.34");
    let attach: Value = client
        .execute(
            "payments",
            operations::ATTACH,
            json!({ "intentId": intent["id"], "orderId": commerce_kernel::GlobalId::encode("Order", 9) }),
        )
        .await
        .expect("payments answers");
    assert_eq!(attach["attachPaymentToOrder"]["id"], intent["id"]);
    let cancelled: Value = client
        .execute(
            "payments",
            operations::CANCEL_REFERENCE,
            json!({ "reference": "checkout-9", "idempotencyKey": "cancel-over-http" }),
        )
        .await
        .expect("payments answers");
    let cancelled = &cancelled["cancelPaymentReference"];
    assert_eq!(
        cancelled["__typename"], "PaymentReferenceCancelled",
        "{cancelled}"
    );
    assert_eq!(cancelled["intents"][0]["id"], intent["id"]);
    assert_eq!(cancelled["intents"][0]["status"], "VOIDED");

    let refused: Value = reqwest::Client::new()
        .post(&url)
        .bearer_auth(customer_token(&config))
        .json(&json!({ "query": operations::AUTHORIZE, "variables": variables }))
        .send()
        .await
        .expect("a response")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );
}
