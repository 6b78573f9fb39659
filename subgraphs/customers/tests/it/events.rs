//! Registrations and account changes publish `customers.customer_registered` and
//! `customers.customer_updated` in their transaction; a taken email and a refused change
//! publish nothing, and no event carries a secret.

use commerce_kernel::GlobalId;
use commerce_testkit::events::publish_pending;
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::json;

use crate::support::TestApp;

on_both_backends!(registering_and_changing_an_account_publish_one_event_each);

async fn registering_and_changing_an_account_publish_one_event_each(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, _) = app.customer("ada@example.com").await;
    app.register("ada@example.com").await; // taken: the owner is mailed, nothing published
    let profile = app
        .as_bearer(
            &token,
            "mutation { updateProfile(input: { firstName: \"Augusta\" }) { firstName } }",
            json!({}),
        )
        .await;
    assert_eq!(profile["data"]["updateProfile"]["firstName"], "Augusta");
    let added = app
        .as_bearer(
            &token,
            "mutation($input: AddressInput!) { addAddress(input: $input) { id } }",
            json!({ "input": { "firstName": "Ada", "lastName": "Lovelace",
                "line1": "12 St James's Square", "city": "London", "postalCode": "SW1Y 4JH",
                "countryCode": "GB" } }),
        )
        .await;
    let address = added["data"]["addAddress"]["id"].as_str().expect("an id");
    let unknown = GlobalId::encode("Address", 999);
    let refused = app
        .as_bearer(
            &token,
            "mutation($id: ID!) { removeAddress(id: $id) }",
            json!({ "id": unknown }),
        )
        .await;
    assert_eq!(error_code(&refused), "NOT_FOUND");

    let events = publish_pending(&app.state.db, "customers").await;
    let customer = GlobalId::encode("Customer", 1);
    let summary: Vec<(String, String, i64)> = events
        .iter()
        .map(|e| (e.event_type.clone(), e.aggregate_id.clone(), e.sequence))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "customers.customer_registered".to_owned(),
                customer.clone(),
                1
            ),
            ("customers.customer_updated".to_owned(), customer.clone(), 2),
            ("customers.customer_updated".to_owned(), customer.clone(), 3),
        ]
    );
    let registered = &events[0].payload;
    assert_eq!(registered["customerId"], customer);
    assert_eq!(registered["email"], "ada@example.com");
    assert!(registered["registeredAt"].is_string(), "{registered}");
    assert_eq!(
        registered.as_object().map(|fields| fields.len()),
        Some(3),
        "only the id, the email and the time: {registered}"
    );
    assert_eq!(
        events[1].payload,
        json!({ "customerId": customer, "change": "PROFILE" })
    );
    assert_eq!(
        events[2].payload,
        json!({ "customerId": customer, "change": "ADDRESS_ADDED", "addressId": address })
    );
}
