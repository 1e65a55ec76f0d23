// What a raw CDP client's new tab costs with the identity applied by the host's paused auto-attach ("host"), by a
// per-client copy of the same overrides ("+copy": sent, not awaited; "+gate": awaited before the client goes on), or
// neither ("none"), on a bare headless Chromium (no gateway, no relay): create about:blank, attach, first evaluate.
// The overrides are TargetOverrides' page list with the real identity.js. Run by bench/browser/newtab-cdp.sh.
// MODE=none|host|host+copy|host+gate|none+gate [TABS=40] [ONLY=k,…: only these page commands] [BODY=file]
//   node --experimental-websocket bench/browser/newtab-cdp.mjs
import { spawn } from 'node:child_process';
import fs from 'node:fs';
// BODY=<file> replaces identity.js (a function of the values object) to see what a part of it costs.
const body = process.env.BODY ? fs.readFileSync(process.env.BODY, 'utf8') : fs.readFileSync(new URL('../../aimlib-protocol/src/main/resources/com/aimlib/protocol/identity/identity.js', import.meta.url), 'utf8');
const script = '(' + body + ')' + '({"nonce":"abc","deviceMemory":8,"platform":"Linux aarch64","glVendor":"ARM","glRenderer":"Mali","glLimits":{},"sampleRate":48000,"quota":1,"batteryLevel":1,"charging":true});';
const ua = {userAgent:"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",acceptLanguage:"de-DE",platform:"Linux aarch64",userAgentMetadata:{brands:[{brand:"Chromium",version:"156"}],fullVersion:"156.0.0.0",platform:"Android",platformVersion:"14",architecture:"",model:"Pixel 8",mobile:true}};
const page = [["Emulation.setUserAgentOverride",ua],["Page.enable",{}],["Page.addScriptToEvaluateOnNewDocument",{source:script,runImmediately:true}],
 ["Emulation.setDeviceMetricsOverride",{width:412,height:915,deviceScaleFactor:2.625,mobile:true,screenWidth:412,screenHeight:915}],
 ["Emulation.setTouchEmulationEnabled",{enabled:true,maxTouchPoints:5}],["Emulation.setHardwareConcurrencyOverride",{hardwareConcurrency:8}],["Emulation.setLocaleOverride",{locale:"de-DE"}]];
const port = 0;
const ch = spawn('chromium', ['--headless','--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync','--no-first-run','--remote-debugging-port='+port,'--user-data-dir='+fs.mkdtempSync('/tmp/aimlib-newtab-'),'about:blank'], {stdio:['ignore','ignore','pipe']});
let wsUrl = await new Promise(r => ch.stderr.on('data', d => { const m = /DevTools listening on (\S+)/.exec(d.toString()); if (m) r(m[1]); }));
function conn() { return new Promise(res => { const ws = new WebSocket(wsUrl); const c = {ws, id:0, pend:new Map(), on:null};
  ws.onmessage = m => { const x = JSON.parse(m.data); if (x.id !== undefined) { const p = c.pend.get(x.id); c.pend.delete(x.id); p && p(x); } else if (c.on) c.on(x); };
  c.send = (method, params={}, sessionId) => { const id = ++c.id; const msg = {id, method, params}; if (sessionId) msg.sessionId = sessionId; ws.send(JSON.stringify(msg)); return new Promise(r => c.pend.set(id, r)); };
  ws.onopen = () => res(c); }); }
const client = await conn();
const MODE = process.env.MODE || 'host+gate';
const h = await conn();
const ONLY = process.env.ONLY ? process.env.ONLY.split(',').map(Number) : null;
h.on = e => { if (e.method === 'Target.attachedToTarget') { const s = e.params.sessionId;
  page.forEach(([m,p], k) => { if (!ONLY || ONLY.includes(k)) h.send(m,p,s); }); h.send('Runtime.runIfWaitingForDebugger', {}, s); } };
if (MODE.startsWith('host')) await h.send('Target.setAutoAttach', {autoAttach:true, waitForDebuggerOnStart:true, flatten:true});
const per = page.map(() => []); const ev = []; const total = [];
const TABS = Number(process.env.TABS || 40);
for (let i = 0; i < TABS; i++) {
  const {result:{targetId}} = await client.send('Target.createTarget', {url:'about:blank'});
  const {result:{sessionId}} = await client.send('Target.attachToTarget', {targetId, flatten:true});
  const t0 = performance.now();
  if (MODE.endsWith('+copy')) page.forEach(([m,p], k) => { if (!ONLY || ONLY.includes(k)) client.send(m,p,sessionId); });
  if (MODE.endsWith('gate')) await Promise.all(page.map(([m,p], k) => client.send(m,p,sessionId).then(() => { if (i > 4) per[k].push(performance.now() - t0); })));
  const t1 = performance.now();
  await client.send('Runtime.evaluate', {expression:'1+1'}, sessionId);
  if (i > 4) { ev.push(performance.now() - t1); total.push(performance.now() - t0); }
  await client.send('Target.closeTarget', {targetId});
}
const med = a => { if (!a.length) return "-"; a = [...a].sort((x,y)=>x-y); return a[Math.floor(a.length/2)].toFixed(1); };
page.forEach(([m], k) => console.log(m.padEnd(40), 'reply at p50', med(per[k])));
console.log('evaluate after all', med(ev), 'total', med(total));
ch.kill(); process.exit(0);
