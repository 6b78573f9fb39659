import { useState, type FormEvent } from 'react';
import { Link, NavLink, Outlet, useNavigate, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import { CURRENCIES, type Currency } from '../config';
import { CheckoutCartDocument, NavigationDocument } from '../gql/graphql';
import { cartVariables, useSession } from '../session';

export function Layout() {
  const session = useSession();
  const [{ data }] = useQuery({ query: NavigationDocument });
  const roots = (data?.categories ?? []).filter((category) => !category.parent);
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="bar">
          <Link to="/" className="brand">
            Commerce
          </Link>
          <SearchBox />
          <label className="currency">
            <span>Currency</span>
            <select
              value={session.currency}
              onChange={(event) => session.setCurrency(event.target.value as Currency)}
            >
              {CURRENCIES.map((currency) => (
                <option key={currency}>{currency}</option>
              ))}
            </select>
          </label>
          {session.accessToken ? (
            <>
              <NavLink to="/account">Account</NavLink>
              <button type="button" className="link" onClick={session.signOut}>
                Sign out
              </button>
            </>
          ) : (
            <NavLink to="/sign-in">Sign in</NavLink>
          )}
          <CartLink />
        </div>
        <nav aria-label="Categories" className="categories">
          {roots.map((category) => (
            <NavLink key={category.id} to={`/category/${category.slug}`}>
              {category.name}
            </NavLink>
          ))}
          {(data?.collections.nodes ?? []).map((collection) => (
            <NavLink key={collection.id} to={`/collection/${collection.slug}`} className="collection">
              {collection.name}
            </NavLink>
          ))}
        </nav>
      </header>
      <main id="main">
        <Outlet />
      </main>
      <footer className="site-footer">
        Demo shop on the commerce graph · test cards: 4242 4242 4242 4242 succeeds, 4000 0000 0000
        0002 is declined
      </footer>
    </>
  );
}

function SearchBox() {
  const [params] = useSearchParams();
  const [text, setText] = useState(params.get('q') ?? '');
  const navigate = useNavigate();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    navigate(text.trim() ? `/search?q=${encodeURIComponent(text.trim())}` : '/');
  };
  return (
    <form role="search" onSubmit={submit} className="search">
      <label htmlFor="search-text" className="visually-hidden">
        Search products
      </label>
      <input
        id="search-text"
        type="search"
        placeholder="Search products"
        value={text}
        onChange={(event) => setText(event.target.value)}
      />
      <button type="submit">Search</button>
    </form>
  );
}

function CartLink() {
  const { cart } = useSession();
  const [{ data }] = useQuery({
    query: CheckoutCartDocument,
    variables: cartVariables(cart),
    pause: !cart,
  });
  // A paused query keeps its last result: no cart (checked out, signed out) is an empty one.
  const count = cart ? (data?.cart?.itemCount ?? 0) : 0;
  return (
    <NavLink to="/cart" className="cart-link">
      Cart <span aria-label={`${count} items`}>({count})</span>
    </NavLink>
  );
}
