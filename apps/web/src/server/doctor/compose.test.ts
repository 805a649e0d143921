import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composeVariables, interpolate, InterpolationError, readComposeModel } from './compose.js';

const env = (o: Record<string, string>) => new Map(Object.entries(o));

describe('composeVariables', () => {
  it('finds required, defaulted, nested and bare variables; skips $$', () => {
    const vars = composeVariables('${A:?set A} ${B:-x} ${C-${D:-y}} $E $$F ${G?msg}');
    const byName = Object.fromEntries(vars.map((v) => [v.name, v]));
    expect(Object.keys(byName).sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'G']);
    expect(byName.A).toMatchObject({ required: true, message: 'set A' });
    expect(byName.G).toMatchObject({ required: true, message: 'msg' });
    expect(byName.B!.required).toBe(false);
  });

  it('reads the production compose file: the variables it requires', async () => {
    const text = readFileSync(new URL('../../../../../docker/docker-compose.prod.yml', import.meta.url), 'utf8');
    const model = await readComposeModel(text);
    const required = model.variables.filter((v) => v.required).map((v) => v.name).sort();
    expect(required).toEqual(expect.arrayContaining(['ADMIN_EMAIL', 'AUTH_SECRET', 'CADDY_BIND_IP', 'DOMAIN', 'POSTGRES_PASSWORD']));
    expect(model.environments.web?.PUBLIC_URL).toContain('${DOMAIN');
  });
});

describe('interpolate', () => {
  it('substitutes like compose', () => {
    const e = env({ A: 'a', EMPTY: '' });
    expect(interpolate('${A}-${A:-d}-${EMPTY:-d}-${EMPTY-d}-${NONE-d}-$A-$$A', e)).toBe('a-a-d--d-a-$A');
    expect(interpolate('img:${V:-${W:-1.0}}-x', e)).toBe('img:1.0-x');
    expect(interpolate('${A:+yes}${EMPTY:+no}', e)).toBe('yes');
  });

  it('throws for a missing required variable, with compose’s message', () => {
    expect(() => interpolate('${NONE:?set NONE please}', env({}))).toThrowError(InterpolationError);
    expect(() => interpolate('${EMPTY:?set it}', env({ EMPTY: '' }))).toThrow('set it');
    expect(interpolate('${EMPTY?set it}', env({ EMPTY: '' }))).toBe('');
  });
});
