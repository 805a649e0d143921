import { createFsStorage } from './fs.js';
import { createS3Storage } from './s3.js';
import type { ObjectStorage } from './types.js';

export * from './types.js';
export { createFsStorage, sweepFsTemp, type FsStorageOptions } from './fs.js';
export * from './space.js';
export { createS3Storage, type S3StorageOptions } from './s3.js';
export * from './guard.js';

export type StorageConfig =
  | { driver: 'fs'; dir: string; reserveBytes?: number; watchDirs?: readonly string[] }
  | { driver: 's3'; endpoint: string; region: string; bucket: string; accessKeyId: string; secretAccessKey: string; forcePathStyle: boolean };

/** The adapter `config.storage` names. */
export function createStorage(config: StorageConfig): ObjectStorage {
  return config.driver === 'fs'
    ? createFsStorage({ dir: config.dir, reserveBytes: config.reserveBytes, watchDirs: config.watchDirs })
    : createS3Storage(config);
}
