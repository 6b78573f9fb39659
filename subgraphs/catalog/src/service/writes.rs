//! Staff writes. Each runs in one transaction with its event (see `events`); references
//! (category, collections, products) are checked first so a bad id is a clear NOT_FOUND.

use chrono::Utc;
use commerce_kernel::db::begin_write;
use sea_orm::ConnectionTrait;

use super::{CatalogError, CatalogService};
use crate::domain::events::{
    CategoryChanged, CollectionChanged, EntityChange, ProductChange, ProductChanged,
};
use crate::domain::{
    Category, Collection, NewCategory, NewCollection, NewProduct, NewVariant, Product,
    ProductPatch, Slug, Text, Variant, VariantPatch,
};
use crate::store;

/// Changes to a category; `parent_id: Some(None)` makes it a root.
#[derive(Debug, Clone, Default)]
pub struct CategoryChange {
    pub slug: Option<Slug>,
    pub name: Option<Text>,
    pub position: Option<i32>,
    pub parent_id: Option<Option<i64>>,
}

#[derive(Debug, Clone, Default)]
pub struct CollectionChange {
    pub slug: Option<Slug>,
    pub name: Option<Text>,
    pub description: Option<Text>,
}

impl CatalogService {
    pub async fn create_product(&self, new: &NewProduct) -> Result<Product, CatalogError> {
        new.check()?;
        let txn = begin_write(&self.db).await?;
        let id = insert_checked(&txn, new).await?;
        let created = ProductChanged::new(id, ProductChange::Created, &[new.slug.as_str()])
            .with_category(new.category_id);
        self.commit(txn, vec![created.into()]).await?;
        self.require_product(id).await
    }

    pub async fn update_product(
        &self,
        id: i64,
        patch: &ProductPatch,
    ) -> Result<Product, CatalogError> {
        let txn = begin_write(&self.db).await?;
        let current = store::find_products(&txn, &[id]).await?.pop();
        let current = current.ok_or(CatalogError::NotFound {
            entity: "product",
            id,
        })?;
        if let Some(Some(category_id)) = patch.category_id {
            ensure_category(&txn, category_id).await?;
        }
        if let Some(collection_ids) = &patch.collection_ids {
            ensure_collections(&txn, collection_ids).await?;
        }
        store::update_product(&txn, id, patch, Utc::now()).await?;
        let new_slug = patch
            .slug
            .as_ref()
            .map_or(current.slug.as_str(), Slug::as_str);
        let slugs = [current.slug.as_str(), new_slug];
        let category_id = patch.category_id.unwrap_or(current.category_id);
        let updated =
            ProductChanged::new(id, ProductChange::Updated, &slugs).with_category(category_id);
        self.commit(txn, vec![updated.into()]).await?;
        self.require_product(id).await
    }

    pub async fn delete_product(&self, id: i64) -> Result<(), CatalogError> {
        let txn = begin_write(&self.db).await?;
        let current = store::find_products(&txn, &[id]).await?.pop();
        let current = current.ok_or(CatalogError::NotFound {
            entity: "product",
            id,
        })?;
        store::delete_product(&txn, id).await?;
        let deleted = ProductChanged::new(id, ProductChange::Deleted, &[current.slug.as_str()]);
        self.commit(txn, vec![deleted.into()]).await
    }

    pub async fn create_variant(
        &self,
        product_id: i64,
        new: &NewVariant,
    ) -> Result<Variant, CatalogError> {
        let txn = begin_write(&self.db).await?;
        if store::find_products(&txn, &[product_id]).await?.is_empty() {
            return Err(CatalogError::NotFound {
                entity: "product",
                id: product_id,
            });
        }
        let id = store::insert_variant(&txn, product_id, new, Utc::now()).await?;
        let created = ProductChanged::of_variant(product_id, id, ProductChange::VariantCreated);
        self.commit(txn, vec![created.into()]).await?;
        self.require_variant(id).await
    }

