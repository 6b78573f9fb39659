//! Staff administration: customer groups and memberships, roles, staff accounts, and reading
//! customers. Permission checks happen in the GraphQL layer, where the viewer is.

use std::collections::BTreeSet;

use commerce_kernel::db::begin_write;
use commerce_kernel::pagination::{Page, PageRequest};

use super::CustomersService;
use super::{decode_id, ids};
use crate::domain::{
    Customer, CustomerError, CustomerGroup, Email, GroupCode, Password, Permission, RoleCode,
    StaffMember, StaffRole, required_text,
};
use crate::store;

pub struct NewStaff<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub password: &'a str,
    pub roles: &'a [String],
}

impl CustomersService {
    pub async fn create_group(
        &self,
        code: &str,
        name: &str,
    ) -> Result<CustomerGroup, CustomerError> {
        let code = GroupCode::parse(code)?;
        let name = required_text("name", name, 100)?;
        store::insert_group(&self.db, &code, &name)
            .await?
            .ok_or_else(|| {
                CustomerError::Conflict(format!("a group `{}` already exists", code.as_str()))
            })
    }

    async fn group(&self, code: &str) -> Result<CustomerGroup, CustomerError> {
        let code = GroupCode::parse(code)?;
        store::find_group(&self.db, &code)
            .await?
            .ok_or_else(|| CustomerError::NotFound {
                what: "customer group",
                id: code.as_str().to_owned(),
            })
    }

    /// Puts the customer in the group (their next access token carries it); idempotent.
    pub async fn add_to_group(
        &self,
        customer_id: &str,
        group_code: &str,
    ) -> Result<Customer, CustomerError> {
        let id = decode_id(customer_id, ids::CUSTOMER)?;
        let customer = self.customer(id).await?;
        let group = self.group(group_code).await?;
        store::add_group_member(&self.db, id, group.id).await?;
        Ok(customer)
    }

    pub async fn remove_from_group(
        &self,
        customer_id: &str,
        group_code: &str,
    ) -> Result<Customer, CustomerError> {
        let id = decode_id(customer_id, ids::CUSTOMER)?;
        let customer = self.customer(id).await?;
        let group = self.group(group_code).await?;
        store::remove_group_member(&self.db, id, group.id).await?;
        Ok(customer)
    }

    pub async fn groups(&self) -> Result<Vec<CustomerGroup>, CustomerError> {
        Ok(store::all_groups(&self.db).await?)
    }

    pub async fn create_role(
        &self,
        code: &str,
        name: &str,
        permissions: &[String],
    ) -> Result<StaffRole, CustomerError> {
        let code = RoleCode::parse(code)?;
        let name = required_text("name", name, 100)?;
        let permissions = permissions
            .iter()
            .map(|p| Permission::parse(p))
            .collect::<Result<BTreeSet<_>, _>>()?;
        let txn = begin_write(&self.db).await?;
        let role = store::insert_role(&txn, &code, &name, &permissions)
            .await?
            .ok_or_else(|| {
                CustomerError::Conflict(format!("a role `{}` already exists", code.as_str()))
            })?;
        txn.commit().await?;
        Ok(role)
    }

    pub async fn roles(&self) -> Result<Vec<StaffRole>, CustomerError> {
        Ok(store::all_roles(&self.db).await?)
    }

    pub async fn create_staff_member(
        &self,
        new: NewStaff<'_>,
    ) -> Result<StaffMember, CustomerError> {
        let email = Email::parse(new.email)?;
        let name = required_text("name", new.name, 100)?;
        let password = Password::parse(new.password, &email)?;
        let codes = new
            .roles
            .iter()
            .map(|code| RoleCode::parse(code))
            .collect::<Result<Vec<_>, _>>()?;
        let roles = store::roles_by_code(&self.db, &codes).await?;
        if let Some(missing) = codes
            .iter()
            .find(|code| !roles.iter().any(|role| role.code == code.as_str()))
        {
            return Err(CustomerError::NotFound {
                what: "staff role",
                id: missing.as_str().to_owned(),
            });
        }
        let role_ids: Vec<i64> = roles.iter().map(|role| role.id).collect();
        let password_hash = self.passwords.hash(password).await?;
        let txn = begin_write(&self.db).await?;
        let member = store::insert_staff_member(
            &txn,
            store::NewStaffMember {
                email: email.as_str(),
                password_hash: &password_hash,
                name: &name,
                role_ids: &role_ids,
            },
        )
        .await?
        .ok_or_else(|| CustomerError::Conflict(format!("a staff member {email} already exists")))?;
        txn.commit().await?;
        Ok(member)
    }

    pub async fn staff_member(&self, id: i64) -> Result<StaffMember, CustomerError> {
        store::find_staff_member(&self.db, id)
            .await?
            .ok_or_else(|| CustomerError::NotFound {
                what: "staff member",
                id: commerce_kernel::GlobalId::encode(ids::STAFF_MEMBER, id),
            })
    }

    /// Deactivating signs the member out everywhere, revokes their access tokens and stops
    /// them signing in or refreshing.
    pub async fn set_staff_active(
        &self,
        staff_id: &str,
        active: bool,
    ) -> Result<StaffMember, CustomerError> {
        let id = decode_id(staff_id, ids::STAFF_MEMBER)?;
        let txn = begin_write(&self.db).await?;
        if !store::set_staff_active(&txn, id, active).await? {
            return Err(CustomerError::NotFound {
                what: "staff member",
                id: staff_id.to_owned(),
            });
        }
        if !active {
            store::revoke_subject(&txn, &super::Account::Staff(id).global_id()).await?;
        }
        txn.commit().await?;
        if !active {
            self.revoke_subject_tokens(&super::Account::Staff(id).global_id())
                .await?;
        }
        self.staff_member(id).await
    }

    pub async fn staff_roles(&self, staff_id: i64) -> Result<Vec<StaffRole>, CustomerError> {
        Ok(store::roles_of_staff(&self.db, staff_id).await?)
    }

    pub async fn customers(
        &self,
        request: &PageRequest,
    ) -> Result<(Page<Customer>, u64), CustomerError> {
        let page = store::customer_page(&self.db, request).await?;
        let total = store::count_customers(&self.db).await?;
        Ok((page, total))
    }
}
