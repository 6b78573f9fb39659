//! Folding events into the rollups. Pure: over the rows a batch of events touches ([`State`]),
//! it produces the additive changes of the daily rollups and the projection rows to save
//! ([`Changes`]). The one fold serves a consumer's single event, a batch, and a rebuild that
//! replays the log, and gives the same rollups whatever order the events of different
//! aggregates arrive in:
//!
//! - an order counts once, on the day it was placed; a cancellation takes it back out of that
//!   day (and a cancellation seen before its placement waits in the order's row);
//! - a customer is new on the day of their first order and returning on every other day they
//!   order; an earlier order arriving late moves the "new" day back;
//! - a variant's stock, a product's category and a category's name keep the state of their
//!   latest event (by sequence).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use commerce_kernel::events::Envelope;
use commerce_kernel::{Currency, Money};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Day;
use super::events::{
    CategoryChanged, CustomerRegistered, OrderPlaced, OrderStatusChanged, PaymentRefunded,
    ProductChanged, StockChanged, StockLow,
};

/// What an event means to the rollups.
#[derive(Debug, Clone, PartialEq)]
pub enum Fact {
    Placed(Placed),
    Cancelled {
        order_id: String,
    },
    Refunded {
        day: Day,
        currency: String,
        amount: i64,
    },
    /// `threshold` is set by `inventory.stock_low`, kept by later stock changes.
    Stock {
        variant_id: String,
        sequence: i64,
        available: i64,
        threshold: Option<i64>,
    },
    /// An account was created that day.
    Registered {
        day: Day,
    },
    /// The product's category now (`None`: it has none).
    ProductCategory {
        product_id: String,
        sequence: i64,
        category_id: Option<String>,
    },
    /// The category's name now (`None`: deleted).
    CategoryName {
        category_id: String,
        sequence: i64,
        name: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub order_id: String,
    /// Unix microseconds, to tell a customer's first order.
    pub at: i64,
    pub day: Day,
    pub currency: String,
    pub total: i64,
    pub customer: Option<String>,
    pub lines: Vec<Line>,
}

/// An order line as the rollups need it: units and revenue (minor units) of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub product_id: String,
    pub units: i64,
    pub revenue: i64,
}

impl Fact {
    /// The fact an event states; `None` for events that change no rollup.
    pub fn decode(event: &Envelope) -> anyhow::Result<Option<Self>> {
        if let Some(placed) = event.decode::<OrderPlaced>() {
            return placed_fact(event, placed?).map(Some);
        }
        if let Some(changed) = event.decode::<OrderStatusChanged>() {
            let changed = changed?;
            return Ok((changed.to == "CANCELLED").then_some(Self::Cancelled {
                order_id: changed.order_id,
            }));
        }
        if let Some(refunded) = event.decode::<PaymentRefunded>() {
            let refunded = refunded?;
            let currency = Currency::parse(&refunded.currency)?;
            return Ok(Some(Self::Refunded {
                day: Day::of(event.time),
                currency: currency.code().to_owned(),
                amount: Money::parse_decimal(&refunded.amount, currency)?.amount,
            }));
        }
        if let Some(changed) = event.decode::<StockChanged>() {
            let changed = changed?;
            return Ok(Some(Self::Stock {
                variant_id: changed.variant_id,
                sequence: event.sequence,
                available: changed.available,
                threshold: None,
            }));
        }
        if let Some(registered) = event.decode::<CustomerRegistered>() {
            registered?;
            return Ok(Some(Self::Registered {
                day: Day::of(event.time),
            }));
        }
        if let Some(changed) = event.decode::<ProductChanged>() {
            let changed = changed?;
            return Ok(changed
                .category_id
                .map(|category_id| Self::ProductCategory {
                    product_id: changed.product_id,
                    sequence: event.sequence,
                    category_id,
                }));
        }
        if let Some(changed) = event.decode::<CategoryChanged>() {
            let changed = changed?;
            let name = match (changed.change.as_str(), changed.name) {
                ("DELETED", _) => None,
                (_, Some(name)) => Some(name),
                (_, None) => return Ok(None),
            };
            return Ok(Some(Self::CategoryName {
                category_id: changed.category_id,
                sequence: event.sequence,
                name,
            }));
        }
        if let Some(low) = event.decode::<StockLow>() {
            let low = low?;
            return Ok(Some(Self::Stock {
                variant_id: low.variant_id,
                sequence: event.sequence,
                available: low.available,
                threshold: Some(low.threshold),
            }));
        }
        Ok(None)
    }
}

