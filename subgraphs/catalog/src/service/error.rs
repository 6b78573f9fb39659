//! The catalog's failures and the stable code each maps to.

use commerce_kernel::{DomainError, ErrorCode, KernelError, ValidationError};
use sea_orm::DbErr;

use crate::store::{UniqueKey, unique_violation};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    Client(KernelError),
    #[error("no {entity} with id {id}")]
    NotFound { entity: &'static str, id: i64 },
    #[error("the slug is already used by another {entity}")]
    SlugTaken { entity: &'static str },
    #[error("the SKU is already used by another variant")]
    SkuTaken,
    #[error("category {id} has subcategories: move or delete them first")]
    CategoryHasChildren { id: i64 },
    #[error("a category cannot move below itself")]
    CategoryCycle,
    #[error(transparent)]
    Database(DbErr),
}

impl DomainError for CatalogError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) | Self::CategoryCycle => ErrorCode::BadUserInput,
            Self::Client(error) => error.code,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::SlugTaken { .. } | Self::SkuTaken | Self::CategoryHasChildren { .. } => {
                ErrorCode::Conflict
            }
            Self::Database(_) => ErrorCode::InternalServerError,
        }
    }
}

impl From<KernelError> for CatalogError {
    fn from(error: KernelError) -> Self {
        Self::Client(error)
    }
}

/// Unique violations are conflicts the client can fix; anything else is internal.
impl From<DbErr> for CatalogError {
    fn from(error: DbErr) -> Self {
        match unique_violation(&error) {
            Some(UniqueKey::ProductSlug) => Self::SlugTaken { entity: "product" },
            Some(UniqueKey::CategorySlug) => Self::SlugTaken { entity: "category" },
            Some(UniqueKey::CollectionSlug) => Self::SlugTaken {
                entity: "collection",
            },
            Some(UniqueKey::Sku) => Self::SkuTaken,
            None => Self::Database(error),
        }
    }
}
