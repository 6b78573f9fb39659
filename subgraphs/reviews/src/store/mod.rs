//! Repository functions over the reviews tables: the only module that knows their layout.
//! Every function takes any connection or transaction, so the service decides the boundaries.

mod entities;

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use commerce_kernel::pagination::{Cursor, Direction, Page, PageRequest};
use sea_orm::sea_query::{Alias, Asterisk, Expr, OnConflict, Order, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    Iterable, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, SqlErr,
};

use crate::domain::{
    ModerationStatus, NewReview, RatingSummary, Review, ReviewError, ReviewId, Stars,
};
use entities::{product_rating, review};

/// The order a list of reviews is shown in; ties on `created_at` break on the id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chronology {
    NewestFirst,
    OldestFirst,
}

/// The inverse of [`Review::cursor`].
fn decode_cursor(cursor: &Cursor) -> Result<(DateTime<Utc>, i64), ReviewError> {
    let micros = cursor.i64_at(0).map_err(ReviewError::InvalidPage)?;
    let id = cursor.i64_at(1).map_err(ReviewError::InvalidPage)?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(|| {
        ReviewError::InvalidPage(commerce_kernel::KernelError::new(
            commerce_kernel::ErrorCode::BadUserInput,
            "cursor does not belong to this list",
        ))
    })?;
    Ok((at, id))
}

impl TryFrom<review::Model> for Review {
    type Error = ReviewError;

    fn try_from(row: review::Model) -> Result<Self, ReviewError> {
        let stars = Stars::parse(i32::from(row.rating)).map_err(|_| {
            anyhow::anyhow!("review {} has a stored rating of {}", row.id, row.rating)
        })?;
        Ok(Self {
            id: ReviewId(row.id),
            product_id: row.product_id,
            author_id: row.author_id,
            author_name: row.author_name,
            stars,
            title: row.title,
            body: row.body,
            status: ModerationStatus::from_stored(&row.status)?,
            created_at: row.created_at,
            moderated_at: row.moderated_at,
        })
    }
}

fn to_reviews(rows: Vec<review::Model>) -> Result<Vec<Review>, ReviewError> {
    rows.into_iter().map(Review::try_from).collect()
}

fn active_review(
    review: &NewReview,
    status: ModerationStatus,
    created_at: DateTime<Utc>,
) -> review::ActiveModel {
    review::ActiveModel {
        product_id: Set(review.product.as_str().to_owned()),
        author_id: Set(review.author.as_str().to_owned()),
        author_name: Set(review.author_name.as_str().to_owned()),
        rating: Set(i16::from(review.stars.get())),
        title: Set(review.title.as_str().to_owned()),
        body: Set(review.body.as_str().to_owned()),
        status: Set(status.as_str().to_owned()),
        created_at: Set(created_at),
        moderated_at: Set((status != ModerationStatus::Pending).then_some(created_at)),
        ..Default::default()
    }
}

/// Stores a new review and returns it with its id.
pub async fn insert_review(
    conn: &impl ConnectionTrait,
    review: &NewReview,
    created_at: DateTime<Utc>,
) -> Result<Review, ReviewError> {
    let row = active_review(review, ModerationStatus::Pending, created_at);
    let inserted = review::Entity::insert(row)
        .exec(conn)
        .await
        .map_err(|error| match error.sql_err() {
            // The unique index on (product, author): one review per customer and product.
            Some(SqlErr::UniqueConstraintViolation(_)) => ReviewError::AlreadyReviewed {
                product_id: review.product.as_str().to_owned(),
            },
            _ => error.into(),
        })?;
    find_review(conn, ReviewId(inserted.last_insert_id))
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!("review {} vanished after insert", inserted.last_insert_id).into()
        })
}

