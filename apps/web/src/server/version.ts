/** The running version, injected by the build; falls back to the package's during development. */
declare const __QUARRY_VERSION__: string | undefined;

export const version: string = typeof __QUARRY_VERSION__ === 'string' ? __QUARRY_VERSION__ : '0.1.0-dev';
