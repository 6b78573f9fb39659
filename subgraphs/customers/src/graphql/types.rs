//! GraphQL object types, separate from the domain records they wrap.

use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use commerce_kernel::error::top_level;
use commerce_kernel::pagination::{Cursor, PageRequest, TotalCount, connection};
use commerce_kernel::viewer::Viewer;
use commerce_kernel::{GlobalId, GraphqlResultExt};

use super::loaders::{AddressesLoader, GroupsLoader};
use super::{customers_service, viewer};
use crate::domain;
use crate::service::Account;
use crate::service::ids;
use crate::service::tokens::Session;

/// A shop customer. Name and id are public (reviews show an author); everything else only to
/// the customer themself and to staff with `customers:read`.
pub struct Customer {
    record: domain::Customer,
    /// The caller just proved to be this customer (a sign-in's payload).
    owner: bool,
}

impl Customer {
    pub fn new(record: domain::Customer) -> Self {
        Self {
            record,
            owner: false,
        }
    }

    pub fn record_id(&self) -> i64 {
        self.record.id
    }

    pub fn for_owner(record: domain::Customer) -> Self {
        Self {
            record,
            owner: true,
        }
    }

    fn guard(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if self.owner {
            return Ok(());
        }
        let me = GlobalId::encode(ids::CUSTOMER, self.record.id);
        if viewer(ctx).customer_id() == Some(me.as_str()) {
            return Ok(());
        }
        super::require(ctx, "customers:read")
    }
}

#[Object]
impl Customer {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(ids::CUSTOMER, self.record.id))
    }

    /// First name and last initial, safe to show publicly ("Ada L.").
    async fn display_name(&self) -> String {
        match self.record.last_name.chars().next() {
            Some(initial) => format!("{} {initial}.", self.record.first_name),
            None => self.record.first_name.clone(),
        }
    }

    /// Normalised: trimmed and lowercase.
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<&str> {
        self.guard(ctx)?;
        Ok(&self.record.email)
    }

    async fn first_name(&self, ctx: &Context<'_>) -> async_graphql::Result<&str> {
        self.guard(ctx)?;
        Ok(&self.record.first_name)
    }

    async fn last_name(&self, ctx: &Context<'_>) -> async_graphql::Result<&str> {
        self.guard(ctx)?;
        Ok(&self.record.last_name)
    }

    async fn phone(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        self.guard(ctx)?;
        Ok(self.record.phone.as_deref())
    }

    /// Groups (`b2b`, `wholesale`, `vip`) whose prices and promotions apply to this customer.
    async fn groups(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CustomerGroup>> {
        self.guard(ctx)?;
        let loader = ctx.data_unchecked::<DataLoader<GroupsLoader>>();
        let groups = loader.load_one(self.record.id).await.or_internal()?;
        Ok(groups
            .unwrap_or_default()
            .into_iter()
            .map(CustomerGroup)
            .collect())
    }

    /// The address book, oldest first.
    async fn addresses(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Address>> {
        self.guard(ctx)?;
        Ok(self
            .address_book(ctx)
            .await?
            .into_iter()
            .map(Address)
            .collect())
    }

    async fn default_shipping_address(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Address>> {
        self.guard(ctx)?;
        self.address_by_id(ctx, self.record.default_shipping_address_id)
            .await
    }

    async fn default_billing_address(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<Address>> {
        self.guard(ctx)?;
        self.address_by_id(ctx, self.record.default_billing_address_id)
            .await
    }

    /// Wishlisted products, most recently added first.
    async fn wishlist(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<String, WishlistItem, TotalCount>> {
        self.guard(ctx)?;
        let request = PageRequest::parse(first, after, last, before).map_err(top_level)?;
        let (page, total) = customers_service(ctx)
            .wishlist(self.record.id, &request)
            .await
            .map_err(top_level)?;
        Ok(connection(
            page.map(WishlistItem),
            |item| Cursor(vec![item.0.id.into()]),
            i64::try_from(total).unwrap_or(i64::MAX),
        ))
    }

    async fn created_at(&self, ctx: &Context<'_>) -> async_graphql::Result<DateTime<Utc>> {
        self.guard(ctx)?;
        Ok(self.record.created_at)
    }
}

impl Customer {
    async fn address_book(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<domain::Address>> {
        let loader = ctx.data_unchecked::<DataLoader<AddressesLoader>>();
        Ok(loader
            .load_one(self.record.id)
            .await
            .or_internal()?
            .unwrap_or_default())
    }

    async fn address_by_id(
        &self,
        ctx: &Context<'_>,
        id: Option<i64>,
    ) -> async_graphql::Result<Option<Address>> {
        let Some(id) = id else { return Ok(None) };
        let book = self.address_book(ctx).await?;
        Ok(book.into_iter().find(|a| a.id == id).map(Address))
    }
}

/// A postal address in a customer's address book.
pub struct Address(pub domain::Address);

#[Object]
impl Address {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(ids::ADDRESS, self.0.id))
    }
    async fn first_name(&self) -> &str {
        &self.0.fields.first_name
    }
    async fn last_name(&self) -> &str {
        &self.0.fields.last_name
    }
    async fn company(&self) -> Option<&str> {
        self.0.fields.company.as_deref()
    }
    async fn line1(&self) -> &str {
        &self.0.fields.line1
    }
    async fn line2(&self) -> Option<&str> {
        self.0.fields.line2.as_deref()
    }
    async fn city(&self) -> &str {
        &self.0.fields.city
    }
    async fn region(&self) -> Option<&str> {
        self.0.fields.region.as_deref()
    }
    async fn postal_code(&self) -> &str {
        &self.0.fields.postal_code
    }
    /// ISO 3166-1 alpha-2, upper case.
    async fn country_code(&self) -> &str {
        &self.0.fields.country_code
    }
    async fn phone(&self) -> Option<&str> {
        self.0.fields.phone.as_deref()
    }
}

/// Which default an address is.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    Shipping,
    Billing,
}

impl From<AddressKind> for domain::AddressKind {
    fn from(kind: AddressKind) -> Self {
        match kind {
            AddressKind::Shipping => Self::Shipping,
            AddressKind::Billing => Self::Billing,
        }
    }
}

/// A customer group: prices, price lists and promotions can target it.
pub struct CustomerGroup(pub domain::CustomerGroup);

#[Object]
impl CustomerGroup {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(ids::CUSTOMER_GROUP, self.0.id))
    }
    /// Lowercase code, as carried in access tokens (`b2b`, `vip`).
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

/// A product on a wishlist. The catalog resolves the product's fields.
pub struct WishlistItem(pub domain::WishlistItem);

#[Object]
impl WishlistItem {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(ids::WISHLIST_ITEM, self.0.id))
    }
    async fn product(&self) -> Product {
        Product {
            id: ID(self.0.product_id.clone()),
        }
    }
    async fn added_at(&self) -> DateTime<Utc> {
        self.0.added_at
    }
}

