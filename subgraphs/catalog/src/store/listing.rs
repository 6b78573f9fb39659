//! Product listings: filtered, sorted, keyset-paginated pages, their counts and facet counts.
//! Every order walks an index (`status, name, id` / `status, id`), so a page costs the same
//! at row 100,000 as at row 1. Search is the one place the backends differ: a generated
//! `tsvector` with a GIN index on PostgreSQL, an FTS5 table on SQLite.

use chrono::{DateTime, Utc};
use commerce_kernel::read_pipeline::{ReadPipeline, Row};
use sea_orm::sqlx::{ColumnIndex, Decode, Row as SqlxRow, Type};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

use super::products::{ProductColumns, variant_list};
use super::sql::Sql;
use crate::domain::{
    ListWindow, ListedParts, Product, ProductFilter, ProductSort, SearchQuery, SortPosition,
    Variant,
};

/// A product with its variants (from its variant list, in the same row) and its position in
/// the listing's order (its cursor).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ListedProduct {
    pub product: Product,
    pub variants: Vec<Variant>,
    pub position: SortPosition,
}

/// Products matching a filter, per category and per attribute value.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FacetCounts {
    /// (category id, count), largest first.
    pub categories: Vec<(i64, i64)>,
    /// (attribute name, value, count), by name then largest first.
    pub attributes: Vec<(String, String, i64)>,
}

/// The listing's columns in [`product_of`]'s order; a part the page does not read is an empty
/// constant in its place, so the positions never move.
fn push_columns(sql: &mut Sql, parts: ListedParts) {
    let part = |read: bool, column, empty| if read { column } else { empty };
    sql.push("p.id, p.slug, p.name, ")
        .push(part(parts.description, "p.description", "''"))
        .push(", p.status, p.category_id, ")
        .push(part(parts.attributes, "p.attributes", "'[]'"))
        .push(", ")
        .push(part(parts.image_urls, "p.image_urls", "'[]'"))
        .push(", p.created_at, p.updated_at, ")
        .push(part(parts.variants, "p.variants", "'[]'"))
        .push(", ")
        .push(part(parts.variant_options, "p.variant_options", "'[]'"));
}

/// SQLite's FTS5 ranks with bm25 (lower is better); negated, both backends sort rank
/// descending. Names weigh ten times more than descriptions. The matches drive the query
/// (`CROSS JOIN` fixes the order): left to itself the planner may walk every published
/// product and probe the index for each, which takes seconds at 100,000 products.
const SQLITE_SEARCH_FROM: &str = " FROM (SELECT rowid AS id, -bm25(product_search, 10.0, 1.0) \
                                  AS rank FROM product_search WHERE product_search MATCH ";

/// One window of the listing, rows in read order (see [`ListWindow`]), each product with the
/// `parts` asked for: read through `reads` when given (a PostgreSQL `db`'s) and connected, else
/// through `db`.
pub async fn list(
    db: &impl ConnectionTrait,
    reads: Option<&ReadPipeline>,
    filter: &ProductFilter,
    sort: ProductSort,
    window: &ListWindow,
    parts: ListedParts,
) -> Result<Vec<ListedProduct>, DbErr> {
    let statement = list_statement(db.get_database_backend(), filter, sort, window, parts);
    let pipelined = match reads {
        Some(reads) => reads.query(&statement).await?,
        None => None,
    };
    if let Some(rows) = pipelined {
        return rows.iter().map(|row| listed(row, sort, parts)).collect();
    }
    let rows = db.query_all(statement).await?;
    let rows = rows.iter().enumerate();
    rows.map(
        |(index, row)| match (row.try_as_pg_row(), row.try_as_sqlite_row()) {
            (Some(row), _) => listed(&Checked::new(row, index == 0), sort, parts),
            (None, Some(row)) => listed(&Checked::new(row, true), sort, parts),
            (None, None) => Err(DbErr::Custom("a listing row of no known driver".into())),
        },
    )
    .collect()
}

fn list_statement(
    backend: DbBackend,
    filter: &ProductFilter,
    sort: ProductSort,
    window: &ListWindow,
    parts: ListedParts,
) -> Statement {
    let mut sql = Sql::new(backend);
    sql.push("SELECT ");
    push_columns(&mut sql, parts);
    if sort == ProductSort::Relevance {
        sql.push(", ");
        push_rank(&mut sql, filter.search.as_ref());
        sql.push(" AS sort_rank");
    }
    push_from_where(&mut sql, filter, "");
    if let Some(after) = &window.after {
        push_keyset(&mut sql, filter, after, true);
    }
    if let Some(before) = &window.before {
        push_keyset(&mut sql, filter, before, false);
    }
    push_order(&mut sql, filter, sort, window.backward);
    // The limit is written into the text, not bound: with a bound limit PostgreSQL's generic
    // plan assumes a tenth of the table, so it planned every page afresh (72 µs, more than
    // running it). A handful of page sizes makes a handful of prepared statements.
    sql.push(&format!(" LIMIT {}", window.fetch));
    sql.build()
}

