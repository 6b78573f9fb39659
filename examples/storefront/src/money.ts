// Money as the graph sends it (`{ amount: "19.90", currency: "EUR" }`), shown in the
// visitor's locale; amounts stay decimal strings until shown.
export type Money = { amount: string; currency: string };

const formats = new Map<string, Intl.NumberFormat>();

export function formatMoney(money: Money | null | undefined): string {
  if (!money) return '–';
  let format = formats.get(money.currency);
  if (!format) {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency: money.currency });
    formats.set(money.currency, format);
  }
  return format.format(Number(money.amount));
}
