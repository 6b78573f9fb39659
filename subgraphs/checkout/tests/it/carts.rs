//! Carts through the storefront's documents: guests with a token, customers with their own
//! cart, lines checked against the catalog and inventory, failures as data, access rules,
//! merging, shipping and totals, and the cost of a cart query.

use commerce_kernel::GlobalId;
use commerce_kernel::viewer::Viewer;
use commerce_testkit::{Backend, customer, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::documents::*;
use crate::support::TestShop;

fn address(country: &str) -> Value {
    json!({
        "firstName": "Ada",
        "lastName": "Lovelace",
        "line1": "Unter den Linden 1",
        "city": "Berlin",
        "postalCode": "10117",
        "countryCode": country,
    })
}

async fn guest_cart(shop: &TestShop) -> String {
    let data = shop
        .ok(CART_CREATE, json!({ "currency": "EUR", "country": "DE" }))
        .await;
    data["cartCreate"]["token"]
        .as_str()
        .expect("a guest cart has a token")
        .to_owned()
}

async fn add(shop: &TestShop, viewer: Viewer, cart: Value, variant: &str, quantity: i32) -> Value {
    let mut variables = cart;
    variables["variantId"] = json!(variant);
    variables["quantity"] = json!(quantity);
    let response = shop.execute_as(viewer, CART_ADD_LINE, variables).await;
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"]["cartAddLine"].clone()
}

async fn guest_carts_hold_lines_behind_their_token(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let token = guest_cart(&shop).await;
    assert_eq!(token.len(), 43, "256 random bits, base64url");
    let by_token = json!({ "token": token });
    add(
        &shop,
        Viewer::Anonymous,
        by_token.clone(),
        &shop.variants[0],
        2,
    )
    .await;
    let cart = add(
        &shop,
        Viewer::Anonymous,
        by_token.clone(),
        &shop.variants[0],
        1,
    )
    .await;
    assert_eq!(cart["__typename"], "Cart", "{cart:#}");
    assert_eq!(cart["lines"].as_array().map(Vec::len), Some(1), "{cart:#}");
    assert_eq!(cart["lines"][0]["quantity"], 3);
    assert_eq!(cart["lines"][0]["variant"]["id"], shop.variants[0].as_str());

    let line = cart["lines"][0]["id"].clone();
    let mut update = by_token.clone();
    update["lineId"] = line.clone();
    update["quantity"] = json!(5);
    let updated = shop.ok(CART_UPDATE_LINE, update).await;
    assert_eq!(updated["cartUpdateLine"]["itemCount"], 5);

    let read = shop.ok(CART, by_token.clone()).await;
    assert_eq!(read["cart"]["itemCount"], 5);
    assert_eq!(
        read["cart"]["missingForCheckout"],
        json!(["email", "shippingAddress", "shippingMethod"])
    );
    let mut email = by_token.clone();
    email["email"] = json!(" Ada@Example.com ");
    let with_email = shop.ok(CART_SET_EMAIL, email).await;
    assert_eq!(with_email["cartSetEmail"]["email"], "ada@example.com");

    let mut remove = by_token.clone();
    remove["lineId"] = line;
    let removed = shop.ok(CART_REMOVE_LINE, remove).await;
    assert_eq!(removed["cartRemoveLine"]["itemCount"], 0);

    let wrong = shop.ok(CART, json!({ "token": "A".repeat(43) })).await;
    assert_eq!(wrong["cart"], Value::Null, "an unknown token finds nothing");
}

async fn refused_changes_are_business_failures(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let cart = json!({ "token": guest_cart(&shop).await });
    let failure = |result: &Value| (result["__typename"].clone(), result["code"].clone());

    let zero = add(&shop, Viewer::Anonymous, cart.clone(), &shop.variants[0], 0).await;
    assert_eq!(
        failure(&zero),
        (json!("InvalidQuantity"), json!("BAD_USER_INPUT"))
    );
    let negative = add(
        &shop,
        Viewer::Anonymous,
        cart.clone(),
        &shop.variants[0],
        -2,
    )
    .await;
    assert_eq!(negative["__typename"], "InvalidQuantity");

    let draft = add(
        &shop,
        Viewer::Anonymous,
        cart.clone(),
        &shop.draft_variant,
        1,
    )
    .await;
    assert_eq!(draft["__typename"], "VariantUnavailable", "{draft:#}");
    let unknown = GlobalId::encode("ProductVariant", 999_999);
    let missing = add(&shop, Viewer::Anonymous, cart.clone(), &unknown, 1).await;
    assert_eq!(missing["__typename"], "VariantUnavailable");

    let short = add(&shop, Viewer::Anonymous, cart.clone(), &shop.variants[1], 4).await;
    assert_eq!(short["__typename"], "InsufficientStock", "{short:#}");
    assert_eq!(
        (short["requested"].clone(), short["available"].clone()),
        (json!(4), json!(3))
    );
    assert_eq!(short["code"], "INSUFFICIENT_STOCK");

    let yen = shop.ok(CART_CREATE, json!({ "currency": "JPY" })).await;
    assert_eq!(yen["cartCreate"]["__typename"], "CurrencyNotSold");
    let nowhere = shop
        .ok(CART_CREATE, json!({ "currency": "EUR", "country": "XX" }))
        .await;
    assert_eq!(nowhere["cartCreate"]["__typename"], "UnknownCountry");
    let mut bad_address = cart.clone();
    bad_address["address"] = address("XX");
    let unknown_country = shop.ok(CART_SET_SHIPPING_ADDRESS, bad_address).await;
    assert_eq!(
        unknown_country["cartSetShippingAddress"]["__typename"],
        "UnknownCountry"
    );
}

async fn customers_use_only_their_own_cart(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let ada = customer(1, &[]);
    let created = shop
        .execute_as(ada.clone(), CART_CREATE, json!({ "currency": "EUR" }))
        .await;
    let cart = &created["data"]["cartCreate"];
    assert_eq!(cart["token"], Value::Null, "a customer's cart has no token");
    let by_id = json!({ "cartId": cart["id"] });
    let again = shop
        .execute_as(ada.clone(), CART_CREATE, json!({ "currency": "EUR" }))
        .await;
    assert_eq!(
        again["data"]["cartCreate"]["id"], cart["id"],
        "one active cart"
    );

    add(&shop, ada.clone(), by_id.clone(), &shop.variants[0], 1).await;
    for intruder in [customer(2, &[]), Viewer::Anonymous] {
        let read = shop.execute_as(intruder.clone(), CART, by_id.clone()).await;
        assert_eq!(error_code(&read), "FORBIDDEN", "{read:#}");
        let mut change = by_id.clone();
        change["variantId"] = json!(shop.variants[0]);
        change["quantity"] = json!(1);
        let write = shop.execute_as(intruder, CART_ADD_LINE, change).await;
        assert_eq!(error_code(&write), "FORBIDDEN", "{write:#}");
    }

    let guest = shop.ok(CART_CREATE, json!({ "currency": "EUR" })).await;
    let guest_by_id = json!({ "cartId": guest["cartCreate"]["id"] });
    let read = shop.execute_as(ada, CART, guest_by_id).await;
    assert_eq!(
        error_code(&read),
        "FORBIDDEN",
        "a guest cart's id is not its key: {read:#}"
    );
}

async fn signing_in_merges_the_guest_cart(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let token = guest_cart(&shop).await;
    let guest = json!({ "token": token });
    add(
        &shop,
        Viewer::Anonymous,
        guest.clone(),
        &shop.variants[0],
        2,
    )
    .await;
    add(
        &shop,
        Viewer::Anonymous,
        guest.clone(),
        &shop.variants[2],
        1,
    )
    .await;

    let ada = customer(1, &[]);
    let mine = shop
        .execute_as(ada.clone(), CART_CREATE, json!({ "currency": "EUR" }))
        .await;
    let by_id = json!({ "cartId": mine["data"]["cartCreate"]["id"] });
    add(&shop, ada.clone(), by_id, &shop.variants[0], 1).await;

    let merged = shop
        .execute_as(ada.clone(), CART_MERGE, json!({ "guestToken": token }))
        .await;
    let cart = &merged["data"]["cartMerge"];
    assert_eq!(cart["__typename"], "Cart", "{merged:#}");
    let quantities: Vec<(Value, Value)> = cart["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| (line["variant"]["id"].clone(), line["quantity"].clone()))
        .collect();
    assert_eq!(
        quantities,
        vec![
            (json!(shop.variants[0]), json!(3)),
            (json!(shop.variants[2]), json!(1)),
        ]
    );
    let closed = shop.ok(CART, guest.clone()).await;
    assert_eq!(closed["cart"]["status"], "MERGED");
    let mut late = guest;
    late["variantId"] = json!(shop.variants[0]);
    late["quantity"] = json!(1);
    let refused = shop
        .execute_as(Viewer::Anonymous, CART_ADD_LINE, late)
        .await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused:#}");

    // Without a cart of their own, the guest cart becomes the customer's.
    let other = guest_cart(&shop).await;
    let grace = customer(2, &[]);
    let adopted = shop
        .execute_as(grace, CART_MERGE, json!({ "guestToken": other }))
        .await;
    assert_eq!(
        adopted["data"]["cartMerge"]["token"],
        Value::Null,
        "{adopted:#}"
    );
}

async fn totals_and_shipping_come_priced_for_the_cart(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let cart = json!({ "token": guest_cart(&shop).await });
    add(&shop, Viewer::Anonymous, cart.clone(), &shop.variants[0], 2).await;
    let mut set_address = cart.clone();
    set_address["address"] = address("de");
    let addressed = shop.ok(CART_SET_SHIPPING_ADDRESS, set_address).await;
    assert_eq!(
        addressed["cartSetShippingAddress"]["shippingAddress"]["countryCode"],
        "DE"
    );

    let read = shop.ok(CART, cart.clone()).await;
    let options: Vec<(Value, Value)> = read["cart"]["availableShippingMethods"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| (o["method"]["name"].clone(), o["price"]["amount"].clone()))
        .collect();
    assert_eq!(
        options,
        vec![
            (json!("Standard"), json!("4.90")),
            (json!("Standard, free over a threshold"), json!("4.90")),
            (json!("Parcel by weight"), json!("3.90")),
        ],
        "39.80 EUR is under the 50 EUR threshold"
    );
    let standard = read["cart"]["availableShippingMethods"][0]["method"]["id"].clone();
    let mut choose = cart.clone();
    choose["shippingMethodId"] = standard;
    let chosen = shop.ok(CART_SET_SHIPPING_METHOD, choose).await;
    assert_eq!(
        chosen["cartSetShippingMethod"]["shippingMethod"]["price"]["amount"],
        "4.90"
    );

    let totals = shop.ok(CART, cart.clone()).await["cart"]["totals"].clone();
    assert_eq!(totals["problem"], Value::Null, "{totals:#}");
    assert_eq!(totals["subtotal"]["amount"], "39.80");
    assert_eq!(totals["shipping"]["amount"], "4.90");
    assert_eq!(totals["grandTotal"]["amount"], "44.70", "{totals:#}");
    assert_eq!(totals["taxInclusive"], true);
    assert_ne!(
        totals["taxTotal"]["amount"], "0.00",
        "German VAT is in the prices"
    );

    let free =
        shop.ok(CART, cart.clone()).await["cart"]["availableShippingMethods"][1]["method"]["id"]
            .clone();
    add(&shop, Viewer::Anonymous, cart.clone(), &shop.variants[0], 1).await;
    let mut choose_free = cart.clone();
    choose_free["shippingMethodId"] = free;
    shop.ok(CART_SET_SHIPPING_METHOD, choose_free).await;
    let totals = shop.ok(CART, cart.clone()).await["cart"]["totals"].clone();
    assert_eq!(totals["subtotal"]["amount"], "59.70");
    assert_eq!(
        totals["shipping"]["amount"], "0.00",
        "free over 50 EUR: {totals:#}"
    );
    assert_eq!(totals["grandTotal"]["amount"], "59.70");

    add(&shop, Viewer::Anonymous, cart.clone(), &shop.variants[0], 2).await;
    let heavier = shop.ok(CART, cart.clone()).await["cart"]["availableShippingMethods"][2].clone();
    assert_eq!(
        (
            heavier["method"]["kind"].clone(),
            heavier["price"]["amount"].clone()
        ),
        (json!("BY_WEIGHT"), json!("4.90")),
        "5 × 500 g is over the 2 kg band"
    );

    let mut coupon = cart.clone();
    coupon["code"] = json!("NOSUCHCODE");
    let refused = shop.ok(CART_APPLY_COUPON, coupon).await;
    assert_eq!(
        refused["cartApplyCoupon"]["__typename"], "CouponInvalid",
        "{refused:#}"
    );
}

async fn a_cart_query_costs_the_same_for_1_and_20_lines(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let mut counts = Vec::new();
    for lines in [1, 20] {
        let cart = json!({ "token": guest_cart(&shop).await });
        for variant in shop.variants.iter().take(lines) {
            add(&shop, Viewer::Anonymous, cart.clone(), variant, 1).await;
        }
        let mut set_address = cart.clone();
        set_address["address"] = address("DE");
        shop.ok(CART_SET_SHIPPING_ADDRESS, set_address).await;
        shop.statements.reset();
        let read = shop.ok(CART, cart).await;
        assert_eq!(read["cart"]["lines"].as_array().map(Vec::len), Some(lines));
        assert_eq!(read["cart"]["totals"]["problem"], Value::Null, "{read:#}");
        counts.push(shop.statements.count());
    }
    assert_eq!(
        counts[0], counts[1],
        "statements for 1 and 20 lines: {counts:?}"
    );
    assert!(
        counts[0] <= 4,
        "the cart, its lines, zones, methods: {counts:?}"
    );
}

async fn customers_carts_are_priced_for_their_customer(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let pricer = commerce_testkit::staff(&["pricing:write"]);
    let promotion = crate::support::ok(
        &shop.pricing,
        pricer.clone(),
        r#"mutation { createPromotion(input: { name: "Members", kind: ORDER, requiresCoupon: true,
            action: { type: PERCENTAGE, percent: "5" } }) { ... on Promotion { id } } }"#,
        json!({}),
    )
    .await;
    crate::support::ok(
        &shop.pricing,
        pricer,
        "mutation($input: CouponInput!) { createCoupon(input: $input) { __typename } }",
        json!({ "input": { "code": "MEMBER5", "usageLimitPerCustomer": 1,
                           "promotionId": promotion["createPromotion"]["id"] } }),
    )
    .await;

    let guest = json!({ "token": guest_cart(&shop).await });
    add(
        &shop,
        Viewer::Anonymous,
        guest.clone(),
        &shop.variants[0],
        1,
    )
    .await;
    let mut coupon = guest.clone();
    coupon["code"] = json!("member5");
    let refused = shop.ok(CART_APPLY_COUPON, coupon).await;
    assert_eq!(
        refused["cartApplyCoupon"]["reason"], "sign in to use this coupon",
        "{refused:#}"
    );

    let ada = customer(1, &[]);
    let created = shop
        .execute_as(
            ada.clone(),
            CART_CREATE,
            json!({ "currency": "EUR", "country": "DE" }),
        )
        .await;
    let mine = json!({ "cartId": created["data"]["cartCreate"]["id"] });
    add(&shop, ada.clone(), mine.clone(), &shop.variants[0], 1).await;
    let mut coupon = mine.clone();
    coupon["code"] = json!("member5");
    let applied = shop
        .execute_as(ada.clone(), CART_APPLY_COUPON, coupon)
        .await;
    assert_eq!(
        applied["data"]["cartApplyCoupon"]["couponCodes"],
        json!(["MEMBER5"]),
        "{applied:#}"
    );
    let read = shop.execute_as(ada, CART, mine).await;
    let totals = &read["data"]["cart"]["totals"];
    assert_eq!(totals["discounts"][0]["couponCode"], "MEMBER5", "{read:#}");
    assert_eq!(
        totals["discountTotal"]["amount"], "1.00",
        "5% of 19.90, rounded"
    );
}

