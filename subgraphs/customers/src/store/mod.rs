//! Persistence of the customers domain: repository functions over sea-orm entities, which stay
//! private here; everything leaves as domain records.

mod addresses;
mod customers;
mod entities;
mod groups;
mod staff;
mod tokens;
mod wishlist;

pub use addresses::*;
pub use customers::*;
pub use groups::*;
pub use staff::*;
pub use tokens::*;
pub use wishlist::*;

use commerce_kernel::KernelError;
use commerce_kernel::pagination::{Direction, PageRequest};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

/// Whether an insert with `ON CONFLICT DO NOTHING` inserted nothing.
fn nothing_inserted<T>(result: Result<T, DbErr>) -> Result<Option<T>, DbErr> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(DbErr::RecordNotInserted) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Narrows `query` to one page of `request` over the integer key `column`, shown ascending or,
/// with `newest_first`, descending. Rows come back in reading order for `Page::from_rows`.
fn keyset<E: EntityTrait>(
    mut query: Select<E>,
    column: impl ColumnTrait,
    request: &PageRequest,
    newest_first: bool,
) -> Result<Select<E>, KernelError> {
    let ascending = (request.direction == Direction::Forward) != newest_first;
    if let Some(cursor) = &request.cursor {
        let id = cursor.i64_at(0)?;
        query = query.filter(if ascending {
            column.gt(id)
        } else {
            column.lt(id)
        });
    }
    if let Some(bound) = &request.bound {
        let id = bound.i64_at(0)?;
        query = query.filter(if ascending {
            column.lt(id)
        } else {
            column.gt(id)
        });
    }
    query = if ascending {
        query.order_by_asc(column)
    } else {
        query.order_by_desc(column)
    };
    Ok(query.limit(request.fetch_limit()))
}
