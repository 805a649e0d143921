/**
 * An S3-protocol server for tests (s3rver, in-process) on 127.0.0.1, port 0,
 * with one bucket, and the storage config pointing at it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';

export interface TestS3 {
  config: {
    driver: 's3';
    endpoint: string;
    region: string;
    bucket: string;
    accessKeyId: string;
    secretAccessKey: string;
    forcePathStyle: boolean;
  };
  /** Where s3rver keeps the bytes (to prove what was stored). */
  directory: string;
  close(): Promise<void>;
}

export async function startTestS3(bucket = 'quarry-test'): Promise<TestS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 'quarry-s3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  return {
    config: {
      driver: 's3',
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      bucket,
      accessKeyId: 'S3RVER',
      secretAccessKey: 'S3RVER',
      forcePathStyle: true,
    },
    directory,
    close: async () => {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
