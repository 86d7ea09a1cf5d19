import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Response } from 'supertest';
import { parse } from 'yaml';
import { ROOT_DIR } from '../../src/config/env';

export const OPENAPI_FILE = path.join(ROOT_DIR, 'docs', 'openapi.yaml');

type Json = Record<string, unknown>;
export interface Operation { method: string; path: string }

export function loadOpenApi(): Json {
  return parse(fs.readFileSync(OPENAPI_FILE, 'utf8')) as Json;
}

/** `/api/articles/:id` (Express) as OpenAPI writes it: `/api/articles/{id}`. */
export function toOpenApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

const pointer = (parts: string[]) => `#/${parts.map((part) => part.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/**
 * Validates real responses against docs/openapi.yaml with Ajv's JSON Schema 2020-12, the
 * dialect of OpenAPI 3.1 schemas. A response passes when its status is listed for its operation,
 * its declared headers are present, and its JSON body (or its emptiness) matches the schema.
 */
export function createResponseValidator(document: Json = loadOpenApi()) {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi.json');
  const paths = document.paths as Record<string, Record<string, Json>>;
  const deref = (value: Json): Json => {
    const ref = value.$ref;
    if (typeof ref !== 'string') return value;
    return ref.slice(2).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~')).reduce<Json>((node, key) => node[key] as Json, document);
  };
  const operations: Operation[] = Object.entries(paths).flatMap(([p, item]) => Object.keys(item).map((method) => ({ method, path: p })));

  /** The operation a request path belongs to: the OpenAPI path whose template it fills. */
  function operationOf(method: string, urlPath: string): Operation | undefined {
    return operations.find((op) => op.method === method.toLowerCase()
      && new RegExp(`^${op.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(urlPath));
  }

  return {
    operations,
    operationOf,
    /** Problems with one response; an empty list when it matches the description. */
    problems(method: string, urlPath: string, res: Response): string[] {
      const op = operationOf(method, urlPath);
      if (!op) return [`${method} ${urlPath}: no operation describes it`];
      const responses = paths[op.path]![op.method]!.responses as Record<string, Json>;
      const declared = responses[String(res.status)] ?? responses.default;
      if (!declared) return [`${method} ${urlPath}: status ${res.status} is not described (${Object.keys(responses).join(', ')})`];
      const response = deref(declared);
      const found: string[] = [];
      for (const header of Object.keys((response.headers as Json | undefined) ?? {})) {
        if (res.headers[header.toLowerCase()] === undefined) found.push(`${method} ${urlPath} ${res.status}: header ${header} missing`);
      }
      const content = response.content as Record<string, Json> | undefined;
      if (!content) {
        if (res.text) found.push(`${method} ${urlPath} ${res.status}: a body where none is described`);
        return found;
      }
      if (!String(res.headers['content-type'] ?? '').startsWith('application/json')) {
        return [...found, `${method} ${urlPath} ${res.status}: content-type ${res.headers['content-type']}`];
      }
      const where = declared.$ref ? [...(declared.$ref as string).slice(2).split('/')] : ['paths', op.path, op.method, 'responses', String(res.status)];
      const validate = ajv.getSchema(`openapi.json${pointer([...where, 'content', 'application/json', 'schema'])}`);
      if (!validate) return [...found, `${method} ${urlPath} ${res.status}: no schema`];
      if (!validate(res.body)) found.push(`${method} ${urlPath} ${res.status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(res.body).slice(0, 300)}`);
      return found;
    },
  };
}
