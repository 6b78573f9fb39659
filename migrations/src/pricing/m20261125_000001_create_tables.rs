//! Prices, price lists with tiers, promotions, coupons and their redemptions, tax categories,
//! tax rates and per-currency tax modes.
//!
//! Amounts are integer minor units (BIGINT). Times are Unix milliseconds in BIGINT columns so
//! that validity-window comparisons behave the same on SQLite and PostgreSQL. Variant and
//! product ids are the catalog's opaque global ids, stored as text without foreign keys.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CurrencySettings {
    Table,
    Currency,
    TaxInclusive,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PricedVariants {
    Table,
    VariantId,
    ProductId,
    TaxCategory,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum VariantPrices {
    Table,
    VariantId,
    Currency,
    Amount,
    CompareAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PriceLists {
    Table,
    Id,
    Name,
    CustomerGroup,
    Currency,
    StartsAt,
    EndsAt,
    Priority,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PriceListTiers {
    Table,
    Id,
    PriceListId,
    VariantId,
    MinQuantity,
    MaxQuantity,
    Amount,
}

#[derive(DeriveIden)]
enum Promotions {
    Table,
    Id,
    Name,
    Kind,
    StartsAt,
    EndsAt,
    Priority,
    Exclusive,
    RequiresCoupon,
    Active,
    Rules,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Coupons {
    Table,
    Id,
    Code,
    PromotionId,
    UsageLimit,
    UsageLimitPerCustomer,
    TimesUsed,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CouponRedemptions {
    Table,
    Id,
    CouponId,
    CustomerId,
    OrderRef,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TaxCategories {
    Table,
    Code,
    Name,
}

#[derive(DeriveIden)]
enum TaxRates {
    Table,
    Id,
    Name,
    Country,
    Region,
    Category,
    RateBasisPoints,
    CreatedAt,
}

fn id_column(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

fn big(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

fn big_null(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().take()
}

fn text(name: impl IntoIden, length: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(length).not_null().take()
}

fn flag(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().take()
}

fn index(name: &str, table: impl IntoIden + 'static) -> IndexCreateStatement {
    Index::create().name(name).table(table).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_price_tables(manager).await?;
        create_promotion_tables(manager).await?;
        create_tax_tables(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TaxRates::Table.into_iden(),
            TaxCategories::Table.into_iden(),
            CouponRedemptions::Table.into_iden(),
            Coupons::Table.into_iden(),
            Promotions::Table.into_iden(),
            PriceListTiers::Table.into_iden(),
            PriceLists::Table.into_iden(),
            VariantPrices::Table.into_iden(),
            PricedVariants::Table.into_iden(),
            CurrencySettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

async fn create_price_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(CurrencySettings::Table)
                .col(text(CurrencySettings::Currency, 3).primary_key())
                .col(flag(CurrencySettings::TaxInclusive))
                .col(big(CurrencySettings::UpdatedAt))
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(PricedVariants::Table)
                .col(text(PricedVariants::VariantId, 255).primary_key())
                .col(
                    ColumnDef::new(PricedVariants::ProductId)
                        .string_len(255)
                        .null(),
                )
                .col(text(PricedVariants::TaxCategory, 32))
                .col(big(PricedVariants::UpdatedAt))
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(VariantPrices::Table)
                .col(text(VariantPrices::VariantId, 255))
                .col(text(VariantPrices::Currency, 3))
                .col(big(VariantPrices::Amount))
                .col(big_null(VariantPrices::CompareAt))
                .col(big(VariantPrices::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(VariantPrices::VariantId)
                        .col(VariantPrices::Currency),
                )
                .check(Expr::col(VariantPrices::Amount).gte(0))
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(PriceLists::Table)
                .col(id_column(PriceLists::Id))
                .col(text(PriceLists::Name, 100))
                .col(
                    ColumnDef::new(PriceLists::CustomerGroup)
                        .string_len(32)
                        .null(),
                )
                .col(text(PriceLists::Currency, 3))
                .col(big_null(PriceLists::StartsAt))
                .col(big_null(PriceLists::EndsAt))
                .col(ColumnDef::new(PriceLists::Priority).integer().not_null())
                .col(big(PriceLists::CreatedAt))
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(PriceListTiers::Table)
                .col(id_column(PriceListTiers::Id))
                .col(big(PriceListTiers::PriceListId))
                .col(text(PriceListTiers::VariantId, 255))
                .col(
                    ColumnDef::new(PriceListTiers::MinQuantity)
                        .integer()
                        .not_null(),
                )
                .col(ColumnDef::new(PriceListTiers::MaxQuantity).integer().null())
                .col(big(PriceListTiers::Amount))
                .foreign_key(
                    ForeignKey::create()
                        .from_col(PriceListTiers::PriceListId)
                        .to(PriceLists::Table, PriceLists::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .check(Expr::col(PriceListTiers::Amount).gte(0))
                .take(),
        )
        .await?;
    // Entity batches look tiers up by variant; staff edits by list and variant.
    manager
        .create_index(
            index("ix_price_list_tiers_variant", PriceListTiers::Table)
                .col(PriceListTiers::VariantId)
                .take(),
        )
        .await?;
    manager
        .create_index(
            index("ix_price_list_tiers_list_variant", PriceListTiers::Table)
                .col(PriceListTiers::PriceListId)
                .col(PriceListTiers::VariantId)
                .take(),
        )
        .await
}

async fn create_promotion_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Promotions::Table)
                .col(id_column(Promotions::Id))
                .col(text(Promotions::Name, 100))
                .col(text(Promotions::Kind, 16))
                .col(big_null(Promotions::StartsAt))
                .col(big_null(Promotions::EndsAt))
                .col(ColumnDef::new(Promotions::Priority).integer().not_null())
                .col(flag(Promotions::Exclusive))
                .col(flag(Promotions::RequiresCoupon))
                .col(flag(Promotions::Active))
                .col(ColumnDef::new(Promotions::Rules).text().not_null())
                .col(big(Promotions::CreatedAt))
                .take(),
        )
        .await?;
    manager
        .create_index(
            index("ix_promotions_active_kind", Promotions::Table)
                .col(Promotions::Active)
                .col(Promotions::Kind)
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(Coupons::Table)
                .col(id_column(Coupons::Id))
                .col(text(Coupons::Code, 32).unique_key())
                .col(big(Coupons::PromotionId))
                .col(big_null(Coupons::UsageLimit))
                .col(big_null(Coupons::UsageLimitPerCustomer))
                .col(big(Coupons::TimesUsed))
                .col(big(Coupons::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from_col(Coupons::PromotionId)
                        .to(Promotions::Table, Promotions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .check(Expr::col(Coupons::TimesUsed).gte(0))
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(CouponRedemptions::Table)
                .col(id_column(CouponRedemptions::Id))
                .col(big(CouponRedemptions::CouponId))
                .col(
                    ColumnDef::new(CouponRedemptions::CustomerId)
                        .string_len(255)
                        .null(),
                )
                .col(text(CouponRedemptions::OrderRef, 128))
                .col(big(CouponRedemptions::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from_col(CouponRedemptions::CouponId)
                        .to(Coupons::Table, Coupons::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
    // One redemption per coupon and order makes a replayed checkout harmless.
    manager
        .create_index(
            index("ux_coupon_redemptions_order", CouponRedemptions::Table)
                .col(CouponRedemptions::CouponId)
                .col(CouponRedemptions::OrderRef)
                .unique()
                .take(),
        )
        .await?;
    manager
        .create_index(
            index("ix_coupon_redemptions_customer", CouponRedemptions::Table)
                .col(CouponRedemptions::CouponId)
                .col(CouponRedemptions::CustomerId)
                .take(),
        )
        .await
}

async fn create_tax_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(TaxCategories::Table)
                .col(text(TaxCategories::Code, 32).primary_key())
                .col(text(TaxCategories::Name, 100))
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(TaxRates::Table)
                .col(id_column(TaxRates::Id))
                .col(text(TaxRates::Name, 100))
                .col(text(TaxRates::Country, 2))
                // Empty for a country-wide rate, so the unique index also covers those.
                .col(text(TaxRates::Region, 8))
                .col(text(TaxRates::Category, 32))
                .col(
                    ColumnDef::new(TaxRates::RateBasisPoints)
                        .integer()
                        .not_null(),
                )
                .col(big(TaxRates::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from_col(TaxRates::Category)
                        .to(TaxCategories::Table, TaxCategories::Code)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .take(),
        )
        .await?;
    manager
        .create_index(
            index("ux_tax_rates_place_category", TaxRates::Table)
                .col(TaxRates::Country)
                .col(TaxRates::Region)
                .col(TaxRates::Category)
                .unique()
                .take(),
        )
        .await
}
