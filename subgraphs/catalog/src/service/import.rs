//! Bulk product import from JSON Lines or CSV. Each row is one product with its variants and
//! is imported in its own savepoint: a bad row (unparsable, invalid, unknown reference,
//! taken slug or SKU) is reported with its line number and leaves nothing behind, while the
//! good rows are committed together.

use std::collections::{BTreeMap, HashMap};

use commerce_kernel::db::begin_write;
use serde::Deserialize;

use super::writes::insert_checked;
use super::{CatalogError, CatalogService};
use crate::domain::events::{ProductChange, ProductChanged};
use crate::domain::{
    Attribute, ImageUrl, NewProduct, NewVariant, ProductStatus, Sku, Slug, Text, ValidationError,
};
use crate::store;

/// Largest import accepted in one call.
pub const MAX_ROWS: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportFormat {
    JsonLines,
    Csv,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportRowError {
    /// 1-based line of the row in the input (the CSV header is line 1).
    pub line: u64,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    pub created_ids: Vec<i64>,
    pub errors: Vec<ImportRowError>,
}

/// One product as imported. In CSV, lists are written `a|b`, name/value pairs `k=v;k=v`,
/// and variants `SKU:size=M;colour=Blue|SKU2:size=L`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportRow {
    slug: Option<String>,
    name: String,
    #[serde(default)]
    description: String,
    status: Option<String>,
    /// A category slug.
    category: Option<String>,
    #[serde(default)]
    attributes: BTreeMap<String, OneOrMany>,
    #[serde(default)]
    images: Vec<String>,
    /// Collection slugs.
    #[serde(default)]
    collections: Vec<String>,
    #[serde(default)]
    variants: Vec<ImportVariant>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportVariant {
    sku: String,
    name: Option<String>,
    #[serde(default)]
    options: BTreeMap<String, String>,
}

/// The flat CSV shape of [`ImportRow`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvRow {
    slug: Option<String>,
    name: String,
    #[serde(default)]
    description: String,
    status: Option<String>,
    category: Option<String>,
    #[serde(default)]
    attributes: String,
    #[serde(default)]
    images: String,
    #[serde(default)]
    collections: String,
    #[serde(default)]
    variants: String,
}

type ParsedRow = (u64, Result<ImportRow, String>);

fn parse_rows(format: ImportFormat, data: &str) -> Result<Vec<ParsedRow>, ValidationError> {
    let rows = match format {
        ImportFormat::JsonLines => parse_json_lines(data),
        ImportFormat::Csv => parse_csv(data)?,
    };
    if rows.len() > MAX_ROWS {
        return Err(ValidationError::new(
            "data",
            format!("at most {MAX_ROWS} rows per import, got {}", rows.len()),
        ));
    }
    Ok(rows)
}

fn parse_json_lines(data: &str) -> Vec<ParsedRow> {
    data.lines()
        .zip(1..)
        .filter(|(line, _)| !line.trim().is_empty())
        .map(|(line, number)| {
            let row = serde_json::from_str(line).map_err(|error| format!("invalid JSON: {error}"));
            (number, row)
        })
        .collect()
}

fn parse_csv(data: &str) -> Result<Vec<ParsedRow>, ValidationError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(data.as_bytes());
    let headers = reader
        .headers()
        .map_err(|error| ValidationError::new("data", format!("unreadable CSV header: {error}")))?
        .clone();
    Ok(reader
        .records()
        .zip(2..)
        .map(|(record, fallback)| match record {
            Ok(record) => {
                let line = record.position().map_or(fallback, csv::Position::line);
                let row = record
                    .deserialize::<CsvRow>(Some(&headers))
                    .map_err(|error| format!("invalid CSV row: {error}"))
                    .and_then(csv_row);
                (line, row)
            }
            Err(error) => {
                let line = error.position().map_or(fallback, csv::Position::line);
                (line, Err(format!("invalid CSV row: {error}")))
            }
        })
        .collect())
}

