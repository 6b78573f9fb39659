// Cart mutations as the cart and checkout pages send them: the current cart's variables added,
// and the outcome reduced to an error message (null when the cart changed). Each returns the
// cart, so urql refetches the CheckoutCart query that shows it.
import { useCallback } from 'react';
import { useMutation, type AnyVariables, type TypedDocumentNode } from 'urql';
import { cartVariables, useSession } from './session';

type Outcome = { __typename?: string; message?: string } | null | undefined;

export function useCartMutation<Data extends Record<string, unknown>, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
) {
  const { cart } = useSession();
  const [state, execute] = useMutation(document);
  const run = useCallback(
    async (variables: Omit<Variables, 'cartId' | 'token'>): Promise<string | null> => {
      const result = await execute({ ...cartVariables(cart), ...variables } as Variables);
      if (result.error) return result.error.message;
      const outcome = Object.values(result.data ?? {})[0] as Outcome;
      if (!outcome) return 'No answer';
      return outcome.__typename === 'Cart' ? null : (outcome.message ?? outcome.__typename ?? 'Failed');
    },
    [cart, execute],
  );
  return [state.fetching, run] as const;
}