/// Stores many reviews in one statement, already moderated (demo data and imports).
pub async fn insert_reviews(
    conn: &impl ConnectionTrait,
    reviews: &[(NewReview, ModerationStatus, DateTime<Utc>)],
) -> Result<(), ReviewError> {
    if reviews.is_empty() {
        return Ok(());
    }
    let rows = reviews
        .iter()
        .map(|(review, status, at)| active_review(review, *status, *at));
    review::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn find_review(
    conn: &impl ConnectionTrait,
    id: ReviewId,
) -> Result<Option<Review>, ReviewError> {
    review::Entity::find_by_id(id.0)
        .one(conn)
        .await?
        .map(Review::try_from)
        .transpose()
}

/// The reviews with these ids, in one query; unknown ids are left out.
pub async fn find_reviews(
    conn: &impl ConnectionTrait,
    ids: &[ReviewId],
) -> Result<Vec<Review>, ReviewError> {
    let rows = review::Entity::find()
        .filter(review::Column::Id.is_in(ids.iter().map(|id| id.0)))
        .all(conn)
        .await?;
    to_reviews(rows)
}

/// Moves a review from `from` to `to` if it is still in `from`, returning it as updated.
/// The status check in the `WHERE` makes concurrent moderations of one review serialize.
pub async fn transition(
    conn: &impl ConnectionTrait,
    id: ReviewId,
    from: ModerationStatus,
    to: ModerationStatus,
    at: DateTime<Utc>,
) -> Result<Option<Review>, ReviewError> {
    let update = Query::update()
        .table(review::Entity)
        .value(review::Column::Status, to.as_str())
        .value(review::Column::ModeratedAt, at)
        .and_where(review::Column::Id.eq(id.0))
        .and_where(review::Column::Status.eq(from.as_str()))
        .returning_all()
        .to_owned();
    let statement = conn.get_database_backend().build(&update);
    review::Entity::find()
        .from_raw_sql(statement)
        .one(conn)
        .await?
        .map(Review::try_from)
        .transpose()
}

/// Deletes a review if it is still in `status`, returning what was deleted.
pub async fn delete_if(
    conn: &impl ConnectionTrait,
    id: ReviewId,
    status: ModerationStatus,
) -> Result<Option<Review>, ReviewError> {
    let delete = Query::delete()
        .from_table(review::Entity)
        .and_where(review::Column::Id.eq(id.0))
        .and_where(review::Column::Status.eq(status.as_str()))
        .returning_all()
        .to_owned();
    let statement = conn.get_database_backend().build(&delete);
    review::Entity::find()
        .from_raw_sql(statement)
        .one(conn)
        .await?
        .map(Review::try_from)
        .transpose()
}

/// Adds `delta` reviews of `stars` to a product's stored rating, creating it if needed.
/// A single upsert, so concurrent moderations of one product never lose an update.
pub async fn add_to_rating(
    conn: &impl ConnectionTrait,
    product_id: &str,
    stars: Stars,
    delta: i64,
) -> Result<(), ReviewError> {
    use product_rating::Column as C;
    let stars_column = stars_column(stars);
    let increments = [
        (C::ReviewCount, delta),
        (C::RatingSum, delta * i64::from(stars.get())),
        (stars_column, delta),
    ];
    let insert = Query::insert()
        .into_table(product_rating::Entity)
        .columns([C::ProductId, C::ReviewCount, C::RatingSum, stars_column])
        .values_panic([
            product_id.into(),
            increments[0].1.into(),
            increments[1].1.into(),
            increments[2].1.into(),
        ])
        .on_conflict(
            OnConflict::column(C::ProductId)
                .values(increments.map(|(column, by)| {
                    (column, Expr::col((product_rating::Entity, column)).add(by))
                }))
                .to_owned(),
        )
        .to_owned();
    conn.execute(conn.get_database_backend().build(&insert))
        .await?;
    Ok(())
}

fn stars_column(stars: Stars) -> product_rating::Column {
    use product_rating::Column as C;
    [C::Stars1, C::Stars2, C::Stars3, C::Stars4, C::Stars5][usize::from(stars.get() - 1)]
}

impl From<product_rating::Model> for RatingSummary {
    fn from(row: product_rating::Model) -> Self {
        Self {
            count: row.review_count,
            sum: row.rating_sum,
            histogram: [row.stars1, row.stars2, row.stars3, row.stars4, row.stars5],
        }
    }
}

/// The stored ratings of these products, in one query; products without approved reviews are
/// left out.
pub async fn ratings(
    conn: &impl ConnectionTrait,
    product_ids: &[String],
) -> Result<HashMap<String, RatingSummary>, ReviewError> {
    let rows = product_rating::Entity::find()
        .filter(product_rating::Column::ProductId.is_in(product_ids.iter().cloned()))
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.product_id.clone(), RatingSummary::from(row)))
        .collect())
}

