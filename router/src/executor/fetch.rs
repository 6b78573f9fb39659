//! Subgraph requests: root fetches, `_entities` fetches (reusing answers this execution already
//! has), batch fetches, and their request bodies.

use std::collections::HashSet;

use bytes::Bytes;
use hive_router_query_planner::planner::plan_nodes::{BatchFetchNode, FetchNode, FlattenNodePath};
use hive_router_query_planner::state::supergraph_state::OperationKind;
use serde_json::Map;
use tracing::debug;

use super::client::SubgraphResponse;
use super::entities::EntityBatch;
use super::merge::merge;
use super::{Executor, Tree};
use crate::cache_store::Fill;
use crate::entity_cache::{self, EntityCache, Scope};
use crate::error::{ErrorCode, GraphQLError};
use crate::json::Value;
use crate::response_cache::CacheHint;

impl<'a> Executor<'a> {
    fn used_variables(
        &self,
        usages: Option<&std::collections::BTreeSet<String>>,
    ) -> Map<String, serde_json::Value> {
        let mut vars = Map::new();
        for name in usages.into_iter().flatten() {
            if let Some(value) = self.variables.get(name) {
                vars.insert(name.clone(), value.clone());
            }
        }
        vars
    }

    /// Sends one subgraph request and decodes its GraphQL response. `representations` are
    /// already-serialized lists written into `variables` under their names.
    async fn send(
        &self,
        service: &str,
        query: &str,
        variables: &Map<String, serde_json::Value>,
        representations: &[(&str, &[Vec<u8>])],
        kind: Option<&OperationKind>,
    ) -> Option<&'a SubgraphResponse<'a>> {
        let Some(url) = self.schema.subgraph_urls.get(service) else {
            self.fetch_failed(
                service,
                &format!("Unknown subgraph '{service}'"),
                ErrorCode::SubgraphRequestFailed,
            );
            return None;
        };
        let body = Bytes::from(request_body(query, variables, representations));
        let is_query = !matches!(kind, Some(OperationKind::Mutation));
        debug!(service, "subgraph fetch");
        match self
            .client
            .post(service, url, body, &self.headers, is_query)
            .await
        {
            Ok(response) => Some(self.arena.keep(response)),
            Err(failure) => {
                self.fetch_failed(service, &failure.message, failure.code);
                None
            }
        }
    }

    pub(super) async fn root_fetch(&self, fetch: &FetchNode) {
        let variables = self.used_variables(fetch.variable_usages.as_ref());
        let Some(response) = self
            .send(
                &fetch.service_name,
                &fetch.operation.document_str,
                &variables,
                &[],
                fetch.operation_kind.as_ref(),
            )
            .await
        else {
            return;
        };
        self.merge_root(fetch, response);
    }

    /// Merges a root fetch's answer (or a subscription's event) into the response tree.
    pub(super) fn merge_root(&self, fetch: &FetchNode, response: &'a SubgraphResponse<'a>) {
        let service = fetch.service_name.as_str();
        let errors: Vec<GraphQLError> = response
            .errors
            .iter()
            .flatten()
            .map(|e| {
                let mut error = GraphQLError::from_subgraph(e, service);
                error.path = e.get("path").and_then(serde_json::Value::as_array).cloned();
                error
            })
            .collect();
        self.push_errors(errors);
        if let Some(data) = response.data.as_ref().filter(|d| d.is_object()) {
            let data = self.rewritten(data, fetch.output_rewrites.as_deref());
            let mut tree = self.data.lock().unwrap_or_else(|e| e.into_inner());
            let Tree { root, reshaped } = &mut *tree;
            merge(root, data, self.types(), reshaped);
        }
    }

