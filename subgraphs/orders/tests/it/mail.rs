//! Placed orders are confirmed by mail over real SMTP (the testkit's server): one mail per
//! order to its email with its number, lines and total; a redelivered event mails nothing
//! more; a mail server that is down at first gets the mail once it is up, and placing the
//! order never waits for it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use commerce_kernel::events::{Bus, Consumer, ConsumerOptions, Relay, Transport, spawn_consumer};
use commerce_kernel::mail::SmtpMailer;
use commerce_orders::OrderConfirmations;
use commerce_testkit::events::publish_pending;
use commerce_testkit::smtp::{SmtpServer, url_of};
use commerce_testkit::{Backend, on_both_backends};
use tokio_util::sync::CancellationToken;

use crate::support::TestApp;

on_both_backends!(
    a_placed_order_is_confirmed_by_one_mail_over_smtp,
    a_mail_server_down_at_first_gets_the_confirmation_once_it_is_up,
);

fn confirmations(app: &TestApp, smtp_url: &str) -> Arc<OrderConfirmations> {
    let mailer = SmtpMailer::new(smtp_url, "Shop <shop@example.com>").expect("a mailer");
    OrderConfirmations::new(app.service().clone(), Arc::new(mailer))
}

async fn a_placed_order_is_confirmed_by_one_mail_over_smtp(backend: Backend) {
    let app = TestApp::new(backend).await;
    let smtp = SmtpServer::start();
    let consumer = confirmations(&app, &smtp.url());
    let order = app.place(Some(1), "29.40").await;

    let events = publish_pending(app.service().db(), "orders").await;
    assert_eq!(events.len(), 1);
    consumer.handle(&events[0]).await.expect("mails the order");
    let mails = smtp.wait_for(1, Duration::from_secs(5)).await;
    let mail = &mails[0];
    assert_eq!(mail.to, std::slice::from_ref(&order.email));
    assert_eq!(mail.from, "shop@example.com");
    assert_eq!(
        mail.subject(),
        Some(format!("Order #{} confirmed", order.number).as_str())
    );
    let body = mail.body();
    assert!(body.contains(&format!("order #{}", order.number)), "{body}");
    assert!(body.contains("2 x Shirt (Blue / M): 20.00 EUR"), "{body}");
    assert!(body.contains("1 x Socks: 4.50 EUR"), "{body}");
    assert!(body.contains("Total: 29.40 EUR"), "{body}");

    // The same event again (a redelivery): recorded as applied, so no second mail.
    consumer.handle(&events[0]).await.expect("skips it");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1, "one mail per order");
}

async fn a_mail_server_down_at_first_gets_the_confirmation_once_it_is_up(backend: Backend) {
    let app = TestApp::new(backend).await;
    let address = SmtpServer::free_address();
    let consumer = confirmations(&app, &url_of(address));
    let transport = Transport::InProcess(Bus::new());
    let shutdown = CancellationToken::new();
    let options = ConsumerOptions {
        retry_delay: Duration::from_millis(50),
        max_deliveries: 100,
        ..ConsumerOptions::default()
    };
    spawn_consumer(&transport, consumer, options, shutdown.clone());
    Relay::new(app.service().db().clone(), "orders", transport).spawn(shutdown.clone());

    let started = Instant::now();
    let order = app.place(None, "29.40").await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "placing the order does not wait for mail: {:?}",
        started.elapsed()
    );
    // The consumer tries while nothing listens, and fails; the event stays unapplied.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let smtp = SmtpServer::start_on(address);
    let mails = smtp.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails[0].to, std::slice::from_ref(&order.email));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1, "mailed once, after the retries");
    shutdown.cancel();
}