/// A row of [`push_columns`] (and the rank after them when sorted by relevance).
fn listed(
    row: &impl ListingRow,
    sort: ProductSort,
    parts: ListedParts,
) -> Result<ListedProduct, DbErr> {
    let id = row.int(0)?;
    let product = Product::try_from(ProductColumns {
        id,
        slug: row.text(1)?,
        name: row.text(2)?,
        description: row.text(3)?,
        status: row.text(4)?,
        category_id: row.optional_int(5)?,
        attributes: row.text(6)?,
        image_urls: row.text(7)?,
        created_at: row.time(8)?,
        updated_at: row.time(9)?,
    })?;
    let variants = match parts.variants {
        true => {
            let options = parts.variant_options.then(|| row.text(11)).transpose()?;
            variant_list(id, row.text(10)?, options)?
        }
        false => Vec::new(),
    };
    let position = match sort {
        ProductSort::Name => SortPosition::Name(product.name.clone(), product.id),
        ProductSort::Newest => SortPosition::Newest(product.id),
        ProductSort::Relevance => SortPosition::Relevance(row.float(12)?, product.id),
    };
    Ok(ListedProduct {
        product,
        variants,
        position,
    })
}

/// A listing row's columns by position (a page reads 550; by name each would be hashed and
/// looked up first), text borrowed from the row, so the JSON lists are parsed straight from its
/// bytes and the status is checked without a copy. sea-orm's own getters return owned values
/// only.
trait ListingRow {
    fn text(&self, index: usize) -> Result<&str, DbErr>;
    fn int(&self, index: usize) -> Result<i64, DbErr>;
    fn optional_int(&self, index: usize) -> Result<Option<i64>, DbErr>;
    fn time(&self, index: usize) -> Result<DateTime<Utc>, DbErr>;
    fn float(&self, index: usize) -> Result<f64, DbErr>;
}

fn row_error(error: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("a listing row: {error}"))
}

impl ListingRow for Row {
    fn text(&self, index: usize) -> Result<&str, DbErr> {
        self.try_get(index).map_err(row_error)
    }
    fn int(&self, index: usize) -> Result<i64, DbErr> {
        self.try_get(index).map_err(row_error)
    }
    fn optional_int(&self, index: usize) -> Result<Option<i64>, DbErr> {
        self.try_get(index).map_err(row_error)
    }
    fn time(&self, index: usize) -> Result<DateTime<Utc>, DbErr> {
        self.try_get(index).map_err(row_error)
    }
    fn float(&self, index: usize) -> Result<f64, DbErr> {
        self.try_get(index).map_err(row_error)
    }
}

/// An sqlx row, its column types checked against the values read when `check`.
///
/// PostgreSQL describes a result's column types once for all its rows, so they are checked on
/// the first row only (600 checks a page otherwise, with a type descriptor cloned and dropped
/// for each); SQLite types each value, so each is checked.
struct Checked<'r, R> {
    row: &'r R,
    check: bool,
}

impl<'r, R> Checked<'r, R> {
    fn new(row: &'r R, check: bool) -> Self {
        Self { row, check }
    }

    fn get<T>(&self, index: usize) -> Result<T, DbErr>
    where
        R: SqlxRow,
        usize: ColumnIndex<R>,
        T: Decode<'r, R::Database> + Type<R::Database>,
    {
        let value = match self.check {
            true => self.row.try_get(index),
            false => self.row.try_get_unchecked(index),
        };
        value.map_err(row_error)
    }
}

impl<'r, R> ListingRow for Checked<'r, R>
where
    R: SqlxRow,
    usize: ColumnIndex<R>,
    &'r str: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    f64: Decode<'r, R::Database> + Type<R::Database>,
    DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text(&self, index: usize) -> Result<&str, DbErr> {
        self.get(index)
    }
    fn int(&self, index: usize) -> Result<i64, DbErr> {
        self.get(index)
    }
    fn optional_int(&self, index: usize) -> Result<Option<i64>, DbErr> {
        self.get(index)
    }
    fn time(&self, index: usize) -> Result<DateTime<Utc>, DbErr> {
        self.get(index)
    }
    fn float(&self, index: usize) -> Result<f64, DbErr> {
        self.get(index)
    }
}

