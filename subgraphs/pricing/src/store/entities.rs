//! sea-orm entities, private to the store: one module per table.

macro_rules! entity {
    ($module:ident, $table:literal, $doc:literal, { $($body:tt)* }) => {
        pub mod $module {
            #![doc = $doc]
            use sea_orm::entity::prelude::*;

            #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
            #[sea_orm(table_name = $table)]
            pub struct Model {
                $($body)*
            }

            #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
            pub enum Relation {}

            impl ActiveModelBehavior for ActiveModel {}
        }
    };
}

entity!(currency_setting, "currency_settings", "A row of `currency_settings`.", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    pub tax_inclusive: bool,
    pub updated_at: i64,
});

entity!(priced_variant, "priced_variants", "A row of `priced_variants`.", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant_id: String,
    pub product_id: Option<String>,
    pub tax_category: String,
    pub updated_at: i64,
});

entity!(variant_price, "variant_prices", "A row of `variant_prices`.", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: String,
    pub amount: i64,
    pub compare_at: Option<i64>,
    pub updated_at: i64,
});

entity!(price_list, "price_lists", "A row of `price_lists`.", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub customer_group: Option<String>,
    pub currency: String,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub priority: i32,
    pub created_at: i64,
});

entity!(price_list_tier, "price_list_tiers", "A row of `price_list_tiers`.", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub price_list_id: i64,
    pub variant_id: String,
    pub min_quantity: i32,
    pub max_quantity: Option<i32>,
    pub amount: i64,
});

entity!(promotion, "promotions", "A row of `promotions`; `rules` is JSON.", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub priority: i32,
    pub exclusive: bool,
    pub requires_coupon: bool,
    pub active: bool,
    #[sea_orm(column_type = "Text")]
    pub rules: String,
    pub created_at: i64,
});

entity!(coupon, "coupons", "A row of `coupons`.", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub promotion_id: i64,
    pub usage_limit: Option<i64>,
    pub usage_limit_per_customer: Option<i64>,
    pub times_used: i64,
    pub created_at: i64,
});

entity!(coupon_redemption, "coupon_redemptions", "A row of `coupon_redemptions`.", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub coupon_id: i64,
    pub customer_id: Option<String>,
    pub order_ref: String,
    pub created_at: i64,
});

entity!(
    coupon_customer_usage,
    "coupon_customer_usages",
    "A row of `coupon_customer_usages`: how often one customer redeemed one coupon.",
    {
        #[sea_orm(primary_key, auto_increment = false)]
        pub coupon_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: String,
        pub used: i64,
    }
);

entity!(tax_category, "tax_categories", "A row of `tax_categories`.", {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
});

entity!(tax_rate, "tax_rates", "A row of `tax_rates`; `region` is empty country-wide.", {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub country: String,
    pub region: String,
    pub category: String,
    pub rate_basis_points: i32,
    pub created_at: i64,
});