/// The catalog's product, referenced by id; this subgraph cannot resolve its fields.
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct Product {
    pub id: ID,
}

/// A staff account.
pub struct StaffMember(pub domain::StaffMember);

#[Object]
impl StaffMember {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(ids::STAFF_MEMBER, self.0.id))
    }
    async fn email(&self) -> &str {
        &self.0.email
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn active(&self) -> bool {
        self.0.active
    }
    async fn roles(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StaffRole>> {
        let roles = customers_service(ctx)
            .staff_roles(self.0.id)
            .await
            .map_err(top_level)?;
        Ok(roles.into_iter().map(StaffRole).collect())
    }
}

/// A named set of permissions given to staff members.
pub struct StaffRole(pub domain::StaffRole);

#[Object]
impl StaffRole {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(ids::STAFF_ROLE, self.0.id))
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Such as `catalog:write`, `orders:read`, `customers:read`.
    async fn permissions(&self) -> &[String] {
        &self.0.permissions
    }
}

/// A signed-in session: send `accessToken` as `Authorization: Bearer ...`; before it expires,
/// trade `refreshToken` for a new session with `refreshSession` (each refresh token works once).
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AuthPayload {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    /// Always `Bearer`.
    pub token_type: &'static str,
    #[graphql(skip)]
    pub account: Account,
}

impl From<Session> for AuthPayload {
    fn from(session: Session) -> Self {
        Self {
            access_token: session.access_token,
            access_token_expires_at: session.access_token_expires_at,
            refresh_token: session.refresh_token,
            refresh_token_expires_at: session.refresh_token_expires_at,
            token_type: "Bearer",
            account: session.account,
        }
    }
}

#[ComplexObject]
impl AuthPayload {
    /// The signed-in customer (null for staff sessions).
    async fn customer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Customer>> {
        let Account::Customer(id) = self.account else {
            return Ok(None);
        };
        let record = customers_service(ctx)
            .customer(id)
            .await
            .map_err(top_level)?;
        Ok(Some(Customer::for_owner(record)))
    }

    /// The signed-in staff member (null for customer sessions).
    async fn staff_member(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StaffMember>> {
        let Account::Staff(id) = self.account else {
            return Ok(None);
        };
        let record = customers_service(ctx)
            .staff_member(id)
            .await
            .map_err(top_level)?;
        Ok(Some(StaffMember(record)))
    }
}

/// What `viewer` tells about the caller.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
pub enum ViewerKind {
    Anonymous,
    Customer,
    Staff,
    /// Another subgraph calling with a service token.
    Service,
}

pub struct ViewerInfo(pub Viewer);

#[Object(name = "Viewer")]
impl ViewerInfo {
    async fn kind(&self) -> ViewerKind {
        match self.0 {
            Viewer::Anonymous => ViewerKind::Anonymous,
            Viewer::Customer { .. } => ViewerKind::Customer,
            Viewer::Staff { .. } => ViewerKind::Staff,
            Viewer::Service { .. } => ViewerKind::Service,
        }
    }
    /// The account's global id; null when anonymous or a service.
    async fn id(&self) -> Option<ID> {
        match &self.0 {
            Viewer::Anonymous | Viewer::Service { .. } => None,
            Viewer::Customer { id, .. } | Viewer::Staff { id, .. } => Some(ID(id.clone())),
        }
    }
    /// Customer group codes from the access token.
    async fn groups(&self) -> &[String] {
        self.0.customer_groups()
    }
    /// Staff permissions from the access token.
    async fn permissions(&self) -> &[String] {
        match &self.0 {
            Viewer::Staff { permissions, .. } => permissions,
            _ => &[],
        }
    }
}
