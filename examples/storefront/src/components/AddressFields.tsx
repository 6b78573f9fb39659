// The fields of a postal address, each labelled; the country from the shop's shipping zones.
export type AddressValue = {
  firstName: string;
  lastName: string;
  line1: string;
  line2: string;
  city: string;
  postalCode: string;
  countryCode: string;
};

export const COUNTRIES: [string, string][] = [
  ['DE', 'Germany'],
  ['AT', 'Austria'],
  ['FR', 'France'],
  ['NL', 'Netherlands'],
  ['IT', 'Italy'],
  ['ES', 'Spain'],
  ['GB', 'United Kingdom'],
  ['US', 'United States'],
];

export function emptyAddress(countryCode: string): AddressValue {
  return { firstName: '', lastName: '', line1: '', line2: '', city: '', postalCode: '', countryCode };
}

const FIELDS: { key: keyof AddressValue; label: string; autoComplete: string; required: boolean }[] = [
  { key: 'firstName', label: 'First name', autoComplete: 'given-name', required: true },
  { key: 'lastName', label: 'Last name', autoComplete: 'family-name', required: true },
  { key: 'line1', label: 'Street and number', autoComplete: 'address-line1', required: true },
  { key: 'line2', label: 'Address line 2 (optional)', autoComplete: 'address-line2', required: false },
  { key: 'postalCode', label: 'Postal code', autoComplete: 'postal-code', required: true },
  { key: 'city', label: 'City', autoComplete: 'address-level2', required: true },
];

export function AddressFields(props: { idPrefix: string; value: AddressValue; onChange(value: AddressValue): void }) {
  const set = (key: keyof AddressValue, text: string) => props.onChange({ ...props.value, [key]: text });
  return (
    <div className="address-fields">
      {FIELDS.map((field) => (
        <div key={field.key} className="field">
          <label htmlFor={`${props.idPrefix}-${field.key}`}>{field.label}</label>
          <input
            id={`${props.idPrefix}-${field.key}`}
            autoComplete={field.autoComplete}
            required={field.required}
            value={props.value[field.key]}
            onChange={(event) => set(field.key, event.target.value)}
          />
        </div>
      ))}
      <div className="field">
        <label htmlFor={`${props.idPrefix}-country`}>Country</label>
        <select
          id={`${props.idPrefix}-country`}
          autoComplete="country"
          value={props.value.countryCode}
          onChange={(event) => set('countryCode', event.target.value)}
        >
          {COUNTRIES.map(([code, name]) => (
            <option key={code} value={code}>
              {name}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}
