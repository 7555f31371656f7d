// Stop when the process that started us is gone. npm passes SIGINT/SIGTERM on to the script it
// runs, but not every end of npm is one of those (SIGKILL, SIGHUP, a shell between npm and us that
// dies of the signal instead of passing it on), and an orphan is re-parented (to pid 1 or a
// subreaper): that change of parent is what we watch for.

const EVERY_MS = 250;

/** Calls `onGone` once when this process's parent changes (the parent exited). */
export function watchParent(onGone) {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone(parent);
  }, EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
