//! What a product listing may ask for: filters, search terms and sort orders.

use commerce_kernel::pagination::{Cursor, Direction, PageRequest};
use commerce_kernel::{ErrorCode, KernelError};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ProductStatus, ValidationError};

/// Products carrying any of `values` for the attribute `name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct AttributeFilter {
    pub name: String,
    pub values: Vec<String>,
}

/// A listing filter; every set part must match. Serialised, it is the cache key of counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ProductFilter {
    pub status: ProductStatus,
    /// This category or any of its descendants.
    pub category_id: Option<i64>,
    pub collection_id: Option<i64>,
    /// Names are ANDed, the values of one name ORed.
    pub attributes: Vec<AttributeFilter>,
    pub search: Option<SearchQuery>,
}

impl ProductFilter {
    pub fn published() -> Self {
        Self {
            status: ProductStatus::Published,
            category_id: None,
            collection_id: None,
            attributes: Vec::new(),
            search: None,
        }
    }
}

impl AttributeFilter {
    pub const MAX_FILTERS: usize = 10;
    pub const MAX_VALUES: usize = 50;

    /// Groups the filters by name (lowercased, as attributes are stored) and bounds them.
    pub fn parse_all(
        filters: impl IntoIterator<Item = (String, Vec<String>)>,
    ) -> Result<Vec<Self>, ValidationError> {
        let mut parsed: Vec<Self> = Vec::new();
        for (name, values) in filters {
            let name = name.trim().to_lowercase();
            if name.is_empty() || values.is_empty() || values.len() > Self::MAX_VALUES {
                return Err(ValidationError::new(
                    "filter.attributes",
                    format!("each filter needs a name and 1-{} values", Self::MAX_VALUES),
                ));
            }
            match parsed.iter_mut().find(|f| f.name == name) {
                Some(existing) => existing.values.extend(values),
                None => parsed.push(Self { name, values }),
            }
        }
        if parsed.len() > Self::MAX_FILTERS {
            return Err(ValidationError::new(
                "filter.attributes",
                format!("at most {} attribute names", Self::MAX_FILTERS),
            ));
        }
        for filter in &mut parsed {
            filter.values.sort();
            filter.values.dedup();
        }
        parsed.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(parsed)
    }
}

/// Full-text search terms: words of letters and digits, all required, the last one also
/// matching as a prefix (search as you type). Built only from such words, so the backend
/// query syntaxes (FTS5 MATCH, `to_tsquery`) can never be injected.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SearchQuery {
    terms: Vec<String>,
}

impl SearchQuery {
    pub const MAX_TERMS: usize = 10;

    /// `None` when the text has no words (an empty search filters nothing).
    pub fn parse(text: &str) -> Result<Option<Self>, ValidationError> {
        let terms: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|word| !word.is_empty())
            .map(|word| word.chars().take(50).collect::<String>().to_lowercase())
            .collect();
        if terms.len() > Self::MAX_TERMS {
            return Err(ValidationError::new(
                "filter.search",
                format!("at most {} words", Self::MAX_TERMS),
            ));
        }
        Ok((!terms.is_empty()).then_some(Self { terms }))
    }

    /// SQLite FTS5: `"linen" "shir"*`.
    pub fn fts5_match(&self) -> String {
        let quoted: Vec<String> = self.terms.iter().map(|t| format!("\"{t}\"")).collect();
        format!("{}*", quoted.join(" "))
    }

    /// PostgreSQL `to_tsquery('english', …)`: `linen & shir:*`.
    pub fn tsquery(&self) -> String {
        format!("{}:*", self.terms.join(" & "))
    }
}

/// Listing orders. Relevance needs a search; without one it falls back to newest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductSort {
    Name,
    Newest,
    Relevance,
}

impl ProductSort {
    /// The order actually applied: the requested one, or relevance when searching and newest
    /// otherwise.
    pub fn effective(requested: Option<Self>, filter: &ProductFilter) -> Self {
        match (requested, filter.search.is_some()) {
            (Some(Self::Relevance) | None, true) => Self::Relevance,
            (Some(Self::Relevance) | None, false) => Self::Newest,
            (Some(sort), _) => sort,
        }
    }
}

/// Where a row sits in a sort order: its sort key values, ending with its id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SortPosition {
    Name(String, i64),
    Newest(i64),
    Relevance(f64, i64),
}

impl SortPosition {
    pub fn to_cursor(&self) -> Cursor {
        Cursor(match self {
            Self::Name(name, id) => vec![json!(name), json!(id)],
            Self::Newest(id) => vec![json!(id)],
            Self::Relevance(rank, id) => vec![json!(rank), json!(id)],
        })
    }

