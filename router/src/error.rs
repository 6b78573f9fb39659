//! GraphQL errors as they appear in responses, and the stable `extensions.code` values.

use http::StatusCode;
use serde::Serialize;
use serde_json::{Map, Value};

/// Stable codes clients can branch on; never rename one, only add.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    ParseFailed,
    ValidationFailed,
    BadRequest,
    BadUserInput,
    OperationNotFound,
    MethodNotAllowed,
    UnsupportedMediaType,
    PayloadTooLarge,
    SubgraphRequestFailed,
    /// The subgraph failed repeatedly and its circuit is open: not asked for a while.
    SubgraphUnavailable,
    QueryPlanningFailed,
    QueryPlanningTimeout,
    NotAcceptable,
    InternalServerError,
    PersistedQueryNotFound,
    PersistedQueryNotSupported,
    PersistedQueryHashMismatch,
    PersistedQueryNotInList,
    UnauthorizedField,
    Unauthenticated,
    RateLimited,
    RequestTimeout,
    ServiceOverloaded,
    MaxDepthExceeded,
    MaxAliasesExceeded,
    MaxRootFieldsExceeded,
    MaxTokensExceeded,
    MaxExpandedFieldsExceeded,
    MaxFragmentsExceeded,
    MaxDirectivesExceeded,
    MaxArgumentsExceeded,
    ExecutionTimeout,
    /// The subgraph's side of a subscription closed without completing it.
    SubgraphSubscriptionClosed,
    /// The router or the connection holds as many subscriptions as configured.
    SubscriptionLimitExceeded,
    /// The client let more messages pile up than `subscriptions.buffer`.
    SubscriptionClientTooSlow,
    /// The router is shutting down.
    ShuttingDown,
    /// The operation's estimated cost is over `demand_control.max_cost`.
    CostEstimatedTooExpensive,
    /// The operation breaks a cost directive's rule (a `@listSize` that requires exactly one
    /// slicing argument got none or several).
    CostQueryParseFailure,
}

