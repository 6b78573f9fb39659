// The product page: option pickers choose the variant; its price for this visitor in their
// currency (with the struck-out compare-at price and the volume tiers of their price list),
// units left, the rating with its histogram, and the reviews ("More reviews" pages on).
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { CartAddLineDocument, ProductPageDocument, type ProductPageQuery } from '../gql/graphql';
import { formatMoney } from '../money';
import { cartVariables, useSession } from '../session';
import { Stars } from '../components/Stars';
import { ProductImage } from './Catalog';

type Product = NonNullable<ProductPageQuery['product']>;
type Variant = Product['variants'][number];

export function ProductPage() {
  const { slug = '' } = useParams();
  const { currency } = useSession();
  const [{ data, error, fetching }] = useQuery({
    query: ProductPageDocument,
    variables: { slug, currency },
  });
  const product = data?.product;
  useEffect(() => {
    if (product) document.title = `${product.name} · Commerce`;
  }, [product]);
  if (error) return <p role="alert">Could not load the product: {error.message}</p>;
  if (!product) return fetching ? <p aria-busy="true">Loading…</p> : <p>No such product.</p>;
  return <ProductView key={product.id} product={product} />;
}

function ProductView({ product }: { product: Product }) {
  const [selected, setSelected] = useState<Record<string, string>>(() =>
    Object.fromEntries(product.variants[0]?.options.map((o) => [o.name, o.value]) ?? []),
  );
  const optionNames = useMemo(
    () => [...new Set(product.variants.flatMap((v) => v.options.map((o) => o.name)))],
    [product],
  );
  const variant =
    product.variants.find((v) => v.options.every((o) => selected[o.name] === o.value)) ??
    product.variants[0];
  const crumbs = product.category ? [...product.category.ancestors, product.category] : [];
  return (
    <article className="product">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link to="/">Shop</Link>
        {crumbs.map((c) => (
          <span key={c.id}>
            {' / '}
            <Link to={`/category/${c.slug}`}>{c.name}</Link>
          </span>
        ))}
      </nav>
      <div className="product-main">
        <ProductImage src={product.imageUrls[0]} name={product.name} />
        <div>
          <h1 elementtiming="product-page">{product.name}</h1>
          <Stars average={product.rating.average} count={product.rating.count} />
          <p className="description">{product.description}</p>
          {optionNames.map((name) => (
            <OptionPicker
              key={name}
              name={name}
              product={product}
              selected={selected}
              onChange={(value) => setSelected({ ...selected, [name]: value })}
            />
          ))}
          {variant && <Purchase variant={variant} />}
          {product.attributes.length > 0 && (
            <dl className="attributes">
              {product.attributes.map((a) => (
                <div key={a.name}>
                  <dt>{a.name}</dt>
                  <dd>{a.value}</dd>
                </div>
              ))}
            </dl>
          )}
        </div>
      </div>
      <Reviews product={product} />
    </article>
  );
}

function OptionPicker(props: {
  name: string;
  product: Product;
  selected: Record<string, string>;
  onChange(value: string): void;
}) {
  const values = [
    ...new Set(
      props.product.variants.flatMap((v) =>
        v.options.filter((o) => o.name === props.name).map((o) => o.value),
      ),
    ),
  ];
  return (
    <fieldset className="picker">
      <legend>{props.name}</legend>
      {values.map((value) => (
        <label key={value} className={props.selected[props.name] === value ? 'chosen' : ''}>
          <input
            type="radio"
            name={props.name}
            value={value}
            checked={props.selected[props.name] === value}
            onChange={() => props.onChange(value)}
          />
          {value}
        </label>
      ))}
    </fieldset>
  );
}

