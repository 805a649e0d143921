/**
 * Every endpoint the UI calls, with the response fields it reads (see shape.ts).
 * Endpoints with `openapi: true` are checked against the server's OpenAPI
 * document by the UI test suite; better-auth's own routes are not in that
 * document and follow better-auth's published contract.
 */
import { arrayOf, bool, num, nullable, obj, oneOf, optional, str, unknown, type Infer, type Shape } from './shape.js';

export const WorkspaceRoleShape = oneOf('owner', 'editor', 'viewer');
export const UserRoleShape = str; // 'admin' | 'member' — better-auth stores a free string

export const MeShape = obj({
  user: obj({ id: str, email: str, name: str, role: nullable(UserRoleShape) }),
  workspaces: arrayOf(obj({ id: str, name: str, role: WorkspaceRoleShape })),
});

export const WorkspaceShape = obj({ id: str, name: str, role: optional(WorkspaceRoleShape) });
export const MemberShape = obj({ userId: str, email: str, name: str, role: WorkspaceRoleShape });

export const DocumentStatusShape = oneOf('queued', 'processing', 'ready', 'failed');
export const DocumentShape = obj({
  id: str,
  title: str,
  filename: str,
  mimeType: str,
  sizeBytes: num,
  status: DocumentStatusShape,
  error: optional(nullable(str)),
  pageCount: optional(nullable(num)),
  passageCount: optional(nullable(num)),
  vectors: optional(obj({ ready: num, total: num })),
  createdAt: optional(str),
  updatedAt: optional(str),
});
export const UploadAcceptedShape = obj({ id: str, title: str, filename: str, status: DocumentStatusShape });

export const SearchModeShape = oneOf('hybrid', 'keyword', 'semantic');
export const SearchHitShape = obj({
  documentId: str,
  documentTitle: str,
  passageId: str,
  page: nullable(num),
  headingPath: nullable(arrayOf(str)),
  snippet: str,
  score: num,
});
export const SearchResultShape = obj({
  items: arrayOf(SearchHitShape),
  mode: SearchModeShape,
  tookMs: num,
  nextCursor: nullable(str),
  /** Every match counted (first page only; `capped`: at least this many). */
  total: optional(obj({ passages: num, documents: num, capped: bool })),
});

/** A passage in its document: what "open in context" shows. */
export const PassageShape = obj({
  id: str,
  documentId: str,
  ordinal: num,
  page: nullable(num),
  headingPath: nullable(arrayOf(str)),
  text: str,
});

export const ReaderPassageShape = obj({
  id: str,
  ordinal: num,
  page: nullable(num),
  headingPath: arrayOf(str),
  text: str,
  overlap: num,
});
export const ReaderWindowShape = obj({ items: arrayOf(ReaderPassageShape), total: num, hasBefore: bool, hasAfter: bool });
export const DocumentMatchesShape = obj({
  terms: arrayOf(str),
  matches: arrayOf(obj({ passageId: str, ordinal: num, page: nullable(num) })),
});

export const CitationShape = obj({
  n: num,
  documentId: str,
  documentTitle: str,
  passageId: str,
  page: nullable(num),
  quote: str,
});
export const AnswerShape = obj({
  answer: str,
  citations: arrayOf(CitationShape),
  mode: oneOf('generated', 'extractive'),
  model: nullable(str),
});

