// Rate-limiting a refresh that live snapshots trigger: at most one call per `ms`, and the last request is never
// dropped (a trailing call runs once the interval has passed), so the page ends on the newest data.

/** Returns { run, stop }: run() asks for a call; stop() cancels a pending one (page cleanup). `ms` may be a function. */
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  let running = false;
  let again = false;
  async function call() {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    last = Date.now();
    try { await fn(); } finally {
      running = false;
      if (again) { again = false; run(); }
    }
  }
  function run() {
    if (timer) return;
    const wait = Math.max(0, last + (typeof ms === 'function' ? ms() : ms) - Date.now());
    timer = setTimeout(call, wait);
  }
  return { run, stop: () => { clearTimeout(timer); timer = null; again = false; } };
}
