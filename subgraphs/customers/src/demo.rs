//! Demo accounts, deterministic for a seed and loaded once (skipped when the admin exists).
//!
//! Credentials (demo only; printed by the all-in-one binary):
//! - staff `admin@example.com` / `demo-staff-passphrase`, role `admin` with every known
//!   permission;
//! - customers `ada@example.com` (group `b2b`), `grace@example.com` (group `vip`),
//!   `alan@example.com`, and a few more `customerN@example.com`, all `demo-customer-passphrase`.

use std::collections::BTreeSet;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::AppState;
use crate::domain::{AddressInput, Email, GroupCode, Password, Permission, RoleCode};
use crate::store;

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "demo-staff-passphrase";
pub const CUSTOMER_PASSWORD: &str = "demo-customer-passphrase";

const GROUPS: &[(&str, &str)] = &[
    ("b2b", "Business"),
    ("vip", "VIP"),
    ("wholesale", "Wholesale"),
];

/// Named customers and their group: (email, first name, last name, group).
pub const CUSTOMERS: &[(&str, &str, &str, Option<&str>)] = &[
    ("ada@example.com", "Ada", "Lovelace", Some("b2b")),
    ("grace@example.com", "Grace", "Hopper", Some("vip")),
    ("alan@example.com", "Alan", "Turing", None),
];

const FIRST: &[&str] = &[
    "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim", "Margaret",
];
const LAST: &[&str] = &[
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Berners-Lee",
    "Hamilton",
];
const CITIES: &[(&str, &str, &str)] = &[
    ("London", "SW1A 1AA", "GB"),
    ("Berlin", "10115", "DE"),
    ("Paris", "75001", "FR"),
    ("New York", "10001", "US"),
];

/// Creates the demo groups, the admin role and account, and the demo customers.
pub async fn seed(state: &AppState, seed: u64) -> anyhow::Result<()> {
    if store::staff_credentials(&state.db, ADMIN_EMAIL)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for (code, name) in GROUPS {
        store::insert_group(&state.db, &GroupCode::parse(code)?, name).await?;
    }
    seed_admin(state).await?;

    let customer_hash = hash(state, "alan@example.com", CUSTOMER_PASSWORD).await?;
    let generated: Vec<(String, &str, &str)> = (1..=5)
        .map(|n| {
            let first = FIRST[rng.random_range(0..FIRST.len())];
            let last = LAST[rng.random_range(0..LAST.len())];
            (format!("customer{n}@example.com"), first, last)
        })
        .collect();
    let all = CUSTOMERS
        .iter()
        .map(|(email, first, last, group)| ((*email).to_owned(), *first, *last, *group))
        .chain(generated.into_iter().map(|(e, f, l)| (e, f, l, None)));
    for (email, first, last, group) in all {
        let Some(id) = store::insert_customer(
            &state.db,
            store::NewCustomer {
                email: &email,
                password_hash: &customer_hash,
                first_name: first,
                last_name: last,
            },
        )
        .await?
        else {
            continue;
        };
        if let Some(code) = group {
            let group = store::find_group(&state.db, &GroupCode::parse(code)?)
                .await?
                .ok_or_else(|| anyhow::anyhow!("demo group {code} missing"))?;
            store::add_group_member(&state.db, id, group.id).await?;
        }
        let (city, postal_code, country) = CITIES[rng.random_range(0..CITIES.len())];
        let address = AddressInput {
            first_name: first.to_owned(),
            last_name: last.to_owned(),
            company: group.filter(|g| *g == "b2b").map(|_| format!("{last} Ltd")),
            line1: format!("{} High Street", rng.random_range(1..200)),
            line2: None,
            city: city.to_owned(),
            region: None,
            postal_code: postal_code.to_owned(),
            country_code: country.to_owned(),
            phone: None,
        };
        let address = store::insert_address(&state.db, id, &address).await?;
        for kind in [
            crate::domain::AddressKind::Shipping,
            crate::domain::AddressKind::Billing,
        ] {
            store::set_default_address(&state.db, id, kind, address.id).await?;
        }
    }
    tracing::info!(
        "demo accounts: staff {ADMIN_EMAIL} / {ADMIN_PASSWORD}; customers ada@, grace@, alan@example.com / {CUSTOMER_PASSWORD}"
    );
    Ok(())
}

async fn seed_admin(state: &AppState) -> anyhow::Result<()> {
    let permissions = crate::domain::KNOWN_PERMISSIONS
        .iter()
        .map(|p| Permission::parse(p))
        .collect::<Result<BTreeSet<_>, _>>()?;
    let role = store::insert_role(
        &state.db,
        &RoleCode::parse("admin")?,
        "Administrator",
        &permissions,
    )
    .await?
    .ok_or_else(|| anyhow::anyhow!("the admin role exists without its admin"))?;
    let password_hash = hash(state, ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    store::insert_staff_member(
        &state.db,
        store::NewStaffMember {
            email: ADMIN_EMAIL,
            password_hash: &password_hash,
            name: "Demo Admin",
            role_ids: &[role.id],
        },
    )
    .await?;
    Ok(())
}

async fn hash(state: &AppState, email: &str, password: &str) -> anyhow::Result<String> {
    let password = Password::parse(password, &Email::parse(email)?)?;
    state.service.passwords.hash(password).await
}