export const AdminUserShape = obj({
  id: str,
  email: str,
  name: str,
  role: nullable(str),
  banned: nullable(bool),
  createdAt: str,
});
export const ResetLinkShape = obj({ url: str, expiresAt: str });
export const CreatedUserShape = obj({ user: AdminUserShape, setup: ResetLinkShape });
export const SoleOwnedWorkspaceShape = obj({ id: str, name: str, otherMembers: num, documents: num });
export const DeletedUserShape = obj({
  id: str,
  deletedWorkspaces: arrayOf(str),
  transferredWorkspaces: arrayOf(str),
  transferTo: nullable(obj({ id: str, email: str })),
});
const SpaceStateShape = obj({ id: num, provider: str, model: str, dimensions: num, status: str, vectors: num, passages: num });
/** Admin → System: what the operator asks "is it working?" about (no secrets). */
export const SystemOverviewShape = obj({
  version: str,
  uptimeSeconds: num,
  node: str,
  production: bool,
  publicUrl: str,
  database: obj({ driver: str, sizeBytes: num, serverVersion: str, host: optional(nullable(str)) }),
  storage: obj({
    driver: str,
    ok: bool,
    error: optional(str),
    bucket: optional(str),
    endpointHost: optional(nullable(str)),
    disk: optional(obj({ freeBytes: num, reserveBytes: num, low: bool })),
  }),
  embedding: obj({
    model: nullable(
      obj({ provider: str, model: str, dimensions: num, runtime: str, state: optional(str), fallbackReason: optional(str), error: optional(str) }),
    ),
    endpointHost: nullable(str),
    activeSpace: nullable(SpaceStateShape),
    buildingSpace: nullable(SpaceStateShape),
  }),
  answers: obj({ mode: oneOf('generated', 'extractive'), model: nullable(str), endpointHost: nullable(str) }),
  queue: obj({ pending: num, running: num, failed: num, oldestDueSeconds: nullable(num), concurrency: num }),
  content: obj({ users: num, admins: num, workspaces: num, documents: num, failedDocuments: num }),
  uploads: obj({ maxMb: num }),
  auth: obj({
    signupMode: str,
    passwordSignIn: bool,
    adminEmailSet: bool,
    oidc: obj({ enabled: bool, displayName: nullable(str), issuerHost: nullable(str) }),
  }),
});
export const InvitationShape = obj({
  id: str,
  /** null: anyone with the link (chosen explicitly by the admin). */
  email: nullable(str),
  expiresAt: str,
  usedAt: nullable(str),
  revokedAt: nullable(str),
  status: oneOf('open', 'used', 'expired', 'revoked'),
  workspaceId: nullable(str),
  workspaceName: nullable(str),
  role: nullable(WorkspaceRoleShape),
});
export const CreatedInvitationShape = obj({ id: str, email: nullable(str), expiresAt: str, url: str });
/** What the accept page may know before sign-up: who the link is for and what it joins. */
export const InvitationLookupShape = obj({
  email: nullable(str),
  expiresAt: str,
  workspaceId: nullable(str),
  workspaceName: nullable(str),
  role: nullable(WorkspaceRoleShape),
});
export const AuditEventShape = obj({
  id: num,
  at: str,
  actorId: nullable(str),
  actorEmail: nullable(str),
  action: str,
  targetType: nullable(str),
  targetId: nullable(str),
  /** The target's name today (workspace name, user e-mail, document title …), when it still exists. */
  targetName: optional(nullable(str)),
  ip: nullable(str),
  userAgent: nullable(str),
  outcome: str,
  details: unknown,
});

/** What the sign-in screen needs before anyone is signed in: is this a first run, may people sign up? */
export const AuthStatusShape = obj({
  needsAdmin: bool,
  /** How the first admin is made (older servers: the first sign-up). */
  firstRun: optional(oneOf('sign-up', 'admin-email', 'shell')),
  signupMode: oneOf('open', 'invite', 'closed'),
  maxUploadMb: optional(num),
  /** Single sign-on, when configured: the "Sign in with …" button. */
  sso: optional(nullable(obj({ provider: str, displayName: str }))),
  /** False: password sign-in is off (PASSWORD_SIGNIN=off). */
  passwordSignIn: optional(bool),
});

const apiKeyFields = {
  id: str,
  name: str,
  prefix: str,
  createdAt: str,
  lastUsedAt: nullable(str),
  workspaceId: nullable(str),
  workspaceName: nullable(str),
  readOnly: bool,
  expiresAt: nullable(str),
  expired: bool,
};
export const ApiKeyShape = obj(apiKeyFields);
export const CreatedApiKeyShape = obj({ ...apiKeyFields, key: str });

export const page = <S extends Shape>(item: S) => obj({ items: arrayOf(item), nextCursor: nullable(str) });

export interface Endpoint {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** OpenAPI-style path: `{ws}` placeholders. */
  path: string;
  /** Expected success status(es); a shape describes a JSON body. */
  response?: Shape;
  /** false: not in /api/openapi.json (better-auth's own routes). */
  openapi: boolean;
  /** The UI works without it (degrades gracefully); the contract test checks it only when the server has it. */
  optional?: boolean;
}

const ep = <E extends Endpoint>(e: E) => e;