/// Unflattens a CSV row.
fn csv_row(row: CsvRow) -> Result<ImportRow, String> {
    let attributes = pairs(&row.attributes)?
        .into_iter()
        .map(|(name, value)| (name, OneOrMany::One(value)))
        .collect();
    let variants = split_list(&row.variants)
        .map(|variant| {
            let (sku, options) = variant.split_once(':').unwrap_or((variant, ""));
            Ok(ImportVariant {
                sku: sku.trim().to_owned(),
                name: None,
                options: pairs(options)?.into_iter().collect(),
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(ImportRow {
        slug: row.slug.filter(|s| !s.is_empty()),
        name: row.name,
        description: row.description,
        status: row.status.filter(|s| !s.is_empty()),
        category: row.category.filter(|s| !s.is_empty()),
        attributes,
        images: split_list(&row.images).map(str::to_owned).collect(),
        collections: split_list(&row.collections).map(str::to_owned).collect(),
        variants,
    })
}

fn split_list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split('|')
        .map(str::trim)
        .filter(|part| !part.is_empty())
}

/// `k=v;k=v` → pairs.
fn pairs(cell: &str) -> Result<Vec<(String, String)>, String> {
    cell.split(';')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .ok_or_else(|| format!("{part:?} is not name=value"))
        })
        .collect()
}

/// Slug lookups for one import, each slug read at most once.
struct References {
    categories: HashMap<String, i64>,
    collections: HashMap<String, Option<i64>>,
}

impl ImportRow {
    async fn into_new_product(
        self,
        catalog: &CatalogService,
        refs: &mut References,
    ) -> Result<NewProduct, CatalogError> {
        let name = Text::name("name", &self.name)?;
        let slug = match &self.slug {
            Some(slug) => Slug::parse("slug", slug)?,
            None => Slug::from_text(name.as_str()).ok_or_else(|| {
                ValidationError::new("slug", "cannot derive a slug from the name")
            })?,
        };
        let category_id = match &self.category {
            Some(slug) => Some(*refs.categories.get(slug).ok_or_else(|| {
                ValidationError::new("category", format!("no category with slug {slug:?}"))
            })?),
            None => None,
        };
        let mut collection_ids = Vec::new();
        for slug in &self.collections {
            collection_ids.push(refs.collection(catalog, slug).await?);
        }
        let attribute_pairs = self.attributes.iter().flat_map(|(name, values)| {
            let values = match values {
                OneOrMany::One(value) => std::slice::from_ref(value),
                OneOrMany::Many(values) => values.as_slice(),
            };
            values
                .iter()
                .map(move |value| (name.as_str(), value.as_str()))
        });
        let new = NewProduct {
            slug,
            name,
            description: Text::description("description", &self.description)?,
            status: ProductStatus::parse("status", self.status.as_deref().unwrap_or("draft"))?,
            category_id,
            attributes: Attribute::parse_list("attributes", attribute_pairs)?,
            image_urls: self
                .images
                .iter()
                .map(|url| ImageUrl::parse("images", url))
                .collect::<Result<_, _>>()?,
            collection_ids,
            variants: self
                .variants
                .iter()
                .enumerate()
                .map(import_variant)
                .collect::<Result<_, _>>()?,
        };
        new.check()?;
        Ok(new)
    }
}

fn import_variant(
    (index, variant): (usize, &ImportVariant),
) -> Result<NewVariant, ValidationError> {
    let field = format!("variants[{index}]");
    let sku = Sku::parse(&format!("{field}.sku"), &variant.sku)?;
    let name = variant
        .name
        .as_deref()
        .map(|name| Text::name(&format!("{field}.name"), name))
        .transpose()?;
    let options = variant
        .options
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let options = Attribute::parse_list(&format!("{field}.options"), options)?;
    Ok(NewVariant::new(sku, name, options))
}

impl References {
    async fn collection(
        &mut self,
        catalog: &CatalogService,
        slug: &str,
    ) -> Result<i64, CatalogError> {
        if !self.collections.contains_key(slug) {
            let found = catalog.collection_by_slug(slug).await?.map(|c| c.id);
            self.collections.insert(slug.to_owned(), found);
        }
        self.collections[slug].ok_or_else(|| {
            ValidationError::new("collections", format!("no collection with slug {slug:?}")).into()
        })
    }
}

impl CatalogService {
    /// Imports every good row; bad rows are reported and leave nothing behind.
    pub async fn import_products(
        &self,
        format: ImportFormat,
        data: &str,
    ) -> Result<ImportReport, CatalogError> {
        let rows = parse_rows(format, data)?;
        let categories = store::all_categories(&self.db).await?;
        let mut refs = References {
            categories: categories.into_iter().map(|c| (c.slug, c.id)).collect(),
            collections: HashMap::new(),
        };
        let mut report = ImportReport {
            created_ids: Vec::new(),
            errors: Vec::new(),
        };
        let mut slugs = Vec::new();
        let txn = begin_write(&self.db).await?;
        for (line, row) in rows {
            let outcome = match row {
                Ok(row) => self.import_row(&txn, row, &mut refs).await,
                Err(message) => Err(RowFailure::Rejected(message)),
            };
            match outcome {
                Ok((id, slug, category_id)) => {
                    report.created_ids.push(id);
                    slugs.push((slug, category_id));
                }
                Err(RowFailure::Rejected(message)) => {
                    report.errors.push(ImportRowError { line, message })
                }
                Err(RowFailure::Fatal(error)) => return Err(error),
            }
        }
        let created = report
            .created_ids
            .iter()
            .zip(&slugs)
            .map(|(&id, (slug, category_id))| {
                ProductChanged::new(id, ProductChange::Created, &[slug.as_str()])
                    .with_category(*category_id)
                    .into()
            })
            .collect();
        self.commit(txn, created).await?;
        Ok(report)
    }

    async fn import_row(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        row: ImportRow,
        refs: &mut References,
    ) -> Result<(i64, String, Option<i64>), RowFailure> {
        let new = row
            .into_new_product(self, refs)
            .await
            .map_err(RowFailure::from)?;
        let savepoint = begin_write(txn)
            .await
            .map_err(|e| RowFailure::Fatal(e.into()))?;
        match insert_checked(&savepoint, &new).await {
            Ok(id) => {
                savepoint
                    .commit()
                    .await
                    .map_err(|e| RowFailure::Fatal(e.into()))?;
                Ok((id, new.slug.as_str().to_owned(), new.category_id))
            }
            Err(error) => {
                savepoint
                    .rollback()
                    .await
                    .map_err(|e| RowFailure::Fatal(e.into()))?;
                Err(error.into())
            }
        }
    }
}

/// A row the client can fix, or a failure that aborts the whole import.
enum RowFailure {
    Rejected(String),
    Fatal(CatalogError),
}

impl From<CatalogError> for RowFailure {
    fn from(error: CatalogError) -> Self {
        match error {
            CatalogError::Database(_) => Self::Fatal(error),
            client => Self::Rejected(client.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_unflatten_lists_pairs_and_variants() {
        let data = "slug,name,attributes,images,collections,variants\n\
                    tee,Tee,brand=Acme;material=Cotton,https://i.example/t.jpg,summer|sale,TEE-M:size=M|TEE-L:size=L\n\
                    bad,Bad,brand,,,\n";
        let rows = parse_rows(ImportFormat::Csv, data).expect("readable");
        assert_eq!(rows.len(), 2);
        let (line, row) = &rows[0];
        let row = row.as_ref().expect("valid row");
        assert_eq!(*line, 2);
        assert_eq!(row.collections, vec!["summer", "sale"]);
        assert_eq!(row.variants.len(), 2);
        assert_eq!(
            row.variants[1].options.get("size").map(String::as_str),
            Some("L")
        );
        assert_eq!(rows[1].0, 3);
        assert!(rows[1].1.as_ref().is_err_and(|e| e.contains("name=value")));
    }

    #[test]
    fn json_lines_report_the_line_of_a_bad_row() {
        let data = "{\"name\":\"Tee\"}\n\n{\"name\":\"Cap\",\"colour\":1}\n";
        let rows = parse_rows(ImportFormat::JsonLines, data).expect("readable");
        assert_eq!(rows.len(), 2);
        assert!(rows[0].1.is_ok());
        assert_eq!(rows[1].0, 3);
        assert!(
            rows[1]
                .1
                .as_ref()
                .is_err_and(|e| e.contains("unknown field"))
        );
    }
}
