//! How catalog failures reach clients: conflicts a client can fix are union members
//! implementing `ErrorResult`; the rest are top-level errors with a stable `extensions.code`
//! (internal ones masked).

use async_graphql::{Interface, SimpleObject};
use commerce_kernel::ErrorCode;
use commerce_kernel::error::{client_error, internal_error};

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

/// A failure that is not data: a top-level error.
pub fn graphql_error(error: CatalogError) -> async_graphql::Error {
    match &error {
        CatalogError::Database(cause) => internal_error(cause),
        other => client_error(other.code(), other.to_string()),
    }
}

/// Splits a write's failure into an expected one (union data) or a top-level error.
pub fn expected_failure(error: CatalogError) -> async_graphql::Result<ErrorResult> {
    let (code, message) = (error.code(), error.to_string());
    match error {
        CatalogError::SlugTaken { .. } => Ok(ErrorResult::SlugTaken(SlugTaken { code, message })),
        CatalogError::SkuTaken => Ok(ErrorResult::SkuTaken(SkuTaken { code, message })),
        CatalogError::CategoryHasChildren { .. } => {
            Ok(ErrorResult::CategoryHasChildren(CategoryHasChildren {
                code,
                message,
            }))
        }
        other => Err(graphql_error(other)),
    }
}

/// Declares a mutation result union `Name = Object | Failure | …` and its constructor from a
/// service outcome: expected failures become members, anything else a top-level error.
macro_rules! result_union {
    ($(#[$doc:meta])* $name:ident = $ok:ident $(| $err:ident)+) => {
        $(#[$doc])*
        #[derive(async_graphql::Union)]
        pub enum $name {
            $ok($ok),
            $($err($crate::graphql::errors::$err),)+
        }

        impl $name {
            pub fn from_outcome(
                outcome: Result<$ok, $crate::service::CatalogError>,
            ) -> async_graphql::Result<Self> {
                use $crate::graphql::errors::{ErrorResult, expected_failure};
                match outcome {
                    Ok(value) => Ok(Self::$ok(value)),
                    Err(error) => match expected_failure(error)? {
                        $(ErrorResult::$err(failure) => Ok(Self::$err(failure)),)+
                        #[allow(unreachable_patterns)]
                        _ => Err(commerce_kernel::error::client_error(
                            commerce_kernel::ErrorCode::InternalServerError,
                            "internal server error",
                        )),
                    },
                }
            }
        }
    };
}

pub(crate) use result_union;
