/// A rating as stars; `single` for one review's stars (no count).
export function Stars(props: { average: number | null; count: number; single?: boolean }) {
  const { average, count, single } = props;
  if (!count || average === null) return <span className="stars muted">No reviews yet</span>;
  const label = single
    ? `${average} out of 5 stars`
    : `Rated ${average.toFixed(1)} out of 5 from ${count} reviews`;
  const rounded = Math.round(average);
  return (
    <span className="stars" role="img" aria-label={label}>
      <span aria-hidden="true">
        {'★'.repeat(rounded)}
        {'☆'.repeat(5 - rounded)}
        {!single && ` (${count})`}
      </span>
    </span>
  );
}