export const endpoints = {
  authStatus: ep({ method: 'GET', path: '/api/setup', response: AuthStatusShape, openapi: true }),
  me: ep({ method: 'GET', path: '/api/me', response: MeShape, openapi: true }),
  listWorkspaces: ep({
    method: 'GET',
    path: '/api/workspaces',
    response: obj({ items: arrayOf(WorkspaceShape) }),
    openapi: true,
  }),
  createWorkspace: ep({ method: 'POST', path: '/api/workspaces', response: WorkspaceShape, openapi: true }),
  getWorkspace: ep({ method: 'GET', path: '/api/workspaces/{ws}', response: WorkspaceShape, openapi: true }),
  renameWorkspace: ep({ method: 'PATCH', path: '/api/workspaces/{ws}', response: WorkspaceShape, openapi: true }),
  deleteWorkspace: ep({ method: 'DELETE', path: '/api/workspaces/{ws}', openapi: true }),
  listMembers: ep({
    method: 'GET',
    path: '/api/workspaces/{ws}/members',
    response: obj({ items: arrayOf(MemberShape) }),
    openapi: true,
  }),
  addMember: ep({ method: 'POST', path: '/api/workspaces/{ws}/members', response: MemberShape, openapi: true }),
  updateMember: ep({
    method: 'PATCH',
    path: '/api/workspaces/{ws}/members/{userId}',
    response: obj({ userId: str, role: WorkspaceRoleShape }),
    openapi: true,
  }),
  removeMember: ep({ method: 'DELETE', path: '/api/workspaces/{ws}/members/{userId}', openapi: true }),

  listDocuments: ep({
    method: 'GET',
    path: '/api/workspaces/{ws}/documents',
    response: page(DocumentShape),
    openapi: true,
  }),
  uploadDocument: ep({
    method: 'POST',
    path: '/api/workspaces/{ws}/documents',
    response: UploadAcceptedShape,
    openapi: true,
  }),
  getDocument: ep({
    method: 'GET',
    path: '/api/workspaces/{ws}/documents/{id}',
    response: DocumentShape,
    openapi: true,
  }),
  downloadDocument: ep({ method: 'GET', path: '/api/workspaces/{ws}/documents/{id}/file', openapi: true }),
  deleteDocument: ep({ method: 'DELETE', path: '/api/workspaces/{ws}/documents/{id}', openapi: true }),
  reindexDocument: ep({ method: 'POST', path: '/api/workspaces/{ws}/documents/{id}/reindex', openapi: true }),
  renameDocument: ep({ method: 'PATCH', path: '/api/workspaces/{ws}/documents/{id}', response: DocumentShape, openapi: true }),
  documentPassages: ep({
    method: 'GET',
    path: '/api/workspaces/{ws}/documents/{id}/passages',
    response: ReaderWindowShape,
    openapi: true,
  }),
  documentMatches: ep({
    method: 'GET',
    path: '/api/workspaces/{ws}/documents/{id}/matches',
    response: DocumentMatchesShape,
    openapi: true,
  }),

  search: ep({ method: 'GET', path: '/api/workspaces/{ws}/search', response: SearchResultShape, openapi: true }),
  getPassage: ep({
    method: 'GET',
    path: '/api/workspaces/{ws}/passages/{id}',
    response: PassageShape,
    openapi: true,
    optional: true,
  }),
  ask: ep({ method: 'POST', path: '/api/workspaces/{ws}/ask', response: AnswerShape, openapi: true }),

  adminUsers: ep({ method: 'GET', path: '/api/admin/users', response: page(AdminUserShape), openapi: true }),
  adminUpdateUser: ep({ method: 'PATCH', path: '/api/admin/users/{id}', response: AdminUserShape, openapi: true }),
  adminCreateUser: ep({ method: 'POST', path: '/api/admin/users', response: CreatedUserShape, openapi: true }),
  adminResetLink: ep({ method: 'POST', path: '/api/admin/users/{id}/reset-link', response: ResetLinkShape, openapi: true }),
  adminOwnedWorkspaces: ep({
    method: 'GET',
    path: '/api/admin/users/{id}/owned-workspaces',
    response: obj({ items: arrayOf(SoleOwnedWorkspaceShape) }),
    openapi: true,
  }),
  adminDeleteUser: ep({ method: 'DELETE', path: '/api/admin/users/{id}', response: DeletedUserShape, openapi: true }),
  adminSystem: ep({ method: 'GET', path: '/api/admin/system', response: SystemOverviewShape, openapi: true }),
  adminInvitations: ep({
    method: 'GET',
    path: '/api/admin/invitations',
    response: page(InvitationShape),
    openapi: true,
  }),
  adminCreateInvitation: ep({
    method: 'POST',
    path: '/api/admin/invitations',
    response: CreatedInvitationShape,
    openapi: true,
  }),
  adminRevokeInvitation: ep({ method: 'DELETE', path: '/api/admin/invitations/{id}', openapi: true }),
  invitationLookup: ep({
    method: 'GET',
    path: '/api/invitations/{token}',
    response: InvitationLookupShape,
    openapi: true,
  }),
  adminAudit: ep({ method: 'GET', path: '/api/admin/audit', response: page(AuditEventShape), openapi: true }),
  adminAuditActions: ep({
    method: 'GET',
    path: '/api/admin/audit/actions',
    response: obj({ items: arrayOf(str) }),
    openapi: true,
  }),
  adminAuditExport: ep({ method: 'GET', path: '/api/admin/audit/export', openapi: true }),

  signUp: ep({ method: 'POST', path: '/api/auth/sign-up/email', openapi: false }),
  signIn: ep({ method: 'POST', path: '/api/auth/sign-in/email', openapi: false }),
  startSso: ep({ method: 'POST', path: '/api/auth/sign-in/social', response: obj({ url: str }), openapi: false }),
  signOut: ep({ method: 'POST', path: '/api/auth/sign-out', openapi: false }),
  resetPassword: ep({ method: 'POST', path: '/api/auth/reset-password', openapi: false }),
  changePassword: ep({ method: 'POST', path: '/api/auth/change-password', openapi: false }),
  getSession: ep({ method: 'GET', path: '/api/auth/get-session', openapi: false }),
  listSessions: ep({ method: 'GET', path: '/api/auth/list-sessions', openapi: false }),
  revokeSession: ep({ method: 'POST', path: '/api/auth/revoke-session', openapi: false }),
  listApiKeys: ep({ method: 'GET', path: '/api/account/api-keys', response: page(ApiKeyShape), openapi: true }),
  createApiKey: ep({ method: 'POST', path: '/api/account/api-keys', response: CreatedApiKeyShape, openapi: true }),
  revokeApiKey: ep({ method: 'DELETE', path: '/api/account/api-keys/{id}', openapi: true }),
} satisfies Record<string, Endpoint>;

