// Reads every identity signal a context can see; the same function runs in windows and in workers.
async function signals() {
  const n = navigator, o = {};
  o.userAgent = n.userAgent;
  o.platform = n.platform;
  o.cores = n.hardwareConcurrency;
  o.deviceMemory = n.deviceMemory;
  o.languages = n.languages.join(',');
  o.intlLocale = Intl.DateTimeFormat().resolvedOptions().locale;
  o.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  o.webdriver = n.webdriver;
  const d = n.userAgentData;
  const h = await d.getHighEntropyValues(['model', 'platformVersion', 'fullVersionList', 'formFactors', 'architecture', 'bitness', 'uaFullVersion', 'wow64']);
  o.uaData = JSON.stringify({ brands: d.brands, mobile: d.mobile, platform: d.platform, model: h.model, platformVersion: h.platformVersion,
    fullVersionList: h.fullVersionList, uaFullVersion: h.uaFullVersion, formFactors: h.formFactors, architecture: h.architecture,
    bitness: h.bitness, wow64: h.wow64 });
  o.connection = n.connection ? n.connection.type : null;
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl');
    const e = gl.getExtension('WEBGL_debug_renderer_info');
    o.webgl = gl.getParameter(e.UNMASKED_VENDOR_WEBGL) + ' / ' + gl.getParameter(e.UNMASKED_RENDERER_WEBGL) + ' / ' + gl.getParameter(gl.MAX_TEXTURE_SIZE);
    o.webglLimits = JSON.stringify(['MAX_TEXTURE_SIZE', 'MAX_CUBE_MAP_TEXTURE_SIZE', 'MAX_RENDERBUFFER_SIZE', 'MAX_VIEWPORT_DIMS',
      'MAX_VERTEX_ATTRIBS', 'MAX_VERTEX_UNIFORM_VECTORS', 'MAX_FRAGMENT_UNIFORM_VECTORS', 'MAX_VARYING_VECTORS', 'MAX_TEXTURE_IMAGE_UNITS',
      'MAX_VERTEX_TEXTURE_IMAGE_UNITS', 'MAX_COMBINED_TEXTURE_IMAGE_UNITS', 'ALIASED_LINE_WIDTH_RANGE', 'ALIASED_POINT_SIZE_RANGE']
      .map(n => { const x = gl.getParameter(gl[n]); return typeof x === 'object' && x !== null ? [x.constructor.name, ...x] : x; }));
  } catch (x) { o.webgl = 'error ' + x; }
  o.quota = (await n.storage.estimate()).quota;
  const proto = Object.getPrototypeOf(n);
  o.getterSource = Object.getOwnPropertyDescriptor(proto, 'deviceMemory').get.toString() + ' ' + Function.prototype.toString.toString();
  return o;
}
// What only a window has.
async function windowSignals() {
  const o = {};
  o.screen = screen.width + 'x' + screen.height;
  o.dpr = String(devicePixelRatio);
  o.orientation = screen.orientation.type;
  o.windowOrientation = 'onorientationchange' in window ? window.orientation : 'absent';
  o.androidOnly = [!('sinkId' in new Audio()), 'ontypechange' in navigator.connection].join();
  o.touchPoints = navigator.maxTouchPoints;
  o.pointerCoarse = matchMedia('(pointer: coarse)').matches;
  o.hoverNone = matchMedia('(hover: none)').matches;
  o.plugins = navigator.plugins.length + '/' + navigator.mimeTypes.length;
  o.pdfViewer = navigator.pdfViewerEnabled;
  o.sampleRate = new AudioContext().sampleRate;
  const b = await navigator.getBattery();
  o.battery = b.level + '/' + b.charging;
  try {
    const gl = document.createElement('canvas').getContext('webgl');
    const e = gl.getExtension('WEBGL_debug_renderer_info');
    o.webglWindow = gl.getParameter(e.UNMASKED_VENDOR_WEBGL) + ' / ' + gl.getParameter(e.UNMASKED_RENDERER_WEBGL);
  } catch (x) { o.webglWindow = 'error ' + x; }
  return o;
}
