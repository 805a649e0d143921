/**
 * What every workspace screen knows about the workspace it shows, and what the
 * caller's role there allows. Screens take this from here, never from each other.
 */
import type { Me, WorkspaceRole } from '../api/contract.js';

export interface WorkspaceContext {
  ws: string;
  name: string;
  role: WorkspaceRole;
  me: Me;
}

export const canEdit = (role: WorkspaceRole) => role === 'owner' || role === 'editor';
