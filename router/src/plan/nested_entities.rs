//! Fetching nested entities once per distinct entity: a rewrite of the planner's plan.
//!
//! The planner answers `reviews { author { reviews { … } } }` from one subgraph with one
//! fetch, so the subgraph resolves each author's reviews under every review the author wrote:
//! an author with ten reviews is resolved, serialized, sent and parsed ten times. When an
//! entity sits under a list in a fetch and its selection there fans out into a list again,
//! the rewrite leaves only the entity's key (and what the subgraph cannot resolve by key,
//! such as `@provides` fields) in that fetch, and adds an `_entities` fetch to the same
//! subgraph right after it. The executor sends each distinct representation once and merges
//! the answer into every position, so the subgraph's work and the bytes on the wire grow
//! with the distinct entities instead of with their positions. The price is one more round
//! trip to that subgraph on the plan's critical path, hence the narrow trigger; the
//! `fetch_nested_entities_by_key` setting switches it off.
//!
//! Federation's contract makes this safe: an entity's field resolved through `_entities`
//! with its key is the same field the subgraph resolves in place. Fields that the subgraph
//! only resolves in place (external, `@requires`, overridden) stay where they are, and so
//! does anything the rewrite cannot prove simple (abstract types, compound keys, conditional
//! fragments, rewrites for interface objects).

use std::collections::{BTreeSet, HashMap};

use hive_router_query_planner::ast::document::Document;
use hive_router_query_planner::ast::minification::minify_operation;
use hive_router_query_planner::ast::operation::{
    OperationDefinition, SubgraphFetchOperation, VariableDefinition,
};
use hive_router_query_planner::ast::selection_item::SelectionItem;
use hive_router_query_planner::ast::selection_set::{
    FieldSelection, InlineFragmentSelection, SelectionSet,
};
use hive_router_query_planner::ast::value::Value;
use hive_router_query_planner::planner::plan_nodes::{
    FetchNode, FlattenNode, FlattenNodePath, FlattenNodePathSegment, ParallelNode, PlanNode,
    QueryPlan, SequenceNode,
};
use hive_router_query_planner::state::supergraph_state::{
    OperationKind, SupergraphDefinition, SupergraphState, TypeNode,
};

use crate::schema::{SchemaIndex, TypeRef};

/// Rewrites `plan` in place (see the module documentation).
pub fn fetch_by_key(plan: &mut QueryPlan, supergraph: &SupergraphState, types: &SchemaIndex) {
    let graph_ids = supergraph
        .known_subgraphs
        .iter()
        .map(|(id, name)| (name.as_str(), id.as_str()))
        .collect();
    let rewriter = Rewriter {
        supergraph,
        types,
        graph_ids,
    };
    if let Some(node) = plan.node.as_mut() {
        rewriter.node(node);
    }
}

struct Rewriter<'s> {
    supergraph: &'s SupergraphState,
    types: &'s SchemaIndex,
    /// Subgraph name (as fetch nodes name it) to its `join__Graph` value.
    graph_ids: HashMap<&'s str, &'s str>,
}

/// A part of a fetch's selection moved into an `_entities` fetch of its own.
struct Moved {
    /// Where the entities are, from the response's root.
    path: Vec<FlattenNodePathSegment>,
    type_name: String,
    key_fields: Vec<String>,
    selections: SelectionSet,
}

