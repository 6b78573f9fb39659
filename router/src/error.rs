//! GraphQL errors as they appear in responses, and the stable `extensions.code` values.

use serde::Serialize;
use serde_json::{Map, Value};

/// Stable codes clients can branch on; never rename one, only add.
pub mod codes {
    pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";
    pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";
    pub const BAD_REQUEST: &str = "BAD_REQUEST";
    pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
    pub const OPERATION_NOT_FOUND: &str = "OPERATION_RESOLUTION_FAILURE";
    pub const METHOD_NOT_ALLOWED: &str = "METHOD_NOT_ALLOWED";
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "UNSUPPORTED_MEDIA_TYPE";
    pub const PAYLOAD_TOO_LARGE: &str = "PAYLOAD_TOO_LARGE";
    pub const SUBGRAPH_REQUEST_FAILED: &str = "SUBGRAPH_REQUEST_FAILED";
    pub const QUERY_PLANNING_FAILED: &str = "QUERY_PLANNING_FAILED";
    pub const QUERY_PLANNING_TIMEOUT: &str = "QUERY_PLANNING_TIMEOUT";
    pub const NOT_ACCEPTABLE: &str = "NOT_ACCEPTABLE";
    pub const INTERNAL_SERVER_ERROR: &str = "INTERNAL_SERVER_ERROR";
    pub const PERSISTED_QUERY_NOT_FOUND: &str = "PERSISTED_QUERY_NOT_FOUND";
    pub const PERSISTED_QUERY_NOT_SUPPORTED: &str = "PERSISTED_QUERY_NOT_SUPPORTED";
    pub const PERSISTED_QUERY_HASH_MISMATCH: &str = "PERSISTED_QUERY_HASH_MISMATCH";
    pub const PERSISTED_QUERY_NOT_IN_LIST: &str = "PERSISTED_QUERY_NOT_IN_LIST";
    pub const UNAUTHORIZED_FIELD: &str = "UNAUTHORIZED_FIELD_OR_TYPE";
    pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
    pub const RATE_LIMITED: &str = "RATE_LIMITED";
    pub const REQUEST_TIMEOUT: &str = "REQUEST_TIMEOUT";
    pub const SERVICE_OVERLOADED: &str = "SERVICE_OVERLOADED";
    pub const MAX_DEPTH_EXCEEDED: &str = "MAX_DEPTH_EXCEEDED";
    pub const MAX_ALIASES_EXCEEDED: &str = "MAX_ALIASES_EXCEEDED";
    pub const MAX_ROOT_FIELDS_EXCEEDED: &str = "MAX_ROOT_FIELDS_EXCEEDED";
    pub const MAX_TOKENS_EXCEEDED: &str = "MAX_TOKENS_EXCEEDED";
    pub const MAX_EXPANDED_FIELDS_EXCEEDED: &str = "MAX_EXPANDED_FIELDS_EXCEEDED";
    pub const MAX_FRAGMENTS_EXCEEDED: &str = "MAX_FRAGMENTS_EXCEEDED";
    pub const MAX_DIRECTIVES_EXCEEDED: &str = "MAX_DIRECTIVES_EXCEEDED";
    pub const MAX_ARGUMENTS_EXCEEDED: &str = "MAX_ARGUMENTS_EXCEEDED";
    pub const EXECUTION_TIMEOUT: &str = "EXECUTION_TIMEOUT";
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

    pub fn with_code(message: impl Into<String>, code: &str) -> Self {
        Self::new(message).code(code)
    }

    pub fn code(mut self, code: &str) -> Self {
        self.extensions
            .insert("code".to_string(), Value::String(code.to_string()));
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
