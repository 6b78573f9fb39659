//! Demo accounts load once and can sign in.

use commerce_customers::demo;
use commerce_testkit::{Backend, on_both_backends};
use serde_json::json;

use crate::support::{TestApp, tokens};

on_both_backends!(seeds_demo_accounts_once_with_their_groups);

async fn seeds_demo_accounts_once_with_their_groups(backend: Backend) {
    let app = TestApp::new(backend).await;
    demo::seed(&app.state, 42).await.expect("seeds");
    demo::seed(&app.state, 42)
        .await
        .expect("seeding again is a no-op");
    let admin = tokens(
        &app.login_as("staffLogin", demo::ADMIN_EMAIL, demo::ADMIN_PASSWORD)
            .await,
    )
    .0;
    let mut customers = app
        .as_bearer(&admin, "{ customers(first: 3) { totalCount edges { node { email groups { code } defaultShippingAddress { countryCode } } } } }", json!({}))
        .await;
    // Key order is not what this test is about; sorted keys keep the snapshot stable.
    customers.sort_all_objects();
    insta::assert_json_snapshot!(customers, @r#"
    {
      "data": {
        "customers": {
          "edges": [
            {
              "node": {
                "defaultShippingAddress": {
                  "countryCode": "FR"
                },
                "email": "ada@example.com",
                "groups": [
                  {
                    "code": "b2b"
                  }
                ]
              }
            },
            {
              "node": {
                "defaultShippingAddress": {
                  "countryCode": "DE"
                },
                "email": "grace@example.com",
                "groups": [
                  {
                    "code": "vip"
                  }
                ]
              }
            },
            {
              "node": {
                "defaultShippingAddress": {
                  "countryCode": "GB"
                },
                "email": "alan@example.com",
                "groups": []
              }
            }
          ],
          "totalCount": 8
        }
      }
    }
    "#);
    for email in ["ada@example.com", "grace@example.com", "alan@example.com"] {
        let session = app.login_as("login", email, demo::CUSTOMER_PASSWORD).await;
        assert_eq!(session["__typename"], "AuthPayload", "{email}");
    }
}
