// GraphQL Code Generator: typed document nodes for every document the dashboard sends, the
// committed ones under schema/operations/dashboard/, checked against the router's API schema
// (scripts/api-schema.mjs). A schema change that breaks one of them fails `npm run build`.
import type { CodegenConfig } from '@graphql-codegen/cli'

const config: CodegenConfig = {
  schema: 'src/gql/api-schema.graphql',
  documents: ['../../schema/operations/dashboard/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', Date: 'string', JSON: 'unknown' },
        strictScalars: false,
      },
    },
  },
}

export default config
