//! Who is asking: the verified identity every subgraph reads from the request the same way.
//!
//! Subgraphs find a [`Viewer`] in the GraphQL context (`ctx.data::<Viewer>()`); the HTTP layer
//! puts it there after verifying the request's bearer token. No token means `Anonymous`; an
//! invalid token is an `UNAUTHENTICATED` error, never a silent downgrade.

use crate::error::{ErrorCode, KernelError};

/// A permission a staff member may hold, such as `catalog:write` or `orders:read`.
pub type Permission = &'static str;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Viewer {
    #[default]
    Anonymous,
    Customer {
        /// The customer's global id.
        id: String,
        /// Customer group codes (`b2b`, `wholesale`, `vip`), for prices and promotions.
        groups: Vec<String>,
    },
    Staff {
        id: String,
        permissions: Vec<String>,
    },
    /// Another subgraph, calling with a short-lived service token (`auth::ServiceTokens`).
    Service {
        /// The calling subgraph's domain, such as `checkout`.
        name: String,
    },
}

impl Viewer {
    /// The customer groups whose prices and promotions apply; empty for anonymous and staff.
    pub fn customer_groups(&self) -> &[String] {
        match self {
            Self::Customer { groups, .. } => groups,
            _ => &[],
        }
    }

    pub fn customer_id(&self) -> Option<&str> {
        match self {
            Self::Customer { id, .. } => Some(id),
            _ => None,
        }
    }

    /// Checks that a staff member holds `permission`; customers and anonymous callers never do.
    /// Another subgraph passes: services act for the shop itself (orders cancelling a payment).
    pub fn require_permission(&self, permission: Permission) -> Result<(), KernelError> {
        match self {
            Self::Staff { permissions, .. } if permissions.iter().any(|p| p == permission) => {
                Ok(())
            }
            Self::Service { .. } => Ok(()),
            Self::Staff { .. } | Self::Customer { .. } => Err(KernelError::new(
                ErrorCode::Forbidden,
                format!("this needs the `{permission}` permission"),
            )),
            Self::Anonymous => Err(KernelError::new(
                ErrorCode::Unauthenticated,
                "sign in first",
            )),
        }
    }

    /// Checks that the caller is another subgraph, returning its name: internal operations are
    /// for services only, whatever a staff member's permissions.
    pub fn require_service(&self) -> Result<&str, KernelError> {
        match self {
            Self::Service { name } => Ok(name),
            Self::Anonymous => Err(KernelError::new(
                ErrorCode::Unauthenticated,
                "this operation is internal to the shop's services",
            )),
            Self::Customer { .. } | Self::Staff { .. } => Err(KernelError::new(
                ErrorCode::Forbidden,
                "this operation is internal to the shop's services",
            )),
        }
    }

    /// Checks that the caller is a signed-in customer, returning their id.
    pub fn require_customer(&self) -> Result<&str, KernelError> {
        self.customer_id().ok_or_else(|| {
            KernelError::new(ErrorCode::Unauthenticated, "sign in as a customer first")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_staff_with_the_permission_pass() {
        let staff = Viewer::Staff {
            id: "s".into(),
            permissions: vec!["catalog:write".into()],
        };
        assert!(staff.require_permission("catalog:write").is_ok());
        let denied = staff.require_permission("orders:read").map_err(|e| e.code);
        assert_eq!(denied, Err(ErrorCode::Forbidden));
        let customer = Viewer::Customer {
            id: "c".into(),
            groups: vec!["vip".into()],
        };
        let denied = customer
            .require_permission("catalog:write")
            .map_err(|e| e.code);
        assert_eq!(denied, Err(ErrorCode::Forbidden));
        let anonymous = Viewer::Anonymous
            .require_permission("catalog:write")
            .map_err(|e| e.code);
        assert_eq!(anonymous, Err(ErrorCode::Unauthenticated));
        let service = Viewer::Service {
            name: "checkout".into(),
        };
        assert!(service.require_permission("catalog:write").is_ok());
    }

    #[test]
    fn only_services_pass_the_internal_check() {
        let service = Viewer::Service {
            name: "checkout".into(),
        };
        assert_eq!(service.require_service(), Ok("checkout"));
        let staff = Viewer::Staff {
            id: "s".into(),
            permissions: vec!["orders:write".into()],
        };
        assert_eq!(
            staff.require_service().map_err(|e| e.code),
            Err(ErrorCode::Forbidden)
        );
        assert_eq!(
            Viewer::Anonymous.require_service().map_err(|e| e.code),
            Err(ErrorCode::Unauthenticated)
        );
    }
}
