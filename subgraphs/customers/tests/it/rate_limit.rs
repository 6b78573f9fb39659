//! Sign-in attempts are limited per account and per client address, in-process or in Redis.

use std::time::Duration;

use commerce_customers::{LoginLimits, Settings};
use commerce_testkit::{Backend, error_code};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, test_settings};

fn limited() -> Settings {
    Settings {
        login_limits: LoginLimits {
            per_account: 3,
            per_address: 5,
            window: Duration::from_secs(60),
        },
        ..test_settings()
    }
}

async fn login_from(app: &TestApp, email: &str, password: &str, ip: &str) -> Value {
    app.post(
        "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { __typename } }",
        json!({ "e": email, "p": password }),
        &[("x-forwarded-for", ip)],
    )
    .await
}

async fn limits_attempts_per_account_and_per_address(redis: bool) {
    let app = TestApp::with(Backend::Sqlite, limited(), redis).await;
    // Unique per run, since Redis outlives the test.
    let email = format!("target-{}@example.com", uuid::Uuid::new_v4().simple());
    app.register(&email).await;
    for n in 0..3 {
        let ip = format!("203.0.113.{n}");
        let wrong = login_from(&app, &email, "wrong passphrase!", &ip).await;
        assert_eq!(wrong["data"]["login"]["__typename"], "InvalidCredentials");
    }
    // Fourth attempt on the account, even with the right password and from a new address.
    let blocked = login_from(&app, &email, PASSWORD, "203.0.113.99").await;
    insta::assert_json_snapshot!(blocked, {
        ".errors[0].extensions.retryAfterSeconds" => "[seconds]",
        ".errors[0].message" => "[message]",
    }, @r#"
    {
      "data": null,
      "errors": [
        {
          "message": "[message]",
          "locations": [
            {
              "line": 1,
              "column": 38
            }
          ],
          "path": [
            "login"
          ],
          "extensions": {
            "code": "RATE_LIMITED",
            "retryAfterSeconds": "[seconds]"
          }
        }
      ]
    }
    "#);
    let message = blocked["errors"][0]["message"].as_str().expect("a message");
    assert!(
        message.starts_with("too many sign-in attempts; try again in"),
        "{message}"
    );

    // One address spraying many accounts is limited too.
    let ip = format!("198.51.100.{}", rand_octet());
    for n in 0..5 {
        let other = format!("spray-{n}-{}@example.com", uuid::Uuid::new_v4().simple());
        let response = login_from(&app, &other, "wrong passphrase!", &ip).await;
        assert_eq!(
            response["data"]["login"]["__typename"],
            "InvalidCredentials"
        );
    }
    let sprayed = login_from(&app, "someone@example.com", "wrong passphrase!", &ip).await;
    assert_eq!(error_code(&sprayed), "RATE_LIMITED");
}

fn rand_octet() -> u8 {
    uuid::Uuid::new_v4().as_bytes()[0]
}

#[tokio::test]
async fn limits_sign_in_attempts_in_process() {
    limits_attempts_per_account_and_per_address(false).await;
}

#[tokio::test]
async fn limits_sign_in_attempts_in_redis_across_instances() {
    limits_attempts_per_account_and_per_address(true).await;
    // A second instance sharing the Redis sees the first one's count.
    let first = TestApp::with(Backend::Sqlite, limited(), true).await;
    let second = TestApp::with(Backend::Sqlite, limited(), true).await;
    let email = format!("shared-{}@example.com", uuid::Uuid::new_v4().simple());
    for app in [&first, &second, &first] {
        let response = login_from(app, &email, "wrong passphrase!", "192.0.2.1").await;
        assert_eq!(
            response["data"]["login"]["__typename"],
            "InvalidCredentials"
        );
    }
    let blocked = login_from(&second, &email, "wrong passphrase!", "192.0.2.2").await;
    assert_eq!(error_code(&blocked), "RATE_LIMITED");
}

#[tokio::test]
async fn a_successful_sign_in_resets_the_account_count() {
    let app = TestApp::with(Backend::Sqlite, limited(), false).await;
    app.register("ada@example.com").await;
    for _ in 0..3 {
        for password in ["wrong passphrase!", "wrong passphrase!", PASSWORD] {
            let response = login_from(&app, "ada@example.com", password, "").await;
            assert!(response.get("errors").is_none(), "{response}");
        }
    }
}
