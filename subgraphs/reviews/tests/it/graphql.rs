//! The GraphQL API end to end: submitting, moderating, reading reviews and ratings through
//! `_entities`, pagination, and the shape of every expected and unexpected failure.

use commerce_kernel::GlobalId;
use commerce_testkit::{Backend, customer, on_both_backends};
use insta::assert_json_snapshot;
use serde_json::{Value, json};

use crate::support::{TestApp, moderator, product};

const SUBMIT: &str = r#"
mutation ($input: SubmitReviewInput!) {
  submitReview(input: $input) {
    __typename
    ... on Review { id rating title body authorName status author { id } product { id } }
    ... on ErrorResult { code message }
    ... on InvalidRating { rating }
    ... on InvalidReviewText { field minLength maxLength }
    ... on InvalidProductId { productId }
  }
}"#;

const MODERATE: &str = r#"
mutation ($id: ID!) {
  approve: approveReview(id: $id) { ...result }
}
fragment result on ModerateReviewResult {
  __typename
  ... on Review { id status }
  ... on ErrorResult { code message }
}"#;

const PRODUCT: &str = r#"
query ($id: ID!, $first: Int, $after: String, $last: Int, $before: String) {
  _entities(representations: [{ __typename: "Product", id: $id }]) {
    ... on Product {
      rating { average count histogram { stars count } }
      reviews(first: $first, after: $after, last: $last, before: $before) {
        totalCount
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { node { title rating } }
      }
    }
  }
}"#;

fn input(overrides: Value) -> Value {
    let mut input = json!({
        "productId": product(1),
        "authorName": "Grace H.",
        "rating": 4,
        "title": "Comfortable",
        "body": "Wore it all week, still comfortable.",
    });
    for (key, value) in overrides.as_object().expect("an object of overrides") {
        input[key] = value.clone();
    }
    json!({ "input": input })
}

async fn approve(app: &TestApp, id: &str) -> Value {
    app.execute_as(moderator(), MODERATE, json!({ "id": id }))
        .await
}

async fn submit(app: &TestApp, variables: Value) -> Value {
    app.execute_as(customer(9, &[]), SUBMIT, variables).await
}

async fn product_page(app: &TestApp, variables: Value) -> Value {
    let mut variables = variables;
    variables["id"] = json!(product(1));
    let response = app.execute(PRODUCT, variables).await;
    response["data"]["_entities"][0].clone()
}

