//! Account mails go through the configured mailer: with `smtp_url` set, a password reset
//! arrives over real SMTP (the testkit's server) with a code that resets the password.

use std::time::Duration;

use commerce_customers::service::auth::Registration;
use commerce_customers::service::mailer::Mail;
use commerce_testkit::smtp::SmtpServer;
use commerce_testkit::{Backend, on_both_backends, test_config};

use crate::support::{PASSWORD, test_settings};

on_both_backends!(a_reset_mail_arrives_over_smtp_and_its_code_resets_the_password);

async fn a_reset_mail_arrives_over_smtp_and_its_code_resets_the_password(backend: Backend) {
    let smtp = SmtpServer::start();
    let database = test_config(backend).await;
    let mut config = database.config();
    config.smtp_url = Some(smtp.url());
    config.mail_from = "Shop <shop@example.com>".to_owned();
    let mailer = commerce_kernel::mail::from_config(&config).expect("an SMTP mailer");
    let state = commerce_customers::state_with(&config, test_settings(), mailer)
        .await
        .expect("builds the state");
    let service = &state.service;
    service
        .register(Registration {
            email: "ada@example.com",
            password: PASSWORD,
            first_name: "Ada",
            last_name: "Lovelace",
        })
        .await
        .expect("registers");
    service
        .request_password_reset("ada@example.com")
        .await
        .expect("answers");

    let mails = smtp.wait_for(1, Duration::from_secs(10)).await;
    let mail = &mails[0];
    assert_eq!(mail.to, ["ada@example.com"]);
    assert_eq!(mail.from, "shop@example.com");
    assert_eq!(mail.subject(), Some("Reset your password"));
    let body = mail.body();
    let token = Mail::reset_token(&body).expect("a reset code in the mail");
    service
        .reset_password(token, "an entirely new passphrase")
        .await
        .expect("the mailed code resets the password");
}
