//! Staff mutations (each needs `pricing:write`) and coupon redemption for checkout (needs
//! `pricing:redeem`). Validation failures come back as `InvalidPricingInput` data.

use async_graphql::{Context, ID, Object, Result};
use commerce_kernel::error::top_level;

use super::access::{require, viewer};
use super::inputs::{
    CouponInput, PriceListInput, PriceTierInput, PromotionInput, SetVariantPricesInput,
    TaxRateInput,
};
use super::results::{
    CouponResult, CurrencyTaxModeResult, PriceListEntryResult, PriceListResult, PromotionResult,
    TaxCategoryResult, TaxRateResult, VariantPricingResult,
};
use super::types::{
    COUPON, CouponRedemption, CurrencyTaxMode, PRICE_LIST, PROMOTION, PriceListEntry, PriceTier,
    TAX_RATE, TaxCategory,
};
use super::{decode, service};
use crate::domain::TaxMode;
use crate::service;

pub struct Mutation;

fn require_write(ctx: &Context<'_>) -> Result<()> {
    require(&viewer(ctx), "pricing:write")
}

#[Object]
impl Mutation {
    /// Sets a variant's base prices (upserted per currency), product and tax category.
    async fn set_variant_prices(
        &self,
        ctx: &Context<'_>,
        input: SetVariantPricesInput,
    ) -> Result<VariantPricingResult> {
        require_write(ctx)?;
        let input = service::VariantPricesInput::from(input);
        VariantPricingResult::from_result(service(ctx)?.set_variant_prices(&input).await)
    }

    /// Removes a variant's price in one currency; false when there was none.
    async fn remove_variant_price(
        &self,
        ctx: &Context<'_>,
        variant_id: ID,
        currency: String,
    ) -> Result<bool> {
        require_write(ctx)?;
        service(ctx)?
            .remove_price(&variant_id, &currency)
            .await
            .map_err(top_level)
    }

    async fn create_price_list(
        &self,
        ctx: &Context<'_>,
        input: PriceListInput,
    ) -> Result<PriceListResult> {
        require_write(ctx)?;
        let input = service::PriceListInput::from(input);
        PriceListResult::from_result(service(ctx)?.create_price_list(&input).await)
    }

    /// Updates a list's name, group, dates and priority (its currency is fixed).
    async fn update_price_list(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PriceListInput,
    ) -> Result<PriceListResult> {
        require_write(ctx)?;
        let key = decode(&id, PRICE_LIST)?;
        let input = service::PriceListInput::from(input);
        PriceListResult::from_result(service(ctx)?.update_price_list(key, &input).await)
    }

    /// Deletes a list with its tiers; false when there was none.
    async fn delete_price_list(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        require_write(ctx)?;
        let key = decode(&id, PRICE_LIST)?;
        service(ctx)?
            .delete_price_list(key)
            .await
            .map_err(top_level)
    }

    /// Replaces a variant's volume tiers in a list (no tiers: removes the variant). Tiers may
    /// not overlap, e.g. 1-9, 10-49, 50+.
    async fn set_price_list_tiers(
        &self,
        ctx: &Context<'_>,
        price_list_id: ID,
        variant_id: ID,
        tiers: Vec<PriceTierInput>,
    ) -> Result<PriceListEntryResult> {
        require_write(ctx)?;
        let key = decode(&price_list_id, PRICE_LIST)?;
        let tiers: Vec<service::TierInput> = tiers.into_iter().map(Into::into).collect();
        let saved = service(ctx)?
            .set_price_list_tiers(key, &variant_id, &tiers)
            .await;
        PriceListEntryResult::from_result(saved.map(|tiers| PriceListEntry {
            variant_id: variant_id.clone(),
            tiers: tiers.iter().map(PriceTier::from).collect(),
        }))
    }

    async fn create_promotion(
        &self,
        ctx: &Context<'_>,
        input: PromotionInput,
    ) -> Result<PromotionResult> {
        require_write(ctx)?;
        let input = service::PromotionInput::from(input);
        PromotionResult::from_result(service(ctx)?.create_promotion(&input).await)
    }

