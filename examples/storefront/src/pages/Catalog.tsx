// The product listing: a category, a collection, a search or everything; facet counts narrow
// it, a sort orders it and "Load more" follows the connection's cursor (Relay pagination).
import { useEffect, useState } from 'react';
import { Link, useLocation, useParams, useSearchParams } from 'react-router-dom';
import { useQuery } from 'urql';
import {
  BrowseDocument,
  NavigationDocument,
  type BrowseQuery,
  type ProductFilterInput,
  type ProductSort,
} from '../gql/graphql';
import { formatMoney } from '../money';
import { useSession } from '../session';
import { Stars } from '../components/Stars';

const PAGE_SIZE = 12;
const SORTS: { value: ProductSort; label: string }[] = [
  { value: 'RELEVANCE', label: 'Best match' },
  { value: 'NEWEST', label: 'Newest' },
  { value: 'NAME', label: 'Name, A to Z' },
];

export function Catalog() {
  const { slug } = useParams();
  const { pathname } = useLocation();
  const [params, setParams] = useSearchParams();
  const [{ data: navigation }] = useQuery({ query: NavigationDocument });
  const search = params.get('q') ?? '';
  const sort = (params.get('sort') as ProductSort | null) ?? (search ? 'RELEVANCE' : 'NEWEST');
  const attributes = params.getAll('attr');

  let title = search ? `Results for “${search}”` : 'All products';
  const filter: ProductFilterInput = {};
  if (search) filter.search = search;
  if (pathname.startsWith('/category/')) {
    const category = navigation?.categories.find((c) => c.slug === slug);
    if (!category) return navigation ? <p>No such category.</p> : <p aria-busy="true">Loading…</p>;
    filter.categoryId = category.id;
    title = category.name;
  } else if (pathname.startsWith('/collection/')) {
    const collection = navigation?.collections.nodes.find((c) => c.slug === slug);
    if (!collection) return navigation ? <p>No such collection.</p> : <p aria-busy="true">Loading…</p>;
    filter.collectionId = collection.id;
    title = collection.name;
  }
  filter.attributes = groupAttributes(attributes);

  const update = (change: (next: URLSearchParams) => void) => {
    const next = new URLSearchParams(params);
    change(next);
    setParams(next, { replace: true });
  };
  return (
    <Listing
      key={JSON.stringify([filter, sort])}
      title={title}
      filter={filter}
      sort={sort}
      sorts={search ? SORTS : SORTS.filter((s) => s.value !== 'RELEVANCE')}
      selected={attributes}
      onSort={(value) => update((next) => next.set('sort', value))}
      onToggle={(value) =>
        update((next) => {
          const current = next.getAll('attr');
          next.delete('attr');
          const toggled = current.includes(value)
            ? current.filter((v) => v !== value)
            : [...current, value];
          toggled.forEach((v) => next.append('attr', v));
        })
      }
    />
  );
}

/// `attr=Colour:Red` parameters as the filter's attribute list (values of a name ORed).
function groupAttributes(values: string[]) {
  const byName = new Map<string, string[]>();
  for (const value of values) {
    const [name, ...rest] = value.split(':');
    byName.set(name, [...(byName.get(name) ?? []), rest.join(':')]);
  }
  return [...byName].map(([name, values]) => ({ name, values }));
}

type ListingProps = {
  title: string;
  filter: ProductFilterInput;
  sort: ProductSort;
  sorts: typeof SORTS;
  selected: string[];
  onSort(sort: ProductSort): void;
  onToggle(attribute: string): void;
};

