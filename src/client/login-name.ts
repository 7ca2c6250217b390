import { userInfo } from 'node:os';

/**
 * Who an audited change from this shell is recorded as when the command names nobody (`--by`,
 * `--who`): the login name (undefined when the system has none, or one longer than the audit
 * fields take). Every audited CLI command defaults to it, so the ledger's audit log and God's
 * decisions name the same person for the same shell.
 */
export function loginName(): string | undefined {
  let name = '';
  try {
    name = userInfo().username.trim();
  } catch {
    // No passwd entry for this uid (some containers): fall back to the environment.
  }
  name ||= (process.env.USER ?? process.env.LOGNAME ?? '').trim();
  return name && name.length <= 80 ? name : undefined;
}

/** The login name, or `operator` when there is none: for commands whose `--by` is optional. */
export function operatorName(): string {
  return loginName() ?? 'operator';
}
