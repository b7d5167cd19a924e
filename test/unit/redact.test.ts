// What a secret in a URL looks like (src/core/redact.ts), and the CLI's last line of
// defence: reporter lines pass through redactText too.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createReporter } from '../../src/cli/reporter.js';
import { isSecretParam, redactText, redactUrl } from '../../src/core/redact.js';

// A presigned S3 GET as `aws s3 presign` prints it (values made up).
const PRESIGNED =
  'https://bucket.s3.us-east-1.amazonaws.com/providers/null_3.2.4_linux_amd64.zip' +
  '?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250101%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host' +
  '&X-Amz-Signature=4f2d8c1e9a7b6d5c3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d';
const PRESIGNED_SHOWN =
  'https://bucket.s3.us-east-1.amazonaws.com/providers/null_3.2.4_linux_amd64.zip' +
  '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=REDACTED' +
  '&X-Amz-Date=20250101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=REDACTED';

describe('redactUrl', () => {
  it('replaces the signature and credential of a presigned S3 URL, keeping the rest byte for byte', () => {
    expect(redactUrl(PRESIGNED)).toBe(PRESIGNED_SHOWN);
  });

  it('replaces userinfo, and Azure SAS, GCS and token parameters whatever their case', () => {
    expect(redactUrl('https://user:pa55@mirror.example/x')).toBe('https://***@mirror.example/x');
    expect(
      redactUrl('https://acct.blob.core.windows.net/c/f.zip?sv=2022-11-02&se=2025-01-01&sp=r&sig=abc%2Bdef'),
    ).toBe('https://acct.blob.core.windows.net/c/f.zip?sv=2022-11-02&se=2025-01-01&sp=r&sig=REDACTED');
    expect(redactUrl('https://storage.googleapis.com/b/o?GoogleAccessId=svc&Expires=1&Signature=xyz')).toBe(
      'https://storage.googleapis.com/b/o?GoogleAccessId=svc&Expires=1&Signature=REDACTED',
    );
    expect(redactUrl('https://get.example/tofu/api.json?TOKEN=t1&Private_Token=t2&x-api-key=t3&page=2')).toBe(
      'https://get.example/tofu/api.json?TOKEN=REDACTED&Private_Token=REDACTED&x-api-key=REDACTED&page=2',
    );
  });

  it('leaves a URL without secrets exactly as given', () => {
    const plain = 'https://registry.opentofu.org/v1/providers/hashicorp/null/versions?page=2&per_page=100';
    expect(redactUrl(plain)).toBe(plain);
    expect(redactUrl('http://127.0.0.1:5000/v2/a/blobs/uploads/x?_state=abc&digest=sha256%3A00')).toBe(
      'http://127.0.0.1:5000/v2/a/blobs/uploads/x?_state=abc&digest=sha256%3A00',
    );
  });

  it('still redacts what the URL parser refuses', () => {
    expect(redactUrl('https://us:pw@[bad/x?token=abc&a=1')).toBe('https://***@[bad/x?token=REDACTED&a=1');
  });
});

describe('isSecretParam', () => {
  it('knows the named parameters and names that end like a secret', () => {
    for (const name of [
      'X-Amz-Signature',
      'x-amz-security-token',
      'sig',
      'access_token',
      'session_token',
      'api-key',
    ]) {
      expect([name, isSecretParam(name)]).toEqual([name, true]);
    }
    for (const name of ['X-Amz-Date', 'X-Amz-Expires', 'page', 'digest', 'scope', 'service']) {
      expect([name, isSecretParam(name)]).toEqual([name, false]);
    }
  });
});

describe('redactText', () => {
  it('redacts every URL in a message, keeping sentence punctuation outside it', () => {
    expect(redactText(`GET ${PRESIGNED} failed: 403 Forbidden (at https://u:p@cdn.example/x?sig=s1).`)).toBe(
      `GET ${PRESIGNED_SHOWN} failed: 403 Forbidden (at https://***@cdn.example/x?sig=REDACTED).`,
    );
  });

  it('redacts secret parameters outside a full URL: a relative Location, a host without a scheme', () => {
    expect(redactText('302 redirect to an invalid Location /blob?sig=abc&x=1')).toBe(
      '302 redirect to an invalid Location /blob?sig=REDACTED&x=1',
    );
    expect(redactText('mirror 127.0.0.1:5000/v2/x?token=abc failed')).toBe(
      'mirror 127.0.0.1:5000/v2/x?token=REDACTED failed',
    );
  });

  it('redacts URLs inside JSON text, as the CLI does for --json details', () => {
    const json = JSON.stringify({ address: PRESIGNED, reason: `skipping ${PRESIGNED}` });
    expect(JSON.parse(redactText(json))).toEqual({
      address: PRESIGNED_SHOWN,
      reason: `skipping ${PRESIGNED_SHOWN}`,
    });
  });
});

describe('reporter lines', () => {
  it('never print a secret from a warning or an info line', () => {
    let out = '';
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString('utf8');
        done();
      },
    }) as unknown as NodeJS.WriteStream;
    const reporter = createReporter({ stream, json: false });
    reporter.warn(`skipping: GET ${PRESIGNED} failed: 403 Forbidden`);
    reporter.info(`fetched https://user:pw@mirror.example/x`);
    expect(out).toBe(
      `Warning: skipping: GET ${PRESIGNED_SHOWN} failed: 403 Forbidden\nfetched https://***@mirror.example/x\n`,
    );
  });
});
