// Typed operations for every document under schema/operations/storefront/, checked against the
// graph's API schema (api-schema.mjs): a schema change that breaks one fails `npm run build`.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'src/gql/api-schema.graphql',
  documents: '../../schema/operations/storefront/*.graphql',
  errorsOnly: true,
  generates: {
    'src/gql/graphql.ts': {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        onlyOperationTypes: true,
        avoidOptionals: { field: true, inputValue: false, object: true, defaultValue: false },
        scalars: { DateTime: 'string', Date: 'string', JSON: 'unknown', Decimal: 'string' },
      },
    },
  },
};

export default config;
