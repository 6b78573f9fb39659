//! The validate stage: graphql-tools' rules (but field merging), the spec's field merging in
//! linear time, and the known operation types.

use graphql_tools::validation::validate::validate as graphql_tools_validate;

use super::overlapping;
use crate::ast::{Document, operation_type};
use crate::error::{ErrorCode, GraphQLError};
use crate::supergraph::SchemaState;
use graphql_tools::parser::query::{Definition, OperationDefinition};

/// Every validation error of `document` against the API schema.
pub(super) fn validate(document: &Document, state: &SchemaState) -> Vec<GraphQLError> {
    let mut errors = graphql_tools_validate(&state.api_document, document, &state.validation_plan)
        .into_iter()
        .map(|e| {
            let mut error = GraphQLError::with_code(e.message, ErrorCode::ValidationFailed);
            for pos in e.locations {
                error = error.at(pos.line, pos.column);
            }
            error
        })
        .collect::<Vec<_>>();
    errors.extend(overlapping::check(&state.api, document));
    errors.extend(check_root_types(document, state));
    errors
}

/// The spec's "known operation types" rule, which graphql-tools does not carry.
fn check_root_types(document: &Document, state: &SchemaState) -> Vec<GraphQLError> {
    document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Operation(op) => {
                let kind = operation_type(op);
                if state.api.root_type(kind).is_some() {
                    return None;
                }
                let pos = match op {
                    OperationDefinition::Mutation(m) => m.position,
                    OperationDefinition::Subscription(s) => s.position,
                    OperationDefinition::Query(q) => q.position,
                    OperationDefinition::SelectionSet(s) => s.span.0,
                };
                Some(
                    GraphQLError::with_code(
                        format!(
                            "The {} operation is not supported by the schema.",
                            kind.as_str()
                        ),
                        ErrorCode::ValidationFailed,
                    )
                    .at(pos.line, pos.column),
                )
            }
            Definition::Fragment(_) => None,
        })
        .collect()
}
