//! Stable error codes for `extensions.code`, and the one way every subgraph turns failures into
//! GraphQL errors: client errors keep their message, internal ones are masked and logged.
//!
//! A subgraph's error enum implements [`DomainError`]. Failures that are data become members of
//! result unions declared with [`result_union!`](crate::result_union) through the subgraph's
//! [`ErrorResults`] interface; every other failure goes through [`top_level`].

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
    /// Another service this one needs did not answer (down, timing out, overloaded).
    ServiceUnavailable,
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
            Self::ServiceUnavailable => "SERVICE_UNAVAILABLE",
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

/// A domain's error enum, as GraphQL needs to see it.
pub trait DomainError: std::error::Error + 'static {
    /// The stable code clients see in `extensions.code` or in an `ErrorResult`.
    fn code(&self) -> ErrorCode;

    /// Our failure rather than the client's: masked as `INTERNAL_SERVER_ERROR`, cause logged.
    fn is_internal(&self) -> bool {
        self.code() == ErrorCode::InternalServerError
    }

    /// Fields a client may act on, set in `extensions` beside the code (`retryAfterSeconds`).
    fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        Vec::new()
    }
}

/// The top-level GraphQL error for a failure that is not data: a client failure keeps its
/// message, code and extensions; an internal one is masked and logged.
pub fn top_level<E: DomainError>(error: E) -> async_graphql::Error {
    if error.is_internal() {
        return internal_error(&error);
    }
    let extensions = error.extensions();
    client_error(error.code(), error.to_string()).extend_with(|_, ext| {
        for (name, value) in extensions {
            ext.set(
                name,
                async_graphql::Value::from_json(value).unwrap_or_default(),
            );
        }
    })
}

/// A subgraph's `ErrorResult` interface: which of its domain's failures are data.
pub trait ErrorResults<E>: Sized {
    /// The interface member for an expected failure, or the error back when it is not one.
    fn expected(error: E) -> Result<Self, E>;
}

/// `error` as a member of one result union (`member` picks the ones that union has), else a
/// top-level error: an expected failure the union has no member for keeps its own code.
pub fn union_member<E, R, U>(
    error: E,
    member: impl FnOnce(R) -> Option<U>,
) -> async_graphql::Result<U>
where
    E: DomainError,
    R: ErrorResults<E>,
{
    let (code, message) = (error.code(), error.to_string());
    match R::expected(error) {
        Ok(failure) => member(failure).ok_or_else(|| client_error(code, message)),
        Err(error) => Err(top_level(error)),
    }
}

/// Declares a result union of one success type and some members of the subgraph's
/// `ErrorResult` interface, with `from_result`, which keeps the success and those failures as
/// data and turns any other failure into a top-level error.
///
/// ```ignore
/// commerce_kernel::result_union!(
///     /// The product, or why it could not be saved.
///     pub ProductResult(CatalogError => ErrorResult) = Product | SlugTaken | SkuTaken
/// );
/// ProductResult::from_result(outcome) // outcome: Result<impl Into<Product>, CatalogError>
/// ```
#[macro_export]
macro_rules! result_union {
    (
        $(#[$meta:meta])*
        $vis:vis $name:ident($error:ty => $results:ident) = $ok:ident $(| $member:ident)+
    ) => {
        $(#[$meta])*
        #[derive(async_graphql::Union)]
        $vis enum $name {
            $ok($ok),
            $($member($member),)+
        }

        impl $name {
            /// The success, a failure this union has a member for, or a top-level error.
            $vis fn from_result<T: Into<$ok>>(
                result: Result<T, $error>,
            ) -> async_graphql::Result<Self> {
                match result {
                    Ok(value) => Ok(Self::$ok(value.into())),
                    Err(error) => $crate::error::union_member(error, |failure| match failure {
                        $($results::$member(member) => Some(Self::$member(member)),)+
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }),
                }
            }
        }
    };
}

/// An input that breaks a rule; `field` names the input field so clients can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl DomainError for ValidationError {
    fn code(&self) -> ErrorCode {
        ErrorCode::BadUserInput
    }
}

impl DomainError for KernelError {
    fn code(&self) -> ErrorCode {
        self.code
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

    #[derive(Debug, thiserror::Error)]
    enum TestError {
        #[error("slow down")]
        Throttled { retry_after: u64 },
        #[error("database unreachable at 10.0.0.5")]
        Database,
    }

    impl DomainError for TestError {
        fn code(&self) -> ErrorCode {
            match self {
                Self::Throttled { .. } => ErrorCode::RateLimited,
                Self::Database => ErrorCode::InternalServerError,
            }
        }

        fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
            match self {
                Self::Throttled { retry_after } => {
                    vec![("retryAfterSeconds", (*retry_after).into())]
                }
                Self::Database => Vec::new(),
            }
        }
    }

    fn extension(error: &async_graphql::Error, name: &str) -> Option<async_graphql::Value> {
        error.extensions.as_ref().and_then(|e| e.get(name)).cloned()
    }

    #[test]
    fn top_level_errors_keep_client_codes_and_extensions_and_mask_internal_ones() {
        let throttled = top_level(TestError::Throttled { retry_after: 30 });
        assert_eq!(throttled.message, "slow down");
        assert_eq!(extension(&throttled, "code"), Some("RATE_LIMITED".into()));
        assert_eq!(
            extension(&throttled, "retryAfterSeconds"),
            Some(async_graphql::Value::from(30))
        );

        let database = top_level(TestError::Database);
        assert_eq!(database.message, "internal server error");
        assert_eq!(
            extension(&database, "code"),
            Some("INTERNAL_SERVER_ERROR".into())
        );
    }

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
