//! What the dashboard reads: sums of the daily rollups over a range.

use commerce_kernel::Currency;

use super::Day;

/// Orders net of cancellations, their revenue (minor units) and items; and what was cancelled.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SalesTotals {
    pub orders: i64,
    pub revenue: i64,
    pub items: i64,
    pub cancelled_orders: i64,
    pub cancelled_revenue: i64,
}

impl SalesTotals {
    /// Revenue per order, rounded half away from zero; `None` without orders.
    pub fn average_order_value(&self) -> Option<i64> {
        (self.orders > 0).then(|| {
            let (revenue, orders) = (i128::from(self.revenue), i128::from(self.orders));
            let rounded = (2 * revenue + revenue.signum() * orders) / (2 * orders);
            i64::try_from(rounded).expect("an average is at most the total")
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySales {
    pub day: Day,
    pub totals: SalesTotals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencySales {
    pub currency: Currency,
    pub totals: SalesTotals,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductSales {
    pub product_id: String,
    pub units: i64,
    pub revenue: i64,
}

/// A category's sales: those of the products in it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySales {
    pub category_id: String,
    /// `None` until analytics has seen the category's name, or once it is deleted.
    pub name: Option<String>,
    pub units: i64,
    pub revenue: i64,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct CustomerCounts {
    pub new_customers: i64,
    pub returning_customers: i64,
    pub registered: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refunds {
    pub currency: Currency,
    pub refunds: i64,
    pub amount: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowStock {
    pub variant_id: String,
    pub available: i64,
    pub threshold: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_round_half_away_from_zero() {
        let totals = |orders, revenue| SalesTotals {
            orders,
            revenue,
            ..SalesTotals::default()
        };
        assert_eq!(totals(0, 0).average_order_value(), None);
        assert_eq!(totals(2, 3).average_order_value(), Some(2));
        assert_eq!(totals(3, 4).average_order_value(), Some(1));
        assert_eq!(totals(4, 1000).average_order_value(), Some(250));
    }
}
