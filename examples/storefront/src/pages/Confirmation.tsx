// After a successful checkout: the order's number and total (a guest may not read orders, so
// this is what checkout answered); signed-in customers follow the order's status live.
import { useEffect } from 'react';
import { Link } from 'react-router-dom';
import { formatMoney, type Money } from '../money';
import { useSession } from '../session';

type Confirmation = {
  orderId: string;
  number: number;
  total: Money;
  email: string | null;
  lines: { name: string; variant: string; quantity: number }[];
};

export function ConfirmationPage() {
  const { accessToken } = useSession();
  const text = sessionStorage.getItem('confirmation');
  const confirmation = text ? (JSON.parse(text) as Confirmation) : null;
  useEffect(() => {
    document.title = 'Thank you · Commerce';
  }, []);
  if (!confirmation) return <p>No recent order. <Link to="/">Back to the shop</Link></p>;
  return (
    <section className="confirmation" aria-labelledby="confirmation-title">
      <h1 id="confirmation-title">Thank you for your order</h1>
      <p data-testid="order-number">
        Order <strong>#{confirmation.number}</strong> is placed: {formatMoney(confirmation.total)} paid.
      </p>
      {confirmation.email && <p>A confirmation is on its way to {confirmation.email}.</p>}
      <ul>
        {confirmation.lines.map((line, index) => (
          <li key={index}>
            {line.quantity} × {line.name} ({line.variant})
          </li>
        ))}
      </ul>
      {accessToken ? (
        <p>
          <Link to={`/orders/${encodeURIComponent(confirmation.orderId)}`}>Follow your order</Link>
        </p>
      ) : (
        <p>
          <Link to="/register">Create an account</Link> to follow your next orders.
        </p>
      )}
      <p>
        <Link to="/">Continue shopping</Link>
      </p>
    </section>
  );
}
