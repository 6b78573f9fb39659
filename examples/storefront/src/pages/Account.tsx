// The signed-in customer's page: the address book (add one) and the order history, each
// order's status live (one `orderUpdated` subscription per row, all on one WebSocket).
import { useEffect, useState, type FormEvent } from 'react';
import { Link, Navigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { AccountDocument, AddressAddDocument, MyOrdersDocument } from '../gql/graphql';
import { formatMoney } from '../money';
import { useSession } from '../session';
import { AddressFields, emptyAddress } from '../components/AddressFields';
import { LiveStatus } from './Order';

export function AccountPage() {
  const { accessToken, currency } = useSession();
  const [{ data, error }] = useQuery({ query: AccountDocument, pause: !accessToken });
  useEffect(() => {
    document.title = 'Your account · Commerce';
  }, []);
  if (!accessToken) return <Navigate to="/sign-in?next=/account" replace />;
  if (error) return <p role="alert">Could not load your account: {error.message}</p>;
  const me = data?.me;
  if (!me) return <p aria-busy="true">Loading…</p>;
  return (
    <div className="account">
      <h1>Hello, {me.firstName}</h1>
      <p>
        {me.email}
        {me.groups.length > 0 && <> · {me.groups.map((g) => g.name).join(', ')} prices</>}
      </p>
      <Orders />
      <section aria-labelledby="addresses-title">
        <h2 id="addresses-title">Addresses</h2>
        {me.addresses.length === 0 && <p>No saved addresses.</p>}
        <ul className="addresses">
          {me.addresses.map((a) => (
            <li key={a.id}>
              {a.firstName} {a.lastName}
              {a.company && `, ${a.company}`}
              <br />
              {a.line1}
              {a.line2 && `, ${a.line2}`}
              <br />
              {a.postalCode} {a.city}, {a.countryCode}
              {me.defaultShippingAddress?.id === a.id && <span className="badge">Default</span>}
            </li>
          ))}
        </ul>
        <AddAddress country={currency === 'USD' ? 'US' : 'DE'} />
      </section>
    </div>
  );
}

function AddAddress({ country }: { country: string }) {
  const [address, setAddress] = useState(() => emptyAddress(country));
  const [makeDefault, setMakeDefault] = useState(true);
  const [message, setMessage] = useState<string | null>(null);
  const [{ fetching }, add] = useMutation(AddressAddDocument);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await add(
      { input: { ...address, line2: address.line2 || null }, defaultShipping: makeDefault },
      { additionalTypenames: ['Customer'] },
    );
    if (result.error) setMessage(result.error.message);
    else {
      setMessage('Address saved.');
      setAddress(emptyAddress(country));
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="add-address-title">
      <h3 id="add-address-title">Add an address</h3>
      <AddressFields idPrefix="book" value={address} onChange={setAddress} />
      <label className="check">
        <input type="checkbox" checked={makeDefault} onChange={(e) => setMakeDefault(e.target.checked)} />
        Make it my default shipping address
      </label>
      <button type="submit" disabled={fetching}>
        Save address
      </button>
      {message && <p role="status">{message}</p>}
    </form>
  );
}

function Orders() {
  const [{ data }] = useQuery({ query: MyOrdersDocument, variables: { first: 10 } });
  const orders = data?.me?.orders;
  return (
    <section aria-labelledby="orders-title">
      <h2 id="orders-title">Orders</h2>
      {!orders && <p aria-busy="true">Loading…</p>}
      {orders && orders.totalCount === 0 && <p>No orders yet.</p>}
      {orders && orders.totalCount > 0 && (
        <table className="orders" data-testid="order-history">
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Placed</th>
              <th scope="col">Items</th>
              <th scope="col">Total</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {orders.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>
                  <Link to={`/orders/${encodeURIComponent(node.id)}`}>#{node.number}</Link>
                </td>
                <td>{new Date(node.placedAt).toLocaleString()}</td>
                <td>{node.lines.reduce((sum, l) => sum + l.quantity, 0)}</td>
                <td>{formatMoney(node.total)}</td>
                <td>
                  <LiveStatus id={node.id} status={node.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
