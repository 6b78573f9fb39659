//! Resolver spans: one per field that returns an object or a list of them, named
//! `Parent.field` (scalars, enums and list items would multiply the spans for little insight:
//! they are read from what their field loaded). Ours
//! rather than async-graphql's `Tracing`, whose parse span records the document with its
//! variables inlined: passwords included.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::registry::MetaTypeName;
use async_graphql::{ServerResult, Value};
use tracing::Instrument;

/// Installed on a subgraph's schema only while tracing is on: any extension wraps every
/// field's resolution (see `SubgraphExecutor`).
pub struct ResolverSpans;

impl ExtensionFactory for ResolverSpans {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResolverSpans)
    }
}

#[async_trait::async_trait]
impl Extension for ResolverSpans {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let leaf = ctx
            .schema_env
            .registry
            .types
            .get(MetaTypeName::concrete_typename(info.return_type))
            .is_none_or(|ty| ty.is_leaf());
        // A list's items are resolved under the list field's span already.
        let item = info.parent_type.starts_with('[');
        if leaf || item || info.is_for_introspection {
            return next.run(ctx, info).await;
        }
        let span = tracing::info_span!(
            "resolve",
            otel.name = format!("{}.{}", info.parent_type, info.name),
            graphql.field.path = %info.path_node,
        );
        next.run(ctx, info).instrument(span).await
    }
}