/// How many products match (the caller caches it: counting is the expensive part of a page).
pub async fn count(db: &impl ConnectionTrait, filter: &ProductFilter) -> Result<i64, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT COUNT(*) AS n");
    push_from_where(&mut sql, filter, "");
    let row = db.query_one(sql.build()).await?;
    row.map_or(Ok(0), |row| row.try_get("", "n"))
}

/// Facet counts for the products matching `filter`: two grouped queries. A category counts
/// the products of its whole subtree (a product under Shirts also counts for Clothing).
pub async fn facets(
    db: &impl ConnectionTrait,
    filter: &ProductFilter,
) -> Result<FacetCounts, DbErr> {
    let mut sql = Sql::new(db.get_database_backend());
    // Count per category first (one pass over the products), then add each count to the
    // category's ancestors (a join over categories only).
    sql.push(
        "SELECT c.id AS id, CAST(SUM(t.n) AS BIGINT) AS n \
         FROM (SELECT p.category_id AS category_id, COUNT(*) AS n",
    );
    push_from_where(&mut sql, filter, "");
    sql.push(
        " AND p.category_id IS NOT NULL GROUP BY p.category_id) t \
         JOIN categories pc ON pc.id = t.category_id \
         JOIN categories c ON pc.path LIKE c.path || '%' \
         GROUP BY c.id ORDER BY n DESC, c.id",
    );
    let categories = db
        .query_all(sql.build())
        .await?
        .iter()
        .map(|row| Ok((row.try_get("", "id")?, row.try_get("", "n")?)))
        .collect::<Result<_, DbErr>>()?;

    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT a.name AS name, a.value AS value, COUNT(*) AS n");
    push_from_where(
        &mut sql,
        filter,
        " JOIN product_attributes a ON a.product_id = p.id",
    );
    sql.push(" GROUP BY a.name, a.value ORDER BY a.name, n DESC, a.value");
    let attributes = db
        .query_all(sql.build())
        .await?
        .iter()
        .map(|row| {
            Ok((
                row.try_get("", "name")?,
                row.try_get("", "value")?,
                row.try_get("", "n")?,
            ))
        })
        .collect::<Result<_, DbErr>>()?;
    Ok(FacetCounts {
        categories,
        attributes,
    })
}

/// `FROM products p … WHERE …` for `filter`; `join` adds a table to group by.
fn push_from_where(sql: &mut Sql, filter: &ProductFilter, join: &str) {
    let search = filter.search.as_ref();
    match (search, sql.backend()) {
        (Some(search), DbBackend::Sqlite) => {
            sql.push(SQLITE_SEARCH_FROM)
                .bind(search.fts5_match())
                .push(") s CROSS JOIN products p ON p.id = s.id");
        }
        _ => {
            sql.push(" FROM products p");
        }
    }
    sql.push(join);
    // One of two fixed words, written into the text like the limit (see `list`): with the
    // status bound, PostgreSQL's generic plan guessed half the table and lost to planning
    // afresh by a hair, on every page.
    sql.push(" WHERE p.status = '")
        .push(filter.status.as_str())
        .push("'");
    if let (Some(search), DbBackend::Postgres) = (search, sql.backend()) {
        sql.push(" AND p.search @@ to_tsquery('english', ")
            .bind(search.tsquery())
            .push(")");
    }
    if let Some(category_id) = filter.category_id {
        sql.push(
            " AND p.category_id IN (SELECT d.id FROM categories d WHERE d.path LIKE \
             (SELECT c.path FROM categories c WHERE c.id = ",
        )
        .bind(category_id)
        .push(") || '%')");
    }
    if let Some(collection_id) = filter.collection_id {
        sql.push(" AND p.id IN (SELECT product_id FROM product_collections WHERE collection_id = ")
            .bind(collection_id)
            .push(")");
    }
    for attribute in &filter.attributes {
        sql.push(" AND p.id IN (SELECT product_id FROM product_attributes WHERE name = ")
            .bind(attribute.name.as_str())
            .push(" AND value IN ")
            .bind_list(attribute.values.iter().map(String::as_str))
            .push(")");
    }
}

fn push_rank(sql: &mut Sql, search: Option<&SearchQuery>) {
    match (sql.backend(), search) {
        (DbBackend::Postgres, Some(search)) => {
            sql.push("ts_rank(p.search, to_tsquery('english', ")
                .bind(search.tsquery())
                .push("))::float8");
        }
        (DbBackend::Sqlite, Some(_)) => {
            sql.push("s.rank");
        }
        _ => {
            sql.push("0.0");
        }
    }
}

