import { messageRequestSchema } from '@wxq/notify';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { useApi } from './helpers/harness.js';

interface Operation {
  readonly responses: Readonly<Record<string, { readonly content?: Readonly<Record<string, { schema?: unknown }>> }>>;
  readonly requestBody?: { readonly content: Readonly<Record<string, { readonly schema: { readonly $ref: string } }>> };
  readonly security?: readonly unknown[];
}

interface Document {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Readonly<Record<string, Readonly<Record<string, Operation>>>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, unknown>>;
    readonly securitySchemes: Readonly<Record<string, unknown>>;
  };
  readonly security: readonly unknown[];
}

/** The schema a `$ref` like `#/components/schemas/X` names. */
function resolve(document: Document, ref: string): unknown {
  const prefix = '#/components/schemas/';
  expect(ref.startsWith(prefix), ref).toBe(true);
  return document.components.schemas[ref.slice(prefix.length)];
}

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3.1 document whose request body schema is the one requests are validated with', async () => {
    const api = await useApi();
    expect((await api.request('/api/v1/openapi.json', { headers: { authorization: undefined } })).status).toBe(401);
    const answer = await api.request('/api/v1/openapi.json');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    const document = answer.json as Document;

    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toMatchObject({ title: expect.any(String) as unknown, version: '1' });
    expect(Object.keys(document.paths).sort()).toEqual([
      '/api/v1/campaigns',
      '/api/v1/campaigns/{id}',
      '/api/v1/campaigns/{id}/cancel',
      '/api/v1/campaigns/{id}/pause',
      '/api/v1/campaigns/{id}/recipients',
      '/api/v1/campaigns/{id}/resume',
      '/api/v1/messages',
      '/api/v1/messages/{id}',
      '/api/v1/openapi.json',
      '/healthz',
      '/readyz',
    ]);
    // Every operation answers something, each response with a description; errors have the one error shape.
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(['get', 'post'], `${method} ${path}`).toContain(method);
        expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
        for (const [status, response] of Object.entries(operation.responses)) {
          expect(response, `${method} ${path} ${status}`).toHaveProperty('description');
          if (path.startsWith('/api/') && Number(status) >= 400) {
            expect(response.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
          }
        }
      }
    }
    expect(document.security).toEqual([{ bearer: [] }]);
    expect(document.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } });
    expect(document.paths['/healthz']?.['get']?.security).toEqual([]);

    const post = document.paths['/api/v1/messages']?.['post'];
    const bodyRef = post?.requestBody?.content['application/json']?.schema.$ref ?? '';
    expect(resolve(document, bodyRef)).toEqual(z.toJSONSchema(messageRequestSchema, { target: 'draft-2020-12' }));
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(['202', '400', '401', '404', '409', '413', '415', '503']);

    const get = document.paths['/api/v1/messages/{id}']?.['get'];
    const messageRef = get?.responses['200']?.content?.['application/json']?.schema as { $ref: string };
    expect(resolve(document, messageRef.$ref)).toMatchObject({
      type: 'object',
      required: ['id', 'kind', 'account', 'to', 'status'],
      additionalProperties: false,
    });
    expect(resolve(document, '#/components/schemas/Error')).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: { error: { required: ['code', 'message'] } },
    });
  });

  it('describes the answers the API really gives', async () => {
    const api = await useApi();
    const document = (await api.request('/api/v1/openapi.json')).json as Document;
    const accepted = document.components.schemas['MessageAccepted'] as { properties: object; required: string[] };
    const posted = await api.post({ to: 'oUser', subscribe: { id: 'SUB', data: { thing1: { value: 'v' } } } });
    expect(Object.keys(posted.json as object).sort()).toEqual(Object.keys(accepted.properties).sort());
    const message = document.components.schemas['Message'] as { required: string[] };
    const got = await api.request(`/api/v1/messages/${(posted.json as { id: string }).id}`);
    expect(Object.keys(got.json as object).sort()).toEqual([...message.required].sort());
    const error = (await api.request('/nowhere')).json as { error: { code: string } };
    const codes = (
      document.components.schemas['Error'] as { properties: { error: { properties: { code: { enum: string[] } } } } }
    ).properties.error.properties.code.enum;
    expect(codes).toContain(error.error.code);
  });
});
