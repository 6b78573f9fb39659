// Writes the API schema clients see (`src/gql/api-schema.graphql`) from the committed
// supergraph: federation's join/link machinery and everything `@inaccessible` removed, as the
// router does before it validates a request. Codegen validates the dashboard's documents
// against this, so a document using an internal field fails the build like it fails at the router.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kind, buildASTSchema, parse, printSchema, visit } from 'graphql'

const here = dirname(fileURLToPath(import.meta.url))
const supergraph = resolve(here, '../../../schema/supergraph.graphql')
const out = resolve(here, '../src/gql/api-schema.graphql')

const federation = (name) => name.startsWith('join__') || name.startsWith('link__')
const inaccessible = (node) => node.directives?.some((d) => d.name.value === 'inaccessible')
const drop = (node) => (inaccessible(node) ? null : undefined)

const document = visit(parse(readFileSync(supergraph, 'utf8')), {
  Directive: (node) => (node.name.value === 'deprecated' || node.name.value === 'specifiedBy' ? undefined : null),
  DirectiveDefinition: () => null,
  SchemaDefinition: (node) => ({ ...node, directives: [] }),
  ScalarTypeDefinition: (node) => (federation(node.name.value) || inaccessible(node) ? null : undefined),
  EnumTypeDefinition: (node) => (federation(node.name.value) || inaccessible(node) ? null : undefined),
  ObjectTypeDefinition: drop,
  InterfaceTypeDefinition: drop,
  UnionTypeDefinition: drop,
  InputObjectTypeDefinition: drop,
  FieldDefinition: drop,
  InputValueDefinition: drop,
  EnumValueDefinition: drop,
})

// The visitor leaves unions naming dropped members and types nobody reaches; graphql-js
// rebuilds the schema from what is left and prints it in its canonical form.
const kept = new Set(
  document.definitions.filter((d) => 'name' in d && d.name).map((d) => d.name.value),
)
const cleaned = visit(document, {
  UnionTypeDefinition: (node) => ({ ...node, types: node.types?.filter((t) => kept.has(t.name.value)) }),
  ObjectTypeDefinition: (node) => ({
    ...node,
    interfaces: node.interfaces?.filter((i) => kept.has(i.name.value)),
  }),
})
if (cleaned.definitions.some((d) => d.kind === Kind.DIRECTIVE_DEFINITION)) {
  throw new Error('directive definitions left in the API schema')
}
const schema = buildASTSchema(cleaned)
mkdirSync(dirname(out), { recursive: true })
writeFileSync(out, printSchema(schema) + '\n')
