//! Carts: creating one, finding it for a viewer (its customer, or whoever holds a guest cart's
//! token), changing lines after the catalog and inventory agree, addresses, email, coupons,
//! the shipping method, and merging a guest cart into the customer's on sign-in.

use commerce_kernel::db::begin_write;
use commerce_kernel::viewer::Viewer;
use commerce_kernel::{ErrorCode, GlobalId, KernelError};

use tracing::instrument;

use super::CheckoutService;
use crate::domain::{
    Address, CART, Cart, CartStatus, CartToken, CheckoutError, Country, CouponCode, Email, LineId,
    Quantity, sold_currency,
};
use crate::remote::PriceCartResult;
use crate::store::{self, CartKey, NewCart};

/// How a request names a cart: a customer's cart by id, a guest cart by its token.
#[derive(Debug, Clone)]
pub enum CartRef {
    Id(String),
    Token(String),
}

/// Where an address comes from: typed in, or the customer's address book.
pub enum AddressSource {
    New(Box<Address>),
    Saved(String),
}

fn forbidden() -> CheckoutError {
    KernelError::new(ErrorCode::Forbidden, "this cart belongs to someone else").into()
}

/// Who may use `cart` when it was found by `reference`. A customer's cart is theirs alone; a
/// guest cart is open to whoever holds its token (an id is guessable, so it is not enough).
/// Other subgraphs (service tokens) act for the shop.
fn check_access(viewer: &Viewer, cart: &Cart, reference: &CartRef) -> Result<(), CheckoutError> {
    if matches!(viewer, Viewer::Service { .. }) {
        return Ok(());
    }
    match (&cart.customer_id, reference) {
        (Some(owner), _) if viewer.customer_id() == Some(owner.as_str()) => Ok(()),
        (None, CartRef::Token(_)) => Ok(()),
        _ => Err(forbidden()),
    }
}

impl CheckoutService {
    /// A new cart: the signed-in customer's (their active one if they have it already), or a
    /// guest cart whose token is its key.
    #[instrument(skip_all, fields(currency))]
    pub async fn create_cart(
        &self,
        viewer: &Viewer,
        currency: &str,
        country: Option<&str>,
    ) -> Result<Cart, CheckoutError> {
        let currency = sold_currency(currency)?;
        let country = country.map(Country::parse).transpose()?;
        let customer = viewer.customer_id();
        if let Some(customer) = customer
            && let Some(existing) = self.find(CartKey::ActiveOf(customer)).await?
        {
            return Ok(existing);
        }
        let token = CartToken::generate();
        let new = NewCart {
            token: token.as_str(),
            customer_id: customer,
            currency,
            country,
        };
        match store::insert_cart(&self.db, new).await? {
            Some(cart) => Ok(cart),
            // A concurrent create for the same customer won; theirs is the active cart.
            None => self
                .find(CartKey::ActiveOf(customer.unwrap_or_default()))
                .await?
                .ok_or_else(|| CheckoutError::unexpected("active cart vanished")),
        }
    }

    async fn find(&self, key: CartKey<'_>) -> Result<Option<Cart>, CheckoutError> {
        store::find_cart(&self.db, key).await
    }

    /// The cart `reference` names, if `viewer` may use it.
    pub async fn cart(&self, viewer: &Viewer, reference: &CartRef) -> Result<Cart, CheckoutError> {
        let cart = match reference {
            CartRef::Id(id) => {
                let id = GlobalId::decode(id, CART).map_err(|_| CheckoutError::CartNotFound)?;
                self.find(CartKey::Id(id)).await?
            }
            CartRef::Token(token) => {
                let token = CartToken::parse(token)?;
                self.find(CartKey::Token(token.as_str())).await?
            }
        }
        .ok_or(CheckoutError::CartNotFound)?;
        check_access(viewer, &cart, reference)?;
        Ok(cart)
    }

    /// The signed-in customer's active cart, if any.
    pub async fn my_cart(&self, viewer: &Viewer) -> Result<Option<Cart>, CheckoutError> {
        let customer = viewer.require_customer()?;
        self.find(CartKey::ActiveOf(customer)).await
    }

    async fn open_cart(&self, viewer: &Viewer, reference: &CartRef) -> Result<Cart, CheckoutError> {
        let cart = self.cart(viewer, reference).await?;
        cart.ensure_open()?;
        Ok(cart)
    }

    async fn reload(&self, cart_id: i64) -> Result<Cart, CheckoutError> {
        self.find(CartKey::Id(cart_id))
            .await?
            .ok_or(CheckoutError::CartNotFound)
    }

