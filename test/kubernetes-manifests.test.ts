/**
 * deploy/kubernetes, offline. Each object is validated against the Kubernetes OpenAPI schema of its
 * kind (kubernetes-models' JSON schemas: types, required fields, enums, formats). Those schemas allow
 * unknown fields, so a misspelt key would pass them; the checks below pin what Quarry relies on
 * instead (probes, commands, env names that @quarry/config reads, the secrets' split). Not validated:
 * kustomization.yaml's own format, and anything only a cluster knows (the ingress class, the image
 * being pullable, admission policies).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configVariables } from '@quarry/config';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';

const dir = join(import.meta.dirname, '..', 'deploy', 'kubernetes');
const models: Record<string, Record<string, unknown>> = { 'apps/v1': appsV1, 'batch/v1': batchV1, 'networking.k8s.io/v1': networkingV1, 'policy/v1': policyV1, v1: coreV1 };

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const objects: Array<{ file: string; object: K8sObject }> = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => {
    if (doc.errors.length) throw new Error(`${file}: ${doc.errors[0]!.message}`);
    return { file, object: doc.toJS() as K8sObject };
  }),
);
const find = (kind: string, name: string) => objects.find((o) => o.object.kind === kind && o.object.metadata.name === name)?.object;

describe('deploy/kubernetes', () => {
  it('every object validates against its kind\'s schema', () => {
    expect(objects.length).toBeGreaterThanOrEqual(8);
    for (const { file, object } of objects) {
      const Model = models[object.apiVersion]?.[object.kind] as (new (o: unknown) => { validate(): void }) | undefined;
      expect(Model, `${file}: ${object.apiVersion} ${object.kind} has a schema`).toBeDefined();
      expect(() => new Model!(object).validate(), `${file}: ${object.kind}/${object.metadata.name}`).not.toThrow();
    }
  });

  it('the validator does refuse a wrong type (so the check above is not vacuous)', () => {
    const web = structuredClone(find('Deployment', 'quarry-web')!);
    web.spec.replicas = 'two';
    expect(() => new appsV1.Deployment(web as never).validate()).toThrow(/replicas/);
  });

  it('kustomization lists every manifest but the example Secret', () => {
    const listed = readFileSync(join(dir, 'kustomization.yaml'), 'utf8').match(/^\s+- (\S+\.yaml)$/gm)!.map((l) => l.trim().slice(2));
    expect(listed.sort()).toEqual(files.filter((f) => f !== 'secret.example.yaml').sort());
  });

  it('web: readiness on /api/health, INGEST_CONCURRENCY=0, behind a Service; worker runs `quarry worker`; migrations are a Job', () => {
    const web = find('Deployment', 'quarry-web')!;
    const c = web.spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe('/api/health');
    expect(c.command).toEqual(['node', 'apps/web/dist/server/cli.js', 'serve']);
    expect(c.env.find((e: { name: string }) => e.name === 'INGEST_CONCURRENCY').value).toBe('0');
    expect(find('Service', 'quarry-web')!.spec.selector).toEqual(web.spec.selector.matchLabels);
    const worker = find('Deployment', 'quarry-worker')!.spec.template.spec.containers[0];
    expect(worker.command).toEqual(['node', 'apps/web/dist/server/cli.js', 'worker']);
    expect(Number(worker.env.find((e: { name: string }) => e.name === 'INGEST_CONCURRENCY').value)).toBeGreaterThan(0);
    const job = find('Job', 'quarry-migrate')!.spec.template.spec;
    expect(job.containers[0].command).toEqual(['node', 'apps/web/dist/server/cli.js', 'migrate']);
    expect(job.restartPolicy).toBe('Never');
    // One image for all three.
    expect(new Set([c.image, worker.image, job.containers[0].image]).size).toBe(1);
  });

  it('every environment name is one @quarry/config reads, and the owner credentials reach only the Job', () => {
    const names = new Set<string>();
    for (const { object } of objects) {
      if (object.kind === 'ConfigMap') Object.keys(object.data ?? {}).forEach((k) => names.add(k));
      if (object.kind === 'Secret') Object.keys(object.stringData ?? {}).forEach((k) => names.add(k));
      for (const container of object.spec?.template?.spec?.containers ?? []) for (const e of container.env ?? []) names.add(e.name);
    }
    expect([...names].filter((n) => !configVariables.includes(n)).sort()).toEqual([]);
    const app = find('Secret', 'quarry-secrets')!;
    expect(Object.keys(app.stringData!)).not.toContain('DATABASE_APP_PASSWORD');
    for (const name of ['quarry-web', 'quarry-worker']) {
      const text = JSON.stringify(find('Deployment', name));
      expect(text).not.toContain('quarry-migrate');
    }
  });

  it('pods run as non-root with a read-only root filesystem and no capabilities', () => {
    for (const { object } of objects) {
      const pod = object.spec?.template?.spec;
      if (!pod) continue;
      expect(pod.securityContext.runAsNonRoot, object.metadata.name).toBe(true);
      for (const c of pod.containers) {
        expect(c.securityContext.readOnlyRootFilesystem, c.name).toBe(true);
        expect(c.securityContext.allowPrivilegeEscalation, c.name).toBe(false);
        expect(c.securityContext.capabilities.drop).toEqual(['ALL']);
      }
    }
  });
});
