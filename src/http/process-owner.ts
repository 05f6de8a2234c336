import { randomBytes } from "node:crypto";

/**
 * Who runs a claimed request: this process's pid plus a nonce of this start, so that a restarted
 * server that got the same pid (pid 1 in a container) still tells its own keys from its
 * predecessor's.
 */
export const PROCESS_OWNER = `${process.pid}:${randomBytes(6).toString("hex")}`;

/** Whether the process that claimed a row is gone (crashed or restarted), so the claim is void. */
export function isAbandoned(owner: string | null): boolean {
  if (owner === PROCESS_OWNER) return false;
  const pid = Number(owner?.split(":")[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return true;
  try {
    process.kill(pid, 0); // signal 0 only asks whether the process exists
    return false;
  } catch (e) {
    // EPERM: it exists but belongs to someone else; only ESRCH means it is gone.
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}
