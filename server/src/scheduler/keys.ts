// The scheduler's own Redis keys: the leader's lock, fence and name. Each is one key on its
// own (no script touches two), so on a cluster they may sit on any master.

export function schedulerKeys(prefix: string) {
  return {
    /** STRING counter: the scheduler leader's fencing token. */
    fence: `${prefix}:scheduler:fence`,
    /** redlock resource the scheduler leader holds. */
    lock: `${prefix}:scheduler:lock`,
    /** STRING: id of the current scheduler leader (for the ops board). */
    leader: `${prefix}:scheduler:leader`,
  };
}