    pub async fn update_variant(
        &self,
        id: i64,
        patch: &VariantPatch,
    ) -> Result<Variant, CatalogError> {
        let txn = begin_write(&self.db).await?;
        let product_id = store::update_variant(&txn, id, patch, Utc::now()).await?;
        let product_id = product_id.ok_or(CatalogError::NotFound {
            entity: "variant",
            id,
        })?;
        let updated = ProductChanged::of_variant(product_id, id, ProductChange::VariantUpdated);
        self.commit(txn, vec![updated.into()]).await?;
        self.require_variant(id).await
    }

    pub async fn delete_variant(&self, id: i64) -> Result<(), CatalogError> {
        let txn = begin_write(&self.db).await?;
        let product_id = store::delete_variant(&txn, id, Utc::now()).await?;
        let product_id = product_id.ok_or(CatalogError::NotFound {
            entity: "variant",
            id,
        })?;
        let deleted = ProductChanged::of_variant(product_id, id, ProductChange::VariantDeleted);
        self.commit(txn, vec![deleted.into()]).await
    }

    pub async fn create_category(&self, new: &NewCategory) -> Result<Category, CatalogError> {
        let txn = begin_write(&self.db).await?;
        let parent = match new.parent_id {
            Some(parent_id) => Some(ensure_category(&txn, parent_id).await?),
            None => None,
        };
        let id = store::insert_category(&txn, new, parent.as_ref().map(|p| &p.path)).await?;
        let created = CategoryChanged::new(id, EntityChange::Created).named(new.name.as_str());
        self.commit(txn, vec![created.into()]).await?;
        self.require_category(id).await
    }

    pub async fn update_category(
        &self,
        id: i64,
        change: &CategoryChange,
    ) -> Result<Category, CatalogError> {
        let txn = begin_write(&self.db).await?;
        let category = ensure_category(&txn, id).await?;
        let (slug, name) = (change.slug.as_ref(), change.name.as_ref());
        store::rename_category(&txn, id, slug, name, change.position).await?;
        if let Some(parent_id) = change.parent_id {
            let parent = match parent_id {
                Some(parent_id) => Some(ensure_category(&txn, parent_id).await?),
                None => None,
            };
            if parent
                .as_ref()
                .is_some_and(|p| p.path.is_within(&category.path))
            {
                return Err(CatalogError::CategoryCycle);
            }
            store::move_category(&txn, &category, parent.as_ref()).await?;
        }
        let name = change
            .name
            .as_ref()
            .map_or(category.name.as_str(), Text::as_str);
        let updated = CategoryChanged::new(id, EntityChange::Updated).named(name);
        self.commit(txn, vec![updated.into()]).await?;
        self.require_category(id).await
    }

    pub async fn delete_category(&self, id: i64) -> Result<(), CatalogError> {
        let txn = begin_write(&self.db).await?;
        ensure_category(&txn, id).await?;
        if store::has_children(&txn, id).await? {
            return Err(CatalogError::CategoryHasChildren { id });
        }
        let products = store::product_ids_in_category(&txn, id).await?;
        store::delete_category(&txn, id).await?;
        // Its products lose their category.
        let mut changes = vec![CategoryChanged::new(id, EntityChange::Deleted).into()];
        changes.extend(products.iter().map(|&product| {
            ProductChanged::new(product, ProductChange::Updated, &[])
                .with_category(None)
                .into()
        }));
        self.commit(txn, changes).await
    }

    pub async fn create_collection(
        &self,
        new: &NewCollection,
        product_ids: &[i64],
    ) -> Result<Collection, CatalogError> {
        let txn = begin_write(&self.db).await?;
        ensure_products(&txn, product_ids).await?;
        let id = store::insert_collection(&txn, new, Utc::now()).await?;
        store::add_to_collection(&txn, id, product_ids).await?;
        let created = CollectionChanged::new(id, EntityChange::Created, product_ids);
        self.commit(txn, vec![created.into()]).await?;
        self.require_collection(id).await
    }