/// The sort keys of `position`'s order with their values, and whether each is descending.
fn keys(position: &SortPosition) -> Vec<(&'static str, Value, bool)> {
    match position {
        SortPosition::Name(name, id) => vec![
            ("p.name", name.clone().into(), false),
            ("p.id", (*id).into(), false),
        ],
        SortPosition::Newest(id) => vec![("p.id", (*id).into(), true)],
        SortPosition::Relevance(rank, id) => vec![
            ("{rank}", (*rank).into(), true),
            ("p.id", (*id).into(), false),
        ],
    }
}

/// `AND` rows strictly after (`after == true`) or before `position` in the sort order.
/// Keys sorting the same way compare as one row value, which both engines serve from the
/// index; relevance mixes directions and spells the comparison out.
fn push_keyset(sql: &mut Sql, filter: &ProductFilter, position: &SortPosition, after: bool) {
    let keys = keys(position);
    let op = |descending: bool| if descending == after { " < " } else { " > " };
    let push_key = |sql: &mut Sql, key: &str| {
        if key == "{rank}" {
            push_rank(sql, filter.search.as_ref());
        } else {
            sql.push(key);
        }
    };
    sql.push(" AND ");
    if keys
        .iter()
        .all(|(_, _, descending)| *descending == keys[0].2)
    {
        let names: Vec<&str> = keys.iter().map(|(name, _, _)| *name).collect();
        sql.push("(")
            .push(&names.join(", "))
            .push(")")
            .push(op(keys[0].2));
        sql.bind_list(keys.into_iter().map(|(_, value, _)| value));
        return;
    }
    // (k1 op v1 OR (k1 = v1 AND k2 op v2)): exactly two keys here.
    let [
        (first, first_value, first_desc),
        (second, second_value, second_desc),
    ] = <[_; 2]>::try_from(keys).expect("mixed-direction orders have two keys");
    sql.push("(");
    push_key(sql, first);
    sql.push(op(first_desc))
        .bind(first_value.clone())
        .push(" OR (");
    push_key(sql, first);
    sql.push(" = ").bind(first_value).push(" AND ");
    push_key(sql, second);
    sql.push(op(second_desc)).bind(second_value).push("))");
}

fn push_order(sql: &mut Sql, filter: &ProductFilter, sort: ProductSort, backward: bool) {
    let direction = |descending: bool| {
        if descending != backward {
            " DESC"
        } else {
            " ASC"
        }
    };
    sql.push(" ORDER BY ");
    match sort {
        ProductSort::Name => {
            let dir = direction(false);
            sql.push("p.name").push(dir).push(", p.id").push(dir);
        }
        ProductSort::Newest => {
            sql.push("p.id").push(direction(true));
        }
        ProductSort::Relevance => {
            push_rank(sql, filter.search.as_ref());
            sql.push(direction(true))
                .push(", p.id")
                .push(direction(false));
        }
    }
}

#[cfg(test)]
mod tests {
    use commerce_kernel::pagination::PageRequest;

    use super::*;

    /// PostgreSQL plans a prepared statement once only when its generic plan is about as good
    /// as a custom one; with the status or the limit bound it never was, and every page was
    /// planned afresh. The storefront's plain listing binds nothing.
    #[test]
    fn the_plain_listing_binds_nothing_so_postgresql_plans_it_once() {
        let page = PageRequest::parse(Some(50), None, None, None).expect("a page");
        let window = ListWindow::new(ProductSort::Newest, &page).expect("a window");
        let filter = ProductFilter::published();
        let parts = ListedParts::ALL;
        let statement = list_statement(
            DbBackend::Postgres,
            &filter,
            ProductSort::Newest,
            &window,
            parts,
        );
        assert!(statement.values.is_none_or(|values| values.0.is_empty()));
        assert!(statement.sql.contains("p.status = 'published'"));
        assert!(statement.sql.ends_with(" LIMIT 51"), "{}", statement.sql);
    }

    /// A part left unread keeps its column's place (rows are read by position) as a constant.
    #[test]
    fn unread_parts_are_empty_constants_in_their_columns_places() {
        let columns = |parts| {
            let mut sql = Sql::new(DbBackend::Postgres);
            push_columns(&mut sql, parts);
            let sql = sql.build().sql;
            sql.split(", ").map(str::to_owned).collect::<Vec<_>>()
        };
        let all = columns(ListedParts::ALL);
        let none = columns(ListedParts::NONE);
        assert_eq!(all.len(), none.len());
        let unread: Vec<_> = all.into_iter().zip(none).filter(|(a, n)| a != n).collect();
        let expected = [
            ("p.description", "''"),
            ("p.attributes", "'[]'"),
            ("p.image_urls", "'[]'"),
            ("p.variants", "'[]'"),
            ("p.variant_options", "'[]'"),
        ];
        assert_eq!(unread, expected.map(|(a, n)| (a.to_owned(), n.to_owned())));
    }
}
