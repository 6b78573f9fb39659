//! The storefront's and dashboard's committed documents, which these tests run as clients do.

macro_rules! document {
    ($name:ident, $path:literal) => {
        pub const $name: &str = include_str!(concat!("../../../../schema/operations/", $path));
    };
}

document!(CART_CREATE, "storefront/cart_create.graphql");
document!(CART_ADD_LINE, "storefront/cart_add_line.graphql");
document!(CART_UPDATE_LINE, "storefront/cart_update_line.graphql");
document!(CART_REMOVE_LINE, "storefront/cart_remove_line.graphql");
document!(CART_SET_EMAIL, "storefront/cart_set_email.graphql");
document!(
    CART_SET_SHIPPING_ADDRESS,
    "storefront/cart_set_shipping_address.graphql"
);
document!(
    CART_SET_SHIPPING_METHOD,
    "storefront/cart_set_shipping_method.graphql"
);
document!(CART_APPLY_COUPON, "storefront/cart_apply_coupon.graphql");
document!(CART_MERGE, "storefront/cart_merge.graphql");
document!(CART, "storefront/cart.graphql");
document!(CHECKOUT_COMPLETE, "storefront/checkout_complete.graphql");
document!(SHIPPING_ZONES, "dashboard/shipping_zones.graphql");
document!(
    SHIPPING_ZONE_CREATE,
    "dashboard/shipping_zone_create.graphql"
);
document!(
    SHIPPING_METHOD_CREATE,
    "dashboard/shipping_method_create.graphql"
);
document!(
    SHIPPING_METHOD_DELETE,
    "dashboard/shipping_method_delete.graphql"
);
document!(
    SHIPPING_ZONE_UPDATE,
    "dashboard/shipping_zone_update.graphql"
);
document!(
    SHIPPING_ZONE_DELETE,
    "dashboard/shipping_zone_delete.graphql"
);