async fn submitted_reviews_count_only_once_approved(backend: Backend) {
    let app = TestApp::new(backend).await;
    let submitted = submit(&app, input(json!({}))).await;
    assert_json_snapshot!(submitted, @r#"
    {
      "data": {
        "submitReview": {
          "__typename": "Review",
          "id": "UmV2aWV3OjE",
          "rating": 4,
          "title": "Comfortable",
          "body": "Wore it all week, still comfortable.",
          "authorName": "Grace H.",
          "status": "PENDING",
          "author": {
            "id": "Q3VzdG9tZXI6OQ"
          },
          "product": {
            "id": "UHJvZHVjdDox"
          }
        }
      }
    }
    "#);
    let id = submitted["data"]["submitReview"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();

    let before = product_page(&app, json!({})).await;
    assert_json_snapshot!(before["rating"], @r#"
    {
      "average": null,
      "count": 0,
      "histogram": [
        {
          "stars": 1,
          "count": 0
        },
        {
          "stars": 2,
          "count": 0
        },
        {
          "stars": 3,
          "count": 0
        },
        {
          "stars": 4,
          "count": 0
        },
        {
          "stars": 5,
          "count": 0
        }
      ]
    }
    "#);

    assert_json_snapshot!(approve(&app, &id).await, @r#"
    {
      "data": {
        "approve": {
          "__typename": "Review",
          "id": "UmV2aWV3OjE",
          "status": "APPROVED"
        }
      }
    }
    "#);
    let after = product_page(&app, json!({})).await;
    assert_json_snapshot!(after, {".reviews.pageInfo.startCursor" => "[cursor]", ".reviews.pageInfo.endCursor" => "[cursor]"}, @r#"
    {
      "rating": {
        "average": 4.0,
        "count": 1,
        "histogram": [
          {
            "stars": 1,
            "count": 0
          },
          {
            "stars": 2,
            "count": 0
          },
          {
            "stars": 3,
            "count": 0
          },
          {
            "stars": 4,
            "count": 1
          },
          {
            "stars": 5,
            "count": 0
          }
        ]
      },
      "reviews": {
        "totalCount": 1,
        "pageInfo": {
          "hasNextPage": false,
          "hasPreviousPage": false,
          "startCursor": "[cursor]",
          "endCursor": "[cursor]"
        },
        "edges": [
          {
            "node": {
              "title": "Comfortable",
              "rating": 4
            }
          }
        ]
      }
    }
    "#);

    let rejected = app
        .execute_as(
            moderator(),
            "mutation ($id: ID!) { rejectReview(id: $id) { ... on Review { status } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(rejected["data"]["rejectReview"]["status"], "REJECTED");
    let rating = product_page(&app, json!({})).await["rating"].clone();
    assert_eq!(rating["count"], 0, "a rejected review leaves the rating");

    let review = app
        .execute_as(
            moderator(),
            r#"query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Review { status author { id } } } }"#,
            json!({ "reps": [{ "__typename": "Review", "id": id }] }),
        )
        .await;
    assert_json_snapshot!(review, @r#"
    {
      "data": {
        "_entities": [
          {
            "status": "REJECTED",
            "author": {
              "id": "Q3VzdG9tZXI6OQ"
            }
          }
        ]
      }
    }
    "#);

    let removed = app
        .execute_as(
            moderator(),
            "mutation ($id: ID!) { removeReview(id: $id) { __typename ... on ReviewRemoved { removedReviewId } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(removed["data"]["removeReview"]["removedReviewId"], id);
    let gone = app
        .execute(
            "query ($id: ID!) { review(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_json_snapshot!(gone, @r#"
    {
      "data": {
        "review": null
      }
    }
    "#);
}

async fn reviews_page_newest_first_in_both_directions(backend: Backend) {
    let app = TestApp::new(backend).await;
    for stars in 1..=5 {
        app.approved(&product(1), stars).await;
    }
    let titles = |page: &Value| -> Vec<i64> {
        page["reviews"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|edge| edge["node"]["rating"].as_i64().expect("a rating"))
            .collect()
    };
    let first = product_page(&app, json!({ "first": 2 })).await;
    assert_eq!(titles(&first), [5, 4]);
    let end = first["reviews"]["pageInfo"]["endCursor"].clone();

    // A review arriving meanwhile must not shift the next page.
    app.approved(&product(1), 3).await;
    let second = product_page(&app, json!({ "first": 2, "after": end })).await;
    assert_eq!(titles(&second), [3, 2]);
    assert_eq!(second["reviews"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(second["reviews"]["totalCount"], 6);

    let start = second["reviews"]["pageInfo"]["startCursor"].clone();
    let back = product_page(&app, json!({ "last": 5, "before": start })).await;
    assert_eq!(titles(&back), [3, 5, 4], "the newer review comes first");
    assert_eq!(back["reviews"]["pageInfo"]["hasPreviousPage"], false);

    let pending = app.submit(&product(1), 1).await;
    let all = product_page(&app, json!({ "first": 100 })).await;
    assert_eq!(
        titles(&all).len(),
        6,
        "pending review {pending:?} is not shown"
    );
}

async fn invalid_submissions_come_back_as_error_results(backend: Backend) {
    let app = TestApp::new(backend).await;
    let cases = [
        json!({ "rating": 6 }),
        json!({ "title": "  a " }),
        json!({ "body": "short" }),
        json!({ "authorName": "" }),
        json!({ "productId": "not-a-product" }),
        json!({ "productId": GlobalId::encode("Review", 1) }),
    ];
    let mut results = Vec::new();
    for overrides in cases {
        let response = submit(&app, input(overrides)).await;
        results.push(response["data"]["submitReview"].clone());
    }
    for _ in 0..2 {
        let response = submit(&app, input(json!({}))).await;
        results.push(response["data"]["submitReview"]["__typename"].clone());
    }
    let again = submit(&app, input(json!({}))).await;
    results.push(again["data"]["submitReview"].clone());
    assert_json_snapshot!(results, @r#"
    [
      {
        "__typename": "InvalidRating",
        "code": "BAD_USER_INPUT",
        "message": "rating must be between 1 and 5, got 6",
        "rating": 6
      },
      {
        "__typename": "InvalidReviewText",
        "code": "BAD_USER_INPUT",
        "message": "title must be between 3 and 120 characters, got 1",
        "field": "title",
        "minLength": 3,
        "maxLength": 120
      },
      {
        "__typename": "InvalidReviewText",
        "code": "BAD_USER_INPUT",
        "message": "body must be between 10 and 5000 characters, got 5",
        "field": "body",
        "minLength": 10,
        "maxLength": 5000
      },
      {
        "__typename": "InvalidReviewText",
        "code": "BAD_USER_INPUT",
        "message": "authorName must be between 1 and 80 characters, got 0",
        "field": "authorName",
        "minLength": 1,
        "maxLength": 80
      },
      {
        "__typename": "InvalidProductId",
        "code": "BAD_USER_INPUT",
        "message": "\"not-a-product\" is not a Product id",
        "productId": "not-a-product"
      },
      {
        "__typename": "InvalidProductId",
        "code": "BAD_USER_INPUT",
        "message": "\"UmV2aWV3OjE\" is not a Product id",
        "productId": "UmV2aWV3OjE"
      },
      "Review",
      "AlreadyReviewed",
      {
        "__typename": "AlreadyReviewed",
        "code": "CONFLICT",
        "message": "you have already reviewed product UHJvZHVjdDox"
      }
    ]
    "#);
}

const REVIEW_COUNT: &str = r#"
query ($id: ID!, $first: Int, $after: String) {
  _entities(representations: [{ __typename: "Product", id: $id }]) {
    ... on Product { reviews(first: $first, after: $after) { totalCount } }
  }
}"#;

async fn bad_requests_get_top_level_errors_with_stable_codes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let unknown = GlobalId::encode("Review", 999);
    let reviews = |variables: Value| app.execute(REVIEW_COUNT, variables);
    let responses = json!({
        "approveUnknownReview": approve(&app, &unknown).await,
        "approveMalformedId": approve(&app, "garbage").await,
        "approveProductId": approve(&app, &product(1)).await,
        "pageTooLarge": reviews(json!({ "id": product(1), "first": 101 })).await,
        "invalidCursor": reviews(json!({ "id": product(1), "after": "bm9wZQ" })).await,
        "malformedProductRepresentationFailsAlone": app.execute(
            r#"query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product { id rating { count } } } }"#,
            json!({ "reps": [
                { "__typename": "Product", "id": "nope" },
                { "__typename": "Product", "id": product(1) },
            ] }),
        ).await,
        "unknownReview": app.execute("query ($id: ID!) { review(id: $id) { id } }", json!({ "id": unknown })).await,
    });
    assert_json_snapshot!(responses, @r#"
    {
      "approveUnknownReview": {
        "data": {
          "approve": {
            "__typename": "ReviewNotFound",
            "code": "NOT_FOUND",
            "message": "review UmV2aWV3Ojk5OQ does not exist"
          }
        }
      },
      "approveMalformedId": {
        "data": null,
        "errors": [
          {
            "message": "\"garbage\" is not a Review id",
            "locations": [
              {
                "line": 3,
                "column": 3
              }
            ],
            "path": [
              "approve"
            ],
            "extensions": {
              "code": "BAD_USER_INPUT"
            }
          }
        ]
      },
      "approveProductId": {
        "data": null,
        "errors": [
          {
            "message": "\"UHJvZHVjdDox\" is not a Review id",
            "locations": [
              {
                "line": 3,
                "column": 3
              }
            ],
            "path": [
              "approve"
            ],
            "extensions": {
              "code": "BAD_USER_INPUT"
            }
          }
        ]
      },
      "pageTooLarge": {
        "data": {
          "_entities": [
            null
          ]
        },
        "errors": [
          {
            "message": "`first` must be between 0 and 100, got 101",
            "locations": [
              {
                "line": 4,
                "column": 22
              }
            ],
            "path": [
              "_entities",
              "reviews"
            ],
            "extensions": {
              "code": "BAD_USER_INPUT"
            }
          }
        ]
      },
      "invalidCursor": {
        "data": {
          "_entities": [
            null
          ]
        },
        "errors": [
          {
            "message": "invalid cursor \"bm9wZQ\"",
            "locations": [
              {
                "line": 4,
                "column": 22
              }
            ],
            "path": [
              "_entities",
              "reviews"
            ],
            "extensions": {
              "code": "BAD_USER_INPUT"
            }
          }
        ]
      },
      "malformedProductRepresentationFailsAlone": {
        "data": {
          "_entities": [
            {
              "id": "nope"
            },
            {
              "id": "UHJvZHVjdDox",
              "rating": {
                "count": 0
              }
            }
          ]
        },
        "errors": [
          {
            "message": "\"nope\" is not a Product id",
            "locations": [
              {
                "line": 1,
                "column": 83
              }
            ],
            "path": [
              "_entities",
              "rating"
            ],
            "extensions": {
              "code": "BAD_USER_INPUT"
            }
          }
        ]
      },
      "unknownReview": {
        "data": {
          "review": null
        }
      }
    }
    "#);
}

const REVIEW: &str = "query ($id: ID!) { review(id: $id) { status } }";

async fn only_customers_submit_and_only_moderators_moderate_or_see_unapproved(backend: Backend) {
    let app = TestApp::new(backend).await;
    let pending = app.submit(&product(1), 3).await.id.global();
    let id = json!({ "id": pending });
    let responses = json!({
        "anonymousSubmits": app.execute(SUBMIT, input(json!({}))).await,
        "customerApproves": app.execute_as(customer(1, &[]), MODERATE, id.clone()).await,
        "customerReadsQueue": app.execute_as(customer(1, &[]), QUEUE, json!({})).await,
        "anonymousReadsPending": app.execute(REVIEW, id.clone()).await,
        "otherCustomerReadsPending": app.execute_as(customer(2, &[]), REVIEW, id.clone()).await,
        "authorReadsPending": app.execute_as(customer(1, &[]), REVIEW, id.clone()).await,
        "moderatorReadsPending": app.execute_as(moderator(), REVIEW, id.clone()).await,
    });
    assert_json_snapshot!(responses, @r#"
    {
      "anonymousSubmits": {
        "data": null,
        "errors": [
          {
            "message": "sign in as a customer first",
            "locations": [
              {
                "line": 3,
                "column": 3
              }
            ],
            "path": [
              "submitReview"
            ],
            "extensions": {
              "code": "UNAUTHENTICATED"
            }
          }
        ]
      },
      "customerApproves": {
        "data": null,
        "errors": [
          {
            "message": "this needs the `reviews:moderate` permission",
            "locations": [
              {
                "line": 3,
                "column": 3
              }
            ],
            "path": [
              "approve"
            ],
            "extensions": {
              "code": "FORBIDDEN"
            }
          }
        ]
      },
      "customerReadsQueue": {
        "data": null,
        "errors": [
          {
            "message": "this needs the `reviews:moderate` permission",
            "locations": [
              {
                "line": 3,
                "column": 3
              }
            ],
            "path": [
              "moderationQueue"
            ],
            "extensions": {
              "code": "FORBIDDEN"
            }
          }
        ]
      },
      "anonymousReadsPending": {
        "data": {
          "review": null
        }
      },
      "otherCustomerReadsPending": {
        "data": {
          "review": null
        }
      },
      "authorReadsPending": {
        "data": {
          "review": {
            "status": "PENDING"
          }
        }
      },
      "moderatorReadsPending": {
        "data": {
          "review": {
            "status": "PENDING"
          }
        }
      }
    }
    "#);
}

on_both_backends!(
    only_customers_submit_and_only_moderators_moderate_or_see_unapproved,
    submitted_reviews_count_only_once_approved,
    reviews_page_newest_first_in_both_directions,
    invalid_submissions_come_back_as_error_results,
    bad_requests_get_top_level_errors_with_stable_codes,
);

const QUEUE: &str = r#"
query ($status: ModerationStatus! = PENDING, $first: Int, $after: String) {
  moderationQueue(status: $status, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { rating status } }
  }
}"#;

async fn moderation_queue_lists_pending_reviews_oldest_first(backend: Backend) {
    let app = TestApp::new(backend).await;
    for stars in 1..=3 {
        app.submit(&product(stars.into()), stars).await;
    }
    app.approved(&product(1), 5).await;
    let first = app
        .execute_as(moderator(), QUEUE, json!({ "first": 2 }))
        .await;
    assert_json_snapshot!(first, {".**.endCursor" => "[cursor]"}, @r#"
    {
      "data": {
        "moderationQueue": {
          "totalCount": 3,
          "pageInfo": {
            "hasNextPage": true,
            "endCursor": "[cursor]"
          },
          "edges": [
            {
              "node": {
                "rating": 1,
                "status": "PENDING"
              }
            },
            {
              "node": {
                "rating": 2,
                "status": "PENDING"
              }
            }
          ]
        }
      }
    }
    "#);
    let after = first["data"]["moderationQueue"]["pageInfo"]["endCursor"].clone();
    let rest = app
        .execute(QUEUE, json!({ "first": 2, "after": after }))
        .await;
    assert_json_snapshot!(rest["data"]["moderationQueue"]["edges"], @"null");
    let approved = app
        .execute_as(moderator(), QUEUE, json!({ "status": "APPROVED" }))
        .await;
    assert_eq!(approved["data"]["moderationQueue"]["totalCount"], 1);
}

on_both_backends!(moderation_queue_lists_pending_reviews_oldest_first);
