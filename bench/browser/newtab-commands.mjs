// What each of the host's page overrides costs a new tab, on a bare headless Chromium (no gateway, no relay): one
// browser, a "host" connection that auto-attaches paused to every new page and sends it one variant of the command
// list (TargetOverrides' page commands for a catalogue device, dumped by OverridesDump), and a client that opens
// tabs (createTarget about:blank, attach, first Runtime.evaluate answered) — the variants interleaved tab by tab, so
// the machine's drift falls on all of them alike. Run by bench/browser/newtab-commands.sh.
// CMDS=<json> [TABS=60 per variant]  node --experimental-websocket newtab-commands.mjs
import { spawn } from 'node:child_process';
import fs from 'node:fs';
const ALL = JSON.parse(fs.readFileSync(process.env.CMDS, 'utf8'));
const script = ALL.findIndex(c => c[0] === 'Page.addScriptToEvaluateOnNewDocument');
const js = ALL[script][1].source;
// identity.js without its WebGL part (from "const gl = {" up to the audio part)
const noWebgl = js.replace(/\n  const gl = \{[\s\S]*?\n  if \(G\.BaseAudioContext/, '\n  if (G.BaseAudioContext');
if (noWebgl === js) throw new Error('identity.js has no WebGL part where expected');
const variants = { none: [], all: ALL };
ALL.forEach(([m], k) => { variants['all but ' + m] = ALL.filter((_, j) => j !== k); });
variants['all, identity.js without WebGL'] = ALL.map((c, k) => k === script ? [c[0], { ...c[1], source: noWebgl }] : c);
variants['Emulation/Target only'] = ALL.filter(c => !c[0].startsWith('Page.'));
variants['Page.enable + identity.js only'] = ALL.filter(c => c[0].startsWith('Page.'));
const names = Object.keys(variants);
const ch = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup',
  '--remote-debugging-port=0', '--user-data-dir=' + fs.mkdtempSync('/tmp/aimlib-newtab-'), 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
const wsUrl = await new Promise(r => ch.stderr.on('data', d => { const m = /DevTools listening on (\S+)/.exec(d.toString()); if (m) r(m[1]); }));
function conn() {
  return new Promise(res => {
    const ws = new WebSocket(wsUrl); const c = { id: 0, pend: new Map(), on: null };
    ws.onmessage = m => { const x = JSON.parse(m.data); if (x.id !== undefined) { const p = c.pend.get(x.id); c.pend.delete(x.id); p && p(x); } else if (c.on) c.on(x); };
    c.send = (method, params = {}, sessionId) => { const id = ++c.id; const msg = { id, method, params }; if (sessionId) msg.sessionId = sessionId; ws.send(JSON.stringify(msg)); return new Promise(r => c.pend.set(id, r)); };
    ws.onopen = () => res(c);
  });
}
const client = await conn();
const host = await conn();
let current = 'none';
// As TargetIdentity: every command at once on the paused target, then the resume, nothing awaited.
host.on = e => {
  if (e.method !== 'Target.attachedToTarget') return;
  const s = e.params.sessionId;
  for (const [m, p] of variants[current]) host.send(m, p, s);
  host.send('Runtime.runIfWaitingForDebugger', {}, s);
};
await host.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true });
const full = Object.fromEntries(names.map(n => [n, []]));
const ev = Object.fromEntries(names.map(n => [n, []]));
const TABS = Number(process.env.TABS || 60);
const WARM = 10;
for (let i = 0; i < TABS * names.length + WARM; i++) {
  current = names[i % names.length];
  const t0 = performance.now();
  const { result: { targetId } } = await client.send('Target.createTarget', { url: 'about:blank' });
  const { result: { sessionId } } = await client.send('Target.attachToTarget', { targetId, flatten: true });
  const t2 = performance.now();
  await client.send('Runtime.evaluate', { expression: '1+1' }, sessionId);
  if (i >= WARM) { full[current].push(performance.now() - t0); ev[current].push(performance.now() - t2); }
  await client.send('Target.closeTarget', { targetId });
}
const med = a => { a = [...a].sort((x, y) => x - y); return a[Math.floor(a.length / 2)]; };
const base = med(full.none);
console.log('variant'.padEnd(52), 'new tab p50', '   vs none', '  first evaluate p50');
for (const n of names) {
  console.log(n.padEnd(52), med(full[n]).toFixed(1).padStart(8) + ' ms', ((med(full[n]) / base - 1) * 100).toFixed(1).padStart(8) + ' %',
    med(ev[n]).toFixed(1).padStart(10) + ' ms');
}
ch.kill();
process.exit(0);
