//! Loading a supergraph: the planner, the API schema (what clients see) and subgraph URLs.
//! One `SchemaState` is immutable; a reload builds a new one and swaps it in.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use anyhow::{Context, anyhow};
use graphql_tools::parser::schema as schema_ast;
use graphql_tools::validation::rules::default_rules_validation_plan;
use graphql_tools::validation::validate::ValidationPlan;
use hive_router_query_planner::planner::{Planner, QueryPlannerOptions};
use hive_router_query_planner::state::supergraph_state::SupergraphState;
use http::Uri;

use crate::auth::AuthRules;
use crate::schema::SchemaIndex;

pub struct SchemaState {
    /// Hash of the supergraph SDL; part of every cache key derived from this schema.
    pub version: u64,
    pub planner: Planner,
    /// The API schema document (no federation internals, `@inaccessible` removed), used for
    /// validation; it also declares the introspection types.
    pub api_document: Arc<schema_ast::Document<'static, String>>,
    pub api: SchemaIndex,
    /// Every type of the supergraph, including inaccessible ones, for the executor's type checks.
    pub supergraph_types: SchemaIndex,
    pub subgraph_urls: HashMap<String, Uri>,
    /// (type, field) pairs whose value can never exist, with the subgraphs that resolve them:
    /// see [`unimplemented_fields`].
    pub unimplemented_fields: HashMap<(String, String), HashSet<String>>,
    pub validation_plan: ValidationPlan,
    /// Sorted percentages of progressive `@override` labels (scaled as the planner scales them).
    pub override_percentages: Vec<u64>,
    /// `@authenticated`, `@requiresScopes` and `@policy`, by type and field.
    pub auth: AuthRules,
    /// The flat `@key`s of entity types: the response cache's tags.
    pub entity_keys: crate::response_cache::EntityKeys,
    /// `@cost` and `@listSize`: what demand control estimates operations with.
    pub cost: crate::pipeline::cost::CostModel,
}

impl SchemaState {
    /// Parses and checks a supergraph SDL; `url_overrides` replace the `join__graph` URLs.
    pub fn from_sdl(sdl: &str, url_overrides: &HashMap<String, String>) -> anyhow::Result<Self> {
        let document = schema_ast::parse_schema::<String>(sdl)
            .map_err(|e| anyhow!("supergraph is not valid GraphQL SDL: {e}"))?
            .into_static();
        let has_join_graph = document.definitions.iter().any(|d| {
            matches!(d, schema_ast::Definition::TypeDefinition(schema_ast::TypeDefinition::Enum(e)) if e.name == "join__Graph")
        });
        if !has_join_graph {
            return Err(anyhow!(
                "not a Federation supergraph: the join__Graph enum is missing"
            ));
        }
        // The planner asserts rather than returns errors on some malformed inputs; a broken
        // supergraph must be rejected, never crash the router.
        let planner = catch_unwind(AssertUnwindSafe(|| {
            Planner::new_from_supergraph(&document, QueryPlannerOptions::default())
        }))
        .map_err(|panic| {
            anyhow!(
                "supergraph rejected by the planner: {}",
                panic_message(&panic)
            )
        })?
        .map_err(|e| anyhow!("supergraph rejected by the planner: {e}"))?;

        let api_document = planner.consumer_schema.document.clone();
        let api = SchemaIndex::build(&api_document);
        let supergraph_types = SchemaIndex::build(&document);
        let unimplemented_fields = unimplemented_fields(&planner.supergraph, &supergraph_types);
        let auth = AuthRules::from_supergraph(&document);
        let entity_keys = crate::response_cache::EntityKeys::from_supergraph(&document);
        let cost = crate::pipeline::cost::CostModel::from_supergraph(&document);

        let mut subgraph_urls = HashMap::new();
        for (name, url) in &planner.supergraph.subgraph_endpoint_map {
            let url = url_overrides.get(name).unwrap_or(url);
            // Compositions may leave URLs out; such a subgraph fails at fetch time, by name.
            if url.trim().is_empty() {
                continue;
            }
            let uri: Uri = url
                .parse()
                .with_context(|| format!("invalid URL '{url}' for subgraph '{name}'"))?;
            subgraph_urls.insert(name.clone(), uri);
        }
        let mut override_percentages: Vec<u64> = planner
            .supergraph
            .progressive_overrides
            .percentages
            .iter()
            .copied()
            .collect();
        override_percentages.sort_unstable();

        let version = {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            sdl.hash(&mut hasher);
            let mut overrides: Vec<_> = url_overrides.iter().collect();
            overrides.sort();
            overrides.hash(&mut hasher);
            hasher.finish()
        };

        Ok(Self {
            version,
            planner,
            api_document,
            api,
            supergraph_types,
            subgraph_urls,
            unimplemented_fields,
            validation_plan: validation_plan(),
            override_percentages,
            auth,
            entity_keys,
            cost,
        })
    }

    pub fn subgraph_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.subgraph_urls.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

/// Fields of an interface or union type that no object type implements, where every subgraph
/// that resolves the field knows the type only as that (not as an `@interfaceObject`, whose
/// objects stand in for the interface's). Such a field can never hold a value, and no other
/// subgraph can resolve fields below it (there is no entity to call): the planner is only
/// asked for what the field's own subgraphs can answer, and the field reads as null.
fn unimplemented_fields(
    supergraph: &SupergraphState,
    types: &SchemaIndex,
) -> HashMap<(String, String), HashSet<String>> {
    let mut fields = HashMap::new();
    for (type_name, definition) in &supergraph.definitions {
        for (field_name, field) in definition.fields() {
            let target = field.field_type.inner_type();
            let unimplemented = types
                .get(target)
                .is_some_and(|t| t.is_abstract() && t.possible_types.is_empty());
            if !unimplemented {
                continue;
            }
            let graphs = field.resolvable_in_graphs(definition);
            let stood_in = graphs
                .iter()
                .any(|graph| supergraph.is_interface_object_in_subgraph(target, graph));
            if !stood_in {
                fields.insert((type_name.clone(), field_name.clone()), graphs);
            }
        }
    }
    fields
}

pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// graphql-tools' rules, but for field merging, which the pipeline checks itself in linear
/// time (`pipeline::overlapping`): graphql-tools' pairwise check is quadratic in repeated fields.
fn validation_plan() -> ValidationPlan {
    let mut plan = default_rules_validation_plan();
    plan.rules
        .retain(|rule| rule.error_code() != "OverlappingFieldsCanBeMerged");
    plan
}
