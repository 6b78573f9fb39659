//! A per-(coupon, customer) usage counter, so that the per-customer limit of a coupon holds
//! under concurrent redemptions: the counter only moves through one conditional UPDATE, the
//! same way `coupons.times_used` guards the total limit.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Coupons {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CouponCustomerUsages {
    Table,
    CouponId,
    CustomerId,
    Used,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CouponCustomerUsages::Table)
                    .col(
                        ColumnDef::new(CouponCustomerUsages::CouponId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CouponCustomerUsages::CustomerId)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(CouponCustomerUsages::Used)
                            .big_integer()
                            .not_null(),
                    )
                    .primary_key(
                        Index::create()
                            .col(CouponCustomerUsages::CouponId)
                            .col(CouponCustomerUsages::CustomerId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from_col(CouponCustomerUsages::CouponId)
                            .to(Coupons::Table, Coupons::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .check(Expr::col(CouponCustomerUsages::Used).gte(0))
                    .take(),
            )
            .await?;
        // Existing redemptions count towards the new counters.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO coupon_customer_usages (coupon_id, customer_id, used) \
                 SELECT coupon_id, customer_id, COUNT(*) FROM coupon_redemptions \
                 WHERE customer_id IS NOT NULL GROUP BY coupon_id, customer_id",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CouponCustomerUsages::Table).take())
            .await
    }
}
