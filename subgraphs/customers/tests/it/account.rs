//! The customer's own account: profile, address book with defaults, wishlist, and what others
//! may see of a customer through federation.

use commerce_kernel::GlobalId;
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::support::TestApp;

on_both_backends!(
    keeps_an_address_book_with_default_shipping_and_billing,
    wishlists_reference_catalog_products,
    other_people_see_only_a_customers_public_fields,
);

const ADD: &str = "mutation($input: AddressInput!, $shipping: Boolean!, $billing: Boolean!) {
    addAddress(input: $input, defaultShipping: $shipping, defaultBilling: $billing) { id city countryCode }
}";

fn address(city: &str, country: &str) -> Value {
    json!({
        "firstName": "Ada", "lastName": "Lovelace", "line1": "12 St James's Square",
        "city": city, "postalCode": "SW1Y 4JH", "countryCode": country
    })
}

async fn keeps_an_address_book_with_default_shipping_and_billing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, _) = app.customer("ada@example.com").await;
    let add = |input: Value, shipping: bool, billing: bool| {
        let (app, token) = (&app, &token);
        async move {
            app.as_bearer(
                token,
                ADD,
                json!({ "input": input, "shipping": shipping, "billing": billing }),
            )
            .await
        }
    };
    let home = add(address("London", "gb"), true, true).await;
    let home_id = home["data"]["addAddress"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let office = add(address("Berlin", "DE"), false, true).await;
    let office_id = office["data"]["addAddress"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let bad = add(address("Paris", "FRA"), false, false).await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");

    let book = "{ me { addresses { city countryCode } defaultShippingAddress { city } defaultBillingAddress { city } } }";
    let before = app.as_bearer(&token, book, json!({})).await;
    insta::assert_json_snapshot!(before, @r#"
    {
      "data": {
        "me": {
          "addresses": [
            {
              "city": "London",
              "countryCode": "GB"
            },
            {
              "city": "Berlin",
              "countryCode": "DE"
            }
          ],
          "defaultShippingAddress": {
            "city": "London"
          },
          "defaultBillingAddress": {
            "city": "Berlin"
          }
        }
      }
    }
    "#);

    let removed = app
        .as_bearer(
            &token,
            "mutation($id: ID!) { removeAddress(id: $id) }",
            json!({ "id": office_id }),
        )
        .await;
    assert_eq!(removed["data"]["removeAddress"], true);
    let cleared = app.as_bearer(&token, book, json!({})).await;
    assert_eq!(
        cleared["data"]["me"]["defaultBillingAddress"],
        Value::Null,
        "{cleared}"
    );
    assert_eq!(
        cleared["data"]["me"]["defaultShippingAddress"]["city"],
        "London"
    );
    let set = app
        .as_bearer(
            &token,
            "mutation($id: ID!) { setDefaultAddress(id: $id, kind: BILLING) { defaultBillingAddress { city } } }",
            json!({ "id": home_id }),
        )
        .await;
    assert_eq!(
        set["data"]["setDefaultAddress"]["defaultBillingAddress"]["city"],
        "London"
    );

    // Someone else's address is not found, whoever asks.
    let (other, _) = app.customer("grace@example.com").await;
    let foreign = app
        .as_bearer(
            &other,
            "mutation($id: ID!) { removeAddress(id: $id) }",
            json!({ "id": home_id }),
        )
        .await;
    assert_eq!(error_code(&foreign), "NOT_FOUND");
    let anonymous = app
        .anonymous(
            ADD,
            json!({ "input": address("Rome", "IT"), "shipping": false, "billing": false }),
        )
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

async fn wishlists_reference_catalog_products(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, _) = app.customer("ada@example.com").await;
    let add = "mutation($id: ID!) { addToWishlist(productId: $id) { id } }";
    for n in [1, 2, 3, 2] {
        let response = app
            .as_bearer(&token, add, json!({ "id": GlobalId::encode("Product", n) }))
            .await;
        assert!(response.get("errors").is_none(), "{response}");
    }
    let remove = "mutation($id: ID!) { removeFromWishlist(productId: $id) { id } }";
    app.as_bearer(
        &token,
        remove,
        json!({ "id": GlobalId::encode("Product", 1) }),
    )
    .await;
    let wrong_type = app
        .as_bearer(&token, add, json!({ "id": GlobalId::encode("Review", 1) }))
        .await;
    assert_eq!(error_code(&wrong_type), "BAD_USER_INPUT");

    let list = app
        .as_bearer(
            &token,
            "{ me { wishlist(first: 10) { totalCount edges { node { product { id } } } pageInfo { hasNextPage } } } }",
            json!({}),
        )
        .await;
    insta::assert_json_snapshot!(list, @r#"
    {
      "data": {
        "me": {
          "wishlist": {
            "totalCount": 2,
            "edges": [
              {
                "node": {
                  "product": {
                    "id": "UHJvZHVjdDoz"
                  }
                }
              },
              {
                "node": {
                  "product": {
                    "id": "UHJvZHVjdDoy"
                  }
                }
              }
            ],
            "pageInfo": {
              "hasNextPage": false
            }
          }
        }
      }
    }
    "#);
    let too_many = app
        .as_bearer(
            &token,
            "{ me { wishlist(first: 1000) { totalCount } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
}

async fn other_people_see_only_a_customers_public_fields(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (ada, _) = app.customer("ada@example.com").await;
    let (grace, _) = app.customer("grace@example.com").await;
    let me = app.as_bearer(&ada, "{ me { id } }", json!({})).await;
    let ada_id = me["data"]["me"]["id"].as_str().expect("an id").to_owned();
    let entities = "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { id displayName } } }";
    let reps = json!({ "reps": [
        { "__typename": "Customer", "id": ada_id },
        { "__typename": "Customer", "id": GlobalId::encode("Customer", 999) },
    ]});
    let public = app.anonymous(entities, reps.clone()).await;
    assert_eq!(public["data"]["_entities"][0]["displayName"], "Ada L.");
    assert_eq!(public["data"]["_entities"][1], Value::Null);

    let private = "query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Customer { email } } }";
    let by_other = app.as_bearer(&grace, private, reps.clone()).await;
    assert_eq!(error_code(&by_other), "FORBIDDEN");
    let by_anonymous = app.anonymous(private, reps.clone()).await;
    assert_eq!(error_code(&by_anonymous), "UNAUTHENTICATED");
    let by_self = app.as_bearer(&ada, private, reps).await;
    assert_eq!(by_self["data"]["_entities"][0]["email"], "ada@example.com");
}
