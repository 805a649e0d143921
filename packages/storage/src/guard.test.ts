import { describe, expect, it } from 'vitest';
import { assertDurableFileStorage, mountPointOf, parseMountPoints, StorageGuardError } from './guard.js';

// A container: overlay root, a named volume at /data, a bind mount with a space in its name.
const mountinfo = [
  '100 90 0:50 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/x',
  '101 100 0:52 / /proc rw,nosuid - proc proc rw',
  '102 100 8:1 /var/lib/docker/volumes/quarry_files/_data /data rw,relatime - ext4 /dev/sda1 rw',
  '103 100 8:1 /srv/my\\040files /srv/my\\040files rw - ext4 /dev/sda1 rw',
].join('\n');

describe('production storage guard', () => {
  it('parses mount points, decoding escapes', () => {
    expect(parseMountPoints(mountinfo)).toEqual(['/', '/proc', '/data', '/srv/my files']);
  });

  it('finds the mount holding a directory', () => {
    const mps = parseMountPoints(mountinfo);
    expect(mountPointOf('/data/objects', mps)).toBe('/data');
    expect(mountPointOf('/database/objects', mps)).toBe('/');
    expect(mountPointOf('/srv/my files/objects', mps)).toBe('/srv/my files');
  });

  it('refuses production with files in the writable layer, naming the fix', () => {
    const run = () =>
      assertDurableFileStorage({ production: true, storage: { driver: 'fs', dir: '/app/data/objects' }, dataDir: '/app/data', mountinfo });
    expect(run).toThrow(StorageGuardError);
    expect(run).toThrow(/not on a mounted volume.*DATA_DIR.*R2_ACCOUNT_ID/s);
  });

  it('allows a mounted DATA_DIR, R2, and development', () => {
    expect(() =>
      assertDurableFileStorage({ production: true, storage: { driver: 'fs', dir: '/data/objects' }, dataDir: '/data', mountinfo }),
    ).not.toThrow();
    expect(() => assertDurableFileStorage({ production: true, storage: { driver: 's3' }, dataDir: '/app/data', mountinfo })).not.toThrow();
    expect(() =>
      assertDurableFileStorage({ production: false, storage: { driver: 'fs', dir: '/app/data/objects' }, dataDir: '/app/data', mountinfo }),
    ).not.toThrow();
  });
});
