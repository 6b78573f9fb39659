//! The order's state machine: which status may follow which. Pure, so every pair is tested.
//!
//! ```text
//! PLACED ─► PAID ─► PARTIALLY_FULFILLED ─► FULFILLED ─► SHIPPED ─► DELIVERED ─► RETURNED
//!   │         │            (repeats)                                              (repeats)
//!   └─► CANCELLED ◄┘   (before any fulfillment)
//! PAID and every later stage ─► PARTIALLY_REFUNDED (repeats) ─► REFUNDED
//! ```
//!
//! A partial refund ends the fulfillment stages: the order then only takes more refunds, so a
//! shop refunds part of an order once it has shipped what it will ship.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    Placed,
    Paid,
    PartiallyFulfilled,
    Fulfilled,
    Shipped,
    Delivered,
    Cancelled,
    PartiallyRefunded,
    Refunded,
    Returned,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        Self::Placed,
        Self::Paid,
        Self::PartiallyFulfilled,
        Self::Fulfilled,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::PartiallyRefunded,
        Self::Refunded,
        Self::Returned,
    ];

    /// The stored and displayed name (`PARTIALLY_FULFILLED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "PLACED",
            Self::Paid => "PAID",
            Self::PartiallyFulfilled => "PARTIALLY_FULFILLED",
            Self::Fulfilled => "FULFILLED",
            Self::Shipped => "SHIPPED",
            Self::Delivered => "DELIVERED",
            Self::Cancelled => "CANCELLED",
            Self::PartiallyRefunded => "PARTIALLY_REFUNDED",
            Self::Refunded => "REFUNDED",
            Self::Returned => "RETURNED",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
    }

    /// Whether an order in this status may move to `to`. Self-transitions are allowed only
    /// where the step repeats (another fulfillment, refund or return).
    pub fn allows(self, to: OrderStatus) -> bool {
        use OrderStatus::*;
        let refund = matches!(to, PartiallyRefunded | Refunded);
        match self {
            Placed => matches!(to, Paid | Cancelled),
            Paid => matches!(to, PartiallyFulfilled | Fulfilled | Cancelled) || refund,
            PartiallyFulfilled => matches!(to, PartiallyFulfilled | Fulfilled) || refund,
            Fulfilled => to == Shipped || refund,
            Shipped => to == Delivered || refund,
            Delivered => to == Returned || refund,
            Returned => to == Returned || refund,
            PartiallyRefunded => refund,
            Cancelled | Refunded => false,
        }
    }

    /// `to` if this status allows it, else why not.
    pub fn transition(self, to: OrderStatus) -> Result<OrderStatus, InvalidTransition> {
        if self.allows(to) {
            Ok(to)
        } else {
            Err(InvalidTransition { from: self, to })
        }
    }

    /// Whether the order's payment has been captured (refunds need a captured payment).
    pub fn is_paid(self) -> bool {
        !matches!(self, Self::Placed | Self::Cancelled)
    }
}

/// A change the state machine refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order that is {} cannot become {}{}", from.as_str(), to.as_str(), hint(*from, *to))]
pub struct InvalidTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

fn hint(from: OrderStatus, to: OrderStatus) -> &'static str {
    use OrderStatus::*;
    match (from, to) {
        (Placed, PartiallyFulfilled | Fulfilled) => ": capture its payment first",
        (PartiallyFulfilled | Fulfilled | Shipped | Delivered, Cancelled) => {
            ": it has fulfillments; refund it instead"
        }
        (Placed, PartiallyRefunded | Refunded) => ": nothing was captured; cancel it instead",
        (Cancelled | Refunded, _) => ": it is closed",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    /// Every allowed pair, written out; everything else must be refused.
    const ALLOWED: &[(OrderStatus, OrderStatus)] = &[
        (Placed, Paid),
        (Placed, Cancelled),
        (Paid, PartiallyFulfilled),
        (Paid, Fulfilled),
        (Paid, Cancelled),
        (Paid, PartiallyRefunded),
        (Paid, Refunded),
        (PartiallyFulfilled, PartiallyFulfilled),
        (PartiallyFulfilled, Fulfilled),
        (PartiallyFulfilled, PartiallyRefunded),
        (PartiallyFulfilled, Refunded),
        (Fulfilled, Shipped),
        (Fulfilled, PartiallyRefunded),
        (Fulfilled, Refunded),
        (Shipped, Delivered),
        (Shipped, PartiallyRefunded),
        (Shipped, Refunded),
        (Delivered, Returned),
        (Delivered, PartiallyRefunded),
        (Delivered, Refunded),
        (Returned, Returned),
        (Returned, PartiallyRefunded),
        (Returned, Refunded),
        (PartiallyRefunded, PartiallyRefunded),
        (PartiallyRefunded, Refunded),
    ];

    #[test]
    fn exactly_the_documented_transitions_are_allowed() {
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                let expected = ALLOWED.contains(&(from, to));
                assert_eq!(from.allows(to), expected, "{from:?} -> {to:?}");
                match from.transition(to) {
                    Ok(status) => assert_eq!(status, to),
                    Err(error) => {
                        assert_eq!((error.from, error.to), (from, to));
                        assert!(error.to_string().contains(to.as_str()));
                    }
                }
            }
        }
    }

    #[test]
    fn cancellation_only_before_any_fulfillment() {
        let cancellable: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.allows(Cancelled))
            .collect();
        assert_eq!(cancellable, vec![Placed, Paid]);
        let refused = Shipped.transition(Cancelled).map_err(|e| e.to_string());
        assert_eq!(
            refused,
            Err("an order that is SHIPPED cannot become CANCELLED: it has fulfillments; refund it instead".to_owned())
        );
    }

    #[test]
    fn closed_orders_go_nowhere_and_names_round_trip() {
        for to in OrderStatus::ALL {
            assert!(!Cancelled.allows(to));
            assert!(!Refunded.allows(to));
        }
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::from_stored(status.as_str()), Some(status));
        }
        assert_eq!(OrderStatus::from_stored("placed"), None);
    }
}