function Listing({ title, filter, sort, sorts, selected, onSort, onToggle }: ListingProps) {
  const { currency } = useSession();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [first] = useQuery({
    query: BrowseDocument,
    variables: { first: PAGE_SIZE, sort, filter, currency },
  });
  useEffect(() => {
    document.title = `${title} · Commerce`;
  }, [title]);
  const connection = first.data?.products;
  return (
    <div className="listing">
      <aside aria-label="Filters" className="facets">
        {connection && <Facets facets={connection.facets} selected={selected} onToggle={onToggle} />}
      </aside>
      <section aria-labelledby="listing-title">
        <div className="listing-head">
          <h1 id="listing-title">{title}</h1>
          <label>
            Sort by{' '}
            <select value={sort} onChange={(event) => onSort(event.target.value as ProductSort)}>
              {sorts.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
        </div>
        {first.error && <p role="alert">Could not load products: {first.error.message}</p>}
        {!connection && !first.error && <p aria-busy="true">Loading products…</p>}
        {connection && (
          <>
            <p className="count" data-testid="product-count" elementtiming="product-list">
              {connection.totalCount} products
            </p>
            <ul className="grid" data-testid="product-grid">
              {cursors.map((after, index) => (
                <Page
                  key={after ?? 'first'}
                  data={index === 0 ? connection : undefined}
                  variables={{ first: PAGE_SIZE, after, sort, filter, currency }}
                  last={index === cursors.length - 1}
                  onLoadMore={(cursor) => setCursors([...cursors, cursor])}
                />
              ))}
            </ul>
          </>
        )}
      </section>
    </div>
  );
}

type Connection = BrowseQuery['products'];

function Page(props: {
  data?: Connection;
  variables: { first: number; after: string | null; sort: ProductSort; filter: ProductFilterInput; currency: string };
  last: boolean;
  onLoadMore(cursor: string): void;
}) {
  const [result] = useQuery({ query: BrowseDocument, variables: props.variables, pause: !!props.data });
  const connection = props.data ?? result.data?.products;
  if (!connection) return <li aria-busy="true">Loading…</li>;
  return (
    <>
      {connection.edges.map(({ node }) => (
        <li key={node.id} className="card">
          <Link to={`/product/${node.slug}`}>
            <ProductImage src={node.imageUrls[0]} name={node.name} />
            <span className="name">{node.name}</span>
          </Link>
          <span className="price">
            {node.priceRange ? (
              <>
                {node.priceRange.min.amount !== node.priceRange.max.amount && 'from '}
                {formatMoney(node.priceRange.min)}
                {node.priceRange.compareAtMax && (
                  <del aria-label="was">{formatMoney(node.priceRange.compareAtMax)}</del>
                )}
              </>
            ) : (
              'Not sold in this currency'
            )}
          </span>
          <span className="meta">
            <Stars average={node.rating.average} count={node.rating.count} />
            {!node.inStock && <span className="out">Out of stock</span>}
          </span>
        </li>
      ))}
      {props.last && connection.pageInfo.hasNextPage && connection.pageInfo.endCursor && (
        <li className="more">
          <button type="button" onClick={() => props.onLoadMore(connection.pageInfo.endCursor!)}>
            Load more
          </button>
        </li>
      )}
    </>
  );
}

function Facets({
  facets,
  selected,
  onToggle,
}: {
  facets: Connection['facets'];
  selected: string[];
  onToggle(attribute: string): void;
}) {
  const [params] = useSearchParams();
  const query = params.get('q');
  return (
    <>
      {facets.categories.length > 0 && (
        <fieldset>
          <legend>Category</legend>
          <ul>
            {facets.categories.map(
              ({ category, count }) =>
                category && (
                  <li key={category.id}>
                    <Link to={`/category/${category.slug}${query ? `?q=${encodeURIComponent(query)}` : ''}`}>
                      {category.name}
                    </Link>{' '}
                    <span className="facet-count">({count})</span>
                  </li>
                ),
            )}
          </ul>
        </fieldset>
      )}
      {facets.attributes.map((attribute) => (
        <fieldset key={attribute.name}>
          <legend>{attribute.name}</legend>
          {attribute.values.map(({ value, count }) => {
            const key = `${attribute.name}:${value}`;
            return (
              <label key={key} className="check">
                <input type="checkbox" checked={selected.includes(key)} onChange={() => onToggle(key)} />
                {value} <span className="facet-count">({count})</span>
              </label>
            );
          })}
        </fieldset>
      ))}
    </>
  );
}

export function ProductImage({ src, name }: { src?: string; name: string }) {
  // Demo image URLs point nowhere reachable offline: a coloured tile with the initials stands in.
  const hue = [...name].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 360;
  return (
    <span className="image" style={{ background: `hsl(${hue} 45% 88%)` }} role="img" aria-label={name} data-src={src}>
      {name
        .split(' ')
        .slice(0, 2)
        .map((word) => word[0])
        .join('')}
    </span>
  );
}
