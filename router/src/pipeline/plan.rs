//! The plan stage: the document the planner sees (no introspection, no field that can never
//! hold a value, no denied selection), planned off the async workers under a deadline and
//! cancelled when its caller is gone, then rewritten (nested entities fetched by key).

use std::collections::HashSet;
use std::sync::Arc;

use graphql_tools::parser::Pos;
use graphql_tools::parser::query::{self as q, Definition, Selection};
use hive_router_query_planner::ast::normalization::normalize_operation;
use hive_router_query_planner::graph::PlannerOverrideContext;
use hive_router_query_planner::planner::plan_nodes::QueryPlan;
use hive_router_query_planner::utils::cancellation::CancellationToken;

use super::operation::{select_operation, selects_subgraph_fields};
use super::{PipelineError, PlanningOptions};
use crate::ast::{
    Document, fragments, operation_parts, operation_type, selection_set_mut, typename_selection,
};
use crate::auth;
use crate::error::{ErrorCode, GraphQLError};
use crate::plan::nested_entities;
use crate::supergraph::{SchemaState, panic_message};

/// Plans `document` without its introspection fields, its fields that can never hold a value
/// and the `denied` selections; `None` when nothing is left for a subgraph to answer.
pub(super) async fn plan_document(
    state: &Arc<SchemaState>,
    document: &Document,
    denied: &HashSet<Pos>,
    operation_name: Option<&str>,
    options: &PlanningOptions,
    draw: u64,
) -> Result<Option<QueryPlan>, PipelineError> {
    let mut planning_document = strip_introspection(document);
    let unanswerable = prune_unimplemented(&mut planning_document, state);
    if !unanswerable.is_empty() {
        return Err(PipelineError::Unanswerable(unanswerable));
    }
    if !denied.is_empty() {
        auth::prune_denied(&mut planning_document, denied);
        let op_index = select_operation(&planning_document, operation_name)?;
        let fragments = fragments(&planning_document);
        if let Definition::Operation(op) = &planning_document.definitions[op_index]
            && !selects_subgraph_fields(operation_parts(op).0, &fragments, &mut HashSet::new())
        {
            return Ok(None);
        }
    }
    plan(
        state.clone(),
        planning_document,
        operation_name.map(str::to_string),
        options,
        draw,
    )
    .await
    .map(Some)
}

/// Below a field that can never hold a value (see `SchemaState::unimplemented_fields`), only
/// what its own subgraphs resolve is planned; the response shows such fields as null. A
/// selection below it that none of its subgraphs resolves (only an `@interfaceObject` that no
/// subgraph resolves by key has it) cannot be answered at all: each is returned as an error,
/// and the operation answers `data: null` with them rather than a null that hides the gap.
fn prune_unimplemented(document: &mut Document, state: &SchemaState) -> Vec<GraphQLError> {
    /// Whether `field` of `type_name` resolves in one of `graphs`.
    fn resolves_in(
        state: &SchemaState,
        type_name: &str,
        field: &str,
        graphs: &HashSet<String>,
    ) -> bool {
        let supergraph = &state.planner.supergraph;
        field == "__typename"
            || supergraph.definitions.get(type_name).is_some_and(|def| {
                def.fields().get(field).is_some_and(|f| {
                    f.resolvable_in_graphs(def)
                        .iter()
                        .any(|g| graphs.contains(g))
                })
            })
    }
    /// Keeps the selections of `set` (of type `ty`, below `owner`) that `graphs` resolve,
    /// inline fragments included; each other field is an error.
    fn keep_resolvable(
        set: &mut q::SelectionSet<'static, String>,
        ty: &str,
        graphs: &HashSet<String>,
        owner: &str,
        state: &SchemaState,
        unanswerable: &mut Vec<GraphQLError>,
    ) {
        set.items.retain_mut(|s| match s {
            Selection::Field(f) if resolves_in(state, ty, &f.name, graphs) => true,
            Selection::Field(f) => {
                unanswerable.push(
                    GraphQLError::with_code(
                        format!(
                            "Cannot resolve field \"{}\" of \"{ty}\": no subgraph that \
                             returns \"{owner}\" has it, and the @interfaceObject that has \
                             it is resolved by key nowhere",
                            f.name
                        ),
                        ErrorCode::QueryPlanningFailed,
                    )
                    .at(f.position.line, f.position.column),
                );
                false
            }
            Selection::InlineFragment(inline) => {
                let ty = match &inline.type_condition {
                    Some(q::TypeCondition::On(condition)) => condition.as_str(),
                    None => ty,
                };
                keep_resolvable(
                    &mut inline.selection_set,
                    ty,
                    graphs,
                    owner,
                    state,
                    unanswerable,
                );
                true
            }
            Selection::FragmentSpread(_) => true,
        });
    }
    fn prune(
        set: &mut q::SelectionSet<'static, String>,
        parent: &str,
        state: &SchemaState,
        unanswerable: &mut Vec<GraphQLError>,
    ) {
        let before = set.items.len();
        set.items.retain_mut(|selection| match selection {
            Selection::Field(field) if !field.selection_set.items.is_empty() => {
                let Some(def) = state.api.field(parent, &field.name) else {
                    return true;
                };
                let ty = def.ty.named();
                let key = (parent.to_string(), field.name.clone());
                let Some(graphs) = state.unimplemented_fields.get(&key) else {
                    prune(&mut field.selection_set, ty, state, unanswerable);
                    return true;
                };
                let owner = format!("{parent}.{}", field.name);
                keep_resolvable(
                    &mut field.selection_set,
                    ty,
                    graphs,
                    &owner,
                    state,
                    unanswerable,
                );
                // A field left with nothing to select is not asked for at all.
                !field.selection_set.items.is_empty()
            }
            Selection::InlineFragment(inline) => {
                let parent = match &inline.type_condition {
                    Some(q::TypeCondition::On(condition)) => condition.as_str(),
                    None => parent,
                };
                prune(&mut inline.selection_set, parent, state, unanswerable);
                true
            }
            Selection::Field(_) | Selection::FragmentSpread(_) => true,
        });
        if set.items.is_empty() && before > 0 {
            set.items.push(typename_selection(set.span));
        }
    }
    let mut unanswerable = Vec::new();
    // Most supergraphs have no such field: nothing to walk.
    if state.unimplemented_fields.is_empty() {
        return unanswerable;
    }
    for definition in &mut document.definitions {
        match definition {
            Definition::Operation(op) => {
                let Some(root) = state.api.root_type(operation_type(op)) else {
                    continue;
                };
                prune(selection_set_mut(op), root, state, &mut unanswerable);
            }
            Definition::Fragment(f) => {
                let q::TypeCondition::On(condition) = &f.type_condition;
                prune(&mut f.selection_set, condition, state, &mut unanswerable);
            }
        }
    }
    unanswerable
}

