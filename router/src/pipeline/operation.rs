//! A prepared operation: the client's document, the operation selected from it, its plan and
//! what execution needs to know about it; and selecting the operation of a document.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use graphql_tools::parser::Pos;
use graphql_tools::parser::query::{self as q, Definition, Selection};
use hive_router_query_planner::planner::plan_nodes::QueryPlan;

use super::PipelineError;
use super::project::Projection;
use crate::ast::{Document, Fragments, OperationType, operation_name, operation_parts};
use crate::auth;
use crate::error::{ErrorCode, GraphQLError};
use crate::plan::schedule::Schedule;

#[derive(Debug)]
pub struct PreparedOperation {
    pub document: Document,
    pub(super) op_index: usize,
    pub kind: OperationType,
    pub plan: Option<QueryPlan>,
    /// Whether the operation selects `__schema`/`__type`, answered by the router itself.
    pub introspection: bool,
    /// Variables that `@skip`/`@include` read; the response shape depends on their values.
    pub(super) condition_variables: Vec<String>,
    pub(super) projections: Mutex<HashMap<Vec<Option<bool>>, Arc<Projection>>>,
    /// Built on first use, once the plan has its final address (the schedule refers to its
    /// nodes by address).
    pub(super) schedule: OnceLock<Schedule>,
    /// Field selections that the supergraph's authorization directives guard.
    pub(super) guards: Vec<auth::Guard>,
    /// Field selections left out of the plan for this caller; they read as null.
    pub(super) denied: HashSet<Pos>,
    pub(super) denied_hash: u64,
    pub(super) operation_name: Option<String>,
    /// The progressive-override draw the plan was made with, for variants of it.
    pub(super) draw: u64,
    /// This operation planned without the selections a caller may not make, per denied set.
    pub(super) variants: Mutex<HashMap<Vec<Pos>, Arc<PreparedOperation>>>,
}

impl PreparedOperation {
    pub fn operation(
        &self,
    ) -> (
        &q::SelectionSet<'static, String>,
        &[q::VariableDefinition<'static, String>],
    ) {
        match &self.document.definitions[self.op_index] {
            Definition::Operation(op) => operation_parts(op),
            // The index always points at an operation: it was found by `select_operation`.
            Definition::Fragment(f) => (&f.selection_set, &[]),
        }
    }

    /// When each step of the plan's Sequences may start.
    pub fn schedule(&self) -> &Schedule {
        self.schedule.get_or_init(|| match &self.plan {
            Some(plan) => Schedule::new(plan, self.kind == OperationType::Query),
            None => Schedule::default(),
        })
    }

    /// A hash of the selections this variant leaves out (0 for none): requests that share an
    /// execution must be allowed the same selections.
    pub fn denied_hash(&self) -> u64 {
        self.denied_hash
    }

    /// Whether it selects fields behind `@authenticated`/`@requiresScopes`/`@policy`: its
    /// answer depends on who asks.
    pub fn guarded(&self) -> bool {
        !self.guards.is_empty()
    }
}

pub(super) fn select_operation(
    document: &Document,
    name: Option<&str>,
) -> Result<usize, PipelineError> {
    let operations: Vec<usize> = document
        .definitions
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d, Definition::Operation(_)))
        .map(|(i, _)| i)
        .collect();
    let fail = |message: String| {
        Err(PipelineError::Operation(Box::new(GraphQLError::with_code(
            message,
            ErrorCode::OperationNotFound,
        ))))
    };
    match name {
        Some(name) => operations
            .into_iter()
            .find(|i| match &document.definitions[*i] {
                Definition::Operation(op) => operation_name(op) == Some(name),
                Definition::Fragment(_) => false,
            })
            .map_or_else(|| fail(format!("Unknown operation named \"{name}\".")), Ok),
        None => match operations.as_slice() {
            [single] => Ok(*single),
            [] => fail("Must provide an operation.".to_string()),
            _ => fail(
                "Must provide operation name if query contains multiple operations.".to_string(),
            ),
        },
    }
}

fn any_root_field<'d>(
    set: &'d q::SelectionSet<'static, String>,
    fragments: &Fragments<'d>,
    visited: &mut HashSet<&'d str>,
    pred: &dyn Fn(&str) -> bool,
) -> bool {
    set.items.iter().any(|selection| match selection {
        Selection::Field(f) => pred(&f.name),
        Selection::InlineFragment(i) => any_root_field(&i.selection_set, fragments, visited, pred),
        Selection::FragmentSpread(s) => {
            visited.insert(s.fragment_name.as_str())
                && fragments
                    .get(s.fragment_name.as_str())
                    .is_some_and(|f| any_root_field(&f.selection_set, fragments, visited, pred))
        }
    })
}

pub(super) fn selects_introspection<'d>(
    set: &'d q::SelectionSet<'static, String>,
    fragments: &Fragments<'d>,
    visited: &mut HashSet<&'d str>,
) -> bool {
    any_root_field(set, fragments, visited, &|name| {
        name == "__schema" || name == "__type"
    })
}

pub(super) fn selects_subgraph_fields<'d>(
    set: &'d q::SelectionSet<'static, String>,
    fragments: &Fragments<'d>,
    visited: &mut HashSet<&'d str>,
) -> bool {
    any_root_field(set, fragments, visited, &|name| !name.starts_with("__"))
}

pub(super) fn collect_condition_variables(document: &Document, out: &mut Vec<String>) {
    fn directives(list: &[q::Directive<'static, String>], out: &mut Vec<String>) {
        for d in list
            .iter()
            .filter(|d| d.name == "skip" || d.name == "include")
        {
            for (_, value) in &d.arguments {
                if let q::Value::Variable(name) = value
                    && !out.contains(name)
                {
                    out.push(name.clone());
                }
            }
        }
    }
    fn walk(set: &q::SelectionSet<'static, String>, out: &mut Vec<String>) {
        for selection in &set.items {
            match selection {
                Selection::Field(f) => {
                    directives(&f.directives, out);
                    walk(&f.selection_set, out);
                }
                Selection::InlineFragment(i) => {
                    directives(&i.directives, out);
                    walk(&i.selection_set, out);
                }
                Selection::FragmentSpread(s) => directives(&s.directives, out),
            }
        }
    }
    for definition in &document.definitions {
        match definition {
            Definition::Operation(op) => walk(operation_parts(op).0, out),
            Definition::Fragment(f) => walk(&f.selection_set, out),
        }
    }
}
