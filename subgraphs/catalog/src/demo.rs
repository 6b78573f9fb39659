//! Deterministic demo data: a category tree, collections and `products` realistic products
//! with 1-4 variants each. Loaded with multi-row inserts in one transaction (100,000 products
//! take seconds on SQLite), with the events a shop built through the API would have written
//! (each category, product and collection `CREATED`), so consumers such as analytics learn
//! the catalog as they would otherwise; a second call finds the products and returns them
//! unchanged.

use chrono::{DateTime, Duration, TimeZone, Utc};
use commerce_kernel::GlobalId;
use commerce_kernel::db::begin_write;
use commerce_kernel::events::{NewEvent, Outbox};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::AppState;
use crate::domain::events::{
    CategoryChanged, CollectionChanged, EntityChange, ProductChange, ProductChanged,
};
use crate::domain::{
    Attribute, Category, CategoryPath, Collection, Product, ProductStatus, Variant,
};
use crate::store::{self, SeedCatalog};

/// A seeded product's global id and its variants' global ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeededProduct {
    pub id: String,
    pub variant_ids: Vec<String>,
}

/// What a leaf category sells: product nouns, materials and the option variants vary by.
struct Kind {
    nouns: &'static [&'static str],
    materials: &'static [&'static str],
    option: (&'static str, &'static [&'static str]),
    second_option: Option<(&'static str, &'static [&'static str])>,
}

const COLOURS: &[&str] = &[
    "Black", "White", "Navy", "Olive", "Sand", "Red", "Sky Blue", "Charcoal",
];
const CLOTHING: Kind = Kind {
    nouns: &[
        "T-Shirt", "Shirt", "Hoodie", "Sweater", "Jacket", "Jeans", "Chinos", "Dress", "Shorts",
    ],
    materials: &[
        "Cotton",
        "Linen",
        "Merino Wool",
        "Denim",
        "Recycled Polyester",
        "Organic Cotton",
    ],
    option: ("size", &["XS", "S", "M", "L", "XL"]),
    second_option: Some(("colour", COLOURS)),
};
const SHOES: Kind = Kind {
    nouns: &[
        "Sneaker",
        "Runner",
        "Boot",
        "Loafer",
        "Sandal",
        "Trail Shoe",
    ],
    materials: &["Leather", "Suede", "Canvas", "Knit", "Rubber"],
    option: ("size", &["38", "39", "40", "41", "42", "43", "44", "45"]),
    second_option: Some(("colour", COLOURS)),
};
const HOME: Kind = Kind {
    nouns: &[
        "Mug",
        "Plate Set",
        "Duvet Cover",
        "Cushion",
        "Vase",
        "Table Lamp",
        "Throw",
        "Knife Set",
    ],
    materials: &[
        "Stoneware",
        "Porcelain",
        "Linen",
        "Oak",
        "Glass",
        "Steel",
        "Wool",
    ],
    option: ("colour", COLOURS),
    second_option: None,
};
const ELECTRONICS: Kind = Kind {
    nouns: &[
        "Headphones",
        "Speaker",
        "Phone Case",
        "Charger",
        "Earbuds",
        "Smartwatch",
        "Power Bank",
    ],
    materials: &["Aluminium", "Silicone", "Recycled Plastic", "Steel"],
    option: ("colour", &["Black", "White", "Silver", "Midnight Blue"]),
    second_option: Some(("edition", &["Standard", "Pro"])),
};
const OUTDOOR: Kind = Kind {
    nouns: &[
        "Tent",
        "Backpack",
        "Sleeping Bag",
        "Water Bottle",
        "Bike Light",
        "Helmet",
        "Rain Jacket",
    ],
    materials: &[
        "Ripstop Nylon",
        "Steel",
        "Recycled Polyester",
        "Gore-Tex",
        "Aluminium",
    ],
    option: ("size", &["S", "M", "L"]),
    second_option: Some(("colour", &["Forest", "Orange", "Slate"])),
};
const BEAUTY: Kind = Kind {
    nouns: &[
        "Face Cream",
        "Serum",
        "Cleanser",
        "Eau de Parfum",
        "Lip Balm",
        "Body Lotion",
    ],
    materials: &[
        "Aloe",
        "Shea Butter",
        "Vitamin C",
        "Rose",
        "Cedarwood",
        "Hyaluronic Acid",
    ],
    option: ("volume", &["30 ml", "50 ml", "100 ml", "200 ml"]),
    second_option: None,
};

/// Root categories with their leaves, each leaf with the kind of goods it holds.
const TREE: &[(&str, &[(&str, &Kind)])] = &[
    (
        "Clothing",
        &[
            ("Men", &CLOTHING),
            ("Women", &CLOTHING),
            ("Kids", &CLOTHING),
        ],
    ),
    (
        "Footwear",
        &[("Sneakers", &SHOES), ("Boots", &SHOES), ("Sandals", &SHOES)],
    ),
    (
        "Home & Kitchen",
        &[("Kitchen", &HOME), ("Bedding", &HOME), ("Decor", &HOME)],
    ),
    (
        "Electronics",
        &[("Audio", &ELECTRONICS), ("Phone Accessories", &ELECTRONICS)],
    ),
    ("Outdoor", &[("Camping", &OUTDOOR), ("Cycling", &OUTDOOR)]),
    ("Beauty", &[("Skincare", &BEAUTY), ("Fragrance", &BEAUTY)]),
];

const ADJECTIVES: &[&str] = &[
    "Classic",
    "Essential",
    "Everyday",
    "Premium",
    "Lightweight",
    "Vintage",
    "Modern",
    "Urban",
    "Coastal",
    "Alpine",
    "Studio",
    "Heritage",
    "Weekend",
    "Nordic",
    "Soft",
    "Rugged",
];
const BRANDS: &[&str] = &[
    "Northwind",
    "Acme",
    "Fjordline",
    "Tidewater",
    "Kestrel",
    "Ironbark",
    "Lumen",
    "Mariposa",
    "Oakridge",
    "Pebble & Co",
    "Quill",
    "Sable",
    "Terrace",
    "Umbra",
    "Verde",
    "Wildfern",
];
const COLLECTIONS: &[&str] = &[
    "New Arrivals",
    "Summer Sale",
    "Best Sellers",
    "Gift Ideas",
    "Eco Friendly",
    "Staff Picks",
];

/// Seeds `products` products unless the catalog already has some; returns every product.
pub async fn seed(
    state: &AppState,
    products: usize,
    seed: u64,
) -> anyhow::Result<Vec<SeededProduct>> {
    let db = &state.db;
    if store::count_products(db).await? == 0 {
        let catalog = generate(products, seed);
        let txn = begin_write(db).await?;
        store::insert_seed(&txn, &catalog).await?;
        Outbox::append_all(&txn, events(&catalog)?).await?;
        txn.commit().await?;
        commerce_kernel::db::analyze(db).await?;
        tracing::info!(products, "seeded the catalog");
    }
    let ids = store::seeded_ids(db).await?;
    Ok(ids
        .into_iter()
        .map(|(id, variants)| SeededProduct {
            id: GlobalId::encode("Product", id),
            variant_ids: variants
                .into_iter()
                .map(|v| GlobalId::encode("ProductVariant", v))
                .collect(),
        })
        .collect())
}

/// The events of creating `catalog` through the API: categories (parents first), products
/// with their category, collections with their products.
fn events(catalog: &SeedCatalog) -> Result<Vec<NewEvent>, sea_orm::DbErr> {
    let categories = catalog.categories.iter().map(|category| {
        NewEvent::of(
            &CategoryChanged::new(category.id, EntityChange::Created).named(&category.name),
        )
    });
    let products = catalog.products.iter().map(|product| {
        let created = ProductChanged::new(product.id, ProductChange::Created, &[&product.slug]);
        NewEvent::of(&created.with_category(product.category_id))
    });
    let collections = catalog.collections.iter().map(|collection| {
        let members: Vec<i64> = catalog
            .memberships
            .iter()
            .filter(|(id, _)| *id == collection.id)
            .map(|(_, product)| *product)
            .collect();
        NewEvent::of(&CollectionChanged::new(
            collection.id,
            EntityChange::Created,
            &members,
        ))
    });
    categories.chain(products).chain(collections).collect()
}

fn generate(count: usize, seed: u64) -> SeedCatalog {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let epoch = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("a valid date");
    let (categories, leaves) = category_tree();
    let collections = COLLECTIONS
        .iter()
        .zip(1..)
        .map(|(name, id)| Collection {
            id,
            slug: slugify(name),
            name: (*name).to_owned(),
            description: format!("{name}, picked by our team."),
        })
        .collect();
    let mut catalog = SeedCatalog {
        categories,
        collections,
        products: Vec::with_capacity(count),
        variants: Vec::with_capacity(count * 5 / 2),
        memberships: Vec::new(),
        now: epoch,
    };
    for id in (1..).take(count) {
        let (category_id, kind) = *leaves.choose(&mut rng).expect("the tree has leaves");
        let created_at = epoch + Duration::minutes(id);
        let product = product(&mut rng, id, category_id, kind, created_at);
        add_variants(&mut rng, &mut catalog.variants, &product, kind);
        for collection in 1..=i64::try_from(COLLECTIONS.len()).expect("few collections") {
            if rng.random_bool(0.05) {
                catalog.memberships.push((collection, id));
            }
        }
        catalog.products.push(product);
    }
    catalog
}

fn category_tree() -> (Vec<Category>, Vec<(i64, &'static Kind)>) {
    let mut categories = Vec::new();
    let mut leaves = Vec::new();
    let mut next_id = 1..;
    for (position, (root, children)) in (0..).zip(TREE) {
        let root_id = next_id.next().expect("endless ids");
        let root_path = CategoryPath::root(root_id);
        for (child_position, (child, kind)) in (0..).zip(children.iter()) {
            let id = next_id.next().expect("endless ids");
            categories.push(Category {
                id,
                parent_id: Some(root_id),
                slug: slugify(&format!("{root} {child}")),
                name: (*child).to_owned(),
                path: root_path.child(id),
                position: child_position,
            });
            leaves.push((id, *kind));
        }
        categories.push(Category {
            id: root_id,
            parent_id: None,
            slug: slugify(root),
            name: (*root).to_owned(),
            path: root_path,
            position,
        });
    }
    // Parents first, for the foreign key.
    categories.sort_by_key(|c| c.path.as_str().len());
    (categories, leaves)
}

fn product(
    rng: &mut ChaCha8Rng,
    id: i64,
    category_id: i64,
    kind: &Kind,
    created_at: DateTime<Utc>,
) -> Product {
    let pick = |rng: &mut ChaCha8Rng, list: &[&'static str]| *list.choose(rng).expect("non-empty");
    let (adjective, material, noun, brand) = (
        pick(rng, ADJECTIVES),
        pick(rng, kind.materials),
        pick(rng, kind.nouns),
        pick(rng, BRANDS),
    );
    let name = format!("{adjective} {material} {noun}");
    let images = rng.random_range(1..=3);
    Product {
        id,
        slug: format!("{}-{id}", slugify(&name)),
        description: format!(
            "The {} {noun} by {brand}: {material} made to last, with a {} finish. \
             Designed for everyday use and easy care.",
            adjective.to_lowercase(),
            pick(rng, &["matte", "soft", "brushed", "natural", "polished"]),
        ),
        name,
        status: if rng.random_bool(0.95) {
            ProductStatus::Published
        } else {
            ProductStatus::Draft
        },
        category_id: Some(category_id),
        attributes: vec![
            Attribute {
                name: "brand".into(),
                value: brand.into(),
            },
            Attribute {
                name: "material".into(),
                value: material.into(),
            },
        ],
        image_urls: (1..=images)
            .map(|n| format!("https://images.example.com/products/{id}/{n}.jpg"))
            .collect(),
        created_at,
        updated_at: created_at,
    }
}

/// 1-4 variants with distinct option values; SKUs derive from the product id.
fn add_variants(rng: &mut ChaCha8Rng, variants: &mut Vec<Variant>, product: &Product, kind: &Kind) {
    let (name, values) = kind.option;
    let count = rng.random_range(1..=4).min(values.len());
    let second = kind
        .second_option
        .map(|(n, v)| (n, *v.choose(rng).expect("non-empty")));
    let first_value = rng.random_range(0..=values.len() - count);
    for (position, value) in (0..).zip(&values[first_value..first_value + count]) {
        let mut options = vec![Attribute {
            name: name.into(),
            value: (*value).into(),
        }];
        if let Some((name, value)) = second {
            options.push(Attribute {
                name: name.into(),
                value: value.into(),
            });
        }
        let label: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
        let id = i64::try_from(variants.len()).expect("ids fit") + 1;
        variants.push(Variant {
            id,
            product_id: product.id,
            sku: format!("SKU-{:06}-{}", product.id, position + 1).into(),
            name: label.join(" / ").into(),
            options,
            position,
            // 100 g to 5 kg, so shipping by weight has something to weigh.
            weight_grams: i32::try_from(product.id % 50).ok().map(|n| 100 + n * 100),
        });
    }
}

fn slugify(text: &str) -> String {
    crate::domain::Slug::from_text(text)
        .map(|slug| slug.as_str().to_owned())
        .unwrap_or_else(|| "item".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generation_is_deterministic_and_consistent() {
        let a = generate(200, 7);
        let b = generate(200, 7);
        assert_eq!(a.products, b.products);
        assert_eq!(a.variants, b.variants);
        assert!(a.variants.len() >= 200 && a.variants.len() <= 800);
        assert!(
            a.variants
                .iter()
                .all(|v| v.product_id >= 1 && v.product_id <= 200)
        );
        let mut skus: Vec<&str> = a.variants.iter().map(|v| v.sku.as_str()).collect();
        skus.sort_unstable();
        skus.dedup();
        assert_eq!(skus.len(), a.variants.len());
        assert_ne!(generate(200, 8).products, a.products);
    }
}