impl Rewriter<'_> {
    /// Rewrites the fetches in `node`. The `_entities` fetches a split adds run as steps of
    /// their own right after the step they came from, where the enclosing Sequence's
    /// schedule lets each wait only for what it reads (see [`super::schedule`]);
    /// outside a Sequence, the node becomes one.
    fn node(&self, node: &mut PlanNode) {
        match node {
            PlanNode::Sequence(SequenceNode { nodes }) => {
                let mut step = 0;
                while step < nodes.len() {
                    let then = self.step(&mut nodes[step]);
                    let added = then.len();
                    nodes.splice(step + 1..step + 1, then);
                    step += 1 + added;
                }
            }
            PlanNode::Condition(condition) => {
                for branch in [&mut condition.if_clause, &mut condition.else_clause] {
                    if let Some(branch) = branch.as_deref_mut() {
                        self.node(branch);
                    }
                }
            }
            PlanNode::Defer(defer) => {
                if let Some(primary) = defer.primary.node.as_deref_mut() {
                    self.node(primary);
                }
                for deferred in &mut defer.deferred {
                    if let Some(node) = deferred.node.as_deref_mut() {
                        self.node(node);
                    }
                }
            }
            PlanNode::Fetch(_) | PlanNode::Flatten(_) | PlanNode::Parallel(_) => {
                let then = self.step(node);
                if !then.is_empty() {
                    let first = std::mem::replace(
                        node,
                        PlanNode::Sequence(SequenceNode { nodes: Vec::new() }),
                    );
                    *node = PlanNode::Sequence(SequenceNode {
                        nodes: std::iter::once(first).chain(then).collect(),
                    });
                }
            }
            // Batched entity calls and subscriptions are left as planned.
            PlanNode::BatchFetch(_) | PlanNode::Subscription(_) => {}
        }
    }

    /// Rewrites one step of a Sequence; returns the steps to run right after it.
    fn step(&self, node: &mut PlanNode) -> Vec<PlanNode> {
        match node {
            PlanNode::Fetch(fetch) => {
                let is_query = matches!(fetch.operation_kind, None | Some(OperationKind::Query));
                if is_query {
                    return self.split(fetch, &[]);
                }
                Vec::new()
            }
            PlanNode::Flatten(flatten) => {
                let base = flatten.path.as_slice().to_vec();
                match flatten.node.as_mut() {
                    PlanNode::Fetch(fetch) => self.split(fetch, &base),
                    other => {
                        self.node(other);
                        Vec::new()
                    }
                }
            }
            PlanNode::Parallel(ParallelNode { nodes }) => nodes
                .iter_mut()
                .flat_map(|branch| self.step(branch))
                .collect(),
            other => {
                self.node(other);
                Vec::new()
            }
        }
    }

    /// Moves the parts of `fetch` that fan out under repeated entities into `_entities`
    /// fetches, and returns those fetches (and theirs, recursively) as steps to run after
    /// it, each after the fetch it came from. Leaves `fetch` alone when nothing qualifies.
    fn split(&self, fetch: &mut FetchNode, base: &[FlattenNodePathSegment]) -> Vec<PlanNode> {
        self.try_split(fetch, base).unwrap_or_default()
    }

    fn try_split(
        &self,
        fetch: &mut FetchNode,
        base: &[FlattenNodePathSegment],
    ) -> Option<Vec<PlanNode>> {
        if super::rewrites::any(fetch) {
            return None;
        }
        let graph = *self.graph_ids.get(fetch.service_name.as_str())?;
        let document = &fetch.operation.document;
        let mut selection = document
            .operation
            .selection_set
            .inline_fragment_spreads(&document.fragments)
            .ok()?;
        let mut moved = Vec::new();
        if fetch.requires.is_some() {
            let [SelectionItem::Field(entities)] = selection.items.as_mut_slice() else {
                return None;
            };
            let several = entities.selections.items.len() > 1;
            for item in &mut entities.selections.items {
                let SelectionItem::InlineFragment(fragment) = item else {
                    return None;
                };
                let mut path = base.to_vec();
                if several {
                    path.push(FlattenNodePathSegment::TypeCondition(BTreeSet::from([
                        fragment.type_condition.clone(),
                    ])));
                }
                let type_name = fragment.type_condition.clone();
                self.walk(
                    graph,
                    &type_name,
                    &mut fragment.selections,
                    &path,
                    false,
                    &mut moved,
                );
            }
        } else {
            let root = self.types.query_type.clone();
            self.walk(graph, &root, &mut selection, base, false, &mut moved);
        }
        if moved.is_empty() {
            return None;
        }

        // Everything is built before `fetch` changes, so a part that cannot be built leaves
        // the fetch as planned.
        let declared = document
            .operation
            .variable_definitions
            .clone()
            .unwrap_or_default();
        let operation = self.operation(OperationDefinition {
            name: None,
            operation_kind: document.operation.operation_kind.clone(),
            variable_definitions: Some(used_definitions(&declared, &selection)),
            selection_set: selection,
        })?;
        let mut entity_fetches = moved
            .iter()
            .map(|part| {
                Some((
                    self.entity_fetch(fetch, &declared, part)?,
                    path_from(&part.path)?,
                ))
            })
            .collect::<Option<Vec<_>>>()?;
        fetch.variable_usages = client_variables(&operation.document);
        fetch.operation = operation;

        let mut steps = Vec::new();
        for ((mut entity_fetch, path), part) in entity_fetches.drain(..).zip(&moved) {
            let follow_ups = self.split(&mut entity_fetch, &part.path);
            steps.push(PlanNode::Flatten(FlattenNode {
                path,
                node: Box::new(PlanNode::Fetch(entity_fetch)),
            }));
            steps.extend(follow_ups);
        }
        Some(steps)
    }

    /// Walks one selection set of `type_name`, moving out what qualifies (see [`Self::moved`]).
    fn walk(
        &self,
        graph: &str,
        type_name: &str,
        selections: &mut SelectionSet,
        path: &[FlattenNodePathSegment],
        under_list: bool,
        moved: &mut Vec<Moved>,
    ) {
        for item in &mut selections.items {
            match item {
                SelectionItem::Field(field) => {
                    let Some(field_type) = self
                        .types
                        .get(type_name)
                        .and_then(|t| t.fields.get(&field.name))
                        .map(|f| &f.ty)
                    else {
                        continue;
                    };
                    let target = field_type.named();
                    if !self.types.get(target).is_some_and(|t| t.is_composite()) {
                        continue;
                    }
                    let mut field_path = path.to_vec();
                    field_path.push(FlattenNodePathSegment::Field(response_key(field).into()));
                    field_path
                        .extend((0..list_depth(field_type)).map(|_| FlattenNodePathSegment::List));
                    if under_list && let Some(part) = self.moved(graph, target, field, &field_path)
                    {
                        moved.push(part);
                    }
                    let below_list = under_list || field_type.is_list();
                    self.walk(
                        graph,
                        target,
                        &mut field.selections,
                        &field_path,
                        below_list,
                        moved,
                    );
                }
                SelectionItem::InlineFragment(fragment) => {
                    if fragment.skip_if.is_some() || fragment.include_if.is_some() {
                        continue;
                    }
                    let condition = fragment.type_condition.clone();
                    let mut inner_path = path.to_vec();
                    if condition != type_name {
                        inner_path.push(FlattenNodePathSegment::TypeCondition(BTreeSet::from([
                            condition.clone(),
                        ])));
                    }
                    self.walk(
                        graph,
                        &condition,
                        &mut fragment.selections,
                        &inner_path,
                        under_list,
                        moved,
                    );
                }
                SelectionItem::FragmentSpread(_) => {}
            }
        }
    }

    /// Moves the selection of entity `field` (of type `type_name`) out of the fetch when it
    /// fans out: the subgraph resolves a list of objects on it that it can resolve by key.
    fn moved(
        &self,
        graph: &str,
        type_name: &str,
        field: &mut FieldSelection,
        path: &[FlattenNodePathSegment],
    ) -> Option<Moved> {
        let definition = self.supergraph.definitions.get(type_name)?;
        let SupergraphDefinition::Object(object) = definition else {
            return None;
        };
        let key_fields = object.join_type.iter().find_map(|join| {
            let simple = join.graph_id == graph && join.resolvable && !join.is_interface_object;
            simple.then(|| simple_key(join.key.as_deref()?)).flatten()
        })?;
        let type_def = self.types.get(type_name)?;
        // An entity without its whole key has no representation: everything moved would be
        // lost for it.
        let key_non_null = key_fields
            .iter()
            .all(|k| type_def.fields.get(k).is_some_and(|f| f.ty.is_non_null()));
        if !key_non_null {
            return None;
        }
        let only_fields = field
            .selections
            .items
            .iter()
            .all(|item| matches!(item, SelectionItem::Field(_)));
        if !only_fields {
            return None;
        }

        let (mut moved, mut kept): (Vec<_>, Vec<_>) = std::mem::take(&mut field.selections.items)
            .into_iter()
            .partition(|item| {
                let SelectionItem::Field(inner) = item else {
                    return false;
                };
                !inner.name.starts_with("__")
                    && !key_fields.contains(&inner.name)
                    && self.resolvable_by_key(graph, type_name, inner)
            });
        let fans_out = moved.iter().any(|item| {
            let SelectionItem::Field(inner) = item else {
                return false;
            };
            type_def.fields.get(&inner.name).is_some_and(|f| {
                f.ty.is_list()
                    && self
                        .types
                        .get(f.ty.named())
                        .is_some_and(|t| t.is_composite())
            })
        });
        // The representation needs `__typename` and the key under their own names.
        let needed: Vec<&str> = std::iter::once("__typename")
            .chain(key_fields.iter().map(String::as_str))
            .collect();
        let clash = kept.iter().any(|item| match item {
            SelectionItem::Field(f) => {
                needed.contains(&response_key(f))
                    && (f.alias.is_some()
                        || f.arguments.is_some()
                        || f.skip_if.is_some()
                        || f.include_if.is_some())
            }
            _ => false,
        });
        if !fans_out || clash {
            kept.append(&mut moved);
            field.selections.items = kept;
            return None;
        }
        for name in &needed {
            let present = kept
                .iter()
                .any(|item| matches!(item, SelectionItem::Field(f) if response_key(f) == *name));
            if !present {
                kept.push(SelectionItem::Field(plain_field(name)));
            }
        }
        field.selections.items = kept;
        Some(Moved {
            path: path.to_vec(),
            type_name: type_name.to_string(),
            key_fields,
            selections: SelectionSet { items: moved },
        })
    }

    /// Whether the subgraph resolves `field` of `type_name`, and everything selected below
    /// it, wherever the type appears: not external (provided only on some paths), not
    /// overridden, not `@requires`.
    fn resolvable_by_key(&self, graph: &str, type_name: &str, field: &FieldSelection) -> bool {
        if field.name.starts_with("__") {
            return true;
        }
        let Some(definition) = self.supergraph.definitions.get(type_name) else {
            return false;
        };
        let Some(supergraph_field) = definition.fields().get(&field.name) else {
            return false;
        };
        let resolvable = supergraph_field
            .resolvable_in_graphs(definition)
            .contains(graph)
            && !supergraph_field
                .join_field
                .iter()
                .any(|j| j.graph_id.as_deref() == Some(graph) && j.requires.is_some());
        let Some(target) = self
            .types
            .get(type_name)
            .and_then(|t| t.fields.get(&field.name))
            .map(|f| f.ty.named())
        else {
            return false;
        };
        resolvable && self.selection_resolvable_by_key(graph, target, &field.selections)
    }

    fn selection_resolvable_by_key(
        &self,
        graph: &str,
        type_name: &str,
        selections: &SelectionSet,
    ) -> bool {
        selections.items.iter().all(|item| match item {
            SelectionItem::Field(field) => self.resolvable_by_key(graph, type_name, field),
            SelectionItem::InlineFragment(fragment) => self.selection_resolvable_by_key(
                graph,
                &fragment.type_condition,
                &fragment.selections,
            ),
            SelectionItem::FragmentSpread(_) => false,
        })
    }

    /// The `_entities` fetch for a moved part of `parent`.
    fn entity_fetch(
        &self,
        parent: &FetchNode,
        declared: &[VariableDefinition],
        part: &Moved,
    ) -> Option<FetchNode> {
        let fragment = |selections: SelectionSet| SelectionSet {
            items: vec![SelectionItem::InlineFragment(InlineFragmentSelection {
                type_condition: part.type_name.clone(),
                selections,
                skip_if: None,
                include_if: None,
            })],
        };
        let key = SelectionSet {
            items: std::iter::once("__typename")
                .chain(part.key_fields.iter().map(String::as_str))
                .map(|name| SelectionItem::Field(plain_field(name)))
                .collect(),
        };
        let entities = FieldSelection {
            name: "_entities".into(),
            arguments: Some(
                (
                    "representations".to_string(),
                    Value::Variable("representations".into()),
                )
                    .into(),
            ),
            selections: fragment(part.selections.clone()),
            ..Default::default()
        };
        let selection_set = SelectionSet {
            items: vec![SelectionItem::Field(entities)],
        };
        let mut variables = vec![VariableDefinition {
            name: "representations".into(),
            variable_type: TypeNode::NonNull(Box::new(TypeNode::List(Box::new(
                TypeNode::NonNull(Box::new(TypeNode::Named("_Any".into()))),
            )))),
            default_value: None,
        }];
        variables.extend(used_definitions(declared, &part.selections));
        let operation = self.operation(OperationDefinition {
            name: None,
            operation_kind: Some(OperationKind::Query),
            variable_definitions: Some(variables),
            selection_set,
        })?;
        Some(FetchNode {
            id: parent.id,
            service_name: parent.service_name.clone(),
            variable_usages: client_variables(&operation.document),
            operation_kind: Some(OperationKind::Query),
            operation,
            custom_scalar_paths: None,
            requires: Some(fragment(key)),
            input_rewrites: None,
            output_rewrites: None,
        })
    }

    fn operation(&self, operation: OperationDefinition) -> Option<SubgraphFetchOperation> {
        let document: Document = minify_operation(operation, self.supergraph).ok()?;
        Some(SubgraphFetchOperation::from_anonymous_operation(document))
    }
}

