// Checkout on one page: contact email (guests), shipping address (typed, or from the address
// book when signed in), shipping method, then the card. The test provider's cards succeed or
// are declined; a decline is shown and the cart stays as it was.
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import {
  AccountDocument,
  CartSetEmailDocument,
  CartSetShippingAddressDocument,
  CartSetShippingMethodDocument,
  CheckoutCartDocument,
  CheckoutCompleteDocument,
  type CheckoutCartQuery,
} from '../gql/graphql';
import { TEST_CARDS } from '../config';
import { useCartMutation } from '../cart';
import { formatMoney } from '../money';
import { cartVariables, useSession } from '../session';
import { Totals } from '../components/Totals';
import { AddressFields, emptyAddress, type AddressValue } from '../components/AddressFields';
import { Coupon } from './Cart';

type Cart = NonNullable<CheckoutCartQuery['cart']>;

export function CheckoutPage() {
  const { cart: ref } = useSession();
  const [{ data, error }] = useQuery({
    query: CheckoutCartDocument,
    variables: cartVariables(ref),
    pause: !ref,
  });
  useEffect(() => {
    document.title = 'Checkout · Commerce';
  }, []);
  const cart = data?.cart;
  if (error) return <p role="alert">Could not load the cart: {error.message}</p>;
  if (!ref || (data && (!cart || cart.lines.length === 0))) {
    return <p>Your cart is empty. <Link to="/">Browse the shop</Link>.</p>;
  }
  if (!cart) return <p aria-busy="true">Loading…</p>;
  return (
    <div className="checkout">
      <h1>Checkout</h1>
      <div className="checkout-grid">
        <div>
          <Contact cart={cart} />
          <ShippingAddress cart={cart} />
          <ShippingMethod cart={cart} />
          <Payment cart={cart} />
        </div>
        <aside aria-label="Order summary" className="summary">
          <h2>Summary</h2>
          <ul>
            {cart.lines.map((line) => (
              <li key={line.id}>
                {line.quantity} × {line.variant.product.name} <small>({line.variant.name})</small>
              </li>
            ))}
          </ul>
          <Coupon codes={cart.couponCodes} />
          <Totals totals={cart.totals} />
        </aside>
      </div>
    </div>
  );
}

function Contact({ cart }: { cart: Cart }) {
  const { accessToken } = useSession();
  const [email, setEmail] = useState(cart.email ?? '');
  const [message, setMessage] = useState<string | null>(null);
  const [fetching, setCartEmail] = useCartMutation(CartSetEmailDocument);
  if (accessToken) return null;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(await setCartEmail({ email }));
  };
  return (
    <form onSubmit={submit} className="step" aria-labelledby="contact-title">
      <h2 id="contact-title">1. Contact</h2>
      <label htmlFor="email">Email</label>
      <input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />{' '}
      <button type="submit" disabled={fetching}>
        {cart.email ? 'Update email' : 'Save email'}
      </button>
      {cart.email && <p className="done">Confirmation goes to {cart.email}</p>}
      {message && <p role="alert">{message}</p>}
      <p>
        Have an account? <Link to="/sign-in?next=/checkout">Sign in</Link> and your cart comes with you.
      </p>
    </form>
  );
}

function ShippingAddress({ cart }: { cart: Cart }) {
  const { accessToken } = useSession();
  const [{ data: account }] = useQuery({ query: AccountDocument, pause: !accessToken });
  const saved = account?.me?.addresses ?? [];
  const [savedId, setSavedId] = useState<string>('');
  const [address, setAddress] = useState<AddressValue>(() =>
    cart.shippingAddress
      ? { ...emptyAddress(cart.country ?? 'DE'), ...cart.shippingAddress, line2: cart.shippingAddress.line2 ?? '' }
      : emptyAddress(cart.country ?? 'DE'),
  );
  const [message, setMessage] = useState<string | null>(null);
  const [fetching, setShippingAddress] = useCartMutation(CartSetShippingAddressDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(
      savedId
        ? await setShippingAddress({ savedAddressId: savedId })
        : await setShippingAddress({ address: { ...address, line2: address.line2 || null } }),
    );
  };
  return (
    <form onSubmit={submit} className="step" aria-labelledby="address-title">
      <h2 id="address-title">2. Shipping address</h2>
      {saved.length > 0 && (
        <fieldset>
          <legend>From your address book</legend>
          {saved.map((a) => (
            <label key={a.id} className="check">
              <input type="radio" name="saved" value={a.id} checked={savedId === a.id} onChange={() => setSavedId(a.id)} />
              {a.firstName} {a.lastName}, {a.line1}, {a.postalCode} {a.city}, {a.countryCode}
            </label>
          ))}
          <label className="check">
            <input type="radio" name="saved" value="" checked={savedId === ''} onChange={() => setSavedId('')} />
            A new address
          </label>
        </fieldset>
      )}
      {savedId === '' && <AddressFields idPrefix="ship" value={address} onChange={setAddress} />}
      <button type="submit" disabled={fetching}>
        Ship here
      </button>
      {cart.shippingAddress && (
        <p className="done">
          Shipping to {cart.shippingAddress.firstName} {cart.shippingAddress.lastName}, {cart.shippingAddress.city},{' '}
          {cart.shippingAddress.countryCode}
        </p>
      )}
      {message && <p role="alert">{message}</p>}
    </form>
  );
}

