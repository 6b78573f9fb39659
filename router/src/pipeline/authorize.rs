//! The authorize stage: an operation as a caller may run it, planned without the selections
//! the supergraph's authorization directives deny that caller.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

use graphql_tools::parser::Pos;

use super::operation::PreparedOperation;
use super::plan::plan_document;
use super::{PipelineError, PlanningOptions};
use crate::auth;
use crate::supergraph::SchemaState;

impl PreparedOperation {
    /// This operation as `context` may run it: itself when every guarded selection is allowed,
    /// else a variant planned without the denied ones (built once per denied set). The denied
    /// selections come back too, for `reject` mode.
    pub async fn authorized(
        self: &Arc<Self>,
        state: &Arc<SchemaState>,
        context: &auth::AuthContext,
        options: &PlanningOptions,
    ) -> Result<(Arc<PreparedOperation>, Vec<&auth::Guard>), PipelineError> {
        let denied: Vec<&auth::Guard> = self
            .guards
            .iter()
            .filter(|g| !g.requirement.allows(context))
            .collect();
        if denied.is_empty() {
            return Ok((self.clone(), denied));
        }
        let key: Vec<Pos> = denied.iter().map(|g| g.position).collect();
        let cached = self
            .variants
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        if let Some(variant) = cached {
            return Ok((variant, denied));
        }
        let denied_set: HashSet<Pos> = key.iter().copied().collect();
        let plan = plan_document(
            state,
            &self.document,
            &denied_set,
            self.operation_name.as_deref(),
            options,
            self.draw,
        )
        .await?;
        let variant = Arc::new(PreparedOperation {
            document: self.document.clone(),
            op_index: self.op_index,
            kind: self.kind,
            plan,
            introspection: self.introspection,
            condition_variables: self.condition_variables.clone(),
            projections: Mutex::new(HashMap::new()),
            schedule: OnceLock::new(),
            guards: Vec::new(),
            denied: denied_set,
            denied_hash: xxhash_rust::xxh3::xxh3_64(format!("{key:?}").as_bytes()),
            operation_name: self.operation_name.clone(),
            draw: self.draw,
            variants: Mutex::new(HashMap::new()),
        });
        let mut variants = self.variants.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: each entry is one combination of denied selections.
        if variants.len() < 16 {
            variants.insert(key, variant.clone());
        }
        Ok((variant, denied))
    }
}
