/**
 * `--online` probes: they talk to Hetzner's and Cloudflare's APIs with the
 * operator's credentials, so they run only when asked for, never by default
 * and never in tests (tests inject fakes for these interfaces).
 */
import { randomBytes } from 'node:crypto';
import type { HetznerZone, OidcDiscovery, OnlineFacts } from './checks.js';

export interface R2Target {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface OnlineProbes {
  hetznerZone(token: string, domain: string): Promise<OnlineFacts<HetznerZone | undefined>>;
  r2RoundTrip(target: R2Target): Promise<OnlineFacts<{ bytes: number }>>;
  /** The issuer's discovery document and the number of keys at its jwks_uri. */
  oidcDiscovery(issuer: string): Promise<OnlineFacts<OidcDiscovery>>;
}

const HETZNER_API = 'https://api.hetzner.cloud/v1';

/** The zone candidates of a name, most specific first: a.b.example.com → b.example.com, example.com (the name itself included). */
export function zoneCandidates(domain: string): string[] {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  const out: string[] = [];
  for (let i = 0; i < labels.length - 1 && out.length < 6; i++) out.push(labels.slice(i).join('.'));
  return out;
}

/** GET a JSON document, bounded in time and size (a discovery document is a few kB). */
async function getJson(url: string): Promise<{ status: number; body?: Record<string, unknown>; error?: string }> {
  const res = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  if (!res.ok) return { status: res.status };
  if (text.length > 1_000_000) return { status: res.status, error: 'document larger than 1 MB' };
  try {
    const body: unknown = JSON.parse(text);
    return body && typeof body === 'object' && !Array.isArray(body) ? { status: res.status, body: body as Record<string, unknown> } : { status: res.status, error: 'not a JSON object' };
  } catch {
    return { status: res.status, error: 'not JSON' };
  }
}

export async function fetchOidcDiscovery(issuer: string): Promise<OnlineFacts<OidcDiscovery>> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  try {
    const doc = await getJson(url);
    if (!doc.body) return { ok: false, status: doc.status, error: doc.error ?? `HTTP ${doc.status} from ${url}` };
    const str = (k: string) => (typeof doc.body![k] === 'string' ? (doc.body![k] as string) : undefined);
    const list = (k: string) => (Array.isArray(doc.body![k]) ? (doc.body![k] as unknown[]).filter((v): v is string => typeof v === 'string') : undefined);
    const jwksUri = str('jwks_uri');
    let jwksKeys: number | undefined;
    if (jwksUri) {
      const jwks = await getJson(new URL(jwksUri, url).toString());
      jwksKeys = Array.isArray(jwks.body?.keys) ? (jwks.body.keys as unknown[]).length : 0;
    }
    return {
      ok: true,
      value: {
        url,
        issuer: str('issuer'),
        authorizationEndpoint: str('authorization_endpoint'),
        tokenEndpoint: str('token_endpoint'),
        jwksUri,
        jwksKeys,
        codeChallengeMethods: list('code_challenge_methods_supported'),
        signingAlgs: list('id_token_signing_alg_values_supported'),
        scopes: list('scopes_supported'),
      },
    };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export const realOnline: OnlineProbes = {
  oidcDiscovery: fetchOidcDiscovery,

  async hetznerZone(token, domain) {
    const get = async (path: string) => {
      const res = await fetch(`${HETZNER_API}${path}`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
      return { status: res.status, body: res.ok ? ((await res.json()) as Record<string, unknown>) : undefined };
    };
    try {
      for (const candidate of zoneCandidates(domain)) {
        const { status, body } = await get(`/zones?name=${encodeURIComponent(candidate)}`);
        if (status !== 200) return { ok: false, status, error: `HTTP ${status}` };
        const zones = (body?.zones ?? []) as Array<{ id: number | string; name: string }>;
        const zone = zones.find((z) => z.name === candidate);
        if (!zone) continue;
        const relative = domain === zone.name ? '@' : domain.slice(0, -(zone.name.length + 1));
        const rr = await get(`/zones/${zone.id}/rrsets?name=${encodeURIComponent(relative)}&type=A`).catch(() => undefined);
        const rrsets = (rr?.body?.rrsets ?? undefined) as Array<{ records?: Array<{ value: string }> }> | undefined;
        const a = rrsets ? rrsets.flatMap((r) => (r.records ?? []).map((x) => x.value)) : undefined;
        return { ok: true, value: { zone: zone.name, id: zone.id, ...(a ? { a } : {}) } };
      }
      return { ok: true, value: undefined };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  },

  async r2RoundTrip(target) {
    // Loaded only with --online. Checksum settings per STACK-NOTES (R2 is not AWS).
    const { S3Client, PutObjectCommand, GetObjectCommand, DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({
      region: 'auto',
      endpoint: target.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const key = `quarry-doctor/probe-${randomBytes(8).toString('hex')}`;
    const body = randomBytes(1024);
    let written = false;
    try {
      await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: key, Body: body, ContentType: 'application/octet-stream' }));
      written = true;
      const got = await client.send(new GetObjectCommand({ Bucket: target.bucket, Key: key }));
      const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
      if (!bytes.equals(body)) return { ok: false, error: `read back ${bytes.length} bytes that differ from the ${body.length} written` };
      await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
      written = false;
      return { ok: true, value: { bytes: body.length } };
    } catch (error) {
      const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
      return { ok: false, status: e.$metadata?.httpStatusCode, error: `${written ? 'read/delete' : 'write'} failed: ${e.name ?? 'Error'} ${e.message ?? ''}`.trim() };
    } finally {
      if (written) await client.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key })).catch(() => undefined);
      client.destroy();
    }
  },
};
