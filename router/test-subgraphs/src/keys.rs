//! Subgraphs for compound, nested and multiple keys: catalog owns products and accounts,
//! pricing resolves `Product` by `sku`, `Account` by `id org { id }` and `Variant` by
//! `productId color`; stock resolves `Product` by `id` and owns variants.

use async_graphql::{
    EmptyMutation, EmptySubscription, ID, InputObject, Object, Schema, SimpleObject,
};

#[derive(SimpleObject, Clone)]
pub struct Org {
    id: ID,
}

#[derive(InputObject)]
pub struct OrgKey {
    id: ID,
}

pub struct CatalogProduct(u32);

#[Object(name = "Product")]
impl CatalogProduct {
    async fn id(&self) -> ID {
        ID(format!("p{}", self.0))
    }
    async fn sku(&self) -> String {
        format!("SKU-{}", self.0)
    }
    async fn name(&self) -> String {
        format!("Product {}", self.0)
    }
}

#[derive(SimpleObject)]
#[graphql(name = "Account")]
pub struct CatalogAccount {
    id: ID,
    org: Org,
    email: String,
}

pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    async fn products(&self) -> Vec<CatalogProduct> {
        vec![CatalogProduct(1), CatalogProduct(2)]
    }
    async fn accounts(&self) -> Vec<CatalogAccount> {
        ["acme", "globex"]
            .iter()
            .map(|org| CatalogAccount {
                id: ID("a1".into()),
                org: Org {
                    id: ID((*org).into()),
                },
                email: format!("a1@{org}.test"),
            })
            .collect()
    }
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> CatalogProduct {
        CatalogProduct(id.trim_start_matches('p').parse().unwrap_or(0))
    }
}

pub fn catalog() -> Schema<CatalogQuery, EmptyMutation, EmptySubscription> {
    Schema::build(CatalogQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}

#[derive(SimpleObject)]
#[graphql(name = "Product")]
pub struct PricingProduct {
    sku: String,
    price: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "Account")]
pub struct PricingAccount {
    id: ID,
    org: Org,
    credit: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "Variant")]
pub struct PricingVariant {
    product_id: ID,
    color: String,
    price: i32,
}

pub struct PricingQuery;

#[Object]
impl PricingQuery {
    #[graphql(entity)]
    async fn find_product_by_sku(&self, sku: String) -> PricingProduct {
        let price = sku.len() as i32 * 10;
        PricingProduct { sku, price }
    }
    #[graphql(entity)]
    async fn find_account(&self, id: ID, org: OrgKey) -> PricingAccount {
        // Credit differs per org: proves the whole nested key reached the subgraph.
        let credit = if org.id.0 == "acme" { 100 } else { 7 };
        PricingAccount {
            id,
            org: Org { id: org.id },
            credit,
        }
    }
    #[graphql(entity)]
    async fn find_variant(&self, product_id: ID, color: String) -> PricingVariant {
        let price = if color == "red" { 11 } else { 12 };
        PricingVariant {
            product_id,
            color,
            price,
        }
    }
}

pub fn pricing() -> Schema<PricingQuery, EmptyMutation, EmptySubscription> {
    Schema::build(PricingQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}

#[derive(SimpleObject)]
#[graphql(name = "Product")]
pub struct StockProduct {
    id: ID,
    stock: i32,
}

#[derive(SimpleObject)]
#[graphql(name = "Variant")]
pub struct StockVariant {
    product_id: ID,
    color: String,
    available: bool,
}

pub struct StockQuery;

#[Object]
impl StockQuery {
    async fn variants(&self) -> Vec<StockVariant> {
        ["red", "blue"]
            .iter()
            .map(|c| StockVariant {
                product_id: ID("p1".into()),
                color: (*c).to_string(),
                available: *c == "red",
            })
            .collect()
    }
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> StockProduct {
        let stock = if id.0 == "p1" { 5 } else { 0 };
        StockProduct { id, stock }
    }
}

pub fn stock() -> Schema<StockQuery, EmptyMutation, EmptySubscription> {
    Schema::build(StockQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}