/// Stores precomputed ratings in one statement (demo data).
pub async fn insert_ratings(
    conn: &impl ConnectionTrait,
    ratings: &[(String, RatingSummary)],
) -> Result<(), ReviewError> {
    let rows = ratings
        .iter()
        .filter(|(_, summary)| summary.count > 0)
        .map(|(product_id, summary)| product_rating::ActiveModel {
            product_id: Set(product_id.clone()),
            review_count: Set(summary.count),
            rating_sum: Set(summary.sum),
            stars1: Set(summary.histogram[0]),
            stars2: Set(summary.histogram[1]),
            stars3: Set(summary.histogram[2]),
            stars4: Set(summary.histogram[3]),
            stars5: Set(summary.histogram[4]),
        })
        .collect::<Vec<_>>();
    if !rows.is_empty() {
        product_rating::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

#[derive(FromQueryResult)]
struct RatingCount {
    product_id: String,
    rating: i16,
    reviews: i64,
}

/// Every product's rating recomputed from its approved reviews: the slow truth the stored
/// aggregate must always equal (audits and tests).
pub async fn recompute_ratings(
    conn: &impl ConnectionTrait,
) -> Result<HashMap<String, RatingSummary>, ReviewError> {
    let counts = review::Entity::find()
        .select_only()
        .column(review::Column::ProductId)
        .column(review::Column::Rating)
        .column_as(review::Column::Id.count(), "reviews")
        .filter(review::Column::Status.eq(ModerationStatus::Approved.as_str()))
        .group_by(review::Column::ProductId)
        .group_by(review::Column::Rating)
        .into_model::<RatingCount>()
        .all(conn)
        .await?;
    let mut ratings: HashMap<String, RatingSummary> = HashMap::new();
    for row in counts {
        let stars = Stars::parse(i32::from(row.rating))
            .map_err(|_| anyhow::anyhow!("stored rating {} out of range", row.rating))?;
        ratings
            .entry(row.product_id)
            .or_default()
            .apply(stars, row.reviews);
    }
    Ok(ratings)
}

/// Every stored rating, including zeroed ones (audits and tests).
pub async fn stored_ratings(
    conn: &impl ConnectionTrait,
) -> Result<HashMap<String, RatingSummary>, ReviewError> {
    let rows = product_rating::Entity::find().all(conn).await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.product_id.clone(), RatingSummary::from(row)))
        .collect())
}

/// One page of a product's approved reviews, newest first.
pub async fn approved_page(
    conn: &impl ConnectionTrait,
    product_id: &str,
    request: &PageRequest,
) -> Result<Page<Review>, ReviewError> {
    let select = review::Entity::find()
        .filter(review::Column::ProductId.eq(product_id))
        .filter(review::Column::Status.eq(ModerationStatus::Approved.as_str()));
    let rows = keyset(select, Chronology::NewestFirst, request)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(to_reviews(rows)?, request))
}

