//! sea-orm entities of the orders tables; private to the store.

pub mod order {
    //! One row per order; addresses, shipping method and coupon codes as JSON text.

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "orders")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub number: i64,
        pub idempotency_key: String,
        pub request_hash: String,
        pub checkout_id: String,
        pub status: String,
        pub currency: String,
        pub customer_id: Option<String>,
        pub email: String,
        pub placed_at: i64,
        pub updated_at: i64,
        pub shipping_address: String,
        pub billing_address: String,
        pub shipping_method: Option<String>,
        pub subtotal: i64,
        pub discount_total: i64,
        pub shipping_total: i64,
        pub tax_total: i64,
        pub total: i64,
        pub tax_inclusive: bool,
        pub coupon_codes: String,
        pub payment_intent_id: Option<String>,
        pub reservation_key: Option<String>,
        pub captured_amount: i64,
        pub refunded_amount: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod order_line {
    //! A purchased line, copied at order time, with how much of it shipped and came back.

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_lines")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        pub position: i32,
        pub variant_id: String,
        pub product_id: String,
        pub sku: String,
        pub product_name: String,
        pub variant_name: Option<String>,
        pub quantity: i64,
        pub unit_price: i64,
        pub discount: i64,
        pub tax: i64,
        pub total: i64,
        pub fulfilled_quantity: i64,
        pub returned_quantity: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod order_event {
    //! One timeline entry.

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "order_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        pub at: i64,
        pub actor: String,
        pub kind: String,
        pub message: String,
        pub data: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod fulfillment {
    //! A shipment of some lines from one warehouse.

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fulfillments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub order_id: i64,
        pub warehouse_id: String,
        pub status: String,
        pub tracking_numbers: String,
        pub created_at: i64,
        pub shipped_at: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod fulfillment_line {
    //! How many units of an order line a fulfillment holds.

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fulfillment_lines")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub fulfillment_id: i64,
        pub order_line_id: i64,
        pub quantity: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