    /// An `_entities` fetch. A query's execution never asks a subgraph the same entity
    /// question twice: plans reach the same entities by several paths, and when every
    /// representation of a fetch was already answered, without errors, by a fetch of the same
    /// shape (subgraph and selection), those answers are merged instead.
    pub(super) async fn entity_fetch(&self, fetch: &FetchNode, path: &FlattenNodePath) {
        let Some(requires) = &fetch.requires else {
            return self.root_fetch(fetch).await;
        };
        let batch = self.collect_entities(
            std::slice::from_ref(path),
            requires,
            fetch.input_rewrites.as_deref(),
        );
        if batch.representations.is_empty() {
            return;
        }
        let shape = self.schedule.entity_shape(fetch);
        if let Some(shape) = shape
            && let Some(known) = self.already_fetched(shape, &batch.representations)
        {
            let entities = self.arena.keep_tree(Value::Array(known));
            return self.merge_entities(
                &fetch.service_name,
                "_entities",
                &batch,
                Some(entities),
                None,
                &[],
            );
        }
        let variables = self.used_variables(fetch.variable_usages.as_ref());
        if let Some((cache, scope)) = self.entity_cache {
            return self
                .cached_entity_fetch(cache, scope, fetch, &batch, shape, &variables)
                .await;
        }
        let Some(response) = self
            .send(
                &fetch.service_name,
                &fetch.operation.document_str,
                &variables,
                &[("representations", &batch.representations)],
                None,
            )
            .await
        else {
            return;
        };
        let entities = response.data.as_ref().and_then(|d| d.get("_entities"));
        if response.errors.as_ref().is_none_or(Vec::is_empty)
            && let Some(Value::Array(values)) = entities.map(Value::resolve)
        {
            self.remember(shape, &batch.representations, values);
        }
        self.merge_entities(
            &fetch.service_name,
            "_entities",
            &batch,
            entities,
            fetch.output_rewrites.as_deref(),
            response.errors.as_deref().unwrap_or_default(),
        );
    }

    /// An `_entities` fetch through the entity cache: every representation looked up at once,
    /// only the misses sent (in one request), cached and fetched answers merged in order, and
    /// what may be kept of the fetched ones stored.
    async fn cached_entity_fetch(
        &self,
        cache: &EntityCache,
        scope: Scope,
        fetch: &FetchNode,
        batch: &EntityBatch<'_>,
        shape: Option<u64>,
        variables: &Map<String, serde_json::Value>,
    ) {
        let service = fetch.service_name.as_str();
        let document = &fetch.operation.document_str;
        let keys = cache.keys(
            scope,
            service,
            document,
            "_entities",
            variables,
            &batch.representations,
        );
        let generation = cache.generation();
        let found = cache.lookup(service, &keys).await;
        let mut values = self.cached_entities(&found);
        // Only objects are stored: `Null` is a miss (or an entry that could not be read).
        let missing: Vec<usize> = (0..values.len()).filter(|&i| values[i].is_null()).collect();
        let mut errors = Vec::new();
        let mut fills = Vec::new();
        if !missing.is_empty() {
            let sent: Vec<Vec<u8>> = missing
                .iter()
                .map(|&i| batch.representations[i].clone())
                .collect();
            let lists = [("representations", sent.as_slice())];
            if let Some(response) = self.send(service, document, variables, &lists, None).await {
                errors = renumbered(response.errors.as_deref().unwrap_or_default(), &missing);
                let fetched = response.data.as_ref().and_then(|d| d.get("_entities"));
                if let Some(Value::Array(fetched)) = fetched.map(Value::resolve)
                    && fetched.len() == missing.len()
                {
                    for (&i, value) in missing.iter().zip(fetched) {
                        values[i] = Value::shared(value);
                    }
                    if cache.admits(scope, response.cache) {
                        fills = self.entity_fills(
                            cache,
                            response.cache,
                            fetched,
                            batch,
                            &keys,
                            &missing,
                            &errors,
                        );
                    }
                }
            }
        }
        let entities = self.arena.keep_tree(Value::Array(values));
        if errors.is_empty()
            && let Value::Array(values) = entities
        {
            self.remember(shape, &batch.representations, values);
        }
        self.merge_entities(
            service,
            "_entities",
            batch,
            Some(entities),
            fetch.output_rewrites.as_deref(),
            &errors,
        );
        cache.store(fills, generation).await;
    }

