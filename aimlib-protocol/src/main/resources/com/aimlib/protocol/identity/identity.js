function (v) {
  // The device signals CDP cannot set. Runs before any script of a document (Page.addScriptToEvaluateOnNewDocument)
  // or worker (Runtime.evaluate while it waits for the debugger). Every replaced function looks native: its
  // toString, name, length, missing prototype, property descriptor and "Illegal invocation" on a foreign receiver.
  'use strict';
  const G = globalThis;
  // Applied once per context even when two CDP sessions add it (the host's and the relay's on the client's session):
  // the patched toString answers a per-session secret that no page can guess; no marker is left on any object.
  try { if (Function.prototype.toString.call(undefined, v.nonce) === v.nonce) return; } catch (e) { /* not patched yet */ }
  const native = new WeakMap();
  const toString = Function.prototype.toString;
  const proxy = new Proxy(toString, {
    apply(target, self, args) {
      if (self === undefined && args.length === 1 && args[0] === v.nonce) return v.nonce;
      const s = native.get(self);
      return s !== undefined ? s : Reflect.apply(target, self, args);
    }
  });
  native.set(proxy, 'function toString() { [native code] }');
  Object.defineProperty(Function.prototype, 'toString', { value: proxy, writable: true, enumerable: false, configurable: true });

  function getter(proto, prop, value) {
    if (!proto) return;
    const d = Object.getOwnPropertyDescriptor(proto, prop);
    const orig = d && d.get;
    const get = Object.getOwnPropertyDescriptor({ get [prop]() {
      if (orig) Reflect.apply(orig, this, []); // throws "Illegal invocation" exactly as the native getter does
      return value.call(this);
    } }, prop).get;
    native.set(get, 'function get ' + prop + '() { [native code] }');
    Object.defineProperty(proto, prop, { get, set: d ? d.set : undefined, enumerable: d ? d.enumerable : true, configurable: true });
  }
  function method(proto, name, impl) {
    if (!proto || typeof proto[name] !== 'function') return;
    const orig = proto[name];
    const m = ({ [name](...args) { return impl.call(this, orig, args); } })[name];
    Object.defineProperty(m, 'length', { value: orig.length });
    native.set(m, 'function ' + name + '() { [native code] }');
    const d = Object.getOwnPropertyDescriptor(proto, name);
    Object.defineProperty(proto, name, { value: m, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable });
  }

  const nav = G.Navigator ? G.Navigator.prototype : G.WorkerNavigator && G.WorkerNavigator.prototype;
  getter(nav, 'deviceMemory', () => v.deviceMemory);
  // The window's navigator.platform comes from Emulation.setUserAgentOverride too, but a second CDP client's
  // override can replace it; the getter keeps every context equal.
  getter(nav, 'platform', () => v.platform);

  // WebGL strings and limits of the phone's GPU, in the window and in OffscreenCanvas (also in workers). Array-valued
  // limits are new typed arrays on every call, as the native getParameter returns them.
  const gl = { 0x9245: v.glVendor, 0x9246: v.glRenderer };
  for (const [k, x] of Object.entries(v.glLimits)) gl[k] = x;
  for (const C of [G.WebGLRenderingContext, G.WebGL2RenderingContext]) {
    if (!C) continue;
    method(C.prototype, 'getParameter', function (orig, args) {
      const r = Reflect.apply(orig, this, args);
      if (r === null || !Object.prototype.hasOwnProperty.call(gl, args[0])) return r;
      const x = gl[args[0]];
      return Array.isArray(x) ? new r.constructor(x) : x;
    });
  }

  if (G.BaseAudioContext && G.AudioContext) {
    const sr = Object.getOwnPropertyDescriptor(G.BaseAudioContext.prototype, 'sampleRate').get;
    getter(G.BaseAudioContext.prototype, 'sampleRate', function () {
      return this instanceof G.AudioContext ? v.sampleRate : Reflect.apply(sr, this, []);
    });
  }

  const storage = G.navigator && G.navigator.storage ? Object.getPrototypeOf(G.navigator.storage) : null;
  if (storage) {
    method(storage, 'estimate', function (orig, args) {
      return Reflect.apply(orig, this, args).then(e => Object.assign(e, { quota: v.quota }));
    });
  }

  if (G.BatteryManager) {
    getter(G.BatteryManager.prototype, 'level', () => v.batteryLevel);
    getter(G.BatteryManager.prototype, 'charging', () => v.charging);
    getter(G.BatteryManager.prototype, 'chargingTime', () => v.charging ? 3600 : Infinity);
    getter(G.BatteryManager.prototype, 'dischargingTime', () => v.charging ? Infinity : Math.round(v.batteryLevel * 36000));
  }

  // Android exposes the connection's type (desktop Chrome has no such attribute).
  if (G.NetworkInformation) {
    getter(G.NetworkInformation.prototype, 'type', () => 'cellular');
    getter(G.NetworkInformation.prototype, 'downlinkMax', () => 100);
  }
}