    /// Replaces every field of a promotion.
    async fn update_promotion(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PromotionInput,
    ) -> Result<PromotionResult> {
        require_write(ctx)?;
        let key = decode(&id, PROMOTION)?;
        let input = service::PromotionInput::from(input);
        PromotionResult::from_result(service(ctx)?.update_promotion(key, &input).await)
    }

    /// Deletes a promotion with its coupons; false when there was none.
    async fn delete_promotion(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        require_write(ctx)?;
        let key = decode(&id, PROMOTION)?;
        service(ctx)?.delete_promotion(key).await.map_err(top_level)
    }

    async fn create_coupon(&self, ctx: &Context<'_>, input: CouponInput) -> Result<CouponResult> {
        require_write(ctx)?;
        let input = service::CouponInput {
            promotion_id: decode(&input.promotion_id, PROMOTION)?,
            code: input.code,
            usage_limit: input.usage_limit,
            usage_limit_per_customer: input.usage_limit_per_customer,
        };
        CouponResult::from_result(service(ctx)?.create_coupon(&input).await)
    }

    async fn delete_coupon(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        require_write(ctx)?;
        let key = decode(&id, COUPON)?;
        service(ctx)?.delete_coupon(key).await.map_err(top_level)
    }

    /// Creates or renames a tax category such as `standard` or `reduced`.
    async fn set_tax_category(
        &self,
        ctx: &Context<'_>,
        code: String,
        name: String,
    ) -> Result<TaxCategoryResult> {
        require_write(ctx)?;
        let saved = service(ctx)?.create_tax_category(&code, &name).await;
        TaxCategoryResult::from_result(saved.map(|code| TaxCategory {
            code: code.as_str().to_owned(),
            name: name.trim().to_owned(),
        }))
    }

    /// Creates or replaces the rate for a country (or region) and category.
    async fn set_tax_rate(&self, ctx: &Context<'_>, input: TaxRateInput) -> Result<TaxRateResult> {
        require_write(ctx)?;
        let input = service::TaxRateInput::from(input);
        TaxRateResult::from_result(service(ctx)?.set_tax_rate(&input).await)
    }

    async fn delete_tax_rate(&self, ctx: &Context<'_>, id: ID) -> Result<bool> {
        require_write(ctx)?;
        let key = decode(&id, TAX_RATE)?;
        service(ctx)?.delete_tax_rate(key).await.map_err(top_level)
    }

    /// Whether prices in a currency are entered with tax included.
    async fn set_currency_tax_mode(
        &self,
        ctx: &Context<'_>,
        currency: String,
        tax_inclusive: bool,
    ) -> Result<CurrencyTaxModeResult> {
        require_write(ctx)?;
        let saved = service(ctx)?.set_tax_mode(&currency, tax_inclusive).await;
        CurrencyTaxModeResult::from_result(saved.map(|mode| CurrencyTaxMode {
            currency: currency.trim().to_ascii_uppercase(),
            tax_inclusive: mode == TaxMode::Inclusive,
        }))
    }

    /// Checkout: records that an order used these coupons. Replaying one order's redemption
    /// changes nothing; a coupon at its limit is refused (with the reason).
    async fn redeem_coupons(
        &self,
        ctx: &Context<'_>,
        order_ref: String,
        customer_id: Option<ID>,
        coupon_codes: Vec<String>,
    ) -> Result<Vec<CouponRedemption>> {
        require(&viewer(ctx), "pricing:redeem")?;
        let outcomes = service(ctx)?
            .redeem_coupons(
                &order_ref,
                customer_id.as_ref().map(|id| id.as_str()),
                &coupon_codes,
            )
            .await
            .map_err(top_level)?;
        Ok(outcomes
            .into_iter()
            .map(|(code, refusal)| CouponRedemption {
                code: code.as_str().to_owned(),
                redeemed: refusal.is_none(),
                reason: refusal,
            })
            .collect())
    }
}
