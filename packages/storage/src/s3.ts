/**
 * S3-compatible adapter (Cloudflare R2, MinIO, s3rver …). Streams both ways;
 * bodies of unknown or large size go up as multipart uploads.
 *
 * Checksums: the SDK's default (`WHEN_SUPPORTED`) wraps streamed bodies in
 * aws-chunked framing that non-AWS endpoints store verbatim — the object grows
 * by the framing bytes. `WHEN_REQUIRED` keeps bodies byte-exact.
 */
import { PassThrough, Readable } from 'node:stream';
import type * as S3 from '@aws-sdk/client-s3';
import type { Upload as UploadType } from '@aws-sdk/lib-storage';
import { assertValidKey, assertValidPrefix, cachedCheck, ObjectNotFoundError, type ObjectStorage } from './types.js';

export interface S3StorageOptions {
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Bodies at most this large (when the size is known) go up in one PutObject. */
  singlePutMaxBytes?: number;
  partSizeBytes?: number;
}

const MIB = 1024 * 1024;

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * The SDK (~0.3 s and tens of MB to load) is imported on the first call, so a server on local
 * storage never loads it; one client per adapter, as before.
 */
function lazyClient(options: S3StorageOptions) {
  let loaded: Promise<{ client: S3.S3Client; s3: typeof S3; Upload: typeof UploadType }> | undefined;
  return () =>
    (loaded ??= (async () => {
      const [s3, { Upload }] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
      const client = new s3.S3Client({
        endpoint: options.endpoint,
        region: options.region,
        forcePathStyle: options.forcePathStyle,
        credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 3,
      });
      return { client, s3, Upload };
    })());
}

export function createS3Storage(options: S3StorageOptions): ObjectStorage {
  const sdk = lazyClient(options);
  const Bucket = options.bucket;
  const singlePutMax = options.singlePutMaxBytes ?? 8 * MIB;
  const partSize = Math.max(5 * MIB, options.partSizeBytes ?? 8 * MIB);

  const storage: ObjectStorage = {
    driver: 's3',

    async put(key, body, { contentType }) {
      assertValidKey(key);
      if (Buffer.isBuffer(body) && body.length <= singlePutMax) {
        const { client, s3 } = await sdk();
        await client.send(new s3.PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.length }));
        return { size: body.length };
      }
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
      // The SDK may still be loading: nothing reads the source meanwhile, but an error it emits
      // (the client went away) must neither crash the process nor be missed.
      let early: unknown;
      const onEarly = (error: unknown) => void (early ??= error);
      source.on('error', onEarly);
      const { client, Upload } = await sdk().finally(() => source.off('error', onEarly));
      if (early !== undefined) throw early;
      // Count what actually goes up; a stream error aborts the multipart upload (no partial object).
      let counted = 0;
      const counter = new PassThrough();
      counter.on('data', (chunk: Buffer) => {
        counted += chunk.length;
      });
      source.on('error', (error) => counter.destroy(error));
      source.pipe(counter);
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: counter, ContentType: contentType },
        partSize,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const failed = new Promise<never>((_, reject) => counter.once('error', reject));
      failed.catch(() => {});
      try {
        await Promise.race([upload.done(), failed]);
      } catch (error) {
        await upload.abort().catch(() => {});
        throw error;
      }
      return { size: counted };
    },

    async get(key) {
      assertValidKey(key);
      const { client, s3 } = await sdk();
      try {
        const out = await client.send(new s3.GetObjectCommand({ Bucket, Key: key }));
        const body = out.Body;
        if (!body) throw new ObjectNotFoundError(key);
        return {
          stream: body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as never),
          size: Number(out.ContentLength ?? 0),
          contentType: out.ContentType,
          lastModified: out.LastModified,
        };
      } catch (error) {
        if (isNotFound(error)) throw new ObjectNotFoundError(key);
        throw error;
      }
    },

    async head(key) {
      assertValidKey(key);
      const { client, s3 } = await sdk();
      try {
        const out = await client.send(new s3.HeadObjectCommand({ Bucket, Key: key }));
        return { size: Number(out.ContentLength ?? 0), contentType: out.ContentType, lastModified: out.LastModified };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      assertValidKey(key);
      const { client, s3 } = await sdk();
      try {
        await client.send(new s3.DeleteObjectCommand({ Bucket, Key: key }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },

    list(prefix) {
      assertValidPrefix(prefix);
      return (async function* () {
        const { client, s3 } = await sdk();
        let token: string | undefined;
        // Bounded: 100k pages of 1000 keys is far beyond any real bucket of ours.
        for (let page = 0; page < 100_000; page++) {
          const out = await client.send(new s3.ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 }));
          for (const item of out.Contents ?? []) if (item.Key) yield { key: item.Key, lastModified: item.LastModified };
          if (!out.IsTruncated || !out.NextContinuationToken) return;
          token = out.NextContinuationToken;
        }
      })();
    },

    async deletePrefix(prefix) {
      let batch: string[] = [];
      let n = 0;
      const flush = async () => {
        if (batch.length === 0) return;
        const { client, s3 } = await sdk();
        const out = await client.send(
          new s3.DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        );
        if (out.Errors?.length) throw new Error(`could not delete ${out.Errors.length} stored objects under ${prefix}`);
        n += batch.length;
        batch = [];
      };
      for await (const { key } of storage.list(prefix)) {
        batch.push(key);
        if (batch.length === 1000) await flush();
      }
      await flush();
      return n;
    },

    check: cachedCheck(
      's3',
      async () => {
        const { client, s3 } = await sdk();
        await client.send(new s3.HeadBucketCommand({ Bucket }), { abortSignal: AbortSignal.timeout(3_000) });
      },
      15_000,
    ),
  };
  return storage;
}
