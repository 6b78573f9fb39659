export function Stars({ average, count }: { average: number | null; count: number }) {
  if (!count || average === null) return <span className="stars muted">No reviews yet</span>;
  const rounded = Math.round(average);
  return (
    <span className="stars" aria-label={`Rated ${average.toFixed(1)} out of 5 from ${count} reviews`}>
      <span aria-hidden="true">{'★'.repeat(rounded)}{'☆'.repeat(5 - rounded)}</span>{' '}
      <span aria-hidden="true">({count})</span>
    </span>
  );
}