function ShippingMethod({ cart }: { cart: Cart }) {
  const [message, setMessage] = useState<string | null>(null);
  const [fetching, setMethod] = useCartMutation(CartSetShippingMethodDocument);
  return (
    <fieldset className="step" disabled={fetching}>
      <legend>
        <h2>3. Shipping method</h2>
      </legend>
      {cart.availableShippingMethods.length === 0 && <p>Give an address to see the shipping methods.</p>}
      {cart.availableShippingMethods.map((option) => (
        <label key={option.method.id} className="check">
          <input
            type="radio"
            name="shipping-method"
            checked={cart.shippingMethod?.method.id === option.method.id}
            onChange={async () => setMessage(await setMethod({ shippingMethodId: option.method.id }))}
          />
          {option.method.name} — {formatMoney(option.price)}
        </label>
      ))}
      {message && <p role="alert">{message}</p>}
    </fieldset>
  );
}

function Payment({ cart }: { cart: Cart }) {
  const session = useSession();
  const navigate = useNavigate();
  const [card, setCard] = useState<string>(TEST_CARDS[0].number);
  const [message, setMessage] = useState<string | null>(null);
  const [{ fetching }, complete] = useMutation(CheckoutCompleteDocument);
  const missing = cart.missingForCheckout;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    const result = await complete({
      ...cartVariables(session.cart),
      idempotencyKey: crypto.randomUUID(),
      payment: { provider: 'test', token: card },
      expectedTotal: cart.totals?.grandTotal?.amount ?? null,
    });
    const outcome = result.data?.checkoutComplete;
    if (!outcome) {
      setMessage(result.error?.message ?? 'The order could not be placed');
      return;
    }
    switch (outcome.__typename) {
      case 'CheckoutCompleted':
        sessionStorage.setItem(
          'confirmation',
          JSON.stringify({
            orderId: outcome.orderId,
            number: outcome.orderNumber,
            total: outcome.total,
            email: cart.email,
            lines: cart.lines.map((l) => ({ name: l.variant.product.name, variant: l.variant.name, quantity: l.quantity })),
          }),
        );
        session.forgetCart();
        navigate('/confirmation');
        return;
      case 'CheckoutPaymentDeclined':
        setMessage(`Payment declined: ${outcome.message} (${outcome.declineCode}). Try another card.`);
        return;
      default:
        setMessage(outcome.message);
    }
  };
  return (
    <form onSubmit={submit} className="step" aria-labelledby="payment-title">
      <h2 id="payment-title">4. Payment</h2>
      <label htmlFor="card-number">Card number</label>
      <input
        id="card-number"
        inputMode="numeric"
        autoComplete="cc-number"
        required
        value={card}
        onChange={(event) => setCard(event.target.value)}
        aria-describedby="card-help"
      />
      <p id="card-help" className="help">
        Test cards:{' '}
        {TEST_CARDS.map((c) => (
          <button key={c.number} type="button" className="link" onClick={() => setCard(c.number)}>
            {c.number} ({c.label})
          </button>
        ))}
      </p>
      {missing.length > 0 && <p className="help">Still needed: {missing.join(', ')}.</p>}
      <button type="submit" className="primary" disabled={fetching || missing.length > 0}>
        Pay {formatMoney(cart.totals?.grandTotal)}
      </button>
      {message && (
        <p role="alert" className="error" data-testid="checkout-error">
          {message}
        </p>
      )}
    </form>
  );
}