async fn a_customer_ships_to_a_saved_address(backend: Backend) {
    let shop = TestShop::new(backend).await;
    let registered = crate::support::ok(
        &shop.customers,
        Viewer::Anonymous,
        r#"mutation { register(input: { email: "ada@example.com", password: "a long enough passphrase",
            firstName: "Ada", lastName: "Lovelace" }) { __typename } }"#,
        json!({}),
    )
    .await;
    assert_eq!(registered["register"]["__typename"], "RegistrationAccepted");
    let ada = customer(1, &[]);
    let saved = crate::support::ok(
        &shop.customers,
        ada.clone(),
        "mutation($input: AddressInput!) { addAddress(input: $input) { id } }",
        json!({ "input": address("FR") }),
    )
    .await;
    let saved_id = saved["addAddress"]["id"].clone();

    let created = shop
        .execute_as(ada.clone(), CART_CREATE, json!({ "currency": "EUR" }))
        .await;
    let mine = json!({ "cartId": created["data"]["cartCreate"]["id"] });
    let mut pick = mine.clone();
    pick["savedAddressId"] = saved_id.clone();
    let picked = shop.execute_as(ada, CART_SET_SHIPPING_ADDRESS, pick).await;
    let cart = &picked["data"]["cartSetShippingAddress"];
    assert_eq!(cart["shippingAddress"]["countryCode"], "FR", "{picked:#}");
    assert_eq!(cart["country"], "FR", "the destination follows the address");

    let grace = customer(2, &[]);
    let theirs = shop
        .execute_as(grace.clone(), CART_CREATE, json!({ "currency": "EUR" }))
        .await;
    let mut steal = json!({ "cartId": theirs["data"]["cartCreate"]["id"] });
    steal["savedAddressId"] = saved_id.clone();
    let refused = shop
        .execute_as(grace, CART_SET_SHIPPING_ADDRESS, steal)
        .await;
    assert_eq!(
        error_code(&refused),
        "NOT_FOUND",
        "not in their book: {refused:#}"
    );
    let mut anonymous = json!({ "token": guest_cart(&shop).await });
    anonymous["savedAddressId"] = saved_id;
    let signed_out = shop
        .execute_as(Viewer::Anonymous, CART_SET_SHIPPING_ADDRESS, anonymous)
        .await;
    assert_eq!(error_code(&signed_out), "UNAUTHENTICATED");
}

on_both_backends!(
    a_customer_ships_to_a_saved_address,
    customers_carts_are_priced_for_their_customer,
    guest_carts_hold_lines_behind_their_token,
    refused_changes_are_business_failures,
    customers_use_only_their_own_cart,
    signing_in_merges_the_guest_cart,
    totals_and_shipping_come_priced_for_the_cart,
    a_cart_query_costs_the_same_for_1_and_20_lines,
);