    /// Reads a cursor of `sort`; a cursor from another sort or list is a client error.
    pub fn from_cursor(sort: ProductSort, cursor: &Cursor) -> Result<Self, KernelError> {
        let expected = match sort {
            ProductSort::Newest => 1,
            ProductSort::Name | ProductSort::Relevance => 2,
        };
        if cursor.0.len() != expected {
            return Err(KernelError::new(
                ErrorCode::BadUserInput,
                "cursor does not belong to this list or sort",
            ));
        }
        Ok(match sort {
            ProductSort::Name => Self::Name(cursor.str_at(0)?.to_owned(), cursor.i64_at(1)?),
            ProductSort::Newest => Self::Newest(cursor.i64_at(0)?),
            ProductSort::Relevance => {
                let rank = cursor.0[0].as_f64().ok_or_else(|| {
                    KernelError::new(
                        ErrorCode::BadUserInput,
                        "cursor does not belong to this sort",
                    )
                })?;
                Self::Relevance(rank, cursor.i64_at(1)?)
            }
        })
    }
}

/// What a listing reads of each product besides its scalar columns. Each part costs the
/// database a column to send and the catalog text or a JSON list to decode (the variants'
/// options alone were a third of a page's decoding), so a page reads only the parts its
/// selection shows; a product listed without a part holds it empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ListedParts {
    pub description: bool,
    pub attributes: bool,
    pub image_urls: bool,
    pub variants: bool,
    /// Each variant's options (read only with `variants`).
    pub variant_options: bool,
}

impl ListedParts {
    pub const ALL: Self = Self {
        description: true,
        attributes: true,
        image_urls: true,
        variants: true,
        variant_options: true,
    };
    pub const NONE: Self = Self {
        description: false,
        attributes: false,
        image_urls: false,
        variants: false,
        variant_options: false,
    };
}

/// A page of a listing in sort-order terms: rows strictly between `after` and `before`,
/// read from the start (`backward == false`) or from the end.
#[derive(Debug, Clone, PartialEq)]
pub struct ListWindow {
    pub after: Option<SortPosition>,
    pub before: Option<SortPosition>,
    pub backward: bool,
    /// Rows to fetch, one more than the page size.
    pub fetch: u64,
}

impl ListWindow {
    pub fn new(sort: ProductSort, page: &PageRequest) -> Result<Self, KernelError> {
        let position = |cursor: &Option<Cursor>| {
            cursor
                .as_ref()
                .map(|c| SortPosition::from_cursor(sort, c))
                .transpose()
        };
        let (cursor, bound) = (position(&page.cursor)?, position(&page.bound)?);
        let backward = page.direction == Direction::Backward;
        let (after, before) = if backward {
            (bound, cursor)
        } else {
            (cursor, bound)
        };
        Ok(Self {
            after,
            before,
            backward,
            fetch: page.fetch_limit(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_becomes_safe_backend_queries() {
        let query = SearchQuery::parse("Linen \"shirt\" OR*")
            .expect("valid")
            .expect("terms");
        assert_eq!(query.fts5_match(), r#""linen" "shirt" "or"*"#);
        assert_eq!(query.tsquery(), "linen & shirt & or:*");
        assert_eq!(SearchQuery::parse(" -- ").expect("valid"), None);
        assert!(SearchQuery::parse(&"a ".repeat(11)).is_err());
    }

    #[test]
    fn attribute_filters_group_by_lowercased_name() {
        let filters = AttributeFilter::parse_all([
            ("Colour".to_owned(), vec!["Red".to_owned()]),
            (
                "colour".to_owned(),
                vec!["Blue".to_owned(), "Red".to_owned()],
            ),
        ])
        .expect("valid");
        assert_eq!(filters.len(), 1);
        assert_eq!(filters[0].values, vec!["Blue".to_owned(), "Red".to_owned()]);
        assert!(AttributeFilter::parse_all([("size".to_owned(), vec![])]).is_err());
    }

    #[test]
    fn relevance_needs_a_search() {
        let mut filter = ProductFilter::published();
        assert_eq!(ProductSort::effective(None, &filter), ProductSort::Newest);
        assert_eq!(
            ProductSort::effective(Some(ProductSort::Relevance), &filter),
            ProductSort::Newest
        );
        filter.search = SearchQuery::parse("shirt").expect("valid");
        assert_eq!(
            ProductSort::effective(None, &filter),
            ProductSort::Relevance
        );
        assert_eq!(
            ProductSort::effective(Some(ProductSort::Name), &filter),
            ProductSort::Name
        );
    }

    #[test]
    fn cursors_round_trip_per_sort_and_reject_other_sorts() {
        let position = SortPosition::Relevance(0.25, 7);
        let cursor = position.to_cursor();
        assert_eq!(
            SortPosition::from_cursor(ProductSort::Relevance, &cursor),
            Ok(position)
        );
        let error = SortPosition::from_cursor(ProductSort::Newest, &cursor).map_err(|e| e.code);
        assert_eq!(error, Err(ErrorCode::BadUserInput));
        let name = SortPosition::Name("Tee".into(), 3).to_cursor();
        assert!(SortPosition::from_cursor(ProductSort::Relevance, &name).is_err());
    }

    #[test]
    fn backward_windows_swap_cursor_and_bound() {
        let after = SortPosition::Newest(9).to_cursor().encode();
        let page = PageRequest::parse(None, Some(after), Some(5), None).expect("valid");
        let window = ListWindow::new(ProductSort::Newest, &page).expect("valid");
        assert_eq!(window.after, Some(SortPosition::Newest(9)));
        assert_eq!(window.before, None);
        assert!(window.backward);
        assert_eq!(window.fetch, 6);
    }
}
