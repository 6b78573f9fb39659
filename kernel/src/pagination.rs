//! Relay cursor pagination (`first/after/last/before`, `pageInfo`, `totalCount`).
//!
//! Cursors are keyset positions (the sort key values of a row plus its id), not offsets, so a
//! cursor stays valid and no row is skipped or repeated when rows are inserted before it.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, SimpleObject};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use crate::error::{ErrorCode, KernelError};

/// Page size used when a client gives neither `first` nor `last`.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest page a client may ask for.
pub const MAX_PAGE_SIZE: u64 = 100;

/// An opaque position: the sort key values of a row, ending with its unique id.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor(pub Vec<Value>);

impl Cursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(&self.0).expect("JSON values always serialize");
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(value: &str) -> Result<Self, KernelError> {
        let invalid =
            || KernelError::new(ErrorCode::BadUserInput, format!("invalid cursor {value:?}"));
        let bytes = URL_SAFE_NO_PAD.decode(value).map_err(|_| invalid())?;
        let values: Vec<Value> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
        if values.is_empty() {
            return Err(invalid());
        }
        Ok(Self(values))
    }

    /// The value at `index` as an integer, for stores that check cursor shape.
    pub fn i64_at(&self, index: usize) -> Result<i64, KernelError> {
        self.0
            .get(index)
            .and_then(Value::as_i64)
            .ok_or_else(|| self.shape_error())
    }

    pub fn str_at(&self, index: usize) -> Result<&str, KernelError> {
        self.0
            .get(index)
            .and_then(Value::as_str)
            .ok_or_else(|| self.shape_error())
    }

    fn shape_error(&self) -> KernelError {
        KernelError::new(
            ErrorCode::BadUserInput,
            "cursor does not belong to this list or sort",
        )
    }
}

/// Which way a page is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

/// A validated page request.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub direction: Direction,
    pub limit: u64,
    /// Rows strictly after (forward) or before (backward) this position.
    pub cursor: Option<Cursor>,
    /// The opposite bound (`before` when paging forward, `after` when paging backward).
    pub bound: Option<Cursor>,
}

impl PageRequest {
    pub fn parse(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Self, KernelError> {
        let size = |name: &str, n: i32| -> Result<u64, KernelError> {
            match u64::try_from(n) {
                Ok(n) if n <= MAX_PAGE_SIZE => Ok(n),
                _ => Err(KernelError::new(
                    ErrorCode::BadUserInput,
                    format!("`{name}` must be between 0 and {MAX_PAGE_SIZE}, got {n}"),
                )),
            }
        };
        let after = after.as_deref().map(Cursor::decode).transpose()?;
        let before = before.as_deref().map(Cursor::decode).transpose()?;
        match (first, last) {
            (Some(_), Some(_)) => Err(KernelError::new(
                ErrorCode::BadUserInput,
                "pass either `first` or `last`, not both",
            )),
            (None, Some(n)) => Ok(Self {
                direction: Direction::Backward,
                limit: size("last", n)?,
                cursor: before,
                bound: after,
            }),
            (first, None) => Ok(Self {
                direction: Direction::Forward,
                limit: first
                    .map(|n| size("first", n))
                    .transpose()?
                    .unwrap_or(DEFAULT_PAGE_SIZE),
                cursor: after,
                bound: before,
            }),
        }
    }

    /// How many rows a store should fetch: one extra tells whether another page exists.
    pub fn fetch_limit(&self) -> u64 {
        self.limit + 1
    }
}

/// Rows of one page as a store returns them: in display order, with the extra row trimmed.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from up to `fetch_limit()` rows read in the request's direction
    /// (descending order for backward reads).
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest) -> Self {
        let limit = usize::try_from(request.limit).expect("page sizes are at most 100");
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        match request.direction {
            Direction::Forward => Self {
                items: rows,
                has_next_page: has_more,
                has_previous_page: request.cursor.is_some(),
            },
            Direction::Backward => {
                rows.reverse();
                Self {
                    items: rows,
                    has_next_page: request.cursor.is_some(),
                    has_previous_page: has_more,
                }
            }
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

/// Extra connection field shared by every list: the number of rows matching the filter.
#[derive(Debug, Clone, Copy, SimpleObject)]
#[graphql(shareable)]
pub struct TotalCount {
    pub total_count: i64,
}

/// Builds a Relay connection from a page, the cursor of each item, and the total count.
pub fn connection<T: OutputType>(
    page: Page<T>,
    cursor_of: impl Fn(&T) -> Cursor,
    total_count: i64,
) -> Connection<String, T, TotalCount> {
    let mut connection = Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        TotalCount { total_count },
    );
    connection.edges.extend(
        page.items
            .into_iter()
            .map(|item| Edge::new(cursor_of(&item).encode(), item)),
    );
    connection
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let cursor = Cursor(vec![json!("Blue shirt"), json!(42)]);
        assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        assert!(Cursor::decode("%%%").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("[]")).is_err());
    }

    #[test]
    fn page_sizes_are_bounded() {
        let error = PageRequest::parse(Some(101), None, None, None).map_err(|e| e.code);
        assert_eq!(error, Err(ErrorCode::BadUserInput));
        assert!(PageRequest::parse(Some(-1), None, None, None).is_err());
        assert!(PageRequest::parse(Some(1), None, Some(1), None).is_err());
        let default = PageRequest::parse(None, None, None, None).map(|p| p.limit);
        assert_eq!(default, Ok(DEFAULT_PAGE_SIZE));
    }

    #[test]
    fn backward_pages_come_back_in_display_order() {
        let request = PageRequest::parse(None, None, Some(2), None).expect("valid request");
        let page = Page::from_rows(vec![5, 4, 3], &request);
        assert_eq!(page.items, vec![4, 5]);
        assert!(page.has_previous_page);
        assert!(!page.has_next_page);
    }
}
