/**
 * S3-compatible adapter (Cloudflare R2, MinIO, s3rver …). Streams both ways;
 * bodies of unknown or large size go up as multipart uploads.
 *
 * Checksums: the SDK's default (`WHEN_SUPPORTED`) wraps streamed bodies in
 * aws-chunked framing that non-AWS endpoints store verbatim — the object grows
 * by the framing bytes. `WHEN_REQUIRED` keeps bodies byte-exact.
 */
import { PassThrough, Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
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

export function createS3Storage(options: S3StorageOptions): ObjectStorage {
  const client = new S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: options.forcePathStyle,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
  const Bucket = options.bucket;
  const singlePutMax = options.singlePutMaxBytes ?? 8 * MIB;
  const partSize = Math.max(5 * MIB, options.partSizeBytes ?? 8 * MIB);

  const storage: ObjectStorage = {
    driver: 's3',

    async put(key, body, { contentType }) {
      assertValidKey(key);
      if (Buffer.isBuffer(body) && body.length <= singlePutMax) {
        await client.send(new PutObjectCommand({ Bucket, Key: key, Body: body, ContentType: contentType, ContentLength: body.length }));
        return { size: body.length };
      }
      // Count what actually goes up; a stream error aborts the multipart upload (no partial object).
      let counted = 0;
      const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
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
      try {
        const out = await client.send(new GetObjectCommand({ Bucket, Key: key }));
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
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return { size: Number(out.ContentLength ?? 0), contentType: out.ContentType, lastModified: out.LastModified };
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },

    async delete(key) {
      assertValidKey(key);
      try {
        await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },

    list(prefix) {
      assertValidPrefix(prefix);
      return (async function* () {
        let token: string | undefined;
        // Bounded: 100k pages of 1000 keys is far beyond any real bucket of ours.
        for (let page = 0; page < 100_000; page++) {
          const out = await client.send(new ListObjectsV2Command({ Bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: 1000 }));
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
        const out = await client.send(
          new DeleteObjectsCommand({ Bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
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
        await client.send(new HeadBucketCommand({ Bucket }), { abortSignal: AbortSignal.timeout(3_000) });
      },
      15_000,
    ),
  };
  return storage;
}
