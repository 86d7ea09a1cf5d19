import fs from 'node:fs';
import path from 'node:path';
import type { Request, Response } from 'express';
import { parse } from 'yaml';
import type { AppContext } from '../../types/context';

/** docs/openapi.yaml, parsed once per process (tests build many apps) on the first request. */
const documents = new Map<string, unknown>();

function openApiDocument(rootDir: string): unknown {
  const file = path.join(rootDir, 'docs', 'openapi.yaml');
  let document = documents.get(file);
  if (document === undefined) {
    document = parse(fs.readFileSync(file, 'utf8')) as unknown;
    documents.set(file, document);
  }
  return document;
}

export function createOpenApiController({ config }: AppContext) {
  return {
    /** GET /api/openapi.json: the description of every /api route, as JSON. Public, like the routes it describes. */
    show(_req: Request, res: Response) {
      res.set('Cache-Control', 'public, max-age=300').json(openApiDocument(config.rootDir));
    },
  };
}
