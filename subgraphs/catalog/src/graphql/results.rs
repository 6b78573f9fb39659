//! How catalog failures reach clients: conflicts a client can fix are union members
//! implementing `ErrorResult`; the rest are top-level errors with a stable `extensions.code`
//! (internal ones masked).

use async_graphql::{Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{DomainError, ErrorCode};

use crate::service::CatalogError;

/// The shape every expected failure shares.
#[derive(Interface)]
#[graphql(
    field(name = "code", ty = "&ErrorCode"),
    field(name = "message", ty = "&String")
)]
pub enum ErrorResult {
    SlugTaken(SlugTaken),
    SkuTaken(SkuTaken),
    CategoryHasChildren(CategoryHasChildren),
}

/// Another product, category or collection already uses the slug.
#[derive(SimpleObject)]
pub struct SlugTaken {
    pub code: ErrorCode,
    pub message: String,
}

/// Another variant already uses the SKU.
#[derive(SimpleObject)]
pub struct SkuTaken {
    pub code: ErrorCode,
    pub message: String,
}

/// The category still has subcategories.
#[derive(SimpleObject)]
pub struct CategoryHasChildren {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorResults<CatalogError> for ErrorResult {
    fn expected(error: CatalogError) -> Result<Self, CatalogError> {
        let (code, message) = (error.code(), error.to_string());
        Ok(match error {
            CatalogError::SlugTaken { .. } => Self::SlugTaken(SlugTaken { code, message }),
            CatalogError::SkuTaken => Self::SkuTaken(SkuTaken { code, message }),
            CatalogError::CategoryHasChildren { .. } => {
                Self::CategoryHasChildren(CategoryHasChildren { code, message })
            }
            other => return Err(other),
        })
    }
}
