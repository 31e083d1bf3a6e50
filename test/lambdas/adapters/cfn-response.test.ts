import { EventEmitter } from 'node:events';
import type { RequestOptions } from 'node:https';
import { httpsResponseSender } from '../../../lambdas/adapters/cfn-response';

// The module object itself (an `import *` namespace cannot be spied on).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const https: typeof import('node:https') = require('node:https');

const response = { Status: 'SUCCESS' as const, Reason: 'OK', PhysicalResourceId: 'p', StackId: 's', RequestId: 'r', LogicalResourceId: 'L', Data: { A: '1' } };

/** A stand-in for https.request: records the call and answers with `status`. */
function fakeRequest(status: number) {
  const sent: { url: string; options: RequestOptions; body: string }[] = [];
  const spy = jest.spyOn(https, 'request').mockImplementation(((url: string, options: RequestOptions, onResponse: (res: EventEmitter & { statusCode: number; resume(): void }) => void) => {
    const req = Object.assign(new EventEmitter(), {
      end(body: string) {
        sent.push({ url, options, body });
        const res = Object.assign(new EventEmitter(), { statusCode: status, resume: () => undefined });
        onResponse(res);
        res.emit('end');
      },
      destroy: () => undefined,
    });
    return req;
  }) as unknown as typeof https.request);
  return { sent, spy };
}

afterEach(() => jest.restoreAllMocks());

test('PUTs the response document with an empty content type', async () => {
  const { sent } = fakeRequest(200);
  await httpsResponseSender('https://cfn.example/presigned?sig=1', response);
  expect(sent).toHaveLength(1);
  expect(sent[0].url).toBe('https://cfn.example/presigned?sig=1');
  expect(sent[0].options).toMatchObject({ method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(sent[0].body) } });
  expect(JSON.parse(sent[0].body)).toEqual(response);
});

test('an HTTP error from the ResponseURL rejects', async () => {
  fakeRequest(403);
  await expect(httpsResponseSender('https://cfn.example/presigned', response)).rejects.toThrow(/HTTP 403/);
});
