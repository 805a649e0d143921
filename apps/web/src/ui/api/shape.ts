/**
 * A tiny runtime description of the response fields the UI reads. The UI's
 * TypeScript types are inferred from these shapes, and the contract test
 * (apps/web/test/ui/contract.ts) checks every shape against the server's
 * /api/openapi.json — so a renamed or retyped field fails a test instead of
 * drifting silently. Shapes list only what the UI uses; the server may send more.
 */
export type Shape =
  | { kind: 'string' }
  | { kind: 'number' }
  | { kind: 'boolean' }
  | { kind: 'unknown' }
  | { kind: 'enum'; values: readonly string[] }
  | { kind: 'array'; of: Shape }
  | { kind: 'object'; fields: Record<string, Shape> }
  | { kind: 'nullable'; of: Shape }
  | { kind: 'optional'; of: Shape };

export const str = { kind: 'string' } as const;
export const num = { kind: 'number' } as const;
export const bool = { kind: 'boolean' } as const;
export const unknown = { kind: 'unknown' } as const;
export const oneOf = <const V extends readonly string[]>(...values: V) => ({ kind: 'enum', values }) as const;
export const arrayOf = <S extends Shape>(of: S) => ({ kind: 'array', of }) as const;
export const obj = <F extends Record<string, Shape>>(fields: F) => ({ kind: 'object', fields }) as const;
export const nullable = <S extends Shape>(of: S) => ({ kind: 'nullable', of }) as const;
export const optional = <S extends Shape>(of: S) => ({ kind: 'optional', of }) as const;

type OptionalKeys<F> = { [K in keyof F]: F[K] extends { kind: 'optional' } ? K : never }[keyof F];
type RequiredKeys<F> = Exclude<keyof F, OptionalKeys<F>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

export type Infer<S> = S extends { kind: 'string' }
  ? string
  : S extends { kind: 'number' }
    ? number
    : S extends { kind: 'boolean' }
      ? boolean
      : S extends { kind: 'unknown' }
        ? unknown
        : S extends { kind: 'enum'; values: readonly (infer V)[] }
          ? V
          : S extends { kind: 'array'; of: infer O }
            ? Infer<O>[]
            : S extends { kind: 'nullable'; of: infer O }
              ? Infer<O> | null
              : S extends { kind: 'optional'; of: infer O }
                ? Infer<O> | undefined
                : S extends { kind: 'object'; fields: infer F }
                  ? Simplify<{ [K in RequiredKeys<F>]: Infer<F[K]> } & { [K in OptionalKeys<F>]?: Infer<F[K]> }>
                  : never;
