// `@defer` as the clients read it: urql's own fetch exchange (not a browser page) sends a query
// with a deferred fragment to the router, gets the rest first and the deferred fields after,
// and merges them as it does for any app.
import { expect, test } from '@playwright/test';
import { Client, fetchExchange, gql, type OperationResult } from '@urql/core';
import { GRAPHQL } from './support';

const QUERY = gql`
  query DeferredRatings($first: Int!) {
    products(first: $first) {
      edges {
        node {
          id
          name
          ... @defer(label: "rating") {
            rating {
              average
              count
            }
          }
        }
      }
    }
  }
`;

type Data = {
  products: { edges: { node: { id: string; name: string; rating?: { count: number } } }[] };
};

test('urql gets the products first and their deferred ratings after', async () => {
  const client = new Client({ url: GRAPHQL, exchanges: [fetchExchange], preferGetMethod: false });
  // The source ends by itself after the last part (unsubscribing would abort the fetch).
  const results = await new Promise<OperationResult<Data>[]>((done, fail) => {
    const seen: OperationResult<Data>[] = [];
    client.query<Data>(QUERY, { first: 5 }).subscribe((result) => {
      if (result.error) return fail(result.error);
      seen.push(result);
      if (!result.hasNext) done(seen);
    });
  });
  expect(results.length).toBe(2);
  const [first, last] = results.map((r) => r.data!.products.edges.map((e) => e.node));
  expect(first.length).toBe(5);
  expect(first.every((node) => node.name && node.rating === undefined)).toBe(true);
  expect(last.map((node) => node.id)).toEqual(first.map((node) => node.id));
  expect(last.every((node) => typeof node.rating?.count === 'number')).toBe(true);
});
