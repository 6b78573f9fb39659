import type { CheckoutCartQuery } from '../gql/graphql';
import { formatMoney } from '../money';

type Totals = NonNullable<NonNullable<CheckoutCartQuery['cart']>['totals']>;

export function Totals({ totals }: { totals: Totals | null }) {
  if (!totals) return <p>Totals appear once the cart has a destination.</p>;
  if (totals.problem) return <p role="alert">{totals.problem}</p>;
  return (
    <dl className="totals" data-testid="totals">
      <dt>Subtotal</dt>
      <dd>{formatMoney(totals.subtotal)}</dd>
      {totals.discounts.map((discount, index) => (
        <div key={index} className="discount">
          <dt>{discount.couponCode ? `Coupon ${discount.couponCode}` : discount.name}</dt>
          <dd>−{formatMoney(discount.amount)}</dd>
        </div>
      ))}
      <dt>Shipping</dt>
      <dd>{formatMoney(totals.shippingTotal)}</dd>
      <dt>{totals.taxInclusive ? 'Included tax' : 'Tax'}</dt>
      <dd>{formatMoney(totals.taxTotal)}</dd>
      <dt className="grand">Total</dt>
      <dd className="grand" data-testid="grand-total">
        {formatMoney(totals.grandTotal)}
      </dd>
    </dl>
  );
}
