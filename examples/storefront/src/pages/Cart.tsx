// The cart: lines with quantities, a coupon, totals from pricing's rules, on to checkout.
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { useQuery } from 'urql';
import {
  CartApplyCouponDocument,
  CartRemoveLineDocument,
  CartUpdateLineDocument,
  CheckoutCartDocument,
} from '../gql/graphql';
import { useCartMutation } from '../cart';
import { formatMoney } from '../money';
import { cartVariables, useSession } from '../session';
import { Totals } from '../components/Totals';

export function CartPage() {
  const { cart: ref } = useSession();
  const [{ data, error }] = useQuery({
    query: CheckoutCartDocument,
    variables: cartVariables(ref),
    pause: !ref,
  });
  const [, updateLine] = useCartMutation(CartUpdateLineDocument);
  const [, removeLine] = useCartMutation(CartRemoveLineDocument);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    document.title = 'Cart · Commerce';
  }, []);
  const cart = data?.cart;
  if (error) return <p role="alert">Could not load the cart: {error.message}</p>;
  if (!ref || (data && (!cart || cart.lines.length === 0))) {
    return (
      <section>
        <h1>Your cart</h1>
        <p>Your cart is empty. <Link to="/">Browse the shop</Link>.</p>
      </section>
    );
  }
  if (!cart) return <p aria-busy="true">Loading the cart…</p>;
  const lineTotal = (variantId: string) =>
    cart.totals?.lines.find((line) => line.variantId === variantId)?.total;
  return (
    <section className="cart">
      <h1>Your cart</h1>
      <table className="lines">
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
            <th scope="col"><span className="visually-hidden">Remove</span></th>
          </tr>
        </thead>
        <tbody>
          {cart.lines.map((line) => (
            <tr key={line.id}>
              <td>
                <Link to={`/product/${line.variant.product.slug}`}>{line.variant.product.name}</Link>
                <br />
                <small>
                  {line.variant.name} · {line.variant.sku}
                </small>
              </td>
              <td>
                <label className="visually-hidden" htmlFor={`qty-${line.id}`}>
                  Quantity of {line.variant.product.name}
                </label>
                <input
                  id={`qty-${line.id}`}
                  type="number"
                  min={1}
                  max={999}
                  defaultValue={line.quantity}
                  onBlur={async (event) => {
                    const quantity = Number(event.target.value);
                    if (quantity !== line.quantity && quantity >= 1) {
                      setMessage(await updateLine({ lineId: line.id, quantity }));
                    }
                  }}
                />
              </td>
              <td>{formatMoney(lineTotal(line.variant.id))}</td>
              <td>
                <button
                  type="button"
                  className="link"
                  onClick={async () => setMessage(await removeLine({ lineId: line.id }))}
                >
                  Remove <span className="visually-hidden">{line.variant.product.name}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {message && <p role="alert">{message}</p>}
      <Coupon codes={cart.couponCodes} />
      <Totals totals={cart.totals} />
      <Link to="/checkout" className="button primary">
        Checkout
      </Link>
    </section>
  );
}

export function Coupon({ codes }: { codes: string[] }) {
  const [code, setCode] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const [fetching, apply] = useCartMutation(CartApplyCouponDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const error = await apply({ code: code.trim() });
    setMessage(error);
    if (!error) setCode('');
  };
  return (
    <form onSubmit={submit} className="coupon">
      <label htmlFor="coupon-code">Coupon code</label>{' '}
      <input id="coupon-code" value={code} onChange={(event) => setCode(event.target.value)} placeholder="WELCOME10" />{' '}
      <button type="submit" disabled={fetching || !code.trim()}>
        Apply
      </button>
      {codes.length > 0 && <p>Applied: {codes.join(', ')}</p>}
      {message && <p role="alert">{message}</p>}
    </form>
  );
}
