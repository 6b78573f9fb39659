//! A lease on each checkout saga: which checkout instance runs it (a random id per process)
//! and until when (Unix milliseconds). Several instances share one database; an instance
//! runs a saga only while it holds the saga's lease, and takes one over only once it lapsed.
//! Both columns are null on a saga nobody runs (finished, or stopped with an error).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Checkouts {
    Table,
    LeaseOwner,
    LeaseExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        let columns = [
            ColumnDef::new(Checkouts::LeaseOwner)
                .string_len(64)
                .null()
                .take(),
            ColumnDef::new(Checkouts::LeaseExpiresAt)
                .big_integer()
                .null()
                .take(),
        ];
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Checkouts::Table)
                        .add_column(&mut column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Checkouts::LeaseExpiresAt, Checkouts::LeaseOwner] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Checkouts::Table)
                        .drop_column(column)
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
