//! The checkout domain without I/O: carts and their rules, addresses, countries, shipping
//! rates, the saga's steps, the error every use case fails with, and the events checkout
//! publishes.

mod address;
mod cart;
mod country;
mod error;
pub mod events;
mod saga;
mod shipping;

pub use address::Address;
pub use cart::{
    CART, CART_LINE, Cart, CartLine, CartStatus, CartToken, CouponCode, Email, LineId, Quantity,
    SOLD_CURRENCIES, sold_currency,
};
pub use country::Country;
pub use error::CheckoutError;
pub use saga::{Lease, Outcome, Saga, SagaStatus, Step};
pub use shipping::{
    RateInput, SHIPPING_METHOD, SHIPPING_ZONE, ShippingKind, ShippingMethod, ShippingRate,
    ShippingZone, WeightBand,
};