    /// Checks with the catalog and inventory (one call each, whatever the number of lines)
    /// that every variant is published and has the units.
    pub(crate) async fn check_lines(&self, lines: &[(String, i32)]) -> Result<(), CheckoutError> {
        let ids: Vec<String> = lines.iter().map(|(id, _)| id.clone()).collect();
        let (variants, stock) =
            tokio::try_join!(self.remote.variants(&ids), self.remote.available(&ids))?;
        for (variant_id, quantity) in lines {
            if !variants.get(variant_id).is_some_and(|v| v.is_buyable()) {
                return Err(CheckoutError::VariantUnavailable {
                    variant_id: variant_id.clone(),
                });
            }
            let available = stock.get(variant_id).copied().unwrap_or(0);
            if available < *quantity {
                return Err(CheckoutError::InsufficientStock {
                    variant_id: variant_id.clone(),
                    requested: *quantity,
                    available,
                });
            }
        }
        Ok(())
    }

    /// Adds units of a variant; a variant already on the cart gets the units added to its line.
    #[instrument(skip_all)]
    pub async fn add_line(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        variant_id: &str,
        quantity: i32,
    ) -> Result<Cart, CheckoutError> {
        let quantity = Quantity::parse(quantity)?;
        let variant_id = variant_id.trim();
        GlobalId::parse(variant_id).map_err(|_| CheckoutError::VariantUnavailable {
            variant_id: variant_id.to_owned(),
        })?;
        let cart = self.open_cart(viewer, reference).await?;
        let existing = cart
            .lines
            .iter()
            .find(|line| line.variant_id == variant_id)
            .map_or(0, |line| line.quantity);
        let total = Quantity::parse(existing + quantity.get())?;
        self.check_lines(&[(variant_id.to_owned(), total.get())])
            .await?;
        store::put_line(&self.db, cart.id, variant_id, total.get()).await?;
        self.reload(cart.id).await
    }

    /// Sets a line's quantity.
    #[instrument(skip_all)]
    pub async fn update_line(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        line_id: &str,
        quantity: i32,
    ) -> Result<Cart, CheckoutError> {
        let quantity = Quantity::parse(quantity)?;
        let id = LineId::parse(line_id)?;
        let cart = self.open_cart(viewer, reference).await?;
        let line = cart
            .lines
            .iter()
            .find(|line| line.id == id.0)
            .ok_or_else(|| CheckoutError::LineNotFound {
                line_id: line_id.to_owned(),
            })?;
        self.check_lines(&[(line.variant_id.clone(), quantity.get())])
            .await?;
        store::put_line(&self.db, cart.id, &line.variant_id, quantity.get()).await?;
        self.reload(cart.id).await
    }

    pub async fn remove_line(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        line_id: &str,
    ) -> Result<Cart, CheckoutError> {
        let id = LineId::parse(line_id)?;
        let cart = self.open_cart(viewer, reference).await?;
        if !store::delete_line(&self.db, cart.id, id.0).await? {
            return Err(CheckoutError::LineNotFound {
                line_id: line_id.to_owned(),
            });
        }
        self.reload(cart.id).await
    }

    /// Changes the cart's own fields with `change`, then saves them.
    async fn change(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        change: impl FnOnce(&mut Cart) -> Result<(), CheckoutError>,
    ) -> Result<Cart, CheckoutError> {
        let mut cart = self.open_cart(viewer, reference).await?;
        change(&mut cart)?;
        store::save_cart(&self.db, &cart).await?;
        Ok(cart)
    }

    pub async fn set_email(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        email: &str,
    ) -> Result<Cart, CheckoutError> {
        let email = Email::parse(email)?.into_inner();
        self.change(viewer, reference, |cart| {
            cart.email = Some(email);
            Ok(())
        })
        .await
    }

    async fn resolve_address(
        &self,
        viewer: &Viewer,
        source: AddressSource,
    ) -> Result<Address, CheckoutError> {
        match source {
            AddressSource::New(address) => Address::parse(*address),
            AddressSource::Saved(address_id) => {
                let customer = viewer.require_customer()?;
                self.remote
                    .customer(customer)
                    .await?
                    .and_then(|customer| customer.address(&address_id))
                    .ok_or(CheckoutError::AddressNotFound { address_id })
            }
        }
    }

    /// Sets where the cart ships to; a chosen shipping method that does not serve the new
    /// country is dropped.
    pub async fn set_shipping_address(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        source: AddressSource,
    ) -> Result<Cart, CheckoutError> {
        let address = self.resolve_address(viewer, source).await?;
        let serves = match self.open_cart(viewer, reference).await?.shipping_method_id {
            Some(method) => self.method_serves(method, address.country()?).await?,
            None => true,
        };
        self.change(viewer, reference, |cart| {
            cart.shipping_address = Some(address);
            if !serves {
                cart.shipping_method_id = None;
            }
            Ok(())
        })
        .await
    }

    pub async fn set_billing_address(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        source: AddressSource,
    ) -> Result<Cart, CheckoutError> {
        let address = self.resolve_address(viewer, source).await?;
        self.change(viewer, reference, |cart| {
            cart.billing_address = Some(address);
            Ok(())
        })
        .await
    }