function Purchase({ variant }: { variant: Variant }) {
  const session = useSession();
  const navigate = useNavigate();
  const [quantity, setQuantity] = useState(1);
  const [message, setMessage] = useState<string | null>(null);
  const [{ fetching }, addLine] = useMutation(CartAddLineDocument);
  const price = variant.price;
  const add = async (event: FormEvent) => {
    event.preventDefault();
    setMessage(null);
    try {
      const cart = await session.ensureCart();
      const result = await addLine({ ...cartVariables(cart), variantId: variant.id, quantity });
      const outcome = result.data?.cartAddLine;
      if (outcome?.__typename === 'Cart') navigate('/cart');
      else setMessage(outcome && 'message' in outcome ? outcome.message : (result.error?.message ?? 'Not added'));
    } catch (error) {
      setMessage((error as Error).message);
    }
  };
  return (
    <form className="purchase" onSubmit={add} aria-label="Add to cart">
      <p className="price" data-testid="price">
        {price ? (
          <>
            <strong>{formatMoney(price.unitPrice)}</strong>{' '}
            {price.compareAt && (
              <del>
                <span className="visually-hidden">was </span>
                {formatMoney(price.compareAt)}
              </del>
            )}{' '}
            <small>{price.taxInclusive ? 'incl. tax' : 'plus tax'}</small>
            {price.promotion && <span className="badge">{price.promotion.name}</span>}
          </>
        ) : (
          'Not sold in this currency'
        )}
      </p>
      {price && price.tiers.length > 0 && (
        <table className="tiers">
          <caption>Volume prices</caption>
          <thead>
            <tr>
              <th scope="col">Quantity</th>
              <th scope="col">Per unit</th>
            </tr>
          </thead>
          <tbody>
            {price.tiers.map((tier) => (
              <tr key={tier.minQuantity}>
                <td>
                  {tier.minQuantity}
                  {tier.maxQuantity ? `–${tier.maxQuantity}` : '+'}
                </td>
                <td>{formatMoney(tier.unitPrice)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p className={variant.inStock ? 'stock' : 'stock out'} data-testid="stock">
        {variant.inStock ? `${variant.available} in stock` : 'Out of stock'} · SKU {variant.sku}
      </p>
      <label>
        Quantity{' '}
        <input
          type="number"
          min={1}
          max={Math.max(1, variant.available)}
          value={quantity}
          onChange={(event) => setQuantity(Math.max(1, Number(event.target.value) || 1))}
        />
      </label>{' '}
      <button type="submit" disabled={!variant.inStock || !price || fetching}>
        Add to cart
      </button>
      {message && <p role="alert">{message}</p>}
    </form>
  );
}

function Reviews({ product }: { product: Product }) {
  const { currency } = useSession();
  const [after, setAfter] = useState<string[]>([]);
  const { rating } = product;
  return (
    <section aria-labelledby="reviews-title" className="reviews">
      <h2 id="reviews-title">Reviews</h2>
      {rating.count > 0 && (
        <table className="histogram">
          <caption>
            {rating.average?.toFixed(1)} out of 5 from {rating.count} reviews
          </caption>
          <tbody>
            {[...rating.histogram]
              .sort((a, b) => b.stars - a.stars)
              .map((bucket) => (
                <tr key={bucket.stars}>
                  <th scope="row">{bucket.stars} stars</th>
                  <td>
                    <meter min={0} max={rating.count} value={bucket.count} aria-label={`${bucket.stars} stars`} />
                  </td>
                  <td>{bucket.count}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      <ReviewList reviews={product.reviews} />
      {after.map((cursor) => (
        <MoreReviews key={cursor} slug={product.slug} currency={currency} after={cursor} onMore={(c) => setAfter([...after, c])} last={cursor === after[after.length - 1]} />
      ))}
      {after.length === 0 && product.reviews.pageInfo.hasNextPage && product.reviews.pageInfo.endCursor && (
        <button type="button" onClick={() => setAfter([product.reviews.pageInfo.endCursor!])}>
          More reviews
        </button>
      )}
    </section>
  );
}

function MoreReviews(props: { slug: string; currency: string; after: string; last: boolean; onMore(cursor: string): void }) {
  const [{ data }] = useQuery({
    query: ProductPageDocument,
    variables: { slug: props.slug, currency: props.currency, reviewsAfter: props.after },
  });
  const reviews = data?.product?.reviews;
  if (!reviews) return <p aria-busy="true">Loading…</p>;
  return (
    <>
      <ReviewList reviews={reviews} />
      {props.last && reviews.pageInfo.hasNextPage && reviews.pageInfo.endCursor && (
        <button type="button" onClick={() => props.onMore(reviews.pageInfo.endCursor!)}>
          More reviews
        </button>
      )}
    </>
  );
}

function ReviewList({ reviews }: { reviews: Product['reviews'] }) {
  if (reviews.edges.length === 0) return <p>No reviews yet.</p>;
  return (
    <ul className="review-list">
      {reviews.edges.map(({ node }) => (
        <li key={node.id}>
          <Stars average={node.rating} count={1} single /> <strong>{node.title}</strong>
          <p>{node.body}</p>
          <small>
            {node.authorName}, {new Date(node.createdAt).toLocaleDateString()}
          </small>
        </li>
      ))}
    </ul>
  );
}
