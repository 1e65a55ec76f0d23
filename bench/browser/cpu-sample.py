#!/usr/bin/env python3
# CPU seconds per process kind (Chromium browser, renderer, zygote, GPU, network service; java; node; postgres),
# per window, from every process's /proc/<pid>/stat sampled every 0.25 s. Run it beside a bench and read the
# windows of the part you care about, e.g. the session-start bench's paced block:
#   python3 bench/browser/cpu-sample.py 10 > cpu.txt & bench/browser/start.sh 60 10 5; kill %1
import os, time, sys, collections
# Samples every process's cumulative CPU ticks; prints per-class CPU seconds per window.
HZ = os.sysconf('SC_CLK_TCK')
def classify(args):
    a = args
    if 'chromium' in a or 'chrome' in a:
        for t in ('renderer', 'gpu-process', 'utility', 'zygote', 'crashpad'):
            if '--type=' + t in a:
                if t == 'utility':
                    if 'network' in a: return 'chr-network'
                    if 'storage' in a: return 'chr-storage'
                    return 'chr-utility'
                return 'chr-' + t
        return 'chr-browser'
    if 'java' in a.split(' ')[0]: return 'java'
    if 'node' in a.split(' ')[0] or 'playwright' in a: return 'node'
    if 'postgres' in a: return 'postgres'
    return 'other:' + a.split(' ')[0].split('/')[-1][:20]
last = {}
win = collections.Counter()
window = float(sys.argv[1]) if len(sys.argv) > 1 else 10
t0 = time.time(); wstart = t0
while True:
    for pid in os.listdir('/proc'):
        if not pid.isdigit(): continue
        try:
            with open('/proc/%s/stat' % pid) as f: st = f.read()
            with open('/proc/%s/cmdline' % pid, 'rb') as f: args = f.read().replace(b'\0', b' ').decode(errors='replace')
        except Exception: continue
        rest = st[st.rfind(')') + 2:].split()
        ticks = int(rest[11]) + int(rest[12])
        starttime = rest[19]
        key = (pid, starttime)
        prev = last.get(key)
        if prev is None:
            cls = classify(args) if args else 'kernel'
            prev = (0 if time.time() - t0 > 1 else ticks, cls)
        win[prev[1]] += ticks - prev[0]
        last[key] = (ticks, prev[1])
    now = time.time()
    if now - wstart >= window:
        tot = sum(win.values())
        print(time.strftime('%H:%M:%S'), 'load=%s' % open('/proc/loadavg').read().split()[0], 'cpu_s=%.1f' % (tot / HZ),
              ' '.join('%s=%.1f' % (k, v / HZ) for k, v in win.most_common(9) if v > 0), flush=True)
        win.clear(); wstart = now
    time.sleep(0.25)