    /// Cached entities parsed into the arena, one per lookup (`Null` for a miss). Their
    /// response carries the shortest time-to-live they have left (and `private` if one
    /// was), for the response cache to see as it sees subgraph responses.
    fn cached_entities(&self, found: &[Option<Bytes>]) -> Vec<Value<'a>> {
        let mut values = vec![Value::Null; found.len()];
        let hits: Vec<(usize, CacheHint, &[u8])> = found
            .iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                let (hint, json) = entity_cache::stored(entry.as_deref()?)?;
                Some((i, hint, json))
            })
            .collect();
        if hits.is_empty() {
            return values;
        }
        let mut hint = CacheHint::default();
        for (_, entity, _) in &hits {
            hint.captured(*entity);
        }
        // One body for all of them, parsed as a subgraph response would be.
        let size: usize = hits.iter().map(|(_, _, json)| json.len() + 1).sum();
        let mut body = Vec::with_capacity(size + 32);
        body.extend_from_slice(b"{\"data\":{\"_entities\":");
        let jsons: Vec<&[u8]> = hits.iter().map(|(_, _, json)| *json).collect();
        crate::json::write_raw_array(&mut body, &jsons);
        body.extend_from_slice(b"}}");
        let Ok(parsed) = super::client::parse(body, hint) else {
            return values;
        };
        let response = self.arena.keep(std::sync::Arc::new(parsed));
        let entities = response.data.as_ref().and_then(|d| d.get("_entities"));
        let Some(Value::Array(cached)) = entities.map(Value::resolve) else {
            return values;
        };
        for ((i, _, _), value) in hits.iter().zip(cached) {
            values[*i] = Value::shared(value);
        }
        values
    }

    /// What may be kept of a response's entities: those without errors, with a time-to-live.
    fn entity_fills(
        &self,
        cache: &EntityCache,
        hint: CacheHint,
        fetched: &[Value<'_>],
        batch: &EntityBatch<'_>,
        keys: &[u128],
        missing: &[usize],
        errors: &[serde_json::Value],
    ) -> Vec<Fill> {
        let Some(failed) = failed_entities(errors) else {
            return Vec::new();
        };
        missing
            .iter()
            .zip(fetched)
            .filter(|(i, _)| !failed.contains(*i))
            .filter_map(|(&i, value)| {
                let representation = &batch.representations[i];
                cache.fill(
                    keys[i],
                    hint,
                    &self.schema.entity_keys,
                    representation,
                    value,
                )
            })
            .collect()
    }

    /// Records answers without errors, so that later fetches of the same shape reuse them.
    fn remember(&self, shape: Option<u64>, representations: &[Vec<u8>], values: &'a [Value<'a>]) {
        let Some(shape) = shape else { return };
        if values.len() != representations.len() {
            return;
        }
        let mut fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        let answers = fetched.entry(shape).or_default();
        for (representation, value) in representations.iter().zip(values) {
            if let Value::Object(_) = value.resolve() {
                answers.insert(representation.clone(), value);
            }
        }
    }

    /// The answers to every representation, when this execution already has them all.
    fn already_fetched(&self, shape: u64, representations: &[Vec<u8>]) -> Option<Vec<Value<'a>>> {
        let fetched = self.fetched.lock().unwrap_or_else(|e| e.into_inner());
        let answers = fetched.get(&shape)?;
        representations
            .iter()
            .map(|representation| {
                answers
                    .get(representation.as_slice())
                    .map(|v| Value::Ref(v))
            })
            .collect()
    }

    pub(super) async fn batch_fetch(&self, batch: &BatchFetchNode) {
        let variables = self.used_variables(batch.variable_usages.as_ref());
        let mut collected = Vec::with_capacity(batch.entity_batch.aliases.len());
        for alias in &batch.entity_batch.aliases {
            collected.push(self.collect_entities(
                &alias.merge_paths,
                &alias.requires,
                alias.input_rewrites.as_deref(),
            ));
        }
        if collected.iter().all(|c| c.representations.is_empty()) {
            return;
        }
        let mut cached = match self.entity_cache {
            Some((cache, scope)) => Some((
                cache,
                scope,
                self.batch_lookup(cache, scope, batch, &collected, &variables)
                    .await,
            )),
            None => None,
        };
        // Every alias answered from the cache: nothing to send.
        if let Some((_, _, lookup)) = &mut cached
            && lookup
                .iter()
                .all(|(_, values)| values.iter().all(|v| !v.is_null()))
        {
            for ((alias, entities), (_, values)) in batch
                .entity_batch
                .aliases
                .iter()
                .zip(&collected)
                .zip(lookup.iter_mut())
            {
                let values = self.arena.keep_tree(Value::Array(std::mem::take(values)));
                self.merge_entities(
                    &batch.service_name,
                    &alias.alias,
                    entities,
                    Some(values),
                    alias.output_rewrites.as_deref(),
                    &[],
                );
            }
            return;
        }
        // Aliases may share one representations variable; it is written once.
        let mut lists: Vec<(&str, &[Vec<u8>])> = Vec::new();
        for (alias, entities) in batch.entity_batch.aliases.iter().zip(&collected) {
            let name = alias.representations_variable_name.as_str();
            if !lists.iter().any(|(n, _)| *n == name) {
                lists.push((name, &entities.representations));
            }
        }
        let generation = cached.as_ref().map(|(cache, _, _)| cache.generation());
        let Some(response) = self
            .send(
                &batch.service_name,
                &batch.operation.document_str,
                &variables,
                &lists,
                None,
            )
            .await
        else {
            return;
        };
        let data = response.data.as_ref();
        let errors = response.errors.as_deref().unwrap_or_default();
        let mut fills = Vec::new();
        for (i, (alias, entities)) in batch
            .entity_batch
            .aliases
            .iter()
            .zip(&collected)
            .enumerate()
        {
            let values = data.and_then(|d| d.get(&alias.alias));
            // Errors without a path are reported once, with the first alias.
            let alias_errors: Vec<serde_json::Value> = errors
                .iter()
                .filter(|e| {
                    match e
                        .get("path")
                        .and_then(|p| p.get(0))
                        .and_then(serde_json::Value::as_str)
                    {
                        Some(first) => first == alias.alias,
                        None => i == 0,
                    }
                })
                .cloned()
                .collect();
            // A batch with errors keeps nothing: its errors name aliases, not `_entities`.
            if let Some((cache, scope, lookup)) = &cached
                && errors.is_empty()
                && cache.admits(*scope, response.cache)
                && let Some(Value::Array(fetched)) = values.map(Value::resolve)
                && fetched.len() == entities.representations.len()
            {
                let all: Vec<usize> = (0..fetched.len()).collect();
                let keys = &lookup[i].0;
                fills.extend(self.entity_fills(
                    cache,
                    response.cache,
                    fetched,
                    entities,
                    keys,
                    &all,
                    &[],
                ));
            }
            self.merge_entities(
                &batch.service_name,
                &alias.alias,
                entities,
                values,
                alias.output_rewrites.as_deref(),
                &alias_errors,
            );
        }
        if let (Some((cache, _, _)), Some(generation)) = (&cached, generation) {
            cache.store(fills, generation).await;
        }
    }

    /// Each alias's keys and cached entities (`Null` for a miss), looked up in one round
    /// trip. An alias's answer depends on its selection in the batch's operation, so the alias
    /// is part of its keys.
    async fn batch_lookup(
        &self,
        cache: &EntityCache,
        scope: Scope,
        batch: &BatchFetchNode,
        collected: &[EntityBatch<'_>],
        variables: &Map<String, serde_json::Value>,
    ) -> Vec<(Vec<u128>, Vec<Value<'a>>)> {
        let service = batch.service_name.as_str();
        let keys: Vec<Vec<u128>> = batch
            .entity_batch
            .aliases
            .iter()
            .zip(collected)
            .map(|(alias, entities)| {
                cache.keys(
                    scope,
                    service,
                    &batch.operation.document_str,
                    &alias.alias,
                    variables,
                    &entities.representations,
                )
            })
            .collect();
        let found = cache.lookup(service, &keys.concat()).await;
        let mut values = self.cached_entities(&found).into_iter();
        keys.into_iter()
            .map(|keys| {
                let alias: Vec<Value<'a>> = values.by_ref().take(keys.len()).collect();
                (keys, alias)
            })
            .collect()
    }
}

