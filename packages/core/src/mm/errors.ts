/** A kernel error return (-EINVAL, -ENOMEM...) from an mm operation. */
export type Errno = 'EINVAL' | 'ENOMEM' | 'EFAULT' | 'EPERM' | 'EEXIST';
export interface OpResult {
  ok: boolean;
  errno?: Errno;
  /** what was refused, in words */
  message?: string;
}
export const OK: OpResult = { ok: true };
export function fail(errno: Errno, message: string): OpResult {
  return { ok: false, errno, message };
}
