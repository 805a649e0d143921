/**
 * The UI's HTTP client: one `request` that speaks the API's JSON and error
 * shape, and one function per endpoint in contract.ts. Cookies carry the
 * session (same origin), so there is no token handling here.
 */
import {
  endpoints,
  type Answer,
  type AdminUser,
  type ApiKey,
  type CreatedApiKey,
  type AuditEvent,
  type AuthStatus,
  type CreatedInvitation,
  type CreatedUser,
  type DeletedUser,
  type ResetLink,
  type SoleOwnedWorkspace,
  type SystemOverview,
  type Invitation,
  type InvitationLookup,
  type Me,
  type Member,
  type Page,
  type Passage,
  type DocumentMatches,
  type ReaderWindow,
  type QuarryDocument,
  type SearchMode,
  type SearchResult,
  type Workspace,
  type WorkspaceRole,
} from './contract.js';

export interface NewInvitation {
  /** Omitted only together with `anyone: true`. */
  email?: string;
  anyone?: boolean;
  workspaceId?: string;
  role?: WorkspaceRole;
}

/** An API error: `code` and `message` come from the server's error body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly body?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

const fallbackMessages: Record<number, string> = {
  400: 'The request was not valid.',
  401: 'Sign in to continue.',
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'That conflicts with something that already exists.',
  413: 'That is too large.',
  414: 'That is too long for the server to accept. Shorten it and try again.',
  415: 'That file type is not supported.',
  431: 'That is too long for the server to accept. Shorten it and try again.',
  429: 'Too many attempts. Wait a moment and try again.',
  503: 'The server is temporarily unavailable.',
};

const fieldNames: Record<string, string> = {
  q: 'The search',
  question: 'The question',
  name: 'The name',
  email: 'The e-mail address',
  password: 'The password',
  newPassword: 'The new password',
};

/**
 * The server names the field and gives the validator's words ("q: Too big:
 * expected string to have <=2000 characters"): readers get a sentence instead.
 * Messages the server wrote for people pass through unchanged.
 */
export function describeInvalid(message: string): string {
  const match = /^([\w.]+): (.*)$/s.exec(message);
  if (!match) return message;
  const [, path = '', detail = ''] = match;
  const key = path.split('.').pop() ?? path;
  const field = fieldNames[key] ?? `The ${key.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} field`;
  const limit = /([<>]=?)\s*(\d+)/.exec(detail);
  const n = limit ? Number(limit[2]).toLocaleString('en') : '';
  if (/^Too big/i.test(detail) && /character/.test(detail)) return `${field} is too long: at most ${n} characters.`;
  if (/^Too small/i.test(detail) && /character/.test(detail))
    return n === '1' ? `${field} must not be empty.` : `${field} is too short: at least ${n} characters.`;
  if (/^Too big/i.test(detail)) return `${field} is too large: at most ${n}.`;
  if (/^Too small/i.test(detail)) return `${field} is too small: at least ${n}.`;
  if (/^Invalid email/i.test(detail)) return `${field} is not a valid e-mail address.`;
  if (/^Invalid|expected/i.test(detail)) return `${field} is not valid.`;
  return `${field} ${detail}`.trimEnd().replace(/([^.])$/, '$1.');
}

/** Turns any failed response body (ours or better-auth's) into an ApiError. */
export function toApiError(status: number, body: unknown, requestId?: string): ApiError {
  const record = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const inner = (record.error && typeof record.error === 'object' ? record.error : record) as Record<string, unknown>;
  const message =
    typeof inner.message === 'string' && inner.message
      ? status === 400 && typeof inner.field === 'string'
        ? describeInvalid(inner.message)
        : inner.message
      : (fallbackMessages[status] ?? `The server could not complete the request (error ${status}).`);
  const code = typeof inner.code === 'string' ? inner.code.toLowerCase() : `http_${status}`;
  const rid = typeof inner.requestId === 'string' ? inner.requestId : requestId;
  return new ApiError(status, code, message, rid, record);
}

/** Fills `{name}` placeholders of a contract path. */
export function pathOf(template: string, params: Record<string, string> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(value);
  });
}

