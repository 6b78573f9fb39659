//! The classic accounts/products/inventory/reviews subgraphs (also the benchmark's shape):
//! products `@key(fields: "upc")`, inventory `@requires(fields: "price weight")`,
//! reviews `@provides(fields: "username")` and links to `User` and `Product`.

use std::sync::Arc;

use async_graphql::{Context, EmptyMutation, EmptySubscription, ID, Object, Result, Schema};

#[derive(Clone)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub username: String,
}

#[derive(Clone)]
pub struct ProductRow {
    pub upc: String,
    pub name: String,
    pub price: i32,
    pub weight: i32,
}

#[derive(Clone)]
pub struct ReviewRow {
    pub id: String,
    pub body: String,
    pub author: String,
    pub product: String,
}

pub struct Dataset {
    pub users: Vec<UserRow>,
    pub products: Vec<ProductRow>,
    pub reviews: Vec<ReviewRow>,
}

impl Dataset {
    /// A deterministic dataset: `products` products, each reviewed by `reviews_per_product`
    /// users taken round-robin from `users`.
    pub fn generate(users: usize, products: usize, reviews_per_product: usize) -> Arc<Self> {
        Self::generate_with_body_suffix(users, products, reviews_per_product, "")
    }

    /// `generate` with `suffix` appended to every review body (sizes the benchmark response).
    pub fn generate_with_body_suffix(
        users: usize,
        products: usize,
        reviews_per_product: usize,
        suffix: &str,
    ) -> Arc<Self> {
        let users: Vec<UserRow> = (1..=users)
            .map(|i| UserRow {
                id: i.to_string(),
                name: format!("User {i}"),
                username: format!("@user{i}"),
            })
            .collect();
        let products: Vec<ProductRow> = (1..=products)
            .map(|i| ProductRow {
                upc: i.to_string(),
                name: format!("Product {i}"),
                price: (i as i32) * 450,
                weight: (i as i32) * 100,
            })
            .collect();
        let mut reviews = Vec::new();
        for (p, product) in products.iter().enumerate() {
            for r in 0..reviews_per_product {
                let author = &users[(p * reviews_per_product + r) % users.len()];
                reviews.push(ReviewRow {
                    id: (reviews.len() + 1).to_string(),
                    body: format!("Review {} of {}{suffix}", r + 1, product.name),
                    author: author.id.clone(),
                    product: product.upc.clone(),
                });
            }
        }
        Arc::new(Self {
            users,
            products,
            reviews,
        })
    }

    fn user(&self, id: &str) -> Option<&UserRow> {
        self.users.iter().find(|u| u.id == id)
    }
    fn product(&self, upc: &str) -> Option<&ProductRow> {
        self.products.iter().find(|p| p.upc == upc)
    }
}

fn data<'c>(ctx: &Context<'c>) -> &'c Arc<Dataset> {
    ctx.data_unchecked::<Arc<Dataset>>()
}

// ---- accounts ----

pub struct User(UserRow);

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn username(&self) -> &str {
        &self.0.username
    }
    async fn birthday(&self) -> i32 {
        1815
    }
}

pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    async fn me(&self, ctx: &Context<'_>) -> Option<User> {
        data(ctx).users.first().cloned().map(User)
    }
    async fn user(&self, ctx: &Context<'_>, id: ID) -> Option<User> {
        data(ctx).user(&id).cloned().map(User)
    }
    async fn users(&self, ctx: &Context<'_>) -> Vec<User> {
        data(ctx).users.iter().cloned().map(User).collect()
    }
    #[graphql(entity)]
    async fn find_user_by_id(&self, ctx: &Context<'_>, id: ID) -> Option<User> {
        data(ctx).user(&id).cloned().map(User)
    }
}

pub fn accounts(data: Arc<Dataset>) -> Schema<AccountsQuery, EmptyMutation, EmptySubscription> {
    Schema::build(AccountsQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .data(data)
        .finish()
}

// ---- products ----

pub struct Product(ProductRow);

#[Object]
impl Product {
    async fn upc(&self) -> &str {
        &self.0.upc
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn price(&self) -> i32 {
        self.0.price
    }
    async fn weight(&self) -> i32 {
        self.0.weight
    }
    async fn notes(&self) -> Result<Option<String>> {
        Err("notes are unavailable".into())
    }
}

pub struct ProductsQuery;

#[Object]
impl ProductsQuery {
    async fn top_products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 5)] first: i32,
    ) -> Vec<Product> {
        let n = usize::try_from(first).unwrap_or(0);
        data(ctx)
            .products
            .iter()
            .take(n)
            .cloned()
            .map(Product)
            .collect()
    }
    #[graphql(entity)]
    async fn find_product_by_upc(&self, ctx: &Context<'_>, upc: String) -> Option<Product> {
        data(ctx).product(&upc).cloned().map(Product)
    }
}

