//! Stable error codes for `extensions.code`, and the one way every subgraph turns failures into
//! GraphQL errors: client errors keep their message, internal ones are masked and logged.

use async_graphql::ErrorExtensions;

/// Codes that clients may match on. Renaming one is a breaking change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    BadUserInput,
    NotFound,
    Unauthenticated,
    Forbidden,
    Conflict,
    InsufficientStock,
    RateLimited,
    InternalServerError,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::NotFound => "NOT_FOUND",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::Conflict => "CONFLICT",
            Self::InsufficientStock => "INSUFFICIENT_STOCK",
            Self::RateLimited => "RATE_LIMITED",
            Self::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }
}

/// A failure with a code and a message safe to show to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct KernelError {
    pub code: ErrorCode,
    pub message: String,
}

impl KernelError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Builds the GraphQL error for a client-facing failure.
pub fn client_error(code: ErrorCode, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, ext| ext.set("code", code.as_str()))
}

/// Masks an unexpected failure: the client sees `INTERNAL_SERVER_ERROR`, the log gets the cause.
pub fn internal_error(cause: &(dyn std::error::Error + 'static)) -> async_graphql::Error {
    tracing::error!(error = %cause, source = ?cause.source(), "internal error");
    client_error(ErrorCode::InternalServerError, "internal server error")
}

/// `async_graphql::Error` converts anything `Display` without a code, so client errors go
/// through `.extend()` (or [`GraphqlResultExt::or_client`]) to carry theirs.
impl ErrorExtensions for KernelError {
    fn extend(&self) -> async_graphql::Error {
        client_error(self.code, self.message.clone())
    }
}

/// `?`-friendly conversion of infrastructure failures (sea-orm, I/O) into masked GraphQL errors.
pub trait GraphqlResultExt<T> {
    fn or_internal(self) -> async_graphql::Result<T>;
}

impl<T, E: std::error::Error + 'static> GraphqlResultExt<T> for Result<T, E> {
    fn or_internal(self) -> async_graphql::Result<T> {
        self.map_err(|error| internal_error(&error))
    }
}

/// `?`-friendly conversion of client-facing failures, keeping their code.
pub trait ClientResultExt<T> {
    fn or_client(self) -> async_graphql::Result<T>;
}

impl<T> ClientResultExt<T> for Result<T, KernelError> {
    fn or_client(self) -> async_graphql::Result<T> {
        self.map_err(|error| error.extend())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_are_masked() {
        let cause = std::io::Error::other("disk on fire at /var/lib");
        let error = internal_error(&cause);
        assert_eq!(error.message, "internal server error");
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code"))
            .cloned();
        assert_eq!(
            code,
            Some(async_graphql::Value::from("INTERNAL_SERVER_ERROR"))
        );
    }
}
