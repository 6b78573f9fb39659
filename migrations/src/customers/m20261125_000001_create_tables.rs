//! Customer accounts, address book, groups, wishlists, staff with roles, and the stored halves
//! of refresh and password-reset tokens (only their SHA-256 hashes, never the tokens).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000001_create_tables"
    }
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    Email,
    PasswordHash,
    FirstName,
    LastName,
    Phone,
    DefaultShippingAddressId,
    DefaultBillingAddressId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerAddresses {
    Table,
    Id,
    CustomerId,
    FirstName,
    LastName,
    Company,
    Line1,
    Line2,
    City,
    Region,
    PostalCode,
    CountryCode,
    Phone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomerGroups {
    Table,
    Id,
    Code,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomerGroupMembers {
    Table,
    CustomerId,
    GroupId,
}

#[derive(DeriveIden)]
enum WishlistItems {
    Table,
    Id,
    CustomerId,
    ProductId,
    AddedAt,
}

#[derive(DeriveIden)]
enum StaffMembers {
    Table,
    Id,
    Email,
    PasswordHash,
    Name,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StaffRoles {
    Table,
    Id,
    Code,
    Name,
}

#[derive(DeriveIden)]
enum StaffRolePermissions {
    Table,
    RoleId,
    Permission,
}

#[derive(DeriveIden)]
enum StaffMemberRoles {
    Table,
    StaffId,
    RoleId,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    TokenHash,
    Family,
    Subject,
    Kind,
    CreatedAt,
    ExpiresAt,
    RotatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum PasswordResets {
    Table,
    Id,
    CustomerId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            customers(),
            addresses(),
            groups(),
            group_members(),
            wishlist_items(),
            staff_members(),
            staff_roles(),
            role_permissions(),
            member_roles(),
            refresh_tokens(),
            password_resets(),
        ] {
            manager.create_table(table).await?;
        }
        for index in indexes() {
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents.
        let tables: [DynIden; 11] = [
            PasswordResets::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            StaffMemberRoles::Table.into_iden(),
            StaffRolePermissions::Table.into_iden(),
            StaffRoles::Table.into_iden(),
            StaffMembers::Table.into_iden(),
            WishlistItems::Table.into_iden(),
            CustomerGroupMembers::Table.into_iden(),
            CustomerGroups::Table.into_iden(),
            CustomerAddresses::Table.into_iden(),
            Customers::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn timestamp(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

/// A cascading reference: a customer's or role's rows go with it.
fn owned_by(
    from: (impl IntoIden + 'static, impl IntoIden),
    to: (impl IntoIden + 'static, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn customers() -> TableCreateStatement {
    Table::create()
        .table(Customers::Table)
        .col(id(Customers::Id))
        // Stored normalised (trimmed, lowercase), so the unique index is case-insensitive.
        .col(
            ColumnDef::new(Customers::Email)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(Customers::PasswordHash).string().not_null())
        .col(ColumnDef::new(Customers::FirstName).string().not_null())
        .col(ColumnDef::new(Customers::LastName).string().not_null())
        .col(ColumnDef::new(Customers::Phone).string())
        // Plain columns, not foreign keys: the service clears them when the address goes.
        .col(ColumnDef::new(Customers::DefaultShippingAddressId).big_integer())
        .col(ColumnDef::new(Customers::DefaultBillingAddressId).big_integer())
        .col(timestamp(Customers::CreatedAt))
        .col(timestamp(Customers::UpdatedAt))
        .to_owned()
}

fn addresses() -> TableCreateStatement {
    Table::create()
        .table(CustomerAddresses::Table)
        .col(id(CustomerAddresses::Id))
        .col(
            ColumnDef::new(CustomerAddresses::CustomerId)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(CustomerAddresses::FirstName)
                .string()
                .not_null(),
        )
        .col(
            ColumnDef::new(CustomerAddresses::LastName)
                .string()
                .not_null(),
        )
        .col(ColumnDef::new(CustomerAddresses::Company).string())
        .col(ColumnDef::new(CustomerAddresses::Line1).string().not_null())
        .col(ColumnDef::new(CustomerAddresses::Line2).string())
        .col(ColumnDef::new(CustomerAddresses::City).string().not_null())
        .col(ColumnDef::new(CustomerAddresses::Region).string())
        .col(
            ColumnDef::new(CustomerAddresses::PostalCode)
                .string()
                .not_null(),
        )
        .col(
            ColumnDef::new(CustomerAddresses::CountryCode)
                .string_len(2)
                .not_null(),
        )
        .col(ColumnDef::new(CustomerAddresses::Phone).string())
        .col(timestamp(CustomerAddresses::CreatedAt))
        .foreign_key(&mut owned_by(
            (CustomerAddresses::Table, CustomerAddresses::CustomerId),
            (Customers::Table, Customers::Id),
        ))
        .to_owned()
}

fn groups() -> TableCreateStatement {
    Table::create()
        .table(CustomerGroups::Table)
        .col(id(CustomerGroups::Id))
        .col(
            ColumnDef::new(CustomerGroups::Code)
                .string_len(64)
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(CustomerGroups::Name).string().not_null())
        .col(timestamp(CustomerGroups::CreatedAt))
        .to_owned()
}

fn group_members() -> TableCreateStatement {
    Table::create()
        .table(CustomerGroupMembers::Table)
        .col(
            ColumnDef::new(CustomerGroupMembers::CustomerId)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(CustomerGroupMembers::GroupId)
                .big_integer()
                .not_null(),
        )
        .primary_key(
            Index::create()
                .col(CustomerGroupMembers::CustomerId)
                .col(CustomerGroupMembers::GroupId),
        )
        .foreign_key(&mut owned_by(
            (
                CustomerGroupMembers::Table,
                CustomerGroupMembers::CustomerId,
            ),
            (Customers::Table, Customers::Id),
        ))
        .foreign_key(&mut owned_by(
            (CustomerGroupMembers::Table, CustomerGroupMembers::GroupId),
            (CustomerGroups::Table, CustomerGroups::Id),
        ))
        .to_owned()
}

fn wishlist_items() -> TableCreateStatement {
    Table::create()
        .table(WishlistItems::Table)
        .col(id(WishlistItems::Id))
        .col(
            ColumnDef::new(WishlistItems::CustomerId)
                .big_integer()
                .not_null(),
        )
        // The catalog's global id, stored as given: no foreign key across subgraphs.
        .col(ColumnDef::new(WishlistItems::ProductId).string().not_null())
        .col(timestamp(WishlistItems::AddedAt))
        .foreign_key(&mut owned_by(
            (WishlistItems::Table, WishlistItems::CustomerId),
            (Customers::Table, Customers::Id),
        ))
        .to_owned()
}

fn staff_members() -> TableCreateStatement {
    Table::create()
        .table(StaffMembers::Table)
        .col(id(StaffMembers::Id))
        .col(
            ColumnDef::new(StaffMembers::Email)
                .string()
                .not_null()
                .unique_key(),
        )
        .col(
            ColumnDef::new(StaffMembers::PasswordHash)
                .string()
                .not_null(),
        )
        .col(ColumnDef::new(StaffMembers::Name).string().not_null())
        .col(
            ColumnDef::new(StaffMembers::Active)
                .boolean()
                .not_null()
                .default(true),
        )
        .col(timestamp(StaffMembers::CreatedAt))
        .to_owned()
}

fn staff_roles() -> TableCreateStatement {
    Table::create()
        .table(StaffRoles::Table)
        .col(id(StaffRoles::Id))
        .col(
            ColumnDef::new(StaffRoles::Code)
                .string_len(64)
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(StaffRoles::Name).string().not_null())
        .to_owned()
}

fn role_permissions() -> TableCreateStatement {
    Table::create()
        .table(StaffRolePermissions::Table)
        .col(
            ColumnDef::new(StaffRolePermissions::RoleId)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(StaffRolePermissions::Permission)
                .string_len(64)
                .not_null(),
        )
        .primary_key(
            Index::create()
                .col(StaffRolePermissions::RoleId)
                .col(StaffRolePermissions::Permission),
        )
        .foreign_key(&mut owned_by(
            (StaffRolePermissions::Table, StaffRolePermissions::RoleId),
            (StaffRoles::Table, StaffRoles::Id),
        ))
        .to_owned()
}

fn member_roles() -> TableCreateStatement {
    Table::create()
        .table(StaffMemberRoles::Table)
        .col(
            ColumnDef::new(StaffMemberRoles::StaffId)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(StaffMemberRoles::RoleId)
                .big_integer()
                .not_null(),
        )
        .primary_key(
            Index::create()
                .col(StaffMemberRoles::StaffId)
                .col(StaffMemberRoles::RoleId),
        )
        .foreign_key(&mut owned_by(
            (StaffMemberRoles::Table, StaffMemberRoles::StaffId),
            (StaffMembers::Table, StaffMembers::Id),
        ))
        .foreign_key(&mut owned_by(
            (StaffMemberRoles::Table, StaffMemberRoles::RoleId),
            (StaffRoles::Table, StaffRoles::Id),
        ))
        .to_owned()
}

fn refresh_tokens() -> TableCreateStatement {
    Table::create()
        .table(RefreshTokens::Table)
        .col(id(RefreshTokens::Id))
        .col(
            ColumnDef::new(RefreshTokens::TokenHash)
                .string_len(64)
                .not_null()
                .unique_key(),
        )
        // One family per sign-in: rotation keeps the family, reuse of a rotated token
        // revokes the whole family.
        .col(
            ColumnDef::new(RefreshTokens::Family)
                .string_len(36)
                .not_null(),
        )
        // The account's global id and kind (`customer` or `staff`).
        .col(ColumnDef::new(RefreshTokens::Subject).string().not_null())
        .col(
            ColumnDef::new(RefreshTokens::Kind)
                .string_len(16)
                .not_null(),
        )
        .col(timestamp(RefreshTokens::CreatedAt))
        .col(timestamp(RefreshTokens::ExpiresAt))
        .col(ColumnDef::new(RefreshTokens::RotatedAt).timestamp_with_time_zone())
        .col(ColumnDef::new(RefreshTokens::RevokedAt).timestamp_with_time_zone())
        .check(Expr::col(RefreshTokens::Kind).is_in(["customer", "staff"]))
        .to_owned()
}

fn password_resets() -> TableCreateStatement {
    Table::create()
        .table(PasswordResets::Table)
        .col(id(PasswordResets::Id))
        .col(
            ColumnDef::new(PasswordResets::CustomerId)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(PasswordResets::TokenHash)
                .string_len(64)
                .not_null()
                .unique_key(),
        )
        .col(timestamp(PasswordResets::CreatedAt))
        .col(timestamp(PasswordResets::ExpiresAt))
        .col(ColumnDef::new(PasswordResets::UsedAt).timestamp_with_time_zone())
        .foreign_key(&mut owned_by(
            (PasswordResets::Table, PasswordResets::CustomerId),
            (Customers::Table, Customers::Id),
        ))
        .to_owned()
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        // A customer's address book, in creation order.
        Index::create()
            .name("customer_addresses_customer")
            .table(CustomerAddresses::Table)
            .col(CustomerAddresses::CustomerId)
            .col(CustomerAddresses::Id)
            .to_owned(),
        Index::create()
            .name("customer_group_members_group")
            .table(CustomerGroupMembers::Table)
            .col(CustomerGroupMembers::GroupId)
            .to_owned(),
        // One entry per product per wishlist; also serves the customer's list by id.
        Index::create()
            .name("wishlist_items_customer_product")
            .table(WishlistItems::Table)
            .col(WishlistItems::CustomerId)
            .col(WishlistItems::ProductId)
            .unique()
            .to_owned(),
        Index::create()
            .name("wishlist_items_customer_id")
            .table(WishlistItems::Table)
            .col(WishlistItems::CustomerId)
            .col(WishlistItems::Id)
            .to_owned(),
        Index::create()
            .name("staff_member_roles_role")
            .table(StaffMemberRoles::Table)
            .col(StaffMemberRoles::RoleId)
            .to_owned(),
        // "Log out everywhere" revokes by subject; reuse detection revokes by family.
        Index::create()
            .name("refresh_tokens_subject")
            .table(RefreshTokens::Table)
            .col(RefreshTokens::Subject)
            .to_owned(),
        Index::create()
            .name("refresh_tokens_family")
            .table(RefreshTokens::Table)
            .col(RefreshTokens::Family)
            .to_owned(),
        Index::create()
            .name("password_resets_customer")
            .table(PasswordResets::Table)
            .col(PasswordResets::CustomerId)
            .to_owned(),
    ]
}