    pub async fn update_collection(
        &self,
        id: i64,
        change: &CollectionChange,
    ) -> Result<Collection, CatalogError> {
        let (slug, name, description) = (
            change.slug.as_ref(),
            change.name.as_ref(),
            change.description.as_ref(),
        );
        let txn = begin_write(&self.db).await?;
        if !store::update_collection(&txn, id, slug, name, description).await? {
            return Err(CatalogError::NotFound {
                entity: "collection",
                id,
            });
        }
        let updated = CollectionChanged::new(id, EntityChange::Updated, &[]);
        self.commit(txn, vec![updated.into()]).await?;
        self.require_collection(id).await
    }

    pub async fn delete_collection(&self, id: i64) -> Result<(), CatalogError> {
        let txn = begin_write(&self.db).await?;
        if !store::delete_collection(&txn, id).await? {
            return Err(CatalogError::NotFound {
                entity: "collection",
                id,
            });
        }
        let deleted = CollectionChanged::new(id, EntityChange::Deleted, &[]);
        self.commit(txn, vec![deleted.into()]).await
    }

    /// Adds (`add == true`) or removes products; returns the collection.
    pub async fn change_collection_products(
        &self,
        id: i64,
        product_ids: &[i64],
        add: bool,
    ) -> Result<Collection, CatalogError> {
        let txn = begin_write(&self.db).await?;
        ensure_collections(&txn, &[id]).await?;
        let change = if add {
            ensure_products(&txn, product_ids).await?;
            store::add_to_collection(&txn, id, product_ids).await?;
            EntityChange::ProductsAdded
        } else {
            store::remove_from_collection(&txn, id, product_ids).await?;
            EntityChange::ProductsRemoved
        };
        let changed = CollectionChanged::new(id, change, product_ids);
        self.commit(txn, vec![changed.into()]).await?;
        self.require_collection(id).await
    }

    async fn require_product(&self, id: i64) -> Result<Product, CatalogError> {
        let found = store::find_products(&self.db, &[id]).await?.pop();
        found.ok_or(CatalogError::NotFound {
            entity: "product",
            id,
        })
    }

    async fn require_variant(&self, id: i64) -> Result<Variant, CatalogError> {
        let found = store::find_variants(&self.db, &[id]).await?.pop();
        found.ok_or(CatalogError::NotFound {
            entity: "variant",
            id,
        })
    }

    async fn require_category(&self, id: i64) -> Result<Category, CatalogError> {
        ensure_category(&self.db, id).await
    }

    async fn require_collection(&self, id: i64) -> Result<Collection, CatalogError> {
        let found = store::find_collections(&self.db, &[id]).await?.pop();
        found.ok_or(CatalogError::NotFound {
            entity: "collection",
            id,
        })
    }
}

/// Checks the product's references, then inserts it (inside the caller's transaction).
pub(super) async fn insert_checked(
    db: &impl ConnectionTrait,
    new: &NewProduct,
) -> Result<i64, CatalogError> {
    if let Some(category_id) = new.category_id {
        ensure_category(db, category_id).await?;
    }
    ensure_collections(db, &new.collection_ids).await?;
    Ok(store::insert_product(db, new, Utc::now()).await?)
}

async fn ensure_category(db: &impl ConnectionTrait, id: i64) -> Result<Category, CatalogError> {
    let found = store::find_categories(db, &[id]).await?.pop();
    found.ok_or(CatalogError::NotFound {
        entity: "category",
        id,
    })
}

async fn ensure_collections(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), CatalogError> {
    let found = store::find_collections(db, ids).await?;
    match ids.iter().find(|id| !found.iter().any(|c| c.id == **id)) {
        Some(&id) => Err(CatalogError::NotFound {
            entity: "collection",
            id,
        }),
        None => Ok(()),
    }
}

async fn ensure_products(db: &impl ConnectionTrait, ids: &[i64]) -> Result<(), CatalogError> {
    let found = store::find_products(db, ids).await?;
    match ids.iter().find(|id| !found.iter().any(|p| p.id == **id)) {
        Some(&id) => Err(CatalogError::NotFound {
            entity: "product",
            id,
        }),
        None => Ok(()),
    }
}