/// The planner only knows subgraph fields: drop `__schema`/`__type`, keeping selection sets
/// non-empty with `__typename`.
fn strip_introspection(document: &Document) -> Document {
    fn strip(set: &mut q::SelectionSet<'static, String>) {
        let before = set.items.len();
        set.items.retain(
            |s| !matches!(s, Selection::Field(f) if f.name == "__schema" || f.name == "__type"),
        );
        for selection in &mut set.items {
            match selection {
                Selection::InlineFragment(i) => strip(&mut i.selection_set),
                Selection::Field(_) | Selection::FragmentSpread(_) => {}
            }
        }
        if set.items.is_empty() && before > 0 {
            set.items.push(typename_selection(set.span));
        }
    }
    let mut document = document.clone();
    for definition in &mut document.definitions {
        match definition {
            Definition::Operation(op) => strip(selection_set_mut(op)),
            Definition::Fragment(f) => strip(&mut f.selection_set),
        }
    }
    document
}

async fn plan(
    state: Arc<SchemaState>,
    document: Document,
    operation_name: Option<String>,
    options: &PlanningOptions,
    draw: u64,
) -> Result<QueryPlan, PipelineError> {
    let timeout = options.timeout;
    let flags = options.override_flags.clone();
    let by_key = options.fetch_nested_entities_by_key;
    // Planning is CPU-bound and may be slow on pathological documents: run it off the async
    // workers, bounded by a deadline the planner checks cooperatively. A caller that stops
    // waiting (a client gone, a request deadline) cancels it too, so no thread keeps planning
    // for nobody.
    let token = Arc::new(CancellationToken::with_timeout(timeout));
    let _cancel_when_dropped = CancelOnDrop(token.clone());
    let task = tokio::task::spawn_blocking(move || {
        let normalized = normalize_operation(
            &state.planner.supergraph,
            &document,
            operation_name.as_deref(),
        )
        .map_err(|e| planning_error(&format!("Failed to normalize the operation: {e}")))?;
        let context = PlannerOverrideContext::new(flags, draw);
        state
            .planner
            .plan_from_normalized_operation(&normalized.operation, context, &token)
            .map_err(|e| match e {
                hive_router_query_planner::planner::PlannerError::CancellationError(_) => {
                    PipelineError::Planning(Box::new(GraphQLError::with_code(
                        "Query planning timed out",
                        ErrorCode::QueryPlanningTimeout,
                    )))
                }
                other => planning_error(&format!("Query planning failed: {other}")),
            })
            .map(|mut plan| {
                if by_key {
                    nested_entities::fetch_by_key(
                        &mut plan,
                        &state.planner.supergraph,
                        &state.supergraph_types,
                    );
                }
                plan
            })
    });
    match task.await {
        Ok(result) => result,
        Err(join_error) => {
            let reason = match join_error.try_into_panic() {
                Ok(panic) => panic_message(&panic),
                Err(e) => e.to_string(),
            };
            tracing::error!(%reason, "query planner panicked");
            Err(planning_error("Query planning failed"))
        }
    }
}

/// Cancels the planning of a caller that is dropped before the plan is done.
struct CancelOnDrop(Arc<CancellationToken>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

fn planning_error(message: &str) -> PipelineError {
    PipelineError::Planning(Box::new(GraphQLError::with_code(
        message,
        ErrorCode::QueryPlanningFailed,
    )))
}