    /// Adds a coupon code. When the cart can be priced, pricing must accept the code for it
    /// (`CouponInvalid` with pricing's reason otherwise); an empty cart keeps the code until
    /// its totals are asked for.
    pub async fn apply_coupon(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        code: &str,
    ) -> Result<Cart, CheckoutError> {
        let code = CouponCode::parse(code)?.into_inner();
        let mut cart = self.open_cart(viewer, reference).await?;
        if cart.coupon_codes.contains(&code) {
            return Ok(cart);
        }
        cart.coupon_codes.push(code.clone());
        if let Some(reason) = self.coupon_refusal(viewer, &cart, &code).await? {
            return Err(CheckoutError::CouponInvalid { code, reason });
        }
        store::save_cart(&self.db, &cart).await?;
        Ok(cart)
    }

    async fn coupon_refusal(
        &self,
        viewer: &Viewer,
        cart: &Cart,
        code: &str,
    ) -> Result<Option<String>, CheckoutError> {
        if cart.lines.is_empty() || cart.destination().is_none() {
            return Ok(None);
        }
        let quote = self.quote(cart, viewer).await?;
        let Some(PriceCartResult::PricedCart(priced)) = quote.priced else {
            return Ok(None);
        };
        Ok(priced
            .coupons
            .into_iter()
            .find(|status| status.code.eq_ignore_ascii_case(code) && !status.applied)
            .map(|status| {
                status
                    .reason
                    .unwrap_or_else(|| "it does not apply to this cart".to_owned())
            }))
    }

    pub async fn remove_coupon(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        code: &str,
    ) -> Result<Cart, CheckoutError> {
        let code = code.trim().to_ascii_uppercase();
        self.change(viewer, reference, |cart| {
            cart.coupon_codes.retain(|c| *c != code);
            Ok(())
        })
        .await
    }

    /// Chooses a shipping method; it must serve the cart's destination in its currency.
    pub async fn set_shipping_method(
        &self,
        viewer: &Viewer,
        reference: &CartRef,
        method_id: &str,
    ) -> Result<Cart, CheckoutError> {
        let unavailable = || CheckoutError::ShippingMethodUnavailable {
            method_id: method_id.to_owned(),
        };
        let id = GlobalId::decode(method_id, crate::domain::SHIPPING_METHOD)
            .map_err(|_| unavailable())?;
        let cart = self.open_cart(viewer, reference).await?;
        let destination = cart.destination().ok_or_else(unavailable)?;
        let method = store::method(&self.db, id).await?.ok_or_else(unavailable)?;
        let priced_in_currency = method.rates.iter().any(|r| r.currency == cart.currency);
        if !priced_in_currency || !self.method_serves(id, destination).await? {
            return Err(unavailable());
        }
        self.change(viewer, reference, |cart| {
            cart.shipping_method_id = Some(id);
            Ok(())
        })
        .await
    }

    /// Moves a guest cart's lines into the signed-in customer's active cart (quantities
    /// added, capped), then closes the guest cart. Without an active cart, the guest cart
    /// becomes theirs. The merged lines are checked against the catalog and inventory.
    #[instrument(skip_all)]
    pub async fn merge(&self, viewer: &Viewer, guest_token: &str) -> Result<Cart, CheckoutError> {
        let customer = viewer.require_customer()?.to_owned();
        let reference = CartRef::Token(guest_token.to_owned());
        let guest = self.open_cart(viewer, &reference).await?;
        if guest.customer_id.is_some() {
            return Err(forbidden());
        }
        let Some(mine) = self.find(CartKey::ActiveOf(&customer)).await? else {
            if store::adopt_cart(&self.db, guest.id, &customer).await? {
                return self.reload(guest.id).await;
            }
            // They created a cart meanwhile (a concurrent sign-in): merge into that one.
            return Box::pin(self.merge(viewer, guest_token)).await;
        };
        let mut merged: Vec<(String, i32)> = mine
            .lines
            .iter()
            .map(|line| (line.variant_id.clone(), line.quantity))
            .collect();
        for line in &guest.lines {
            match merged
                .iter_mut()
                .find(|(variant, _)| *variant == line.variant_id)
            {
                Some((_, quantity)) => {
                    *quantity = Quantity::parse(*quantity)?.plus(line.quantity).get()
                }
                None => merged.push((line.variant_id.clone(), line.quantity)),
            }
        }
        if !guest.lines.is_empty() {
            self.check_lines(&merged).await?;
        }
        let txn = begin_write(&self.db).await?;
        if !store::set_cart_status(&txn, guest.id, CartStatus::Active, CartStatus::Merged).await? {
            return Err(CheckoutError::CartClosed {
                status: CartStatus::Merged.as_str(),
            });
        }
        for (variant, quantity) in &merged {
            store::put_line(&txn, mine.id, variant, *quantity).await?;
        }
        let mut target = mine;
        for code in guest.coupon_codes {
            if !target.coupon_codes.contains(&code) {
                target.coupon_codes.push(code);
            }
        }
        store::save_cart(&txn, &target).await?;
        txn.commit().await?;
        self.reload(target.id).await
    }
}