/// Writes the body `{"query":…,"variables":{…}}` with pre-serialized representation lists.
fn request_body(
    query: &str,
    variables: &Map<String, serde_json::Value>,
    representations: &[(&str, &[Vec<u8>])],
) -> Vec<u8> {
    let size: usize = representations
        .iter()
        .flat_map(|(_, reps)| reps.iter().map(|r| r.len() + 1))
        .sum();
    let mut out = Vec::with_capacity(query.len() + size + 64);
    out.extend_from_slice(b"{\"query\":");
    let _ = serde_json::to_writer(&mut out, query);
    out.extend_from_slice(b",\"variables\":{");
    let mut first = true;
    for (name, reps) in representations {
        if !first {
            out.push(b',');
        }
        first = false;
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        crate::json::write_raw_array(&mut out, reps);
    }
    for (name, value) in variables {
        if !first {
            out.push(b',');
        }
        first = false;
        let _ = serde_json::to_writer(&mut out, name);
        out.push(b':');
        let _ = serde_json::to_writer(&mut out, value);
    }
    out.extend_from_slice(b"}}");
    out
}

/// A subgraph's errors for the misses it was sent, with `_entities` indices renumbered to
/// those of the whole fetch (`missing[j]` for the subgraph's `j`).
fn renumbered(errors: &[serde_json::Value], missing: &[usize]) -> Vec<serde_json::Value> {
    errors
        .iter()
        .map(|error| {
            let mut error = error.clone();
            let field = error.pointer("/path/0").and_then(serde_json::Value::as_str);
            if field == Some("_entities")
                && let Some(index) = error.pointer_mut("/path/1")
                && let Some(original) = index
                    .as_u64()
                    .and_then(|j| usize::try_from(j).ok())
                    .and_then(|j| missing.get(j))
            {
                *index = serde_json::Value::from(*original);
            }
            error
        })
        .collect()
}

