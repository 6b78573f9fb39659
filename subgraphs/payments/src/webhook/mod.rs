//! The provider webhook endpoint, `POST /webhooks/payments/<provider>` beside `/graphql`.
//!
//! The raw body is checked against `Commerce-Signature` (see [`crate::domain::webhook`]) before
//! it is parsed. Answers are JSON: `200 {"status": "applied" | "duplicate" | "ignored"}`, or an
//! error `{"error": {"code", "message"}}` with 400 (malformed signature header or event), 401
//! (wrong signature, or a timestamp outside the 300 s tolerance), 404 (an unknown provider or
//! intent; not recorded, so a later delivery may apply) or 500.

mod secret;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use commerce_kernel::{DomainError, ErrorCode};
use serde_json::json;

pub use secret::WebhookSecret;

use crate::domain::webhook::{SIGNATURE_HEADER, SignatureError, verify};
use crate::provider::TestProvider;
use crate::service::{PaymentError, PaymentsService, WebhookEvent, WebhookOutcome};

/// The webhook route; merged into the subgraph's router.
pub fn routes(service: PaymentsService) -> Router {
    Router::new()
        .route("/webhooks/payments/{provider}", post(receive))
        .with_state(service)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "error": { "code": code, "message": message } });
    (status, axum::Json(body)).into_response()
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn receive(
    State(service): State<PaymentsService>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // Only the test provider signs its events this way; others would bring their own scheme.
    if provider != TestProvider::NAME {
        return error(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such payment provider",
        );
    }
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if let Err(refused) = verify(
        service.webhook_secret().as_bytes(),
        header,
        &body,
        unix_now(),
    ) {
        let status = match refused {
            SignatureError::Malformed => StatusCode::BAD_REQUEST,
            SignatureError::OutsideTolerance | SignatureError::Mismatch => StatusCode::UNAUTHORIZED,
        };
        tracing::warn!(%refused, "webhook refused");
        return error(status, refused.code(), &refused.to_string());
    }
    let event: WebhookEvent = match serde_json::from_slice(&body) {
        Ok(event) => event,
        Err(parse) => {
            return error(
                StatusCode::BAD_REQUEST,
                "MALFORMED_EVENT",
                &parse.to_string(),
            );
        }
    };
    match service.apply_webhook(&provider, &event).await {
        Ok(WebhookOutcome::Applied) => ok("applied", None),
        Ok(WebhookOutcome::Duplicate) => ok("duplicate", None),
        Ok(WebhookOutcome::Ignored(reason)) => ok("ignored", Some(reason)),
        Err(failure) => failed(&failure),
    }
}

fn ok(status: &str, reason: Option<String>) -> Response {
    let body = match reason {
        Some(reason) => json!({ "status": status, "reason": reason }),
        None => json!({ "status": status }),
    };
    (StatusCode::OK, axum::Json(body)).into_response()
}

fn failed(failure: &PaymentError) -> Response {
    match failure.code() {
        ErrorCode::NotFound => error(StatusCode::NOT_FOUND, "NOT_FOUND", &failure.to_string()),
        ErrorCode::BadUserInput => error(
            StatusCode::BAD_REQUEST,
            "MALFORMED_EVENT",
            &failure.to_string(),
        ),
        _ => {
            tracing::error!(error = %failure, "applying a webhook event failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "internal server error",
            )
        }
    }
}
