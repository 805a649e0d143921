/**
 * Gathers the facts (files, host, DNS, and with --online the providers) and runs
 * every check. All side-effecting pieces are injected.
 */
import { resolve4, resolve6 } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import {
  checkAppConfig,
  checkBindAddress,
  checkOidcDiscovery,
  checkComposeAgreement,
  checkDns,
  checkDockerRoot,
  checkEnvFile,
  checkHetzner,
  checkPort,
  checkR2,
  checkSecrets,
  checkWellFormed,
  type Protocol,
} from './checks.js';
import { readComposeModel, type ComposeModel } from './compose.js';
import { nonEmpty, parseEnvFile } from './env-file.js';
import { realHost, type Host } from './host.js';
import { realOnline, type OnlineProbes } from './online.js';
import { fail, skip, type CheckResult } from './types.js';

export interface Resolver {
  resolve4(name: string): Promise<string[]>;
  resolve6(name: string): Promise<string[]>;
}

export interface DoctorOptions {
  envPath: string;
  composePath: string;
  examplePath: string;
  online: boolean;
  /** The ports Caddy publishes; tests substitute unprivileged ones. */
  ports?: Array<{ port: number; protocol: Protocol }>;
}

export interface DoctorDeps {
  readText(path: string): Promise<string | undefined>;
  host: Host;
  resolver: Resolver;
  online: OnlineProbes;
}

export interface Section {
  title: string;
  results: CheckResult[];
}

export const realDeps: DoctorDeps = {
  readText: (path) => readFile(path, 'utf8').catch(() => undefined),
  host: realHost,
  resolver: { resolve4: (n) => resolve4(n), resolve6: (n) => resolve6(n) },
  online: realOnline,
};

const CADDY_PORTS: Array<{ port: number; protocol: Protocol }> = [
  { port: 80, protocol: 'tcp' },
  { port: 443, protocol: 'tcp' },
  { port: 443, protocol: 'udp' },
];

export async function runChecks(options: DoctorOptions, deps: DoctorDeps): Promise<Section[]> {
  const sections: Section[] = [];
  const envText = await deps.readText(options.envPath);
  if (envText === undefined) {
    return [
      {
        title: 'Configuration',
        results: [fail(`${options.envPath} exists`, 'file not found', `cp ${options.examplePath} ${options.envPath}, fill it in, chmod 600 ${options.envPath}`)],
      },
    ];
  }
  const { values: env, invalidLines } = parseEnvFile(envText);
  const exampleText = await deps.readText(options.examplePath);
  const example = exampleText === undefined ? undefined : parseEnvFile(exampleText).values;

  const composeText = await deps.readText(options.composePath);
  let compose: ComposeModel | undefined;
  let composeProblem: CheckResult | undefined;
  if (composeText === undefined) {
    composeProblem = fail(`${options.composePath} exists`, 'file not found', 'run the doctor from the Quarry checkout, or pass --compose <path>');
  } else {
    try {
      compose = await readComposeModel(composeText);
    } catch (error) {
      composeProblem = fail(`${options.composePath} parses`, error instanceof Error ? error.message.split('\n')[0]! : String(error), 'restore the file from the Quarry release (git checkout docker/docker-compose.prod.yml)');
    }
  }

  sections.push({
    title: `Configuration (${options.envPath})`,
    results: [
      ...checkEnvFile(options.envPath, invalidLines, await deps.host.fileMode(options.envPath)),
      ...(compose ? checkComposeAgreement(env, compose) : [composeProblem!]),
      ...checkWellFormed(env),
      ...checkSecrets(env, example),
      ...(compose ? checkAppConfig(env, compose) : []),
    ],
  });

  const ip = nonEmpty(env, 'CADDY_BIND_IP');
  const domain = nonEmpty(env, 'DOMAIN');
  const bind = checkBindAddress(ip, deps.host.interfaces());
  const network: CheckResult[] = [bind];
  if (ip !== undefined && bind.status === 'ok') {
    for (const { port, protocol } of options.ports ?? CADDY_PORTS) {
      const [probe, listeners] = await Promise.all([deps.host.probePort(ip, port, protocol), deps.host.listeners(port, protocol)]);
      network.push(checkPort(ip, { port, protocol, probe, listeners }));
    }
  } else {
    network.push(skip('ports 80/443 are free on CADDY_BIND_IP', 'needs CADDY_BIND_IP to be an address of this host'));
  }
  sections.push({ title: 'Network', results: network });

  let answers;
  if (domain !== undefined && ip !== undefined) {
    const settle = (p: Promise<string[]>) => p.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
    const [a, aaaa] = await Promise.all([settle(deps.resolver.resolve4(domain)), settle(deps.resolver.resolve6(domain))]);
    answers = { a, aaaa };
  }
  sections.push({ title: 'DNS', results: checkDns(domain, ip, answers) });

  sections.push({ title: 'Encryption at rest', results: [checkDockerRoot(await deps.host.dockerRoot())] });

  const online: CheckResult[] = [];
  const token = nonEmpty(env, 'HETZNER_API_TOKEN');
  const tlsMode = nonEmpty(env, 'CADDY_TLS_MODE') ?? 'dns_hetzner';
  const r2 = ['R2_ACCOUNT_ID', 'R2_ACCESS_KEY_ID', 'R2_SECRET_ACCESS_KEY', 'R2_BUCKET'].map((n) => nonEmpty(env, n));
  const r2Complete = r2.every((v) => v !== undefined);
  if (!options.online) {
    online.push(skip('Hetzner token and R2 credentials work', 'not checked: run with --online to call the Hetzner and Cloudflare APIs'));
  } else {
    if (tlsMode !== 'dns_hetzner') online.push(skip('HETZNER_API_TOKEN can see the zone of DOMAIN', `CADDY_TLS_MODE=${tlsMode} does not use it`));
    else if (token === undefined || domain === undefined) online.push(skip('HETZNER_API_TOKEN can see the zone of DOMAIN', 'HETZNER_API_TOKEN or DOMAIN is not set'));
    else online.push(checkHetzner(domain, ip, await deps.online.hetznerZone(token, domain)));
    if (!r2Complete) {
      online.push(skip('R2 credentials can write, read and delete an object', 'R2 is not configured'));
    } else {
      const [account, accessKeyId, secretAccessKey, bucket] = r2 as string[];
      const facts = await deps.online.r2RoundTrip({ endpoint: `https://${account}.r2.cloudflarestorage.com`, bucket: bucket!, accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey! });
      online.push(checkR2(bucket!, facts));
    }
  }
  const oidcIssuer = nonEmpty(env, 'OIDC_ISSUER');
  if (oidcIssuer === undefined) online.push(skip("OIDC_ISSUER's discovery document is usable for sign-in", 'single sign-on is not configured'));
  else if (!options.online) online.push(skip("OIDC_ISSUER's discovery document is usable for sign-in", 'not checked: run with --online to read the issuer'));
  else {
    const scopes = (nonEmpty(env, 'OIDC_SCOPES') ?? 'openid email profile').split(/[\s,]+/).filter(Boolean);
    online.push(checkOidcDiscovery(oidcIssuer, scopes, await deps.online.oidcDiscovery(oidcIssuer)));
  }
  sections.push({ title: 'Credentials (--online)', results: online });
  return sections;
}