pub fn products(data: Arc<Dataset>) -> Schema<ProductsQuery, EmptyMutation, EmptySubscription> {
    Schema::build(ProductsQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .data(data)
        .finish()
}

// ---- inventory ----

pub struct InventoryProduct {
    upc: String,
    price: Option<i32>,
    weight: Option<i32>,
}

#[Object(name = "Product")]
impl InventoryProduct {
    async fn upc(&self) -> &str {
        &self.upc
    }
    async fn in_stock(&self) -> bool {
        self.upc != "2"
    }
    /// Needs `price` and `weight` from the products subgraph (`@requires`).
    async fn shipping_estimate(&self) -> Result<i32> {
        match (self.price, self.weight) {
            (Some(price), _) if price > 1000 => Ok(0),
            (Some(_), Some(weight)) => Ok(weight / 2),
            _ => Err("price and weight are required".into()),
        }
    }
}

pub struct InventoryQuery;

#[Object]
impl InventoryQuery {
    #[graphql(entity)]
    async fn find_product_by_upc(
        &self,
        #[graphql(key)] upc: String,
        price: Option<i32>,
        weight: Option<i32>,
    ) -> InventoryProduct {
        InventoryProduct { upc, price, weight }
    }
}

pub fn inventory() -> Schema<InventoryQuery, EmptyMutation, EmptySubscription> {
    Schema::build(InventoryQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .finish()
}

// ---- reviews ----

pub struct Review(ReviewRow);

#[Object]
impl Review {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn author(&self, ctx: &Context<'_>) -> ReviewUser {
        let username = data(ctx).user(&self.0.author).map(|u| u.username.clone());
        ReviewUser {
            id: self.0.author.clone(),
            username,
        }
    }
    async fn product(&self) -> ReviewProduct {
        ReviewProduct {
            upc: self.0.product.clone(),
        }
    }
}

pub struct ReviewUser {
    id: String,
    username: Option<String>,
}

#[Object(name = "User")]
impl ReviewUser {
    async fn id(&self) -> ID {
        ID(self.id.clone())
    }
    /// Provided by `Review.author @provides(fields: "username")`.
    async fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }
    async fn reviews(&self, ctx: &Context<'_>) -> Vec<Review> {
        data(ctx)
            .reviews
            .iter()
            .filter(|r| r.author == self.id)
            .cloned()
            .map(Review)
            .collect()
    }
}

pub struct ReviewProduct {
    upc: String,
}

#[Object(name = "Product")]
impl ReviewProduct {
    async fn upc(&self) -> &str {
        &self.upc
    }
    async fn reviews(&self, ctx: &Context<'_>) -> Vec<Review> {
        data(ctx)
            .reviews
            .iter()
            .filter(|r| r.product == self.upc)
            .cloned()
            .map(Review)
            .collect()
    }
}

pub struct ReviewsQuery;

#[Object]
impl ReviewsQuery {
    #[graphql(entity)]
    async fn find_user_by_id(&self, id: ID) -> ReviewUser {
        ReviewUser {
            id: id.0,
            username: None,
        }
    }
    #[graphql(entity)]
    async fn find_product_by_upc(&self, upc: String) -> ReviewProduct {
        ReviewProduct { upc }
    }
    #[graphql(entity)]
    async fn find_review_by_id(&self, ctx: &Context<'_>, id: ID) -> Option<Review> {
        data(ctx)
            .reviews
            .iter()
            .find(|r| r.id == id.0)
            .cloned()
            .map(Review)
    }
}

pub fn reviews(data: Arc<Dataset>) -> Schema<ReviewsQuery, EmptyMutation, EmptySubscription> {
    Schema::build(ReviewsQuery, EmptyMutation, EmptySubscription)
        .enable_federation()
        .data(data)
        .finish()
}
