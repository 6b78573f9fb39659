//! Sign-up and sign-in: the happy path, no account enumeration, password policy.

use commerce_customers::service::mailer::Mail;
use commerce_testkit::{Backend, on_both_backends};
use serde_json::json;

use crate::support::{PASSWORD, TestApp};

on_both_backends!(
    raising_the_hash_cost_upgrades_each_hash_at_its_next_sign_in,
    registers_signs_in_and_reads_its_own_account,
    unknown_email_and_wrong_password_fail_identically,
    registering_a_taken_email_looks_like_success_and_tells_the_owner,
    weak_passwords_and_bad_emails_are_returned_as_data,
);

async fn registers_signs_in_and_reads_its_own_account(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("  Ada.Lovelace@Example.COM ").await;
    let session = app
        .login_as("login", "ada.lovelace@example.com", PASSWORD)
        .await;
    insta::assert_json_snapshot!(session, {
        ".accessToken" => "[access token]",
        ".refreshToken" => "[refresh token]",
    }, @r#"
    {
      "__typename": "AuthPayload",
      "accessToken": "[access token]",
      "refreshToken": "[refresh token]",
      "tokenType": "Bearer"
    }
    "#);
    let (access, _) = crate::support::tokens(&session);
    let mut me = app
        .as_bearer(
            &access,
            "{ viewer { kind groups permissions } me { email firstName lastName displayName groups { code } addresses { id } } }",
            json!({}),
        )
        .await;
    // Key order is not what this test is about; sorted keys keep the snapshot stable.
    me.sort_all_objects();
    insta::assert_json_snapshot!(me, @r#"
    {
      "data": {
        "me": {
          "addresses": [],
          "displayName": "Ada L.",
          "email": "ada.lovelace@example.com",
          "firstName": "Ada",
          "groups": [],
          "lastName": "Lovelace"
        },
        "viewer": {
          "groups": [],
          "kind": "CUSTOMER",
          "permissions": []
        }
      }
    }
    "#);
    let anonymous = app
        .anonymous("{ viewer { kind } me { email } }", json!({}))
        .await;
    insta::assert_json_snapshot!(anonymous, @r#"
    {
      "data": {
        "viewer": {
          "kind": "ANONYMOUS"
        },
        "me": null
      }
    }
    "#);
}

async fn unknown_email_and_wrong_password_fail_identically(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("grace@example.com").await;
    let wrong_password = app
        .login_as("login", "grace@example.com", "not the right passphrase")
        .await;
    let unknown_email = app
        .login_as("login", "nobody@example.com", "not the right passphrase")
        .await;
    let malformed_email = app.login_as("login", "not-an-email", PASSWORD).await;
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password, malformed_email);
    insta::assert_json_snapshot!(wrong_password, @r#"
    {
      "__typename": "InvalidCredentials",
      "code": "UNAUTHENTICATED",
      "message": "the email or password is incorrect"
    }
    "#);
    // A customer's password does not open a staff session.
    let staff = app
        .login_as("staffLogin", "grace@example.com", PASSWORD)
        .await;
    assert_eq!(staff, wrong_password);
}

async fn registering_a_taken_email_looks_like_success_and_tells_the_owner(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("alan@example.com").await;
    // Same answer the second time, with a different case.
    app.register("ALAN@example.com").await;
    assert_eq!(
        app.mailer.wait_for(1).await,
        vec![
            Mail::AlreadyRegistered {
                to: "alan@example.com".into()
            }
            .render()
        ]
    );
    // The original password still works: the second registration changed nothing.
    let session = app.login_as("login", "alan@example.com", PASSWORD).await;
    assert_eq!(session["__typename"], "AuthPayload");
}

async fn weak_passwords_and_bad_emails_are_returned_as_data(backend: Backend) {
    let app = TestApp::new(backend).await;
    let register = |email: &'static str, password: &'static str, first: &'static str| {
        let app = &app;
        async move {
            app.anonymous(
                "mutation($input: RegisterInput!) { register(input: $input) {
                    __typename ... on ErrorResult { code message } ... on InvalidField { field }
                } }",
                json!({ "input": {
                    "email": email, "password": password, "firstName": first, "lastName": "Hopper"
                }}),
            )
            .await["data"]["register"]
                .clone()
        }
    };
    let results = json!([
        register("grace@example.com", "short", "Grace").await,
        register("grace@example.com", "password123", "Grace").await,
        register("grace@", PASSWORD, "Grace").await,
        register("grace@example.com", PASSWORD, "  ").await,
    ]);
    insta::assert_json_snapshot!(results, @r#"
    [
      {
        "__typename": "WeakPassword",
        "code": "BAD_USER_INPUT",
        "message": "password too weak: use at least 10 characters"
      },
      {
        "__typename": "WeakPassword",
        "code": "BAD_USER_INPUT",
        "message": "password too weak: it is one of the most common passwords"
      },
      {
        "__typename": "InvalidEmail",
        "code": "BAD_USER_INPUT",
        "message": "invalid email: the domain is not valid"
      },
      {
        "__typename": "InvalidField",
        "code": "BAD_USER_INPUT",
        "message": "invalid firstName: must not be empty",
        "field": "firstName"
      }
    ]
    "#);
}

async fn stored_hash(app: &TestApp) -> String {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .state
        .db
        .query_one(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT password_hash FROM customers",
        ))
        .await
        .expect("queries")
        .expect("a customer");
    row.try_get("", "password_hash").expect("a hash")
}

async fn raising_the_hash_cost_upgrades_each_hash_at_its_next_sign_in(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.register("frances@example.com").await;
    let before = stored_hash(&app).await;
    assert!(before.contains("m=256,t=1,p=1"), "{before}");
    // The same database, served with stronger parameters.
    let stronger = commerce_customers::Settings {
        hashing: commerce_customers::HashingParams {
            memory_kib: 512,
            iterations: 2,
            parallelism: 1,
        },
        ..crate::support::test_settings()
    };
    let mailer = std::sync::Arc::new(commerce_customers::service::mailer::MemoryMailer::default());
    let upgraded = commerce_customers::state_with(&app.config, stronger, mailer)
        .await
        .expect("a second instance");
    let session = upgraded
        .service
        .login(
            commerce_customers::service::auth::Realm::Customer,
            "frances@example.com",
            PASSWORD,
            None,
        )
        .await;
    assert!(session.is_ok());
    let after = stored_hash(&app).await;
    assert!(after.contains("m=512,t=2,p=1"), "{after}");
    let again = app.login_as("login", "frances@example.com", PASSWORD).await;
    assert_eq!(again["__typename"], "AuthPayload");
}