fn placed_fact(event: &Envelope, placed: OrderPlaced) -> anyhow::Result<Fact> {
    let currency = Currency::parse(&placed.currency)?;
    let amount = |value: &str| Money::parse_decimal(value, currency).map(|money| money.amount);
    let lines = placed
        .lines
        .iter()
        .map(|line| {
            Ok(Line {
                product_id: line.product_id.clone(),
                units: line.quantity,
                revenue: line.total.as_deref().map(amount).transpose()?.unwrap_or(0),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(Fact::Placed(Placed {
        order_id: placed.order_id,
        at: event.time.timestamp_micros(),
        day: Day::of(event.time),
        currency: currency.code().to_owned(),
        total: amount(&placed.total)?,
        customer: customer_key(placed.customer_id.as_deref(), placed.email.as_deref()),
        lines,
    }))
}

/// Who placed an order: the customer's id, or for a guest a digest of the address (the same
/// guest is recognised when they come back; the address itself is not kept).
pub fn customer_key(customer_id: Option<&str>, email: Option<&str>) -> Option<String> {
    if let Some(id) = customer_id {
        return Some(format!("customer:{id}"));
    }
    let email = email?.trim().to_lowercase();
    Some(format!("guest:{}", hex::encode(Sha256::digest(email))))
}

/// The projection rows a batch of facts reads and changes, loaded before the fold.
#[derive(Debug, Default)]
pub struct State {
    pub orders: HashMap<String, OrderRow>,
    pub customers: HashMap<String, CustomerRow>,
    /// (customer, day) pairs on which the customer ordered.
    pub customer_days: HashSet<(String, Day)>,
    pub stock: HashMap<String, StockRow>,
    /// Product → (sequence, category).
    pub product_categories: HashMap<String, Latest>,
    /// Category → (sequence, name).
    pub category_names: HashMap<String, Latest>,
}

/// A value kept from the latest event of its aggregate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Latest {
    pub sequence: i64,
    pub value: Option<String>,
}

/// What analytics remembers of an order: enough to take it back out when it is cancelled.
/// A row that is `cancelled` but not `placed` is a cancellation that arrived first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    pub placed: bool,
    pub cancelled: bool,
    pub day: Day,
    pub currency: String,
    pub total: i64,
    pub lines: Vec<Line>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerRow {
    pub first_at: i64,
    pub first_day: Day,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockRow {
    pub sequence: i64,
    pub available: i64,
    pub threshold: Option<i64>,
}

/// The keys of the rows a batch of facts needs.
#[derive(Debug, Default)]
pub struct Keys {
    pub orders: BTreeSet<String>,
    pub customers: BTreeSet<String>,
    pub customer_days: BTreeSet<(String, Day)>,
    pub variants: BTreeSet<String>,
    pub products: BTreeSet<String>,
    pub categories: BTreeSet<String>,
}

impl Keys {
    pub fn of(facts: &[Fact]) -> Self {
        let mut keys = Self::default();
        for fact in facts {
            match fact {
                Fact::Placed(placed) => {
                    keys.orders.insert(placed.order_id.clone());
                    if let Some(customer) = &placed.customer {
                        keys.customers.insert(customer.clone());
                        keys.customer_days.insert((customer.clone(), placed.day));
                    }
                }
                Fact::Cancelled { order_id } => {
                    keys.orders.insert(order_id.clone());
                }
                Fact::Refunded { .. } | Fact::Registered { .. } => {}
                Fact::Stock { variant_id, .. } => {
                    keys.variants.insert(variant_id.clone());
                }
                Fact::ProductCategory { product_id, .. } => {
                    keys.products.insert(product_id.clone());
                }
                Fact::CategoryName { category_id, .. } => {
                    keys.categories.insert(category_id.clone());
                }
            }
        }
        keys
    }
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SalesDelta {
    pub orders: i64,
    pub revenue: i64,
    pub items: i64,
    pub cancelled_orders: i64,
    pub cancelled_revenue: i64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ProductDelta {
    pub units: i64,
    pub revenue: i64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RefundDelta {
    pub refunds: i64,
    pub amount: i64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CustomerDelta {
    pub new_customers: i64,
    pub returning_customers: i64,
    pub registered: i64,
}

/// What a fold changed: amounts to add to the daily rollups, and the projection rows (in
/// [`State`]) to save.
#[derive(Debug, Default)]
pub struct Changes {
    pub sales: BTreeMap<(String, Day), SalesDelta>,
    pub products: BTreeMap<(String, Day, String), ProductDelta>,
    pub refunds: BTreeMap<(String, Day), RefundDelta>,
    pub customers_daily: BTreeMap<Day, CustomerDelta>,
    pub orders: BTreeSet<String>,
    pub customers: BTreeSet<String>,
    pub new_customer_days: BTreeSet<(String, Day)>,
    pub stock: BTreeSet<String>,
    pub product_categories: BTreeSet<String>,
    pub category_names: BTreeSet<String>,
}

/// Applies `facts` in order to `state`, returning what changed.
pub fn fold(state: &mut State, facts: Vec<Fact>) -> Changes {
    let mut fold = Fold {
        state,
        changes: Changes::default(),
    };
    for fact in facts {
        match fact {
            Fact::Placed(placed) => fold.placed(placed),
            Fact::Cancelled { order_id } => fold.cancelled(order_id),
            Fact::Refunded {
                day,
                currency,
                amount,
            } => {
                let refunds = fold.changes.refunds.entry((currency, day)).or_default();
                refunds.refunds += 1;
                refunds.amount += amount;
            }
            Fact::Stock {
                variant_id,
                sequence,
                available,
                threshold,
            } => fold.stock(variant_id, sequence, available, threshold),
            Fact::Registered { day } => fold.customer_delta(day).registered += 1,
            Fact::ProductCategory {
                product_id,
                sequence,
                category_id,
            } => {
                let latest = Latest {
                    sequence,
                    value: category_id,
                };
                if keep_latest(&mut fold.state.product_categories, &product_id, latest) {
                    fold.changes.product_categories.insert(product_id);
                }
            }
            Fact::CategoryName {
                category_id,
                sequence,
                name,
            } => {
                let latest = Latest {
                    sequence,
                    value: name,
                };
                if keep_latest(&mut fold.state.category_names, &category_id, latest) {
                    fold.changes.category_names.insert(category_id);
                }
            }
        }
    }
    fold.changes
}

/// Stores `latest` under `key` unless a later event's value is there; true when stored.
fn keep_latest(values: &mut HashMap<String, Latest>, key: &str, latest: Latest) -> bool {
    if values
        .get(key)
        .is_some_and(|kept| kept.sequence >= latest.sequence)
    {
        return false;
    }
    values.insert(key.to_owned(), latest);
    true
}

struct Fold<'a> {
    state: &'a mut State,
    changes: Changes,
}

impl Fold<'_> {
    fn placed(&mut self, placed: Placed) {
        let earlier = self.state.orders.get(&placed.order_id);
        if earlier.is_some_and(|order| order.placed) {
            return;
        }
        let cancelled = earlier.is_some_and(|order| order.cancelled);
        let order = OrderRow {
            placed: true,
            cancelled,
            day: placed.day,
            currency: placed.currency,
            total: placed.total,
            lines: placed.lines,
        };
        self.count(&order, 1);
        if cancelled {
            self.take_back(&order);
        }
        if let Some(customer) = placed.customer {
            self.customer_ordered(customer, placed.at, placed.day);
        }
        self.changes.orders.insert(placed.order_id.clone());
        self.state.orders.insert(placed.order_id, order);
    }

    fn cancelled(&mut self, order_id: String) {
        let order = self
            .state
            .orders
            .entry(order_id.clone())
            .or_insert(OrderRow {
                placed: false,
                cancelled: false,
                day: Day(0),
                currency: String::new(),
                total: 0,
                lines: Vec::new(),
            });
        if order.cancelled {
            return;
        }
        order.cancelled = true;
        let order = order.clone();
        if order.placed {
            self.take_back(&order);
        }
        self.changes.orders.insert(order_id);
    }

    /// Adds (`sign` 1) or removes (-1) an order's amounts on its day.
    fn count(&mut self, order: &OrderRow, sign: i64) {
        let sales = self
            .changes
            .sales
            .entry((order.currency.clone(), order.day))
            .or_default();
        sales.orders += sign;
        sales.revenue += sign * order.total;
        sales.items += sign * order.lines.iter().map(|line| line.units).sum::<i64>();
        for line in &order.lines {
            let key = (order.currency.clone(), order.day, line.product_id.clone());
            let product = self.changes.products.entry(key).or_default();
            product.units += sign * line.units;
            product.revenue += sign * line.revenue;
        }
    }

    fn take_back(&mut self, order: &OrderRow) {
        self.count(order, -1);
        let sales = self
            .changes
            .sales
            .entry((order.currency.clone(), order.day))
            .or_default();
        sales.cancelled_orders += 1;
        sales.cancelled_revenue += order.total;
    }

    fn customer_ordered(&mut self, customer: String, at: i64, day: Day) {
        let first = self.state.customers.get(&customer).copied();
        let ordered_that_day = !self.state.customer_days.insert((customer.clone(), day));
        if !ordered_that_day {
            self.changes
                .new_customer_days
                .insert((customer.clone(), day));
        }
        match first {
            None => {
                self.customer_delta(day).new_customers += 1;
                self.set_first(customer, at, day);
            }
            Some(first) if at >= first.first_at => {
                if !ordered_that_day && day != first.first_day {
                    self.customer_delta(day).returning_customers += 1;
                }
            }
            // An earlier order than the one thought first: the customer was new that day,
            // and the old first day becomes a day they came back.
            Some(first) => {
                if day != first.first_day {
                    self.customer_delta(first.first_day).new_customers -= 1;
                    self.customer_delta(first.first_day).returning_customers += 1;
                    self.customer_delta(day).new_customers += 1;
                }
                self.set_first(customer, at, day);
            }
        }
    }

    fn customer_delta(&mut self, day: Day) -> &mut CustomerDelta {
        self.changes.customers_daily.entry(day).or_default()
    }

    fn set_first(&mut self, customer: String, at: i64, day: Day) {
        self.state.customers.insert(
            customer.clone(),
            CustomerRow {
                first_at: at,
                first_day: day,
            },
        );
        self.changes.customers.insert(customer);
    }

    fn stock(&mut self, variant_id: String, sequence: i64, available: i64, threshold: Option<i64>) {
        let earlier = self.state.stock.get(&variant_id).copied();
        let row = match earlier {
            // An event older than the row (instances of one consumer group apply a stream's
            // events in any order): its level is stale, but a threshold the row lacks is news,
            // since thresholds outlive the levels they came with.
            Some(row) if row.sequence >= sequence => match (row.threshold, threshold) {
                (None, Some(_)) => StockRow { threshold, ..row },
                _ => return,
            },
            _ => StockRow {
                sequence,
                available,
                threshold: threshold.or(earlier.and_then(|row| row.threshold)),
            },
        };
        self.state.stock.insert(variant_id.clone(), row);
        self.changes.stock.insert(variant_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placed(order: &str, at: i64, day: i32, customer: &str, total: i64) -> Fact {
        Fact::Placed(Placed {
            order_id: order.to_owned(),
            at,
            day: Day(day),
            currency: "EUR".to_owned(),
            total,
            customer: Some(customer.to_owned()),
            lines: vec![Line {
                product_id: "p1".to_owned(),
                units: 2,
                revenue: total,
            }],
        })
    }

    fn cancelled(order: &str) -> Fact {
        Fact::Cancelled {
            order_id: order.to_owned(),
        }
    }

    /// Folds each fact on its own (as separate deliveries would), summing the rollups.
    fn rollups(
        facts: Vec<Fact>,
    ) -> (
        BTreeMap<(String, Day), SalesDelta>,
        BTreeMap<Day, CustomerDelta>,
    ) {
        let mut state = State::default();
        let mut sales: BTreeMap<(String, Day), SalesDelta> = BTreeMap::new();
        let mut customers: BTreeMap<Day, CustomerDelta> = BTreeMap::new();
        for fact in facts {
            let changes = fold(&mut state, vec![fact]);
            for (key, delta) in changes.sales {
                let sum = sales.entry(key).or_default();
                sum.orders += delta.orders;
                sum.revenue += delta.revenue;
                sum.items += delta.items;
                sum.cancelled_orders += delta.cancelled_orders;
                sum.cancelled_revenue += delta.cancelled_revenue;
            }
            for (day, delta) in changes.customers_daily {
                let sum = customers.entry(day).or_default();
                sum.new_customers += delta.new_customers;
                sum.returning_customers += delta.returning_customers;
            }
        }
        sales.retain(|_, delta| *delta != SalesDelta::default());
        customers.retain(|_, delta| *delta != CustomerDelta::default());
        (sales, customers)
    }

    #[test]
    fn a_cancelled_order_leaves_its_day_whatever_the_order_of_events() {
        let in_order = rollups(vec![placed("o1", 10, 1, "c1", 500), cancelled("o1")]);
        let reversed = rollups(vec![cancelled("o1"), placed("o1", 10, 1, "c1", 500)]);
        assert_eq!(in_order, reversed);
        let day = &in_order.0[&("EUR".to_owned(), Day(1))];
        assert_eq!((day.orders, day.revenue, day.items), (0, 0, 0));
        assert_eq!((day.cancelled_orders, day.cancelled_revenue), (1, 500));
        // A second cancellation or placement changes nothing.
        let repeated = rollups(vec![
            placed("o1", 10, 1, "c1", 500),
            cancelled("o1"),
            cancelled("o1"),
            placed("o1", 10, 1, "c1", 500),
        ]);
        assert_eq!(repeated, in_order);
    }

    #[test]
    fn customers_are_new_on_their_first_day_and_returning_after_whatever_the_order() {
        let facts = vec![
            placed("o1", 10, 1, "c1", 100),
            placed("o2", 11, 1, "c1", 100),
            placed("o3", 20, 2, "c1", 100),
            placed("o4", 30, 3, "c1", 100),
            placed("o5", 21, 2, "c2", 100),
        ];
        let expected = rollups(facts.clone()).1;
        let delta = |new, returning| CustomerDelta {
            new_customers: new,
            returning_customers: returning,
            registered: 0,
        };
        assert_eq!(
            expected,
            BTreeMap::from([
                (Day(1), delta(1, 0)),
                (Day(2), delta(1, 1)),
                (Day(3), delta(0, 1))
            ])
        );
        let mut reversed = facts;
        reversed.reverse();
        assert_eq!(rollups(reversed).1, expected);
    }

    /// Variant `v1`'s stock row (sequence, available, threshold) after folding `events`,
    /// each (sequence, available, threshold).
    fn stock_after(events: &[(i64, i64, Option<i64>)]) -> (i64, i64, Option<i64>) {
        let facts = events
            .iter()
            .map(|&(sequence, available, threshold)| Fact::Stock {
                variant_id: "v1".to_owned(),
                sequence,
                available,
                threshold,
            })
            .collect();
        let mut state = State::default();
        fold(&mut state, facts);
        let row = state.stock["v1"];
        (row.sequence, row.available, row.threshold)
    }

    #[test]
    fn stock_keeps_the_latest_event_and_its_threshold() {
        assert_eq!(
            stock_after(&[(2, 3, Some(5)), (1, 9, None), (3, 2, None)]),
            (3, 2, Some(5))
        );
    }

    #[test]
    fn a_threshold_arriving_after_a_newer_level_is_kept() {
        assert_eq!(
            stock_after(&[(3, 2, None), (2, 3, Some(5))]),
            (3, 2, Some(5))
        );
    }

    #[test]
    fn guests_are_known_by_a_digest_of_their_address() {
        let key = customer_key(None, Some(" Ann@Example.com")).expect("a key");
        assert_eq!(
            Some(key.clone()),
            customer_key(None, Some("ann@example.com"))
        );
        assert!(key.starts_with("guest:") && !key.contains("example"));
        assert_eq!(
            customer_key(Some("Q3VzdG9tZXI6MQ"), Some("a@b.c")).as_deref(),
            Some("customer:Q3VzdG9tZXI6MQ")
        );
        assert_eq!(customer_key(None, None), None);
    }
}
