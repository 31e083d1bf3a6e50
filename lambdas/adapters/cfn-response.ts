// Answering CloudFormation: a PUT of the response document to the pre-signed ResponseURL.
import { request } from 'node:https';

export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Record<string, string>;
}

/** Sends one response; injectable so tests capture it. */
export type ResponseSender = (responseUrl: string, response: CustomResourceResponse) => Promise<void>;

export const httpsResponseSender: ResponseSender = (responseUrl, response) =>
  new Promise((resolve, reject) => {
    const body = JSON.stringify(response);
    const req = request(
      responseUrl,
      // The pre-signed URL is signed with an empty content type.
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode !== undefined && res.statusCode < 300 ? resolve() : reject(new Error(`ResponseURL answered HTTP ${res.statusCode}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error('ResponseURL did not answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