type Query = Record<string, string | number | undefined | null>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `${path}?${s}` : path;
}

export async function request<T>(
  method: string,
  path: string,
  options: { body?: unknown; query?: Query; signal?: AbortSignal; idempotencyKey?: string } = {},
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(withQuery(path, options.query), {
      method,
      credentials: 'same-origin',
      headers: {
        accept: 'application/json',
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {}),
      },
      body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
      signal: options.signal,
    });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
  const text = await res.text();
  let body: unknown = undefined;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!res.ok) throw toApiError(res.status, body, res.headers.get('x-request-id') ?? undefined);
  return body as T;
}

const e = endpoints;
const call = <T>(
  endpoint: { method: string; path: string },
  params?: Record<string, string>,
  options?: Parameters<typeof request>[2],
) => request<T>(endpoint.method, pathOf(endpoint.path, params), options);

export interface SessionInfo {
  id: string;
  token: string;
  createdAt: string;
  updatedAt?: string;
  expiresAt: string;
  ipAddress?: string | null;
  userAgent?: string | null;
}

export const api = {
  authStatus: () => call<AuthStatus>(e.authStatus),
  me: () => call<Me>(e.me),
  signUp: (body: { email: string; password: string; name: string; inviteToken?: string }) =>
    call<unknown>(e.signUp, {}, { body }),
  signIn: (body: { email: string; password: string }) => call<unknown>(e.signIn, {}, { body }),
  /** Single sign-on: the provider's authorization URL to send the browser to; it comes back to `callbackURL`. */
  startSso: (provider: string, callbackURL: string) =>
    call<{ url: string }>(e.startSso, {}, { body: { provider, callbackURL, errorCallbackURL: '/sign-in' } }),
  signOut: () => call<unknown>(e.signOut, {}, { body: {} }),
  /** Spends a set-up or reset link (made by an administrator) to choose a password. */
  resetPassword: (body: { token: string; newPassword: string }) => call<unknown>(e.resetPassword, {}, { body }),
  changePassword: (body: { currentPassword: string; newPassword: string; revokeOtherSessions: boolean }) =>
    call<unknown>(e.changePassword, {}, { body }),
  getSession: () => call<{ session: { id: string; token: string } } | null>(e.getSession),
  listSessions: () => call<SessionInfo[]>(e.listSessions),
  revokeSession: (token: string) => call<unknown>(e.revokeSession, {}, { body: { token } }),

  listWorkspaces: () => call<{ items: Workspace[] }>(e.listWorkspaces),
  createWorkspace: (name: string, idempotencyKey?: string) =>
    call<Workspace>(e.createWorkspace, {}, { body: { name }, idempotencyKey }),
  getWorkspace: (ws: string) => call<Workspace>(e.getWorkspace, { ws }),
  renameWorkspace: (ws: string, name: string) => call<Workspace>(e.renameWorkspace, { ws }, { body: { name } }),
  deleteWorkspace: (ws: string) => call<void>(e.deleteWorkspace, { ws }),
  listMembers: (ws: string) => call<{ items: Member[] }>(e.listMembers, { ws }),
  addMember: (ws: string, email: string, role: WorkspaceRole) =>
    call<Member>(e.addMember, { ws }, { body: { email, role } }),
  updateMember: (ws: string, userId: string, role: WorkspaceRole) =>
    call<{ userId: string; role: WorkspaceRole }>(e.updateMember, { ws, userId }, { body: { role } }),
  removeMember: (ws: string, userId: string) => call<void>(e.removeMember, { ws, userId }),

  listDocuments: (ws: string, cursor?: string) =>
    call<Page<QuarryDocument>>(e.listDocuments, { ws }, { query: { limit: 100, cursor } }),
  getDocument: (ws: string, id: string) => call<QuarryDocument>(e.getDocument, { ws, id }),
  downloadUrl: (ws: string, id: string) => pathOf(e.downloadDocument.path, { ws, id }),
  deleteDocument: (ws: string, id: string) => call<void>(e.deleteDocument, { ws, id }),
  reindexDocument: (ws: string, id: string) => call<unknown>(e.reindexDocument, { ws, id }, { body: {} }),
  renameDocument: (ws: string, id: string, title: string) =>
    call<QuarryDocument>(e.renameDocument, { ws, id }, { body: { title } }),
  /** One window of the reader: from the start, after or before an ordinal, or around a passage. */
  documentPassages: (
    ws: string,
    id: string,
    window: { after?: number; before?: number; around?: string; limit?: number },
    signal?: AbortSignal,
  ) => call<ReaderWindow>(e.documentPassages, { ws, id }, { query: window, signal }),
  documentMatches: (ws: string, id: string, q: string, signal?: AbortSignal) =>
    call<DocumentMatches>(e.documentMatches, { ws, id }, { query: { q }, signal }),
  uploadUrl: (ws: string) => pathOf(e.uploadDocument.path, { ws }),

  search: (
    ws: string,
    q: {
      q: string;
      mode: SearchMode;
      documentId?: string;
      type?: string;
      from?: string;
      to?: string;
      cursor?: string;
      limit?: number;
    },
    signal?: AbortSignal,
  ) => call<SearchResult>(e.search, { ws }, { query: { limit: 10, ...q }, signal }),
  listApiKeys: () => call<Page<ApiKey>>(e.listApiKeys),
  createApiKey: (
    body: { name: string; workspaceId?: string | null; readOnly?: boolean; expiresAt?: string | null },
    idempotencyKey?: string,
  ) => call<CreatedApiKey>(e.createApiKey, {}, { body, idempotencyKey }),
  revokeApiKey: (id: string) => call<void>(e.revokeApiKey, { id }),
  getPassage: (ws: string, id: string) => call<Passage>(e.getPassage, { ws, id }),
  askUrl: (ws: string) => pathOf(e.ask.path, { ws }),

  adminUsers: (cursor?: string) => call<Page<AdminUser>>(e.adminUsers, {}, { query: { cursor, limit: 50 } }),
  adminUpdateUser: (id: string, body: { role?: string; banned?: boolean }) =>
    call<AdminUser>(e.adminUpdateUser, { id }, { body }),
  adminCreateUser: (body: { email: string; name?: string; role: 'admin' | 'member' }, idempotencyKey?: string) =>
    call<CreatedUser>(e.adminCreateUser, {}, { body, idempotencyKey }),
  adminResetLink: (id: string) => call<ResetLink>(e.adminResetLink, { id }, { body: {} }),
  adminOwnedWorkspaces: (id: string) => call<{ items: SoleOwnedWorkspace[] }>(e.adminOwnedWorkspaces, { id }),
  adminDeleteUser: (id: string, owned?: { ownedWorkspaces: 'delete' } | { ownedWorkspaces: 'transfer'; transferTo: string }) =>
    call<DeletedUser>(e.adminDeleteUser, { id }, { query: owned ?? {} }),
  adminSystem: () => call<SystemOverview>(e.adminSystem),
  adminInvitations: () => call<Page<Invitation>>(e.adminInvitations, {}, { query: { limit: 50 } }),
  adminCreateInvitation: (body: NewInvitation, idempotencyKey?: string) =>
    call<CreatedInvitation>(e.adminCreateInvitation, {}, { body, idempotencyKey }),
  adminRevokeInvitation: (id: string) => call<void>(e.adminRevokeInvitation, { id }),
  invitationLookup: (token: string) => call<InvitationLookup>(e.invitationLookup, { token }),
  adminAuditActions: () => call<{ items: string[] }>(e.adminAuditActions),
  adminAudit: (filters: {
    action?: string;
    actorId?: string;
    actorEmail?: string;
    since?: string;
    until?: string;
    cursor?: string;
    limit?: number;
  }) => call<Page<AuditEvent>>(e.adminAudit, {}, { query: { limit: 25, ...filters } }),
  adminAuditExportUrl: (filters: {
    action?: string;
    actorId?: string;
    actorEmail?: string;
    since?: string;
    until?: string;
  }) => withQuery(e.adminAuditExport.path, filters),
};

export type { Answer };
