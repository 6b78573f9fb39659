// `elementtiming` marks the elements whose first paint the e2e run measures (Element Timing API).
import 'react';

declare module 'react' {
  interface HTMLAttributes<T> {
    elementtiming?: string;
  }
}