fn response_key(field: &FieldSelection) -> &str {
    field.alias.as_deref().unwrap_or(&field.name)
}

fn plain_field(name: &str) -> FieldSelection {
    FieldSelection {
        name: name.to_string(),
        ..Default::default()
    }
}

fn list_depth(ty: &TypeRef) -> usize {
    match ty {
        TypeRef::Named(_) => 0,
        TypeRef::NonNull(inner) => list_depth(inner),
        TypeRef::List(inner) => 1 + list_depth(inner),
    }
}

/// The field names of a key made of top-level fields only (`"id"`, `"sku region"`).
fn simple_key(key: &str) -> Option<Vec<String>> {
    let fields: Vec<String> = key.split_whitespace().map(str::to_string).collect();
    let is_name = |f: &String| {
        f.chars()
            .next()
            .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
            && f.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
    };
    (!fields.is_empty() && fields.iter().all(is_name)).then_some(fields)
}

/// The definitions of the variables `selections` uses (a subgraph rejects unused ones).
fn used_definitions(
    declared: &[VariableDefinition],
    selections: &SelectionSet,
) -> Vec<VariableDefinition> {
    let used = selections.variable_usages();
    declared
        .iter()
        .filter(|d| used.contains(&d.name))
        .cloned()
        .collect()
}

/// The client's variables a fetch document uses (its representations are the router's).
fn client_variables(document: &Document) -> Option<BTreeSet<String>> {
    let mut used = document.operation.selection_set.variable_usages();
    for fragment in &document.fragments {
        used.extend(fragment.selection_set.variable_usages());
    }
    used.remove("representations");
    (!used.is_empty()).then_some(used)
}

/// A flatten path from segments (the path type keeps its segments private; its serialized
/// form is public).
fn path_from(segments: &[FlattenNodePathSegment]) -> Option<FlattenNodePath> {
    let json = serde_json::to_value(segments).ok()?;
    serde_json::from_value(json).ok()
}
