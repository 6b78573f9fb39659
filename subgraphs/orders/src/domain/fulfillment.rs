//! Which lines a fulfillment or a return may take, and what a return refunds. No I/O.

use std::collections::BTreeMap;

use commerce_kernel::{Currency, Money};

use super::{LineQuantity, OrderError, OrderLine, OrderLineId, OrderStatus};

/// Requested quantities per line, merged and checked against the order's lines.
fn merge<'a>(
    lines: &'a [OrderLine],
    requested: &[LineQuantity],
) -> Result<Vec<(&'a OrderLine, i64)>, OrderError> {
    if requested.is_empty() {
        return Err(OrderError::InvalidLines {
            message: "pick at least one line".to_owned(),
        });
    }
    let mut merged: BTreeMap<OrderLineId, i64> = BTreeMap::new();
    for line in requested {
        *merged.entry(line.order_line_id).or_default() += line.quantity;
    }
    merged
        .into_iter()
        .map(|(id, quantity)| {
            let line = lines.iter().find(|line| line.id == id).ok_or_else(|| {
                OrderError::InvalidLines {
                    message: format!("order line {} is not on this order", id.global()),
                }
            })?;
            Ok((line, quantity))
        })
        .collect()
}

/// A fulfillment's effect: each line's new fulfilled quantity, and the order's next status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FulfillmentPlan {
    pub fulfilled: Vec<(OrderLineId, i64)>,
    pub status: OrderStatus,
}

/// Plans fulfilling `requested` from `lines`: no line may ship more than is left of it.
pub fn plan_fulfillment(
    lines: &[OrderLine],
    requested: &[LineQuantity],
) -> Result<FulfillmentPlan, OrderError> {
    let merged = merge(lines, requested)?;
    let mut fulfilled = Vec::with_capacity(merged.len());
    for (line, quantity) in merged {
        let left = line.quantity - line.fulfilled_quantity;
        if quantity > left {
            return Err(OrderError::InvalidLines {
                message: format!(
                    "only {left} of order line {} ({}) are left to fulfil, {quantity} requested",
                    line.id.global(),
                    line.sku
                ),
            });
        }
        fulfilled.push((line.id, line.fulfilled_quantity + quantity));
    }
    let complete = lines.iter().all(|line| {
        let now = fulfilled
            .iter()
            .find(|(id, _)| *id == line.id)
            .map_or(line.fulfilled_quantity, |(_, quantity)| *quantity);
        now == line.quantity
    });
    let status = if complete {
        OrderStatus::Fulfilled
    } else {
        OrderStatus::PartiallyFulfilled
    };
    Ok(FulfillmentPlan { fulfilled, status })
}

/// A return's effect: each line's new returned quantity, and the amount to refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnPlan {
    pub returned: Vec<(OrderLineId, i64)>,
    pub refund: Money,
}

/// Plans returning `requested`: only delivered (fulfilled) units not returned yet come back,
/// and each refunds its share of the line's total (rounded so that returning every unit of a
/// line, in any number of returns, refunds exactly the line's total).
pub fn plan_return(
    lines: &[OrderLine],
    requested: &[LineQuantity],
    currency: Currency,
) -> Result<ReturnPlan, OrderError> {
    let merged = merge(lines, requested)?;
    let mut returned = Vec::with_capacity(merged.len());
    let mut refund = Money::zero(currency);
    for (line, quantity) in merged {
        let left = line.fulfilled_quantity - line.returned_quantity;
        if quantity > left {
            return Err(OrderError::InvalidLines {
                message: format!(
                    "only {left} units of order line {} ({}) can be returned, {quantity} requested",
                    line.id.global(),
                    line.sku
                ),
            });
        }
        let before = share(line, line.returned_quantity);
        let after = share(line, line.returned_quantity + quantity);
        refund = refund
            .checked_add(Money::new(after - before, currency))
            .map_err(|error| OrderError::Unexpected(error.into()))?;
        returned.push((line.id, line.returned_quantity + quantity));
    }
    Ok(ReturnPlan { returned, refund })
}

/// The part of a line's total that `units` of it account for, rounded down; `share(quantity)`
/// is the whole total, so partial returns add up exactly.
fn share(line: &OrderLine, units: i64) -> i64 {
    let total = i128::from(line.total.amount) * i128::from(units) / i128::from(line.quantity);
    i64::try_from(total).expect("a share never exceeds the line total")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrderId;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("known")
    }

    fn line(id: i64, quantity: i64, fulfilled: i64, returned: i64, total: i64) -> OrderLine {
        let money = |amount| Money::new(amount, eur());
        OrderLine {
            id: OrderLineId(id),
            order_id: OrderId(1),
            variant_id: "v".into(),
            product_id: "p".into(),
            sku: format!("SKU-{id}"),
            product_name: "Thing".into(),
            variant_name: None,
            quantity,
            unit_price: money(total / quantity),
            discount: money(0),
            tax: money(0),
            total: money(total),
            fulfilled_quantity: fulfilled,
            returned_quantity: returned,
        }
    }

    fn pick(id: i64, quantity: i64) -> LineQuantity {
        LineQuantity {
            order_line_id: OrderLineId(id),
            quantity,
        }
    }

    #[test]
    fn fulfilling_part_then_the_rest_completes_the_order() {
        let lines = vec![line(1, 3, 0, 0, 3000), line(2, 1, 0, 0, 500)];
        let plan = plan_fulfillment(&lines, &[pick(1, 1), pick(1, 1)]).expect("fits");
        assert_eq!(plan.fulfilled, vec![(OrderLineId(1), 2)]);
        assert_eq!(plan.status, OrderStatus::PartiallyFulfilled);
        let lines = vec![line(1, 3, 2, 0, 3000), line(2, 1, 0, 0, 500)];
        let plan = plan_fulfillment(&lines, &[pick(2, 1), pick(1, 1)]).expect("fits");
        assert_eq!(plan.status, OrderStatus::Fulfilled);
    }

    #[test]
    fn refuses_more_than_is_left_unknown_lines_and_nothing() {
        let lines = vec![line(1, 3, 2, 0, 3000)];
        let too_many = plan_fulfillment(&lines, &[pick(1, 2)]);
        assert!(matches!(too_many, Err(OrderError::InvalidLines { .. })));
        let unknown = plan_fulfillment(&lines, &[pick(9, 1)]);
        assert!(matches!(unknown, Err(OrderError::InvalidLines { .. })));
        assert!(plan_fulfillment(&lines, &[]).is_err());
    }

    #[test]
    fn partial_returns_refund_exactly_the_line_total_in_the_end() {
        // 3 units for 10.00: 3.33 + 3.33 + 3.34.
        let first = plan_return(&[line(1, 3, 3, 0, 1000)], &[pick(1, 1)], eur()).expect("ok");
        assert_eq!(first.refund.amount, 333);
        let second = plan_return(&[line(1, 3, 3, 1, 1000)], &[pick(1, 1)], eur()).expect("ok");
        assert_eq!(second.refund.amount, 333);
        let last = plan_return(&[line(1, 3, 3, 2, 1000)], &[pick(1, 1)], eur()).expect("ok");
        assert_eq!(last.refund.amount, 334);
        assert_eq!(last.returned, vec![(OrderLineId(1), 3)]);
        let unshipped = plan_return(&[line(1, 3, 1, 1, 1000)], &[pick(1, 1)], eur());
        assert!(matches!(unshipped, Err(OrderError::InvalidLines { .. })));
    }
}
