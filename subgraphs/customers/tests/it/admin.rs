//! Staff: permissions gate every staff operation, groups flow into customers' tokens, and
//! lists cost a fixed number of queries.

use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::json;

use crate::support::{PASSWORD, TestApp, tokens};

on_both_backends!(
    a_customer_token_cannot_call_a_staff_mutation,
    staff_put_customers_in_groups_that_their_next_token_carries,
    staff_create_roles_and_staff_with_exactly_those_permissions,
    a_page_of_customers_costs_the_same_queries_whatever_its_size,
);

const CREATE_GROUP: &str = "mutation { createCustomerGroup(code: \"wholesale-eu\", name: \"Wholesale EU\") { code name } }";

async fn a_customer_token_cannot_call_a_staff_mutation(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (customer, _) = app.customer("ada@example.com").await;
    let forbidden = app.as_bearer(&customer, CREATE_GROUP, json!({})).await;
    insta::assert_json_snapshot!(forbidden, @r#"
    {
      "data": null,
      "errors": [
        {
          "message": "this needs the `customers:write` permission",
          "locations": [
            {
              "line": 1,
              "column": 12
            }
          ],
          "path": [
            "createCustomerGroup"
          ],
          "extensions": {
            "code": "FORBIDDEN"
          }
        }
      ]
    }
    "#);
    let anonymous = app.anonymous(CREATE_GROUP, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let reads = app
        .as_bearer(&customer, "{ customers { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&reads), "FORBIDDEN");
    let admin = app.admin().await;
    let allowed = app.as_bearer(&admin, CREATE_GROUP, json!({})).await;
    assert_eq!(
        allowed["data"]["createCustomerGroup"]["code"],
        "wholesale-eu"
    );
    let again = app.as_bearer(&admin, CREATE_GROUP, json!({})).await;
    assert_eq!(error_code(&again), "CONFLICT");
}

async fn staff_put_customers_in_groups_that_their_next_token_carries(backend: Backend) {
    let app = TestApp::new(backend).await;
    let admin = app.admin().await;
    let (customer, refresh) = app.customer("edsger@example.com").await;
    let id = app.as_bearer(&customer, "{ me { id } }", json!({})).await["data"]["me"]["id"].clone();
    let added = app
        .as_bearer(
            &admin,
            "mutation($id: ID!) { addCustomerToGroup(customerId: $id, groupCode: \"VIP\") { email groups { code } } }",
            json!({ "id": id }),
        )
        .await;
    insta::assert_json_snapshot!(added, @r#"
    {
      "data": {
        "addCustomerToGroup": {
          "email": "edsger@example.com",
          "groups": [
            {
              "code": "vip"
            }
          ]
        }
      }
    }
    "#);
    let unknown_group = app
        .as_bearer(
            &admin,
            "mutation($id: ID!) { addCustomerToGroup(customerId: $id, groupCode: \"gold\") { email } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&unknown_group), "NOT_FOUND");

    let refreshed = app
        .anonymous(
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }",
            json!({ "t": refresh }),
        )
        .await;
    let (access, _) = tokens(&refreshed["data"]["refreshSession"]);
    let viewer = app
        .as_bearer(&access, "{ viewer { groups } }", json!({}))
        .await;
    assert_eq!(viewer["data"]["viewer"]["groups"], json!(["vip"]));
}

async fn staff_create_roles_and_staff_with_exactly_those_permissions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let admin = app.admin().await;
    let role = app
        .as_bearer(
            &admin,
            "mutation { createStaffRole(code: \"support\", name: \"Support\", permissions: [\"customers:read\", \"orders:read\"]) { code permissions } }",
            json!({}),
        )
        .await;
    assert_eq!(
        role["data"]["createStaffRole"]["permissions"],
        json!(["customers:read", "orders:read"])
    );
    let bad = app
        .as_bearer(&admin, "mutation { createStaffRole(code: \"x\", name: \"X\", permissions: [\"everything\"]) { code } }", json!({}))
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    let member = app
        .as_bearer(
            &admin,
            "mutation($input: StaffMemberInput!) { createStaffMember(input: $input) { email roles { code } } }",
            json!({ "input": { "email": "support@example.com", "name": "Sam", "password": PASSWORD, "roles": ["support"] } }),
        )
        .await;
    assert_eq!(
        member["data"]["createStaffMember"]["roles"],
        json!([{ "code": "support" }])
    );

    let session = app
        .login_as("staffLogin", "support@example.com", PASSWORD)
        .await;
    let (support, _) = tokens(&session);
    let viewer = app
        .as_bearer(
            &support,
            "{ viewer { kind permissions } staffMe { name } }",
            json!({}),
        )
        .await;
    insta::assert_json_snapshot!(viewer, @r#"
    {
      "data": {
        "viewer": {
          "kind": "STAFF",
          "permissions": [
            "customers:read",
            "orders:read"
          ]
        },
        "staffMe": {
          "name": "Sam"
        }
      }
    }
    "#);
    let reads = app
        .as_bearer(
            &support,
            "{ customers(first: 2) { totalCount } }",
            json!({}),
        )
        .await;
    assert!(
        reads["data"]["customers"]["totalCount"].as_i64().is_some(),
        "{reads}"
    );
    let writes = app.as_bearer(&support, CREATE_GROUP, json!({})).await;
    assert_eq!(error_code(&writes), "FORBIDDEN");

    // Deactivated: the session ends and signing in fails like a wrong password.
    let support_id = viewer_id(&app, &support).await;
    let deactivated = app
        .as_bearer(
            &admin,
            "mutation($id: ID!) { setStaffMemberActive(id: $id, active: false) { active } }",
            json!({ "id": support_id }),
        )
        .await;
    assert_eq!(
        deactivated["data"]["setStaffMemberActive"]["active"], false,
        "{deactivated}"
    );
    let refreshed = app
        .anonymous(
            "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }",
            json!({ "t": tokens(&session).1 }),
        )
        .await;
    assert_eq!(error_code(&refreshed), "UNAUTHENTICATED");
    let again = app
        .login_as("staffLogin", "support@example.com", PASSWORD)
        .await;
    assert_eq!(again["__typename"], "InvalidCredentials");
}

async fn viewer_id(app: &TestApp, token: &str) -> serde_json::Value {
    app.as_bearer(token, "{ viewer { id } }", json!({})).await["data"]["viewer"]["id"].clone()
}

async fn a_page_of_customers_costs_the_same_queries_whatever_its_size(backend: Backend) {
    let app = TestApp::new(backend).await;
    let admin = app.admin().await;
    let page = "query($n: Int!) { customers(first: $n) { totalCount edges { node { email groups { code } addresses { city } defaultShippingAddress { city } } } } }";
    let mut counts = Vec::new();
    for n in [2, 8] {
        app.statements.reset();
        let response = app.as_bearer(&admin, page, json!({ "n": n })).await;
        let edges = response["data"]["customers"]["edges"]
            .as_array()
            .expect("edges");
        assert_eq!(edges.len(), n, "{response}");
        counts.push(app.statements.count());
    }
    assert_eq!(counts[0], counts[1], "{counts:?}");
    // The page, its count, group memberships, groups, addresses.
    assert_eq!(counts[0], 5, "{counts:?}");
}
