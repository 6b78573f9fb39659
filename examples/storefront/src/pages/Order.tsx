// One of the customer's orders, its status kept live by the `orderUpdated` subscription
// (WebSocket through the router): staff shipping it shows here without a reload.
import { useEffect } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useQuery, useSubscription } from 'urql';
import { OrderDocument, OrderUpdatedDocument, type OrderStatus } from '../gql/graphql';
import { formatMoney } from '../money';
import { useSession } from '../session';

export function OrderPage() {
  const { id = '' } = useParams();
  const { accessToken } = useSession();
  const [{ data, error }] = useQuery({ query: OrderDocument, variables: { id }, pause: !accessToken });
  const [live] = useSubscription({ query: OrderUpdatedDocument, variables: { id }, pause: !accessToken });
  useEffect(() => {
    document.title = 'Your order · Commerce';
  }, []);
  if (!accessToken) return <p><Link to="/sign-in">Sign in</Link> to see your orders.</p>;
  if (error) return <p role="alert">Could not load the order: {error.message}</p>;
  const order = data?.order;
  if (!order) return data ? <p>No such order.</p> : <p aria-busy="true">Loading…</p>;
  const status = live.data?.orderUpdated.status ?? order.status;
  const fulfillments = live.data?.orderUpdated.fulfillments ?? order.fulfillments;
  return (
    <article className="order">
      <h1>Order #{order.number}</h1>
      <p>
        Status: <StatusBadge status={status} />{' '}
        <small aria-live="polite">{live.data ? '(live)' : ''}</small>
      </p>
      <p>Placed {new Date(order.placedAt).toLocaleString()}</p>
      <table className="lines">
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Quantity</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {order.lines.map((line) => (
            <tr key={line.id}>
              <td>
                {line.productName} <small>{line.variantName}</small>
              </td>
              <td>{line.quantity}</td>
              <td>{formatMoney(line.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <dl className="totals">
        <dt>Subtotal</dt>
        <dd>{formatMoney(order.totals.subtotal)}</dd>
        <dt>Discounts</dt>
        <dd>−{formatMoney(order.totals.discountTotal)}</dd>
        <dt>Shipping{order.shippingMethod ? ` (${order.shippingMethod.name})` : ''}</dt>
        <dd>{formatMoney(order.totals.shippingTotal)}</dd>
        <dt>{order.totals.taxInclusive ? 'Included tax' : 'Tax'}</dt>
        <dd>{formatMoney(order.totals.taxTotal)}</dd>
        <dt className="grand">Total</dt>
        <dd className="grand">{formatMoney(order.totals.total)}</dd>
      </dl>
      <h2>Shipping to</h2>
      <p>
        {order.shippingAddress.firstName} {order.shippingAddress.lastName}, {order.shippingAddress.line1},{' '}
        {order.shippingAddress.postalCode} {order.shippingAddress.city}, {order.shippingAddress.countryCode}
      </p>
      {fulfillments.length > 0 && (
        <>
          <h2>Shipments</h2>
          <ul>
            {fulfillments.map((f, index) => (
              <li key={index}>
                {f.status}
                {f.trackingNumbers.length > 0 && ` · tracking ${f.trackingNumbers.join(', ')}`}
              </li>
            ))}
          </ul>
        </>
      )}
    </article>
  );
}

export function StatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span className={`status status-${status.toLowerCase()}`} data-testid="order-status">
      {status.replace(/_/g, ' ').toLowerCase()}
    </span>
  );
}

/// An order's status, kept current by its `orderUpdated` subscription.
export function LiveStatus({ id, status }: { id: string; status: OrderStatus }) {
  const [live] = useSubscription({ query: OrderUpdatedDocument, variables: { id } });
  return <StatusBadge status={live.data?.orderUpdated.status ?? status} />;
}