impl ErrorCode {
    /// The code as clients see it in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ParseFailed => "GRAPHQL_PARSE_FAILED",
            ErrorCode::ValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::OperationNotFound => "OPERATION_RESOLUTION_FAILURE",
            ErrorCode::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ErrorCode::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::SubgraphRequestFailed => "SUBGRAPH_REQUEST_FAILED",
            ErrorCode::SubgraphUnavailable => "SUBGRAPH_UNAVAILABLE",
            ErrorCode::QueryPlanningFailed => "QUERY_PLANNING_FAILED",
            ErrorCode::QueryPlanningTimeout => "QUERY_PLANNING_TIMEOUT",
            ErrorCode::NotAcceptable => "NOT_ACCEPTABLE",
            ErrorCode::InternalServerError => "INTERNAL_SERVER_ERROR",
            ErrorCode::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            ErrorCode::PersistedQueryNotSupported => "PERSISTED_QUERY_NOT_SUPPORTED",
            ErrorCode::PersistedQueryHashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
            ErrorCode::PersistedQueryNotInList => "PERSISTED_QUERY_NOT_IN_LIST",
            ErrorCode::UnauthorizedField => "UNAUTHORIZED_FIELD_OR_TYPE",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::RequestTimeout => "REQUEST_TIMEOUT",
            ErrorCode::ServiceOverloaded => "SERVICE_OVERLOADED",
            ErrorCode::MaxDepthExceeded => "MAX_DEPTH_EXCEEDED",
            ErrorCode::MaxAliasesExceeded => "MAX_ALIASES_EXCEEDED",
            ErrorCode::MaxRootFieldsExceeded => "MAX_ROOT_FIELDS_EXCEEDED",
            ErrorCode::MaxTokensExceeded => "MAX_TOKENS_EXCEEDED",
            ErrorCode::MaxExpandedFieldsExceeded => "MAX_EXPANDED_FIELDS_EXCEEDED",
            ErrorCode::MaxFragmentsExceeded => "MAX_FRAGMENTS_EXCEEDED",
            ErrorCode::MaxDirectivesExceeded => "MAX_DIRECTIVES_EXCEEDED",
            ErrorCode::MaxArgumentsExceeded => "MAX_ARGUMENTS_EXCEEDED",
            ErrorCode::ExecutionTimeout => "EXECUTION_TIMEOUT",
            ErrorCode::SubgraphSubscriptionClosed => "SUBGRAPH_SUBSCRIPTION_CLOSED",
            ErrorCode::SubscriptionLimitExceeded => "SUBSCRIPTION_LIMIT_EXCEEDED",
            ErrorCode::SubscriptionClientTooSlow => "SUBSCRIPTION_CLIENT_TOO_SLOW",
            ErrorCode::ShuttingDown => "SHUTTING_DOWN",
            ErrorCode::CostEstimatedTooExpensive => "COST_ESTIMATED_TOO_EXPENSIVE",
            ErrorCode::CostQueryParseFailure => "COST_QUERY_PARSE_FAILURE",
        }
    }

    /// The HTTP status of a response whose request failed with this code as a whole (with
    /// `application/graphql-response+json`; see `http` for the legacy `application/json`
    /// statuses). Codes that only ever mark one field of an executed response map to 200.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::ParseFailed => StatusCode::BAD_REQUEST,
            ErrorCode::ValidationFailed => StatusCode::BAD_REQUEST,
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::BadUserInput => StatusCode::BAD_REQUEST,
            ErrorCode::OperationNotFound => StatusCode::BAD_REQUEST,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::SubgraphRequestFailed | ErrorCode::SubgraphUnavailable => StatusCode::OK,
            ErrorCode::QueryPlanningFailed => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::QueryPlanningTimeout => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            ErrorCode::InternalServerError => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::PersistedQueryNotFound => StatusCode::BAD_REQUEST,
            ErrorCode::PersistedQueryNotSupported => StatusCode::BAD_REQUEST,
            ErrorCode::PersistedQueryHashMismatch => StatusCode::BAD_REQUEST,
            ErrorCode::PersistedQueryNotInList => StatusCode::BAD_REQUEST,
            ErrorCode::UnauthorizedField => StatusCode::BAD_REQUEST,
            ErrorCode::Unauthenticated => StatusCode::UNAUTHORIZED,
            ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorCode::ServiceOverloaded => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::MaxDepthExceeded => StatusCode::BAD_REQUEST,
            ErrorCode::MaxAliasesExceeded => StatusCode::BAD_REQUEST,
            ErrorCode::MaxRootFieldsExceeded => StatusCode::BAD_REQUEST,
            ErrorCode::MaxTokensExceeded => StatusCode::BAD_REQUEST,
            ErrorCode::MaxExpandedFieldsExceeded => StatusCode::BAD_REQUEST,
            ErrorCode::MaxFragmentsExceeded => StatusCode::BAD_REQUEST,
            ErrorCode::MaxDirectivesExceeded => StatusCode::BAD_REQUEST,
            ErrorCode::MaxArgumentsExceeded => StatusCode::BAD_REQUEST,
            ErrorCode::ExecutionTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorCode::SubgraphSubscriptionClosed => StatusCode::OK,
            ErrorCode::SubscriptionLimitExceeded => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::SubscriptionClientTooSlow => StatusCode::OK,
            ErrorCode::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::CostEstimatedTooExpensive => StatusCode::BAD_REQUEST,
            ErrorCode::CostQueryParseFailure => StatusCode::BAD_REQUEST,
        }
    }
}

/// A position in the client's document (1-based, as the spec requires).
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// One entry of the response's `errors` list.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GraphQLError {
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub extensions: Map<String, Value>,
}

impl GraphQLError {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            locations: Vec::new(),
            path: None,
            extensions: Map::new(),
        }
    }

    pub fn with_code(message: impl Into<String>, code: ErrorCode) -> Self {
        Self::new(message).code(code)
    }

    pub fn code(mut self, code: ErrorCode) -> Self {
        self.extensions
            .insert("code".to_string(), Value::String(code.as_str().to_string()));
        self
    }

    pub fn at(mut self, line: usize, column: usize) -> Self {
        self.locations.push(Location { line, column });
        self
    }

    pub fn path(mut self, path: Vec<Value>) -> Self {
        self.path = Some(path);
        self
    }

    /// Builds an error from a subgraph's error object, keeping its message, locations-free
    /// (subgraph locations point into a document the client never sent) and extensions.
    pub fn from_subgraph(value: &Value, service: &str) -> Self {
        let message = value
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("Subgraph error without a message")
            .to_string();
        let mut extensions = value
            .get("extensions")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        extensions.insert(
            "serviceName".to_string(),
            Value::String(service.to_string()),
        );
        Self {
            message,
            locations: Vec::new(),
            path: None,
            extensions,
        }
    }
}

/// The body of a response that carries only errors (request errors, per the spec without `data`).
pub fn errors_body(errors: &[GraphQLError]) -> Vec<u8> {
    #[derive(Serialize)]
    struct Body<'a> {
        errors: &'a [GraphQLError],
    }
    serde_json::to_vec(&Body { errors }).unwrap_or_else(|_| {
        br#"{"errors":[{"message":"Internal server error","extensions":{"code":"INTERNAL_SERVER_ERROR"}}]}"#
            .to_vec()
    })
}
