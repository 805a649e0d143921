/** Argument parsing and the printed checklist of `quarry doctor`. */
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { realDeps, runChecks, type DoctorDeps, type DoctorOptions, type Section } from './run.js';
import type { CheckStatus } from './types.js';

const usage = `Usage: quarry doctor [--env docker/.env] [--compose <file>] [--example <file>] [--online]

Checks a Quarry .env file and this host before the first \`docker compose up\`.
  --env       the .env file (default docker/.env)
  --compose   the compose file (default: docker-compose.prod.yml beside the .env)
  --example   the example env (default: .env.example beside the .env)
  --online    also call the Hetzner Cloud DNS API and write/read/delete a probe object in R2
Exit status: 0 when nothing is ✖, 1 otherwise, 2 on a usage error.`;

const MARK: Record<CheckStatus, string> = { ok: '✔', fail: '✖', warn: '!', skip: '-' };

export function formatReport(header: string, sections: Section[]): { text: string; failures: number; warnings: number } {
  const lines = [header, ''];
  let failures = 0;
  let warnings = 0;
  for (const section of sections) {
    lines.push(section.title);
    for (const r of section.results) {
      if (r.status === 'fail') failures++;
      if (r.status === 'warn') warnings++;
      lines.push(`  ${MARK[r.status]} ${r.title}${r.detail ? ` — ${r.detail}` : ''}`);
      if (r.fix && (r.status === 'fail' || r.status === 'warn')) lines.push(`      fix: ${r.fix}`);
    }
    lines.push('');
  }
  lines.push(
    failures > 0
      ? `${failures} problem${failures === 1 ? '' : 's'} (✖) and ${warnings} warning${warnings === 1 ? '' : 's'} (!): fix the ✖ lines before \`docker compose up\`.`
      : `No problems; ${warnings} warning${warnings === 1 ? '' : 's'} (!).`,
  );
  return { text: lines.join('\n'), failures, warnings };
}

export async function doctorMain(argv: string[], deps: DoctorDeps = realDeps, print: (s: string) => void = console.log): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        env: { type: 'string', default: 'docker/.env' },
        compose: { type: 'string' },
        example: { type: 'string' },
        online: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    }));
  } catch (error) {
    print(`quarry doctor: ${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return 2;
  }
  if (values.help) {
    print(usage);
    return 0;
  }
  const envPath = values.env;
  const options: DoctorOptions = {
    envPath,
    composePath: values.compose ?? join(dirname(envPath), 'docker-compose.prod.yml'),
    examplePath: values.example ?? join(dirname(envPath), '.env.example'),
    online: values.online,
  };
  const sections = await runChecks(options, deps);
  const { text, failures } = formatReport(`quarry doctor — ${options.envPath} against ${options.composePath}${options.online ? ' (online)' : ''}`, sections);
  print(text);
  return failures > 0 ? 1 : 0;
}
