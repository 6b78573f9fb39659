//! Reviews and the stored rating aggregate per product.
//!
//! `product_ratings` is the read model behind `Product.rating`: moderation keeps it in step
//! with the approved reviews in the same transaction, so no request recomputes it from rows.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000001_create_tables"
    }
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    ProductId,
    AuthorId,
    AuthorName,
    Rating,
    Title,
    Body,
    Status,
    CreatedAt,
    ModeratedAt,
}

#[derive(DeriveIden)]
enum ProductRatings {
    Table,
    ProductId,
    ReviewCount,
    RatingSum,
    Stars1,
    Stars2,
    Stars3,
    Stars4,
    Stars5,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(reviews_table()).await?;
        // Serves both a product's approved reviews newest first (pages and the per-product
        // window of the batch loader) and its review count.
        manager
            .create_index(
                Index::create()
                    .name("reviews_product_status_created")
                    .table(Reviews::Table)
                    .col(Reviews::ProductId)
                    .col(Reviews::Status)
                    .col(Reviews::CreatedAt)
                    .col(Reviews::Id)
                    .to_owned(),
            )
            .await?;
        // The moderation queue: reviews of one status, oldest first.
        manager
            .create_index(
                Index::create()
                    .name("reviews_status_created")
                    .table(Reviews::Table)
                    .col(Reviews::Status)
                    .col(Reviews::CreatedAt)
                    .col(Reviews::Id)
                    .to_owned(),
            )
            .await?;
        manager.create_table(product_ratings_table()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProductRatings::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Reviews::Table).to_owned())
            .await
    }
}

fn reviews_table() -> TableCreateStatement {
    Table::create()
        .table(Reviews::Table)
        .col(
            ColumnDef::new(Reviews::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        // Global ids of entities other subgraphs own, stored as given: no foreign keys.
        .col(ColumnDef::new(Reviews::ProductId).string().not_null())
        .col(ColumnDef::new(Reviews::AuthorId).string().not_null())
        .col(ColumnDef::new(Reviews::AuthorName).string().not_null())
        .col(ColumnDef::new(Reviews::Rating).small_integer().not_null())
        .col(ColumnDef::new(Reviews::Title).string().not_null())
        .col(ColumnDef::new(Reviews::Body).text().not_null())
        .col(ColumnDef::new(Reviews::Status).string_len(16).not_null())
        .col(
            ColumnDef::new(Reviews::CreatedAt)
                .timestamp_with_time_zone()
                .not_null(),
        )
        .col(ColumnDef::new(Reviews::ModeratedAt).timestamp_with_time_zone())
        .check(Expr::col(Reviews::Rating).between(1, 5))
        .check(Expr::col(Reviews::Status).is_in(["pending", "approved", "rejected"]))
        .to_owned()
}

fn product_ratings_table() -> TableCreateStatement {
    let count = |column: ProductRatings| {
        ColumnDef::new(column)
            .big_integer()
            .not_null()
            .default(0)
            .to_owned()
    };
    Table::create()
        .table(ProductRatings::Table)
        .col(
            ColumnDef::new(ProductRatings::ProductId)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(count(ProductRatings::ReviewCount))
        .col(count(ProductRatings::RatingSum))
        .col(count(ProductRatings::Stars1))
        .col(count(ProductRatings::Stars2))
        .col(count(ProductRatings::Stars3))
        .col(count(ProductRatings::Stars4))
        .col(count(ProductRatings::Stars5))
        .to_owned()
}
