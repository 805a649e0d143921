/**
 * `quarry admin create --email <e-mail> [--name <name>] [--password-stdin]`:
 * makes an administrator from the shell, for first installs and lock-outs.
 * Without --password-stdin a random one-time password is printed once.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Config } from '@quarry/config';
import { users } from '@quarry/db';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Logger } from './logger.js';
import { startRuntime } from './runtime.js';

const usage = 'Usage: quarry admin create --email <e-mail> [--name <name>] [--password-stdin]';

export async function runAdminCommand(argv: string[], config: Config, logger: Logger): Promise<number> {
  if (argv[0] !== 'create') {
    console.error(usage);
    return 2;
  }
  const { values } = parseArgs({
    args: argv.slice(1),
    options: { email: { type: 'string' }, name: { type: 'string' }, 'password-stdin': { type: 'boolean', default: false } },
  });
  const email = z.email().safeParse(values.email);
  if (!email.success) {
    console.error(`quarry admin create: --email must be an e-mail address\n${usage}`);
    return 2;
  }
  const password = values['password-stdin'] ? (await readStdin()).trim() : randomBytes(18).toString('base64url');
  if (password.length < 10) {
    console.error('quarry admin create: the password must be at least 10 characters');
    return 2;
  }
  const runtime = await startRuntime(config, logger);
  try {
    const { auth, db, audit } = runtime.services;
    const address = email.data.toLowerCase();
    const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.email, address));
    let userId = existing?.id;
    if (!userId) {
      const created = await auth.api.signUpEmail({ body: { email: address, password, name: values.name ?? address.split('@')[0]! } });
      userId = created.user.id;
    }
    await db.update(users).set({ role: 'admin', banned: false, updatedAt: new Date() }).where(eq(users.id, userId));
    await audit.record({ action: 'user.role_changed', outcome: 'success', actorEmail: 'quarry admin create (shell)', targetType: 'user', targetId: userId, details: { to: 'admin' } });
    if (existing) console.log(`${address} already had an account; it is now an admin (password unchanged).`);
    else if (values['password-stdin']) console.log(`Created admin ${address}.`);
    else console.log(`Created admin ${address}.\nOne-time password (shown once; change it after signing in): ${password}`);
    return 0;
  } finally {
    await runtime.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
