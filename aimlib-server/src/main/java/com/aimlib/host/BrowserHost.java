package com.aimlib.host;

import com.aimlib.protocol.host.BootExtras;
import com.aimlib.protocol.host.BootOrder;
import com.aimlib.protocol.host.ChromiumVersion;
import com.aimlib.protocol.host.GatewayLink;
import com.aimlib.protocol.host.HostLink;
import com.aimlib.protocol.host.RecordingOrder;
import com.aimlib.protocol.host.SavedState;
import com.aimlib.protocol.host.StartPhases;

import com.aimlib.net.EventLoops;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The browser host: one fresh, headless Chromium per session in its own user-data-dir and process
 * group, its traffic through a per-session {@link SessionBridge}; readiness when CDP answers and the
 * egress probe (if configured) went through the browser's own path. Stop kills the whole process tree
 * and deletes the user-data-dir; a browser that dies on its own fails its session. On start, and on
 * every heart-beat, processes under this host's work dir that belong to no known session are killed.
 */
public final class BrowserHost implements HostLink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BrowserHost.class);
    private static final Pattern IP = Pattern.compile("[0-9A-Fa-f:.]{2,45}");
    /** How long an urgent warm launch waits for booting sessions at most (a pool hit's boot takes tens of ms). */
    private static final Duration URGENT_DEFER = Duration.ofMillis(250);
    /** Browser-UI features a headless host never shows (the only {@code --disable-features} switch: Chromium keeps the last one). */
    public static final String DISABLED_FEATURES = "WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup";

    private final HostSettings settings;
    private final GatewayLink gateway;
    private final EventLoopGroup group;
    private final ExecutorService work = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("host-", 0).factory());
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("host-timer").factory());
    private final Map<UUID, Running> running = new ConcurrentHashMap<>();
    /** User-data-dirs of browsers this host runs or keeps warm: any other browser under the work dir is an orphan. */
    private final java.util.Set<Path> owned = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ConcurrentLinkedDeque<Warm> pool = new java.util.concurrent.ConcurrentLinkedDeque<>();
    private final java.util.concurrent.atomic.AtomicInteger warming = new java.util.concurrent.atomic.AtomicInteger();
    /** Warm launches in flight per launch setting. */
    private final Map<String, java.util.concurrent.ConcurrentLinkedDeque<Launching>> launching = new ConcurrentHashMap<>();
    /** Sessions whose boot (cold launch or warm adoption) is in progress: warm launches wait for them. */
    private final java.util.concurrent.atomic.AtomicInteger booting = new java.util.concurrent.atomic.AtomicInteger();
    private final Object refillSignal = new Object();
    private final WarmPoolSettings poolSettings;
    private final PoolDemand demand;
    private final PoolMeters meters;
    private volatile long deferredSince;
    private final String chromeVersion;
    private final HostFonts fonts;
    private volatile UUID hostId;
    private volatile boolean closed;

    /** One session's browser, from the moment a boot is ordered until its teardown finished. */
    private static final class Running {
        final UUID id;
        volatile Process process;
        volatile SessionBridge bridge;
        volatile TargetIdentity identity;
        /** Sessions with extensions: closes tabs an extension opens on browser-internal pages. */
        volatile BrowserPageWatch pageWatch;
        volatile SessionRecorder recorder;
        final Path dir;
        volatile boolean stopping;
        volatile long reportedBytes;
        /** The browser's DevTools endpoint and egress IP once ready (a resumed session reports them again). */
        volatile int port;
        volatile String path;
        volatile String egress;

        Running(UUID id, Path dir) {
            this.id = id;
            this.dir = dir;
        }
    }

    /**
     * A browser launched ahead of demand with the default profile and an unbound bridge (it refuses all
     * traffic). It serves exactly one session — the first whose profile needs the same launch flags —
     * and is destroyed with it; nothing from one session can reach another.
     */
    private static final class Warm {
        final Path dir;
        final Process process;
        final SessionBridge bridge;
        final String flags;
        final long launchedAt = System.nanoTime();
        /** The host's CDP connection, opened while the browser waits: the claim's identity starts on it at once. */
        volatile CdpClient cdp;
        volatile int port;
        volatile String path;
        volatile Running owner;

        Warm(Path dir, Process process, SessionBridge bridge, String flags) {
            this.dir = dir;
            this.process = process;
            this.bridge = bridge;
            this.flags = flags;
        }
    }

    /**
     * A warm launch in flight. A session that finds no warm browser of its setting claims one of these rather than
     * launching a browser of its own (two launches on the same cores would both be slower): the launch gets normal
     * priority at once and, when up, goes to that session instead of the pool.
     */
    private static final class Launching {
        final String key;
        final Path dir;
        final java.util.concurrent.CompletableFuture<Warm> done = new java.util.concurrent.CompletableFuture<>();
        volatile Process process;
        /** Launched (or reniced) at normal priority: its setting's pool ran short of the next creates. */
        volatile boolean urgent;
        private boolean claimed;
        private boolean finished;

        Launching(String key, Path dir) {
            this.key = key;
            this.dir = dir;
        }

        synchronized boolean claim() {
            if (claimed || finished) {
                return false;
            }
            claimed = true;
            return true;
        }

        synchronized boolean claimed() {
            return claimed;
        }

        /** The launch is over; true if a session claimed it (it gets the browser, the pool does not). */
        synchronized boolean finish() {
            finished = true;
            return claimed;
        }
    }

    private BrowserHost(HostSettings settings, WarmPoolSettings pool, GatewayLink gateway) {
        this.settings = settings;
        this.gateway = gateway;
        this.group = EventLoops.group(1, "host-bridge-" + settings.name());
        this.chromeVersion = ChromiumVersion.of(settings.chromium());
        this.fonts = HostFonts.detect(settings.workDir()); // before the pool's default setting, which names the fonts
        this.poolSettings = pool;
        ObjectNode defaults = DeviceProfiles.defaults(settings.region(), chromeVersion);
        this.demand = new PoolDemand(pool, flags(defaults), defaults);
        this.meters = new PoolMeters(settings.region(), pool::floor);
    }

    /** Stops the start-up with one line and the fix when {@code chromium} is not an executable file. */
    public static void requireChromium(Path chromium) {
        if (!Files.isExecutable(chromium) || Files.isDirectory(chromium)) {
            throw new com.aimlib.StartupFailure("Chromium not found at " + chromium
                    + ": install it (apt-get install chromium) or pass its path with --chromium");
        }
    }

    /** Kills leftovers of an earlier run, registers with the gateway, starts heart-beating. */
    public static BrowserHost start(HostSettings settings, GatewayLink gateway) throws IOException {
        return start(settings, WarmPoolSettings.fixed(settings.warmPool()), gateway);
    }

    /** {@link #start(HostSettings, GatewayLink)} with a warm pool sized as {@code pool} says (demand-sized or fixed). */
    public static BrowserHost start(HostSettings settings, WarmPoolSettings pool, GatewayLink gateway) throws IOException {
        BrowserHost host = new BrowserHost(settings, pool, gateway);
        Files.createDirectories(settings.workDir());
        host.killStrangers();
        try (var dirs = Files.list(settings.workDir())) {
            dirs.forEach(ProcessTree::deleteTree);
        }
        host.hostId = gateway.register(settings.name(), settings.region(), settings.address(), settings.capacity(),
                host.chromeVersion, host);
        long beat = settings.heartbeatInterval().toMillis();
        host.timer.scheduleWithFixedDelay(host::beat, beat, beat, TimeUnit.MILLISECONDS);
        long rep = settings.bytesReportInterval().toMillis();
        host.timer.scheduleWithFixedDelay(host::reportBytes, rep, rep, TimeUnit.MILLISECONDS);
        host.meters.bind(host);
        Thread.ofVirtual().name("host-pool-" + settings.name()).start(host::refillLoop);
        log.info("browser host up host={} name={} capacity={} chrome={} warm_pool={}", host.hostId, settings.name(), settings.capacity(),
                host.chromeVersion, pool);
        return host;
    }

    public UUID id() {
        return hostId;
    }

    public HostSettings settings() {
        return settings;
    }

    /** The browser's process id and user-data-dir of a running session (for operators and tests). */
    public Optional<Map.Entry<Long, Path>> browserOf(UUID sessionId) {
        Running r = running.get(sessionId);
        if (r == null || r.process == null) {
            return Optional.empty();
        }
        return Optional.of(Map.entry(r.process.pid(), r.dir));
    }

    /** Browsers launched ahead and waiting for a session. */
    public int warmCount() {
        return pool.size();
    }

    /** Warm browsers launching right now. */
    public int warmingCount() {
        return warming.get();
    }

    /** The warm pool's settings. */
    public WarmPoolSettings poolSettings() {
        return poolSettings;
    }

    /** What the pool plans to hold now, per launch setting (for operators and tests). */
    public int plannedWarm() {
        return demand.plan(System.nanoTime(), running.size()).stream().mapToInt(PoolDemand.Target::count).sum();
    }

    /** Each waiting warm browser's DevTools browser endpoint and bridge port (tests: nothing may egress before a claim). */
    List<Map.Entry<URI, Integer>> warmEndpoints() {
        List<Map.Entry<URI, Integer>> out = new ArrayList<>();
        for (Warm w : pool) {
            out.add(Map.entry(URI.create("ws://127.0.0.1:" + w.port + w.path), w.bridge.port()));
        }
        return out;
    }

    /** Warm browsers waiting for the launch setting that {@code resolved} implies (tests). */
    int warmFor(ObjectNode resolved) {
        String key = flags(resolved);
        return (int) pool.stream().filter(w -> w.flags.equals(key)).count();
    }

    /** The pid of each waiting warm browser (tests, density bench). */
    public List<Long> warmPids() {
        return pool.stream().map(w -> w.process.pid()).toList();
    }

    /** The sessions this host runs a browser for (booting, running or being torn down). */
    public java.util.Set<UUID> sessions() {
        return java.util.Set.copyOf(running.keySet());
    }

    /** The loopback port of the session's bridge, or -1 for an unknown session (for operators and tests). */
    public int bridgePortOf(UUID sessionId) {
        Running r = running.get(sessionId);
        return r == null || r.bridge == null ? -1 : r.bridge.port();
    }

    /** The loopback DevTools port of the session's browser once it is ready, or -1 (the host's relay endpoint splices to it). */
    public int cdpPortOf(UUID sessionId) {
        Running r = running.get(sessionId);
        return r == null || r.stopping || r.port == 0 ? -1 : r.port;
    }

    /** Bytes the session's bridge has carried so far, or -1 for an unknown session. */
    public long bytesOf(UUID sessionId) {
        Running r = running.get(sessionId);
        return r == null || r.bridge == null ? -1 : r.bridge.bytes();
    }

    @Override
    public void boot(BootOrder order) {
        boot(order, BootExtras.NONE);
    }

    /**
     * A session with a saved context or extensions starts cold: a warm browser has neither and cannot get them (both
     * are launch-time: the profile's storage on disk before Chromium opens it, {@code --load-extension}). Such a
     * session neither takes a warm browser nor counts as demand for one.
     */
    @Override
    public void boot(BootOrder order, BootExtras extras) {
        long t0 = System.nanoTime();
        ObjectNode resolved = order.profile();
        String key = flags(resolved);
        boolean poolable = extras.isEmpty();
        Warm w = poolable ? takeWarm(key) : null;
        Launching joined = w == null && poolable ? claimLaunching(key) : null;
        Path dir = w != null ? w.dir : joined != null ? joined.dir : settings.workDir().resolve(order.sessionId().toString());
        Running r = new Running(order.sessionId(), dir);
        if (running.putIfAbsent(order.sessionId(), r) != null) {
            if (w != null) {
                pool.addFirst(w);
            }
            return;
        }
        if (poolable) {
            boolean known = demand.knows(key);
            demand.created(key, resolved, t0);
            meters.claim(w != null);
            if (w == null) {
                String reason = joined != null ? "joined_launch" : known ? "pool_empty" : "new_setting";
                meters.miss(reason);
                log.info("warm pool miss session={} reason={} warm_of_setting=0 launching_of_setting={} warm_total={}",
                        order.sessionId(), reason, unclaimedLaunches(key), pool.size());
            }
            hurryIfShort(key);
        }
        owned.add(r.dir);
        booting.incrementAndGet();
        if (joined != null) {
            work.execute(() -> {
                try {
                    join(order, r, joined, resolved, t0);
                } finally {
                    booted();
                }
            });
            return;
        }
        if (w == null) {
            work.execute(() -> {
                try {
                    launch(order, r, resolved, extras, t0);
                } finally {
                    booted();
                }
            });
            return;
        }
        r.process = w.process;
        r.bridge = w.bridge;
        w.owner = r;
        if (!w.process.isAlive()) {
            booted();
            exited(r);
            return;
        }
        work.execute(() -> {
            try {
                adopt(order, r, w, resolved, t0, true);
            } finally {
                booted();
            }
        });
    }

    /**
     * A claim (or a miss) left {@code key}'s pool with fewer warm browsers than the creates expected within one launch
     * time: its warm launches in flight get normal priority now, and the refill's next launch of it starts at normal
     * priority (see {@link #refillOnce}). Such a launch is the one the next create would otherwise do itself, cold
     * and at normal priority, so it takes nothing from live sessions that a miss would not.
     */
    private void hurryIfShort(String key) {
        if (!poolSettings.urgentRefill() || warmOf(key) >= urgentBelow(key)) {
            return;
        }
        var q = launching.get(key);
        if (q == null) {
            return;
        }
        for (Launching l : q) {
            if (!l.urgent && !l.claimed()) {
                l.urgent = true;
                Process p = l.process;
                if (p != null) {
                    try {
                        work.execute(() -> ProcessTree.renice(p.toHandle(), 0));
                    } catch (java.util.concurrent.RejectedExecutionException e) {
                        return; // host closing
                    }
                }
            }
        }
    }

    private int warmOf(String key) {
        return (int) pool.stream().filter(w -> w.flags.equals(key)).count();
    }

    /** Warm browsers of {@code key} below which its refill is urgent: the creates expected within one launch time (0 without demand). */
    private int urgentBelow(String key) {
        double rate = demand.rate(key, System.nanoTime());
        return rate <= 0 ? 0 : (int) Math.max(1, Math.ceil(rate * demand.launchSeconds()));
    }

    private Launching claimLaunching(String key) {
        var q = launching.get(key);
        if (q != null) {
            for (Launching l : q) {
                if (l.claim()) {
                    return l;
                }
            }
        }
        return null;
    }

    /** Waits for the claimed warm launch (at normal priority from now on); a failed one is replaced by a cold launch. */
    private void join(BootOrder order, Running r, Launching l, ObjectNode resolved, long t0) {
        Process launched = l.process;
        if (launched != null) {
            ProcessTree.renice(launched.toHandle(), 0);
        }
        Warm w;
        try {
            w = l.done.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            w = null;
        }
        if (r.stopping) {
            if (w != null) {
                destroyWarm(w);
            }
            return;
        }
        if (w == null || !w.process.isAlive()) {
            if (w != null) {
                destroyWarm(w);
            }
            owned.add(r.dir);
            launch(order, r, resolved, BootExtras.NONE, t0);
            return;
        }
        r.process = w.process;
        r.bridge = w.bridge;
        w.owner = r;
        if (!w.process.isAlive()) {
            exited(r);
            return;
        }
        adopt(order, r, w, resolved, t0, false);
    }

    private void booted() {
        booting.decrementAndGet();
        signalRefill();
    }

    private Warm takeWarm(String flags) {
        for (Warm w : pool) {
            if (w.flags.equals(flags) && pool.remove(w)) {
                return w;
            }
        }
        return null;
    }

    private void signalRefill() {
        synchronized (refillSignal) {
            refillSignal.notifyAll();
        }
    }

    /**
     * The pool's own virtual thread: off every request's path, it launches what {@link PoolDemand#plan} asks for, one
     * setting at a time, while no session boots (at most {@code maxDefer} later), and retires browsers of settings
     * nobody asked for lately.
     */
    private void refillLoop() {
        while (!closed) {
            try {
                if (refillOnce()) {
                    continue; // another setting (or another urgent launch) may need one too
                }
                synchronized (refillSignal) {
                    refillSignal.wait(100);
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.warn("warm pool refill failed cause={}", e.toString());
            }
        }
    }

    /**
     * One step of the refill: launches at most one browser, for the setting that needs one most. A short setting (see
     * {@link #hurryIfShort}) comes first and its launch is urgent: nice 0, deferred for booting sessions at most
     * {@link #URGENT_DEFER} (a pool hit's boot, not a cold one), and not bound by {@code concurrentLaunches} (only by
     * its plan, so by the ceiling and the memory budget). The rate a pool
     * can be refilled at is launches in flight / launch time: with one launch per core and launches that take seconds
     * on a busy machine, it fell below one create per second and the pool drained whatever its size. Other launches
     * keep to the CPU budget, nice 10 and the deferral. True if it launched (the loop then looks again at once).
     */
    private boolean refillOnce() {
        long now = System.nanoTime();
        List<PoolDemand.Target> plan = demand.plan(now, running.size());
        Map<String, Integer> have = new java.util.HashMap<>();
        pool.forEach(w -> have.merge(w.flags, 1, Integer::sum));
        retire(plan, have);
        meters.target(plan.stream().mapToInt(PoolDemand.Target::count).sum());
        if (closed) {
            return false;
        }
        PoolDemand.Target next = null;
        boolean nextUrgent = false;
        int bestGap = 0;
        for (PoolDemand.Target t : plan) {
            int ready = have.getOrDefault(t.key(), 0);
            int gap = t.count() - ready - unclaimedLaunches(t.key());
            if (gap <= 0) {
                continue;
            }
            boolean urgent = poolSettings.urgentRefill() && ready < urgentBelow(t.key());
            if ((urgent && !nextUrgent) || (urgent == nextUrgent && gap > bestGap)) {
                next = t;
                nextUrgent = urgent;
                bestGap = gap;
            }
        }
        if (next == null) {
            deferredSince = 0;
            return false;
        }
        if (!nextUrgent && warming.get() >= poolSettings.concurrentLaunches()) {
            return false;
        }
        // A live session's boot comes first: wait until none is booting, but not forever (an urgent launch at most
        // URGENT_DEFER: long enough for a pool hit to finish, not for a cold boot).
        if (booting.get() > 0) {
            if (deferredSince == 0) {
                deferredSince = now;
            }
            long limit = nextUrgent ? Math.min(URGENT_DEFER.toNanos(), poolSettings.maxDefer().toNanos()) : poolSettings.maxDefer().toNanos();
            if (now - deferredSince < limit) {
                return false;
            }
        }
        deferredSince = 0;
        PoolDemand.Target t = next;
        Launching l = new Launching(t.key(), settings.workDir().resolve(UUID.randomUUID().toString()));
        l.urgent = nextUrgent;
        warming.incrementAndGet();
        launching.computeIfAbsent(t.key(), k -> new java.util.concurrent.ConcurrentLinkedDeque<>()).add(l);
        try {
            work.execute(() -> launchWarm(l, t.profile()));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            warming.decrementAndGet();
            launching.get(t.key()).remove(l);
            return false;
        }
        return true;
    }

    private int unclaimedLaunches(String key) {
        var q = launching.get(key);
        return q == null ? 0 : (int) q.stream().filter(l -> !l.claimed()).count();
    }

    /** Kills warm browsers beyond their setting's target once they waited a whole window (demand went away). */
    private void retire(List<PoolDemand.Target> plan, Map<String, Integer> have) {
        Map<String, Integer> want = new java.util.HashMap<>();
        plan.forEach(t -> want.put(t.key(), t.count()));
        long oldEnough = System.nanoTime() - poolSettings.window().toNanos();
        for (Warm w : pool) {
            int n = have.getOrDefault(w.flags, 0);
            if (n > want.getOrDefault(w.flags, 0) && w.launchedAt < oldEnough && pool.remove(w)) {
                have.put(w.flags, n - 1);
                log.info("retiring warm browser nobody asked for dir={}", w.dir.getFileName());
                destroyWarm(w);
            }
        }
    }

    private void destroyWarm(Warm w) {
        CdpClient cdp = w.cdp;
        if (cdp != null) {
            cdp.close();
        }
        w.bridge.close();
        ProcessTree.kill(w.process.toHandle());
        ProcessTree.deleteTree(w.dir);
        owned.remove(w.dir);
    }

    /**
     * Launches one browser for the pool with {@code profile}'s process-wide settings, at {@code nice} so it yields the
     * cores to live sessions; once it is up it gets normal priority back (it is idle until a session claims it).
     * Its bridge refuses all traffic until a session binds it: no egress before the claim.
     */
    private void launchWarm(Launching l, ObjectNode profile) {
        long t0 = System.nanoTime();
        String key = l.key;
        Path dir = l.dir;
        SessionBridge bridge = new SessionBridge(group, settings.upstreamType(), settings.upstream());
        Process p = null;
        try {
            owned.add(dir);
            Files.createDirectories(dir);
            int bridgePort = bridge.start();
            int nice = l.urgent ? 0 : poolSettings.niceness();
            p = process(dir, bridgePort, profile, "about:blank", nice, new LoadedExtensions());
            l.process = p;
            meters.launchStarted(nice == 0);
            if (nice != 0 && (l.claimed() || l.urgent)) {
                ProcessTree.renice(p.toHandle(), 0); // a session waits for it, or soon will: its children fork at normal priority
            }
            Warm w = new Warm(dir, p, bridge, key);
            URI endpoint = awaitDevTools(p);
            w.port = endpoint.getPort();
            w.path = endpoint.getPath();
            p.onExit().thenRun(() -> warmExited(w));
            if (closed) {
                throw new IOException("host closed");
            }
            if (nice != 0) {
                ProcessTree.renice(p.toHandle(), 0);
            }
            if (settings.identity()) {
                w.cdp = CdpClient.connect(endpoint, Duration.ofSeconds(10));
            }
            demand.launched((System.nanoTime() - t0) / 1e9);
            meters.launched();
            if (l.finish()) {
                l.done.complete(w); // a session claimed this launch while it ran
            } else {
                pool.add(w);
            }
            signalRefill();
            Process proc = p;
            work.execute(() -> demand.measured(ProcessTree.pss(proc.toHandle())));
        } catch (Exception e) {
            log.warn("warm browser launch failed cause={}", e.toString());
            if (p != null) {
                ProcessTree.kill(p.toHandle());
            }
            bridge.close();
            ProcessTree.deleteTree(dir);
            owned.remove(dir);
            l.finish();
            l.done.completeExceptionally(e);
        } finally {
            warming.decrementAndGet();
            launching.get(key).remove(l);
        }
    }

    private void warmExited(Warm w) {
        Running r = w.owner;
        if (r != null) {
            exited(r);
            return;
        }
        if (pool.remove(w) && !closed) {
            log.warn("warm browser exited before use dir={}", w.dir.getFileName());
            destroyWarm(w);
            signalRefill();
        }
    }

    /** A warm browser becomes this session's: its bridge gets the lease's credentials and cap, then the egress probe. */
    private void adopt(BootOrder order, Running r, Warm w, ObjectNode resolved, long t0, boolean poolHit) {
        UUID id = order.sessionId();
        StartPhases.Clock phases = new StartPhases.Clock(poolHit, t0);
        try {
            phases.mark(StartPhases.LAUNCH);
            w.bridge.bind(order.proxyUsername(), order.proxyPassword(), order.dataCapBytes());
            phases.mark(StartPhases.BRIDGE_EGRESS);
            CdpClient pre = w.cdp;
            w.cdp = null;
            if (readyFirst()) {
                readyThenIdentity(order, r, w.port, w.path, resolved, phases, pre, t0, w.dir, poolHit);
                return;
            }
            r.identity = applyIdentity(id, w.port, w.path, resolved, phases, pre);
            sessionSetup(order, r, w.port, w.path, phases);
            if (r.stopping) {
                return;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            log.info("browser boot session={} warm={} boot_ms={}", id, poolHit ? "hit" : "joined_launch", ms);
            r.port = w.port;
            r.path = w.path;
            // The egress reported is the device's known one; the check through this session's bridge runs after.
            gateway.ready(id, w.port, w.path, null, resolved, ms, downloads(w.dir).toString(), phases.done());
            verifyEgressLater(r);
        } catch (Exception e) {
            if (!r.stopping) {
                log.warn("warm browser adoption failed session={} cause={}", id, e.toString());
                gateway.failed(id, "boot failed: " + e.getClass().getSimpleName());
                teardown(id, false);
            }
        }
    }

    private volatile Duration pauseBeforeIdentity = Duration.ZERO;

    /**
     * Tests only: waits this long after ready before applying a session's identity, so that a test can show that the
     * relay holds a client until the identity is in effect however long that takes.
     */
    public void pauseBeforeIdentity(Duration d) {
        pauseBeforeIdentity = d;
    }

    /** Whether sessions are reported ready before their identity is in effect (the gateway's relay holds clients until it is). */
    private boolean readyFirst() {
        return settings.identity() && gateway.holdsClientsUntilIdentity();
    }

    /**
     * The end of a start when the gateway holds relay clients until the identity is in effect (issue 10): ready is
     * reported as soon as the browser is this session's, and the host's first CDP connection, the identity on the
     * existing tab and the session's own setup (start URL, recorder) run while the customer's client connects; then
     * {@code identityApplied} lets the held clients on. Nothing of a client reaches the browser before that, so what a
     * page observes is unchanged; what changes is that the customer's poll and connect overlap this work.
     */
    private void readyThenIdentity(BootOrder order, Running r, int port, String path, ObjectNode resolved, StartPhases.Clock phases,
                                   CdpClient opened, long t0, Path dir, boolean poolHit) throws IOException, InterruptedException {
        UUID id = order.sessionId();
        if (r.stopping) {
            if (opened != null) {
                opened.close();
            }
            return;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        r.port = port;
        r.path = path;
        StartPhases before = phases.done();
        gateway.ready(id, port, path, null, resolved, ms, downloads(dir).toString(), before, true);
        StartPhases.Clock after = new StartPhases.Clock(poolHit, System.nanoTime());
        if (!pauseBeforeIdentity.isZero()) {
            Thread.sleep(pauseBeforeIdentity);
        }
        TargetIdentity identity = applyIdentity(id, port, path, resolved, after, opened);
        r.identity = identity;
        if (r.stopping) {
            identity.close(); // the teardown ran while it was applied and found nothing to close
            return;
        }
        sessionSetup(order, r, port, path, after);
        if (r.stopping) {
            return;
        }
        StartPhases applied = after.done();
        gateway.identityApplied(id, applied);
        log.info("browser boot session={} warm={} boot_ms={} phases_ms={} after_ready_ms={}", id, poolHit, ms, millis(before), millis(applied));
        verifyEgressLater(r);
    }

    /**
     * Applies the profile to every target of the browser from now on (null when the host applies no identity): the
     * host's first CDP connection to the browser (timed as {@code first_cdp}), then the overrides on every existing
     * target ({@code identity}). The connection itself is what proves the browser answers CDP; nothing else checks.
     */
    private TargetIdentity applyIdentity(UUID session, int port, String path, ObjectNode resolved, StartPhases.Clock phases,
                                         CdpClient opened) throws IOException, InterruptedException {
        if (!settings.identity()) {
            if (opened != null) {
                opened.close();
            }
            return null;
        }
        com.aimlib.protocol.identity.TargetOverrides overrides = com.aimlib.protocol.identity.TargetOverrides.of(resolved, session);
        // A warm browser's connection was opened while it waited (then first_cdp is ~0); a cold one's is opened now.
        CdpClient cdp = opened != null ? opened : CdpClient.connect(URI.create("ws://127.0.0.1:" + port + path), Duration.ofSeconds(10));
        phases.mark(StartPhases.FIRST_CDP);
        TargetIdentity t = TargetIdentity.start(cdp, overrides);
        phases.mark(StartPhases.IDENTITY);
        return t;
    }

    /**
     * What the session itself asked for, once its identity is in effect and before ready: its first tab sent to the
     * start URL (not awaited: a slow site does not delay ready) and its recorder attached (issue 14). Timed as
     * {@code session_setup}, marked only when there was something to do.
     */
    private void sessionSetup(BootOrder order, Running r, int port, String path, StartPhases.Clock phases)
            throws IOException, InterruptedException {
        RecordingOrder rec = order.recording();
        if (order.startUrl() == null && (rec == null || !rec.any())) {
            return;
        }
        if (order.startUrl() != null) {
            try (CdpClient cdp = CdpClient.connect(URI.create("ws://127.0.0.1:" + port + path), Duration.ofSeconds(10))) {
                openStartUrl(cdp, order.startUrl());
            }
        }
        r.recorder = startRecorder(order, port, path);
        if (r.stopping && r.recorder != null) {
            r.recorder.finish(); // the teardown ran before the recorder existed
        }
        phases.mark(StartPhases.SESSION_SETUP);
    }

    /** The session's recorder (issue 14), or null when it records nothing or the recorder could not attach. */
    private static SessionRecorder startRecorder(BootOrder order, int port, String path) {
        RecordingOrder rec = order.recording();
        if (rec == null || !rec.any()) {
            return null;
        }
        try {
            return SessionRecorder.start(URI.create("ws://127.0.0.1:" + port + path), rec, Path.of("ffmpeg"));
        } catch (IOException | RuntimeException e) {
            log.warn("recording not started session={} cause={}", order.sessionId(), e.toString());
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The browser's first page target (polls until the first tab exists), or null after {@code t}; never a relay's waiting spare tab. */
    private static String firstTab(CdpClient cdp, Duration t) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + t.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode info : cdp.call("Target.getTargets", null, null, t).path("targetInfos")) {
                if ("page".equals(info.path("type").asText())
                        && !com.aimlib.protocol.host.SpareTabMark.anySpare(info.path("url").asText(""))) {
                    return info.path("targetId").asText();
                }
            }
            Thread.sleep(5);
        }
        return null;
    }

    /**
     * Sends the first tab to the customer's start URL (issue 14) once the identity is in effect, without waiting for
     * the page: {@code ready} is not delayed by a slow site. The navigation belongs to the tab and goes on after this
     * connection detaches; the relay guard's URL rule does not apply (the gateway let only http(s) through).
     */
    private void openStartUrl(CdpClient cdp, String startUrl) throws IOException, InterruptedException {
        if (startUrl == null) {
            return;
        }
        Duration t = Duration.ofSeconds(15);
        String target = firstTab(cdp, t);
        if (target == null) {
            log.warn("no first tab for the start URL");
            return;
        }
        String sid = cdp.call("Target.attachToTarget", CdpClient.params().put("targetId", target).put("flatten", true), null, t)
                .path("sessionId").asText();
        startNavigation(cdp, sid, startUrl);
        cdp.call("Target.detachFromTarget", CdpClient.params().put("sessionId", sid), null, t);
    }

    private static void startNavigation(CdpClient cdp, String sid, String url) {
        // Sent, not awaited: Page.navigate answers only once the site's response arrived.
        cdp.send("Page.navigate", CdpClient.params().put("url", url), sid)
                .thenAccept(r -> {
                    if (r.has("error")) {
                        log.info("start URL navigation refused cause={}", r.get("error"));
                    }
                });
    }

    /**
     * After ready, off the start's critical path: fetches the probe URL through the session's own bridge (so through
     * the lease's proxy, the tunnel and the device, exactly the browser's path, without loading a page in it) and
     * tells the gateway the egress IP it saw. The bridge counts these few hundred bytes as the session's.
     */
    private void verifyEgressLater(Running r) {
        if (settings.probeUrl() == null) {
            return;
        }
        try {
            work.execute(() -> {
                SessionBridge b = r.bridge;
                if (b == null || r.stopping) {
                    return;
                }
                String ip = EgressCheck.through(b.port(), settings.probeUrl());
                if (!r.stopping) {
                    if (ip == null || !IP.matcher(ip).matches()) {
                        log.warn("egress check through the bridge failed session={}", r.id);
                        gateway.egressVerified(r.id, null);
                    } else {
                        r.egress = ip; // what a resumed session reports again
                        gateway.egressVerified(r.id, ip);
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // host closing
        }
    }

    /** The process-wide settings a profile implies; a warm browser serves a session only if they are equal. */
    private String flags(ObjectNode resolved) {
        if (!settings.identity()) {
            return "";
        }
        IdentityParams p = new IdentityParams(resolved);
        return String.join("|", p.flags()) + "|TZ=" + p.timezone() + "|FONTS=" + String.join(",", fonts.accepted(p.fonts()));
    }

    /** The session's own downloads directory: the only place the relay lets downloads land and file inputs read from. */
    static Path downloads(Path userDataDir) {
        return userDataDir.resolve("downloads");
    }

    /**
     * Points the profile's default download directory at the session's own one before the first start, so a
     * download nobody set a behaviour for (a new browser context, a client that never calls
     * {@code Browser.setDownloadBehavior}) lands there too, not in the host user's ~/Downloads. WebRTC would send UDP
     * (STUN, host candidates) around the proxy, from the host: only the preference stops it — Chromium 156 still sent
     * STUN to a loopback server with {@code --force-webrtc-ip-handling-policy} or {@code --webrtc-ip-handling-policy}
     * (tried by hand; {@code BrowserPathGuardTest} proves the preference).
     */
    private static void prepareProfile(Path dir, LoadedExtensions extensions) throws IOException {
        Path downloads = downloads(dir);
        Files.createDirectories(downloads);
        Files.createDirectories(dir.resolve("Default"));
        ObjectNode prefs = CdpClient.params();
        prefs.putObject("download").put("default_directory", downloads.toString()).put("prompt_for_download", false)
                .put("directory_upgrade", true);
        prefs.putObject("savefile").put("default_directory", downloads.toString());
        // Android Chrome has no PDF viewer plugin: navigator.plugins and mimeTypes are empty, pdfViewerEnabled false.
        prefs.putObject("plugins").put("always_open_pdf_externally", true);
        prefs.putObject("webrtc").put("ip_handling_policy", "disable_non_proxied_udp").put("multiple_routes_enabled", false)
                .put("nonproxied_udp_enabled", false);
        extensions.denyFileAccess(prefs);
        Files.writeString(dir.resolve("Default").resolve("Preferences"), prefs.toString());
    }

    private Process process(Path dir, int bridgePort, ObjectNode profile, String firstUrl, int niceness, LoadedExtensions extensions)
            throws IOException {
        prepareProfile(dir, extensions);
        List<String> cmd = command(dir, bridgePort, profile, firstUrl, extensions);
        if (niceness != 0) {
            cmd.addAll(0, List.of("nice", "-n", Integer.toString(niceness)));
        }
        // stdout and stderr on one pipe: Chromium announces its DevTools endpoint there (read, not polled for).
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        String tz = new IdentityParams(profile).timezone();
        if (settings.identity() && !tz.isEmpty()) {
            pb.environment().put("TZ", tz);
        }
        Path fontConfig = settings.identity() ? fonts.config(new IdentityParams(profile).fonts()) : null;
        if (fontConfig != null) {
            pb.environment().put("FONTCONFIG_FILE", fontConfig.toString());
        }
        return pb.start();
    }

    @Override
    public void stop(UUID sessionId) {
        work.execute(() -> teardown(sessionId, true));
    }

    @Override
    public void resume(BootOrder order) {
        work.execute(() -> {
            UUID id = order.sessionId();
            Running r = running.get(id);
            if (r == null || r.stopping || r.port == 0 || r.process == null || !r.process.isAlive()) {
                gateway.failed(id, "browser gone before adoption");
                if (r != null) {
                    teardown(id, false);
                }
                return;
            }
            try (CdpClient cdp = CdpClient.connect(URI.create("ws://127.0.0.1:" + r.port + r.path), Duration.ofSeconds(10))) {
                cdp.call("Browser.getVersion", null, null, Duration.ofSeconds(10));
                openStartUrl(cdp, order.startUrl());
            } catch (IOException e) {
                log.warn("adopted browser not answering session={} cause={}", id, e.toString());
                gateway.failed(id, "adopted browser not answering");
                teardown(id, false);
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            log.info("browser resumed for an adopting create session={}", id);
            gateway.ready(id, r.port, r.path, r.egress, order.profile(), -1, downloads(r.dir).toString());
        });
    }

    @Override
    public void restart(BootOrder order) {
        work.execute(() -> {
            teardown(order.sessionId(), false);
            log.info("browser restarted for an adopting create with another profile session={}", order.sessionId());
            boot(order);
        });
    }


    /** An adopted session that starts from a context or loads extensions gets a fresh, cold browser with them. */
    @Override
    public void restart(BootOrder order, BootExtras extras) {
        work.execute(() -> {
            teardown(order.sessionId(), false);
            log.info("browser restarted for an adopting create with a context or extensions session={}", order.sessionId());
            boot(order, extras);
        });
    }

    @Override
    public boolean savesState() {
        return true;
    }

    /**
     * Reads every cookie over CDP, then (with {@code stop}) closes the browser cleanly with {@code Browser.close}, so
     * LevelDB and SQLite stores are flushed, and packs the storage directories; the teardown follows. Without
     * {@code stop} the directories are copied from the running browser: what it has not written yet is missing.
     */
    @Override
    public byte[] saveState(UUID sessionId, boolean stop, long maxBytes) throws IOException {
        Running r = running.get(sessionId);
        if (r == null || r.port == 0 || r.stopping) {
            throw new IOException("the session's browser is not running");
        }
        try {
            com.fasterxml.jackson.databind.JsonNode cookies;
            try (CdpClient cdp = CdpClient.connect(URI.create("ws://127.0.0.1:" + r.port + r.path), Duration.ofSeconds(10))) {
                cookies = cdp.call("Storage.getCookies", null, null, Duration.ofSeconds(10)).path("cookies");
                if (stop) {
                    r.stopping = true; // its exit is ours now, not a crash to report
                    TargetIdentity identity = r.identity;
                    r.identity = null;
                    if (identity != null) {
                        identity.close();
                    }
                    cdp.send("Browser.close", (ObjectNode) null, null);
                }
            }
            if (stop) {
                Process p = r.process;
                try {
                    p.onExit().get(15, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                    log.warn("browser did not close cleanly; its storage may be partial session={}", sessionId);
                }
            }
            return SavedState.capture(r.dir, cookies, maxBytes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            if (stop) {
                teardown(sessionId, true);
            }
        }
    }

    private void launch(BootOrder order, Running r, ObjectNode resolved, BootExtras extras, long t0) {
        UUID id = order.sessionId();
        StartPhases.Clock phases = new StartPhases.Clock(false, t0);
        try {
            Files.createDirectories(r.dir);
            // A saved context's storage is in place before Chromium opens the profile; its cookies are set over CDP below.
            com.fasterxml.jackson.databind.node.ArrayNode cookies = extras.savedState() == null ? null
                    : SavedState.restore(extras.savedState(), r.dir);
            LoadedExtensions extensions = LoadedExtensions.unpack(extras.extensions(), r.dir);
            SessionBridge bridge = new SessionBridge(group, settings.upstreamType(), settings.upstream(),
                    order.proxyUsername(), order.proxyPassword(), order.dataCapBytes());
            r.bridge = bridge;
            int bridgePort = bridge.start();
            phases.mark(StartPhases.BRIDGE_EGRESS);
            if (r.stopping) {
                return;
            }
            Process p = process(r.dir, bridgePort, resolved, "about:blank", 0, extensions);
            r.process = p;
            if (r.stopping) {
                // A teardown ran while we started it and saw no process: this side kills it (both fields are volatile).
                ProcessTree.kill(p.toHandle());
                ProcessTree.deleteTree(r.dir);
                owned.remove(r.dir);
                return;
            }
            p.onExit().thenRun(() -> exited(r));
            URI endpoint = awaitDevTools(p);
            demand.launched((System.nanoTime() - t0) / 1e9);
            phases.mark(StartPhases.LAUNCH);
            int port = endpoint.getPort();
            String path = endpoint.getPath();
            CdpClient first = null;
            if (!extensions.ids.isEmpty() || (cookies != null && !cookies.isEmpty())) {
                // Launch-time extras are in place before the identity and ready (this connection then carries the identity).
                first = CdpClient.connect(endpoint, Duration.ofSeconds(10));
                try {
                    if (!extensions.ids.isEmpty()) {
                        r.pageWatch = BrowserPageWatch.start(endpoint, id);
                    }
                    if (cookies != null && !cookies.isEmpty()) {
                        first.call("Storage.setCookies", CdpClient.params().set("cookies", SavedState.cookieParams(cookies)), null,
                                Duration.ofSeconds(10));
                    }
                } catch (IOException | InterruptedException | RuntimeException e) {
                    first.close();
                    throw e;
                }
            }
            if (readyFirst()) {
                readyThenIdentity(order, r, port, path, resolved, phases, first, t0, r.dir, false);
                return;
            }
            r.identity = applyIdentity(id, port, path, resolved, phases, first);
            sessionSetup(order, r, port, path, phases);
            StartPhases done = phases.done();
            log.info("browser boot session={} warm=false phases_ms={}", id, millis(done));
            if (r.stopping) {
                return;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            r.port = port;
            r.path = path;
            gateway.ready(id, port, path, null, resolved, ms, downloads(r.dir).toString(), done);
            verifyEgressLater(r);
        } catch (Exception e) {
            if (!r.stopping) {
                log.warn("browser boot failed session={} cause={}", id, e.toString());
                gateway.failed(id, "boot failed: " + e.getClass().getSimpleName());
                teardown(id, false);
            }
        }
    }

    private List<String> command(Path dir, int bridgePort, ObjectNode profile, String firstUrl, LoadedExtensions extensions) {
        List<String> cmd = new ArrayList<>(List.of("setsid", settings.chromium().toString(),
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
                "--disable-dev-shm-usage", "--user-data-dir=" + dir, "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1", "--proxy-server=http://127.0.0.1:" + bridgePort,
                // Chromium never proxies loopback unless told so: without this, a page's fetch to 127.0.0.1:<port>
                // would reach the host's own ports (other sessions' DevTools and bridges, the database) directly.
                "--proxy-bypass-list=<-loopback>",
                // New headless Chromium builds a whole browser window, and 156 preloads the omnibox's WebUI popups
                // into a renderer of their own: ~0.9 CPU-seconds in the first two seconds of every launch, about half
                // of what a launch costs on this machine (measured with a cpuacct cgroup: 1.8 s -> 0.95 s per launch
                // and settle; bench/browser/launch-cpu.sh). Nobody types in a headless omnibox, and no page can see it.
                "--disable-features=" + DISABLED_FEATURES));
        if (settings.identity()) {
            cmd.addAll(new IdentityParams(profile).flags());
        }
        cmd.addAll(extensions.flags());
        cmd.add(firstUrl);
        return cmd;
    }

    private static Map<String, Long> millis(StartPhases p) {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        p.nanos().forEach((k, v) -> m.put(k, v / 1_000_000));
        return m;
    }

    /**
     * Chromium's own announcement of its DevTools endpoint ({@code DevTools listening on ws://…}) on its output, read
     * as it is written (no polling of {@code DevToolsActivePort}); the rest of the output is drained and dropped. A
     * browser that exits (or is killed by a teardown) first ends the wait with an error.
     */
    private static URI awaitDevTools(Process p) throws IOException, InterruptedException {
        java.util.concurrent.CompletableFuture<URI> endpoint = new java.util.concurrent.CompletableFuture<>();
        Thread.ofVirtual().name("chromium-out-" + p.pid()).start(() -> {
            String marker = "DevTools listening on ";
            try (java.io.BufferedReader in = p.inputReader(StandardCharsets.UTF_8)) {
                String line;
                while ((line = in.readLine()) != null) {
                    int at = line.indexOf(marker);
                    if (at >= 0 && !endpoint.isDone()) {
                        endpoint.complete(URI.create(line.substring(at + marker.length()).trim()));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the browser is gone
            }
            endpoint.completeExceptionally(new IOException("browser exited during boot"));
        });
        try {
            return endpoint.get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("Chromium did not announce its DevTools endpoint");
        }
    }

    private void exited(Running r) {
        if (r.stopping || closed) {
            return;
        }
        log.warn("browser exited on its own session={}", r.id);
        try {
            work.execute(() -> {
                gateway.failed(r.id, "browser exited");
                teardown(r.id, false);
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Host shutting down: close() tears everything down.
        }
    }

    private void teardown(UUID id, boolean report) {
        Running r = running.remove(id);
        if (r == null) {
            if (report) {
                gateway.stopped(id);
            }
            return;
        }
        r.stopping = true;
        TargetIdentity identity = r.identity;
        if (identity != null) {
            identity.close();
        }
        BrowserPageWatch watch = r.pageWatch;
        if (watch != null) {
            watch.close();
        }
        SessionRecorder recorder = r.recorder;
        if (recorder != null) {
            recorder.stopCapture();
        }
        Process p = r.process;
        if (p != null) {
            ProcessTree.kill(p.toHandle());
            try {
                p.onExit().get(5, TimeUnit.SECONDS);
            } catch (Exception e) {
                log.warn("browser did not exit after SIGKILL session={}", id);
            }
            ProcessTree.killGroup(p.pid());
        }
        SessionBridge bridge = r.bridge;
        if (bridge != null) {
            bridge.close();
            if (bridge.bytes() != r.reportedBytes) {
                gateway.bytes(id, bridge.bytes());
            }
        }
        ProcessTree.deleteTree(r.dir);
        owned.remove(r.dir);
        if (recorder != null) {
            // Before the stopped report: a session that is gone has its recording complete.
            recorder.finish();
        }
        if (report) {
            gateway.stopped(id);
        }
        log.info("browser torn down session={}", id);
    }

    private void beat() {
        try {
            gateway.heartbeat(hostId);
            killStrangers();
        } catch (RuntimeException e) {
            log.warn("heartbeat failed cause={}", e.toString());
        }
    }

    private void reportBytes() {
        for (Running r : running.values()) {
            SessionBridge b = r.bridge;
            if (b != null && b.bytes() != r.reportedBytes) {
                long n = b.bytes();
                try {
                    gateway.bytes(r.id, n);
                    r.reportedBytes = n;
                } catch (RuntimeException e) {
                    log.warn("bytes report failed cause={}", e.toString());
                }
            }
        }
    }

    /** Kills browsers under this host's work dir that belong to no session it runs (a previous run's orphans). */
    private void killStrangers() {
        String prefix = "--user-data-dir=" + settings.workDir() + "/";
        for (ProcessHandle p : ProcessTree.withArgument(prefix)) {
            String cmd = p.info().commandLine().orElse("");
            int at = cmd.indexOf(prefix);
            if (at < 0) {
                continue; // exited between the scan and this read, or its command line is not readable
            }
            String rest = cmd.substring(at + prefix.length());
            String sid = rest.length() >= 36 ? rest.substring(0, 36) : rest;
            boolean known = owned.contains(settings.workDir().resolve(sid));
            if (!known) {
                long pgid = ProcessTree.groupOf(p.pid());
                log.warn("killing orphan browser pid={} session={}", p.pid(), sid);
                if (pgid > 1) {
                    ProcessTree.killGroup(pgid);
                }
                ProcessTree.kill(p);
            }
        }
    }

    /** Simulates a crash of the host process (tests): stops heart-beating and forgets its browsers without killing them. */
    public void abandon() {
        closed = true;
        timer.shutdownNow();
        work.shutdownNow();
        running.clear();
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    /** Stops every browser, then the host. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timer.shutdownNow();
        for (UUID id : List.copyOf(running.keySet())) {
            teardown(id, false);
        }
        signalRefill();
        for (Warm w = pool.poll(); w != null; w = pool.poll()) {
            destroyWarm(w);
        }
        meters.close();
        work.shutdown();
        try {
            work.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Whatever a boot in flight started after the teardowns above: nothing of this host outlives it.
        owned.clear();
        killStrangers();
        try (var dirs = Files.list(settings.workDir())) {
            dirs.forEach(ProcessTree::deleteTree);
        } catch (IOException ignored) {
            // Work dir gone already.
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
