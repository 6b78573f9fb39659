//! sea-orm entities of the reviews tables; private to the store.

pub mod review {
    //! One row per review.

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reviews")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub product_id: String,
        pub author_id: String,
        pub author_name: String,
        pub rating: i16,
        pub title: String,
        pub body: String,
        pub status: String,
        pub created_at: DateTimeUtc,
        pub moderated_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod product_rating {
    //! The stored rating aggregate of one product over its approved reviews.

    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "product_ratings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub product_id: String,
        pub review_count: i64,
        pub rating_sum: i64,
        pub stars1: i64,
        pub stars2: i64,
        pub stars3: i64,
        pub stars4: i64,
        pub stars5: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
