/**
 * The one authorization function for workspace-scoped work. Non-members get
 * "not found" — never a hint that the workspace exists — and members whose
 * role is too low get "forbidden".
 */
import { and, eq } from 'drizzle-orm';
import { memberships, type Database, type WorkspaceRole } from '@quarry/db';
import { forbidden, notFound } from '../http/errors.js';

const rank: Record<WorkspaceRole, number> = { viewer: 1, editor: 2, owner: 3 };

export const roleAtLeast = (role: WorkspaceRole, minimum: WorkspaceRole) => rank[role] >= rank[minimum];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string) => UUID.test(value);

export interface WorkspaceAccess {
  workspaceId: string;
  userId: string;
  role: WorkspaceRole;
}

export async function authorizeWorkspace(
  db: Database,
  userId: string,
  workspaceId: string,
  minimum: WorkspaceRole,
): Promise<WorkspaceAccess> {
  if (!isUuid(workspaceId)) throw notFound('workspace');
  const [membership] = await db
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)))
    .limit(1);
  if (!membership) throw notFound('workspace');
  if (!roleAtLeast(membership.role, minimum)) {
    throw forbidden(`This needs the ${minimum} role in this workspace; you are a ${membership.role}.`, 'insufficient_role');
  }
  return { workspaceId, userId, role: membership.role };
}