/// One page of the reviews in `status`, oldest first (the moderation queue).
pub async fn page_by_status(
    conn: &impl ConnectionTrait,
    status: ModerationStatus,
    request: &PageRequest,
) -> Result<Page<Review>, ReviewError> {
    let select = review::Entity::find().filter(review::Column::Status.eq(status.as_str()));
    let rows = keyset(select, Chronology::OldestFirst, request)?
        .all(conn)
        .await?;
    Ok(Page::from_rows(to_reviews(rows)?, request))
}

pub async fn count_by_status(
    conn: &impl ConnectionTrait,
    status: ModerationStatus,
) -> Result<i64, ReviewError> {
    let count = review::Entity::find()
        .filter(review::Column::Status.eq(status.as_str()))
        .count(conn)
        .await?;
    Ok(i64::try_from(count).map_err(anyhow::Error::from)?)
}

/// Restricts, orders and limits `select` for one keyset page in `chronology`.
fn keyset(
    mut select: Select<review::Entity>,
    chronology: Chronology,
    request: &PageRequest,
) -> Result<Select<review::Entity>, ReviewError> {
    // Reading backward walks the display order in reverse; `Page::from_rows` flips it back.
    let descending =
        (chronology == Chronology::NewestFirst) == (request.direction == Direction::Forward);
    if let Some(cursor) = &request.cursor {
        select = select.filter(beyond(cursor, descending)?);
    }
    if let Some(bound) = &request.bound {
        select = select.filter(beyond(bound, !descending)?);
    }
    let order = if descending { Order::Desc } else { Order::Asc };
    Ok(select
        .order_by(review::Column::CreatedAt, order.clone())
        .order_by(review::Column::Id, order)
        .limit(request.fetch_limit()))
}

/// The rows strictly after `cursor` when reading in descending (or ascending) order.
fn beyond(cursor: &Cursor, descending: bool) -> Result<Condition, ReviewError> {
    use review::Column as C;
    let (at, id) = decode_cursor(cursor)?;
    let (earlier_or_later, next_id) = if descending {
        (C::CreatedAt.lt(at), C::Id.lt(id))
    } else {
        (C::CreatedAt.gt(at), C::Id.gt(id))
    };
    Ok(Condition::any()
        .add(earlier_or_later)
        .add(Condition::all().add(C::CreatedAt.eq(at)).add(next_id)))
}

/// The newest `limit` approved reviews of each product, in one query for the whole batch: a
/// window function numbers each product's reviews (SQLite ≥ 3.25 and PostgreSQL).
pub async fn latest_approved(
    conn: &impl ConnectionTrait,
    product_ids: &[String],
    limit: u64,
) -> Result<HashMap<String, Vec<Review>>, ReviewError> {
    let rank = Alias::new("row_rank");
    let ranked = Query::select()
        .columns(review::Column::iter())
        .expr_as(
            Expr::cust(
                "ROW_NUMBER() OVER (PARTITION BY product_id ORDER BY created_at DESC, id DESC)",
            ),
            rank.clone(),
        )
        .from(review::Entity)
        .and_where(review::Column::ProductId.is_in(product_ids.iter().cloned()))
        .and_where(review::Column::Status.eq(ModerationStatus::Approved.as_str()))
        .to_owned();
    let query = Query::select()
        .column(Asterisk)
        .from_subquery(ranked, Alias::new("ranked"))
        .and_where(Expr::col(rank.clone()).lte(limit))
        .order_by(review::Column::ProductId, Order::Asc)
        .order_by(rank, Order::Asc)
        .to_owned();
    let rows = review::Entity::find()
        .from_raw_sql(conn.get_database_backend().build(&query))
        .all(conn)
        .await?;
    let mut by_product: HashMap<String, Vec<Review>> = HashMap::new();
    for review in to_reviews(rows)? {
        by_product
            .entry(review.product_id.clone())
            .or_default()
            .push(review);
    }
    Ok(by_product)
}

/// Whether any review exists (demo seeding is idempotent).
pub async fn any_review(conn: &impl ConnectionTrait) -> Result<bool, ReviewError> {
    Ok(review::Entity::find().one(conn).await?.is_some())
}
