//! Executing operations against a subgraph's schema, and reading responses.

use async_graphql::{Executor, ObjectType, Request, Schema, SubscriptionType, Variables};
use commerce_kernel::subgraph::SubgraphExecutor;
use commerce_kernel::viewer::Viewer;
use serde_json::Value;

/// Runs an operation as `viewer`, as the HTTP layer does after verifying a token, and returns
/// the whole response (`data` and `errors`) as JSON.
pub async fn execute_as<Q, M, S>(
    schema: &Schema<Q, M, S>,
    viewer: Viewer,
    query: &str,
    variables: Value,
) -> Value
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let request = Request::new(query)
        .variables(Variables::from_json(variables))
        .data(viewer);
    // As the kernel serves it: operation limits checked, request scopes added.
    let response = SubgraphExecutor::new(schema.clone()).execute(request).await;
    serde_json::to_value(&response).expect("responses serialize")
}

/// The `extensions.code` of a response's first error.
pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {response}"))
}
