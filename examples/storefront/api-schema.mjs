// Writes the graph's API schema (what clients may query: the committed supergraph without the
// federation machinery and the @inaccessible fields) for GraphQL Code Generator.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { buildASTSchema, parse, printSchema } from 'graphql';
import { transformSupergraphToPublicSchema } from '@theguild/federation-composition';

const supergraph = readFileSync(new URL('../../schema/supergraph.graphql', import.meta.url), 'utf8');
const api = buildASTSchema(transformSupergraphToPublicSchema(parse(supergraph)));
mkdirSync(new URL('./src/gql/', import.meta.url), { recursive: true });
writeFileSync(new URL('./src/gql/api-schema.graphql', import.meta.url), printSchema(api));