export type AuthStatus = Infer<typeof AuthStatusShape>;
export type Me = Infer<typeof MeShape>;
export type WorkspaceRole = Infer<typeof WorkspaceRoleShape>;
export type Workspace = Infer<typeof WorkspaceShape>;
export type Member = Infer<typeof MemberShape>;
export type DocumentStatus = Infer<typeof DocumentStatusShape>;
export type QuarryDocument = Infer<typeof DocumentShape>;
export type UploadAccepted = Infer<typeof UploadAcceptedShape>;
export type SearchMode = Infer<typeof SearchModeShape>;
export type SearchHit = Infer<typeof SearchHitShape>;
export type SearchResult = Infer<typeof SearchResultShape>;
export type Passage = Infer<typeof PassageShape>;
export type ReaderPassage = Infer<typeof ReaderPassageShape>;
export type ReaderWindow = Infer<typeof ReaderWindowShape>;
export type DocumentMatches = Infer<typeof DocumentMatchesShape>;
export type Citation = Infer<typeof CitationShape>;
export type Answer = Infer<typeof AnswerShape>;
export type AdminUser = Infer<typeof AdminUserShape>;
export type Invitation = Infer<typeof InvitationShape>;
export type ResetLink = Infer<typeof ResetLinkShape>;
export type CreatedUser = Infer<typeof CreatedUserShape>;
export type SoleOwnedWorkspace = Infer<typeof SoleOwnedWorkspaceShape>;
export type DeletedUser = Infer<typeof DeletedUserShape>;
export type SystemOverview = Infer<typeof SystemOverviewShape>;
export type CreatedInvitation = Infer<typeof CreatedInvitationShape>;
export type InvitationLookup = Infer<typeof InvitationLookupShape>;
export type ApiKey = Infer<typeof ApiKeyShape>;
export type CreatedApiKey = Infer<typeof CreatedApiKeyShape>;
export type AuditEvent = Infer<typeof AuditEventShape>;
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
