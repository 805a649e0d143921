/**
 * `--online` probes: they talk to Hetzner's and Cloudflare's APIs with the
 * operator's credentials, so they run only when asked for, never by default
 * and never in tests (tests inject fakes for these interfaces).
 */
import { randomBytes } from 'node:crypto';
import type { HetznerZone, OnlineFacts } from './checks.js';

export interface R2Target {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface OnlineProbes {
  hetznerZone(token: string, domain: string): Promise<OnlineFacts<HetznerZone | undefined>>;
  r2RoundTrip(target: R2Target): Promise<OnlineFacts<{ bytes: number }>>;
}

const HETZNER_API = 'https://api.hetzner.cloud/v1';

/** The zone candidates of a name, most specific first: a.b.example.com → b.example.com, example.com (the name itself included). */
export function zoneCandidates(domain: string): string[] {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  const out: string[] = [];
  for (let i = 0; i < labels.length - 1 && out.length < 6; i++) out.push(labels.slice(i).join('.'));
  return out;
}

export const realOnline: OnlineProbes = {
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
