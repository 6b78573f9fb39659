// Who is shopping: the access token (signed in) or nothing (a guest), the visitor's currency
// and the cart they fill (a guest cart by its token, a customer's by its id). Kept in
// localStorage so a reload keeps them; the urql client is rebuilt when the token changes.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { Provider } from 'urql';
import { createClient } from './client';
import { DEFAULT_COUNTRY, guessCurrency, type Currency } from './config';
import {
  CartCreateDocument,
  CartMergeDocument,
  MyCartDocument,
  SignInDocument,
} from './gql/graphql';

export type CartRef = { cartId?: string; token?: string; currency: string };

type Session = {
  accessToken: string | null;
  email: string | null;
  currency: Currency;
  setCurrency(currency: Currency): void;
  cart: CartRef | null;
  /// The cart to add to: the current one in the visitor's currency, else a new one.
  ensureCart(): Promise<CartRef>;
  forgetCart(): void;
  /// Signs in and merges the guest cart into the customer's; an error message on failure.
  signIn(email: string, password: string): Promise<string | null>;
  signOut(): void;
};

const SessionContext = createContext<Session | null>(null);

function stored<T>(key: string): T | null {
  const text = localStorage.getItem(key);
  return text ? (JSON.parse(text) as T) : null;
}

function store(key: string, value: unknown) {
  if (value === null) localStorage.removeItem(key);
  else localStorage.setItem(key, JSON.stringify(value));
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [auth, setAuth] = useState(() => stored<{ token: string; email: string }>('auth'));
  const [currency, setCurrencyState] = useState<Currency>(
    () => stored<Currency>('currency') ?? guessCurrency(),
  );
  const [cart, setCart] = useState(() => stored<CartRef>('cart'));
  const { client, ws } = useMemo(() => createClient(auth?.token ?? null), [auth]);
  useEffect(() => () => void ws.dispose(), [ws]);
  useEffect(() => store('auth', auth), [auth]);
  useEffect(() => store('cart', cart), [cart]);

  const setCurrency = useCallback((next: Currency) => {
    store('currency', next);
    setCurrencyState(next);
  }, []);

  const ensureCart = useCallback(async (): Promise<CartRef> => {
    if (cart && cart.currency === currency) return cart;
    const result = await client
      .mutation(CartCreateDocument, { currency, country: DEFAULT_COUNTRY[currency] })
      .toPromise();
    const created = result.data?.cartCreate;
    if (created?.__typename !== 'Cart') {
      throw new Error(result.error?.message ?? 'The cart could not be created');
    }
    const ref = created.token
      ? { token: created.token, currency: created.currency }
      : { cartId: created.id, currency: created.currency };
    setCart(ref);
    return ref;
  }, [cart, client, currency]);

  const signIn = useCallback(
    async (email: string, password: string): Promise<string | null> => {
      const result = await client.mutation(SignInDocument, { email, password }).toPromise();
      const login = result.data?.login;
      if (!login) return result.error?.message ?? 'Sign-in failed';
      if (login.__typename !== 'AuthPayload') return login.message;
      // The guest's lines move into the customer's cart with the new token.
      const signedIn = createClient(login.accessToken);
      let next: CartRef | null = null;
      if (cart?.token) {
        const merged = await signedIn.client
          .mutation(CartMergeDocument, { guestToken: cart.token })
          .toPromise();
        const mergedCart = merged.data?.cartMerge;
        if (mergedCart?.__typename === 'Cart') {
          next = { cartId: mergedCart.id, currency: mergedCart.currency };
        }
      } else {
        const mine = await signedIn.client.query(MyCartDocument, {}).toPromise();
        const myCart = mine.data?.myCart;
        if (myCart) next = { cartId: myCart.id, currency: myCart.currency };
      }
      signedIn.ws.dispose();
      setCart(next);
      setAuth({ token: login.accessToken, email: login.customer?.email ?? email });
      return null;
    },
    [cart, client],
  );

  const signOut = useCallback(() => {
    setAuth(null);
    setCart(null);
  }, []);

  const session: Session = {
    accessToken: auth?.token ?? null,
    email: auth?.email ?? null,
    currency,
    setCurrency,
    cart,
    ensureCart,
    forgetCart: () => setCart(null),
    signIn,
    signOut,
  };
  return (
    <SessionContext.Provider value={session}>
      <Provider value={client}>{children}</Provider>
    </SessionContext.Provider>
  );
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/// The variables that name the current cart in the cart documents.
export function cartVariables(cart: CartRef | null): { cartId?: string; token?: string } {
  return cart ? { cartId: cart.cartId, token: cart.token } : {};
}
