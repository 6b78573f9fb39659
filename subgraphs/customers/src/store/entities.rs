//! sea-orm entities of the customers tables; private to the store.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod customer {
    //! One row per customer account.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub email: String,
        pub password_hash: String,
        pub first_name: String,
        pub last_name: String,
        pub phone: Option<String>,
        pub default_shipping_address_id: Option<i64>,
        pub default_billing_address_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod address {
    //! One row per address in a customer's address book.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_addresses")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        pub first_name: String,
        pub last_name: String,
        pub company: Option<String>,
        pub line1: String,
        pub line2: Option<String>,
        pub city: String,
        pub region: Option<String>,
        pub postal_code: String,
        pub country_code: String,
        pub phone: Option<String>,
        pub created_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod group {
    //! One row per customer group.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_groups")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub code: String,
        pub name: String,
        pub created_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod group_member {
    //! Which customers are in which groups.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_group_members")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub group_id: i64,
    }

    no_relations!();
}

pub mod wishlist_item {
    //! One wishlisted product of a customer.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "wishlist_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        pub product_id: String,
        pub added_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod staff_member {
    //! One row per staff account.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff_members")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub email: String,
        pub password_hash: String,
        pub name: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod staff_role {
    //! A named set of permissions.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff_roles")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub code: String,
        pub name: String,
    }

    no_relations!();
}

pub mod role_permission {
    //! The permissions of each role.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff_role_permissions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub permission: String,
    }

    no_relations!();
}

pub mod member_role {
    //! The roles of each staff member.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff_member_roles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub staff_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub role_id: i64,
    }

    no_relations!();
}

pub mod refresh_token {
    //! The stored hash of one refresh token of a sign-in's family.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub token_hash: String,
        pub family: String,
        pub subject: String,
        pub kind: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub rotated_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
    }

    no_relations!();
}

pub mod password_reset {
    //! The stored hash of one password-reset token.
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "password_resets")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub customer_id: i64,
        pub token_hash: String,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }

    no_relations!();
}
