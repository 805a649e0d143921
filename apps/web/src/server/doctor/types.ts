/** One line of the doctor's checklist. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  status: CheckStatus;
  /** What was checked, e.g. "AUTH_SECRET is long and random". */
  title: string;
  /** What was found. */
  detail?: string;
  /** One concrete fix, for warn and fail. */
  fix?: string;
}

export const ok = (title: string, detail?: string): CheckResult => ({ status: 'ok', title, ...(detail ? { detail } : {}) });
export const warn = (title: string, detail: string, fix: string): CheckResult => ({ status: 'warn', title, detail, fix });
export const fail = (title: string, detail: string, fix: string): CheckResult => ({ status: 'fail', title, detail, fix });
export const skip = (title: string, detail: string): CheckResult => ({ status: 'skip', title, detail });
