//! The mail orders sends: the confirmation of a placed order, as plain text.

use commerce_kernel::mail::Message;

use super::{Order, OrderLine};

/// "Order #1001 confirmed": each line with its quantity and total, shipping, tax and the
/// grand total, to the order's email.
pub fn confirmation(order: &Order, lines: &[OrderLine]) -> Message {
    let mut text = format!("Thank you for your order #{}.\r\n\r\n", order.number);
    for line in lines {
        let name = match &line.variant_name {
            Some(variant) => format!("{} ({variant})", line.product_name),
            None => line.product_name.clone(),
        };
        text.push_str(&format!("{} x {name}: {}\r\n", line.quantity, line.total));
    }
    let totals = &order.totals;
    text.push_str(&format!("\r\nShipping: {}\r\n", totals.shipping_total));
    if totals.discount_total.amount != 0 {
        text.push_str(&format!("Discount: {}\r\n", totals.discount_total));
    }
    let tax = if totals.tax_inclusive {
        "Tax included"
    } else {
        "Tax"
    };
    text.push_str(&format!("{tax}: {}\r\n", totals.tax_total));
    text.push_str(&format!("Total: {}\r\n", totals.total));
    Message {
        to: order.email.clone(),
        subject: format!("Order #{} confirmed", order.number),
        text,
    }
}
