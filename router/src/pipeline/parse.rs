//! The parse stage: the raw text within the token and nesting limits, then parsed.

use graphql_tools::parser::query as q;

use super::PipelineError;
use crate::ast::Document;
use crate::config::OperationLimits;
use crate::error::{ErrorCode, GraphQLError};

/// Parses `query` once its raw text is within the token and nesting limits.
pub(super) fn parse(query: &str, limits: &OperationLimits) -> Result<Document, PipelineError> {
    limits
        .check_text(query)
        .map_err(|error| PipelineError::Parse(vec![*error]))?;
    match q::parse_query::<String>(query) {
        Ok(doc) => Ok(doc.into_static()),
        Err(e) => {
            let pos = e.0.position;
            let message = e.to_string();
            let message = message
                .lines()
                .skip_while(|l| l.starts_with("query parse error"))
                .collect::<Vec<_>>()
                .join(" ");
            let message = if message.trim().is_empty() {
                "Syntax Error".to_string()
            } else {
                format!("Syntax Error: {}", message.trim())
            };
            Err(PipelineError::Parse(vec![
                GraphQLError::with_code(message, ErrorCode::ParseFailed).at(pos.line, pos.column),
            ]))
        }
    }
}
