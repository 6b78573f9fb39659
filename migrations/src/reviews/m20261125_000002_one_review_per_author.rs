//! One review per customer and product: a second submission is refused rather than stored,
//! which also makes a retried submission harmless.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261125_000002_one_review_per_author"
    }
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    ProductId,
    AuthorId,
}

const INDEX: &str = "reviews_one_per_author";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Reviews::Table)
                    .col(Reviews::ProductId)
                    .col(Reviews::AuthorId)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Reviews::Table).to_owned())
            .await
    }
}
