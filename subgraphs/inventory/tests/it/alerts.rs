//! Stock falling below the threshold is mailed to `staff_alert_email` over real SMTP (the
//! testkit's server), once per event; without an address the alert is only logged.

use std::sync::Arc;
use std::time::Duration;

use commerce_inventory::domain::{Quantity, ReservationTtl};
use commerce_inventory::service::{ReserveLine, StockAlerts};
use commerce_kernel::events::Consumer;
use commerce_kernel::mail::SmtpMailer;
use commerce_testkit::events::publish_pending;
use commerce_testkit::smtp::SmtpServer;

use crate::support::{Backend, app, key, on_both_backends, variant};

on_both_backends!(stock_falling_below_the_threshold_mails_staff_once);

async fn stock_falling_below_the_threshold_mails_staff_once(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 6).await;
    let lines = vec![ReserveLine {
        variant: variant(1),
        quantity: Quantity::parse(4).expect("a quantity"),
    }];
    app.inventory()
        .reserve(
            &key("cart-1"),
            lines,
            ReservationTtl::parse(600).expect("a ttl"),
        )
        .await
        .expect("reserves");

    let smtp = SmtpServer::start();
    let mailer = Arc::new(SmtpMailer::new(&smtp.url(), "shop@example.com").expect("a mailer"));
    let staff = Some("stock@example.com".to_owned());
    let alerts = StockAlerts::new(app.state.db.clone(), mailer.clone(), staff);
    let unaddressed = StockAlerts::new(app.state.db.clone(), mailer, None);
    let events = publish_pending(&app.state.db, "inventory").await;
    assert_eq!(events.len(), 3, "two stock changes, one low-stock event");
    for event in &events {
        unaddressed.handle(event).await.expect("logs only");
        alerts.handle(event).await.expect("mails staff");
        alerts.handle(event).await.expect("a redelivery: skipped");
    }

    let mails = smtp.wait_for(1, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        smtp.received().len(),
        1,
        "one alert for one low-stock event"
    );
    let mail = &mails[0];
    assert_eq!(mail.to, ["stock@example.com"]);
    let subject = mail.subject().expect("a subject");
    assert!(
        subject.starts_with("Stock low: 2 units of variant"),
        "{subject}"
    );
    let body = mail.body();
    assert!(body.contains(variant(1).as_str()), "{body}");
    assert!(body.contains("below the threshold of 5"), "{body}");
}
