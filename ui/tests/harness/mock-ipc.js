// Injected into the page before the app runs (page.addInitScript), after the ESM build of
// @tauri-apps/api/mocks.js (its `export` line removed) and two constants the runner prepends:
// FIXTURE (ipc.json: calls recorded by the Rust tests from the real backend) and OPTIONS.
//
// A command gets the recorded call whose cmd matches and whose args deep-equal the invoked
// args (the on_event channel left out); that call's recorded channel events are sent first.
// When several calls match (app_info before and after the demo opens, run and run_cancelled),
// a name the test prefers wins, then a successful call, then the first recorded. A test can
// also force a named call for the next invocation of a command: window.__ipc.force(cmd, name).
// Commands whose progress the shell sends as window events instead of a channel (sync_now's
// `sync-progress`) get their recorded events emitted as those events, as the shell does.
/* global FIXTURE, OPTIONS, mockIPC, mockWindows */
(() => {
  const sorted = (v) =>
    Array.isArray(v)
      ? v.map(sorted)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]))
        : v;
  const key = (v) => JSON.stringify(sorted(v ?? {}));
  const plain = (args) => {
    const copy = { ...(args ?? {}) };
    delete copy.on_event;
    return JSON.parse(JSON.stringify(copy));
  };
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  const EVENTS_AS = { sync_now: 'sync-progress' };
  const emit = (event, payload) => window.__TAURI_INTERNALS__.invoke('plugin:event|emit', { event, payload });

  const state = {
    prefer: [...(OPTIONS.prefer ?? [])],
    forced: {},
    slow: { ...(OPTIONS.slow ?? {}) },
    log: [],
    misses: [],
  };

  function find(cmd, args) {
    const forced = state.forced[cmd];
    if (forced) {
      delete state.forced[cmd];
      return FIXTURE.calls.find((c) => c.name === forced);
    }
    const k = key(args);
    const matches = FIXTURE.calls.filter((c) => c.cmd === cmd && key(c.args) === k);
    return matches.find((c) => state.prefer.includes(c.name)) ?? matches.find((c) => 'ok' in c) ?? matches[0];
  }

  mockWindows('main');
  mockIPC(
    async (cmd, rawArgs) => {
      const args = plain(rawArgs);
      const call = find(cmd, args);
      state.log.push({ cmd, args, name: call?.name ?? null });
      if (!call) {
        state.misses.push({ cmd, args });
        throw { code: 'fixture_missing', message: `no recorded call for ${cmd} ${JSON.stringify(args)}` };
      }
      const channel = rawArgs?.on_event;
      const events = FIXTURE.events?.[call.name] ?? [];
      const pause = (state.slow[cmd] ?? 0) / (events.length + 1);
      for (let i = 0; i < events.length; i++) {
        if (pause) await sleep(pause);
        if (channel) window.__TAURI_INTERNALS__.runCallback(channel.id, { index: i, message: events[i] });
        else if (EVENTS_AS[cmd]) await emit(EVENTS_AS[cmd], events[i]);
      }
      if (pause) await sleep(pause);
      if (channel) window.__TAURI_INTERNALS__.runCallback(channel.id, { index: events.length, end: true });
      if ('err' in call) throw structuredClone(call.err);
      return structuredClone(call.ok);
    },
    { shouldMockEvents: true },
  );

  window.__ipc = {
    force: (cmd, name) => void (state.forced[cmd] = name),
    prefer: (names) => void (state.prefer = [...names]),
    slow: (cmd, ms) => void (state.slow[cmd] = ms),
    log: state.log,
    misses: state.misses,
    /** A file dropped on the window, as Tauri reports it. */
    drop: (paths) =>
      window.__TAURI_INTERNALS__.invoke('plugin:event|emit', {
        event: 'tauri://drag-drop',
        payload: { paths, position: { x: 200, y: 200 } },
      }),
    /** An event from the shell (sync-status, sync-progress), as the window receives it. */
    emit,
    printed: 0,
  };
  // The print dialog would block a headless page; count the calls instead.
  window.print = () => void (window.__ipc.printed += 1);
})();
