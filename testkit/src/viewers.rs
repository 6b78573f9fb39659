//! Who a test asks as, and the opaque ids other subgraphs hand out.

use commerce_kernel::GlobalId;
use commerce_kernel::auth::Verifier;
use commerce_kernel::viewer::Viewer;

/// A staff member (`StaffMember` 1, as the customers subgraph issues) holding `permissions`.
pub fn staff(permissions: &[&str]) -> Viewer {
    Viewer::Staff {
        id: GlobalId::encode("StaffMember", 1),
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// The signed-in customer `n`, a member of `groups`.
pub fn customer(n: i64, groups: &[&str]) -> Viewer {
    Viewer::Customer {
        id: GlobalId::encode("Customer", n),
        groups: groups.iter().map(|g| (*g).to_owned()).collect(),
    }
}

/// The token verifier a subgraph built from `config` uses: the service key under the test's
/// data directory, and the development key once the customers subgraph has made it.
pub fn verifier(config: &commerce_kernel::config::Config) -> std::sync::Arc<Verifier> {
    std::sync::Arc::new(Verifier::from_config(config).expect("the test's keys"))
}

/// Another subgraph, as its service token makes it (for internal operations).
pub fn service(name: &str) -> Viewer {
    Viewer::Service {
        name: name.to_owned(),
    }
}

/// Global ids of other subgraphs' entities, as they arrive in representations and inputs.
pub mod ids {
    use commerce_kernel::GlobalId;

    pub fn product(n: i64) -> String {
        GlobalId::encode("Product", n)
    }

    pub fn variant(n: i64) -> String {
        GlobalId::encode("ProductVariant", n)
    }
}