/// The entities (indices of the fetch) that errors name; `None` when an error names none
/// (then no entity of the response can be trusted).
fn failed_entities(errors: &[serde_json::Value]) -> Option<HashSet<usize>> {
    errors
        .iter()
        .map(|error| {
            let path = error.get("path")?.as_array()?;
            (path.first()?.as_str()? == "_entities")
                .then(|| path.get(1)?.as_u64().and_then(|i| usize::try_from(i).ok()))
                .flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn errors_of_the_misses_are_renumbered_to_the_whole_fetch() {
        let errors = [
            json!({ "message": "a", "path": ["_entities", 1, "price"] }),
            json!({ "message": "b" }),
        ];
        let renumbered = renumbered(&errors, &[0, 3]);
        assert_eq!(renumbered[0]["path"], json!(["_entities", 3, "price"]));
        assert_eq!(renumbered[1], errors[1]);
    }

    #[test]
    fn only_entities_that_errors_name_are_failed_and_an_error_naming_none_fails_all() {
        let named = [json!({ "message": "a", "path": ["_entities", 3, "price"] })];
        assert_eq!(failed_entities(&named), Some(HashSet::from([3])));
        assert_eq!(failed_entities(&[]), Some(HashSet::new()));
        let unindexed = [json!({ "message": "a", "path": ["_entities", "price"] })];
        assert_eq!(failed_entities(&unindexed), None);
        let pathless = [json!({ "message": "a" })];
        assert_eq!(failed_entities(&pathless), None);
    }
}
