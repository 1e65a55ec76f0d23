package com.aimlib.host;

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

    private BrowserHost(HostSettings settings, GatewayLink gateway) {
        this.settings = settings;
        this.gateway = gateway;
        this.group = EventLoops.group(1, "host-bridge-" + settings.name());
        this.chromeVersion = ChromiumVersion.of(settings.chromium());
        this.fonts = HostFonts.detect(settings.workDir());
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
        BrowserHost host = new BrowserHost(settings, gateway);
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
        host.refillPool();
        log.info("browser host up host={} name={} capacity={} chrome={} warm_pool={}", host.hostId, settings.name(), settings.capacity(),
                host.chromeVersion, settings.warmPool());
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

    /** The sessions this host runs a browser for (booting, running or being torn down). */
    public java.util.Set<UUID> sessions() {
        return java.util.Set.copyOf(running.keySet());
    }

    /** The loopback port of the session's bridge, or -1 for an unknown session (for operators and tests). */
    public int bridgePortOf(UUID sessionId) {
        Running r = running.get(sessionId);
        return r == null || r.bridge == null ? -1 : r.bridge.port();
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

    /** A session with a saved context or extensions starts cold: a warm browser has neither and cannot get them. */
    @Override
    public void boot(BootOrder order, BootExtras extras) {
        ObjectNode resolved = order.profile();
        Warm w = extras.isEmpty() ? takeWarm(flags(resolved)) : null;
        Running r = new Running(order.sessionId(), w == null ? settings.workDir().resolve(order.sessionId().toString()) : w.dir);
        if (running.putIfAbsent(order.sessionId(), r) != null) {
            if (w != null) {
                pool.addFirst(w);
            }
            return;
        }
        owned.add(r.dir);
        if (w == null) {
            work.execute(() -> launch(order, r, resolved, extras));
            return;
        }
        r.process = w.process;
        r.bridge = w.bridge;
        w.owner = r;
        if (!w.process.isAlive()) {
            exited(r);
            return;
        }
        work.execute(() -> adopt(order, r, w, resolved));
        refillPool();
    }

    private Warm takeWarm(String flags) {
        for (Warm w : pool) {
            if (w.flags.equals(flags) && pool.remove(w)) {
                return w;
            }
        }
        return null;
    }

    /** Launches browsers until the pool holds {@code warmPool} of them (each once). */
    private void refillPool() {
        while (!closed && pool.size() + warming.get() < settings.warmPool()) {
            warming.incrementAndGet();
            try {
                work.execute(this::launchWarm);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                warming.decrementAndGet();
                return;
            }
        }
    }

    private void launchWarm() {
        Path dir = settings.workDir().resolve(UUID.randomUUID().toString());
        SessionBridge bridge = new SessionBridge(group, settings.upstreamType(), settings.upstream());
        Process p = null;
        try {
            owned.add(dir);
            Files.createDirectories(dir);
            int bridgePort = bridge.start();
            ObjectNode defaults = DeviceProfiles.defaults(settings.region(), chromeVersion);
            p = process(dir, bridgePort, defaults, "about:blank");
            Warm w = new Warm(dir, p, bridge, flags(defaults));
            p.onExit().thenRun(() -> warmExited(w));
            String[] endpoint = waitForDevTools(dir, p, () -> closed);
            w.port = Integer.parseInt(endpoint[0].trim());
            w.path = endpoint[1].trim();
            try (CdpClient cdp = CdpClient.connect(URI.create("ws://127.0.0.1:" + w.port + w.path), Duration.ofSeconds(10))) {
                cdp.call("Browser.getVersion", null, null, Duration.ofSeconds(10));
            }
            if (closed) {
                throw new IOException("host closed");
            }
            pool.add(w);
        } catch (Exception e) {
            log.warn("warm browser launch failed cause={}", e.toString());
            if (p != null) {
                ProcessTree.kill(p.toHandle());
            }
            bridge.close();
            ProcessTree.deleteTree(dir);
            owned.remove(dir);
        } finally {
            warming.decrementAndGet();
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
            w.bridge.close();
            ProcessTree.kill(w.process.toHandle());
            ProcessTree.deleteTree(w.dir);
            owned.remove(w.dir);
            refillPool();
        }
    }

    /** A warm browser becomes this session's: its bridge gets the lease's credentials and cap, then the egress probe. */
    private void adopt(BootOrder order, Running r, Warm w, ObjectNode resolved) {
        long t0 = System.nanoTime();
        UUID id = order.sessionId();
        try {
            w.bridge.bind(order.proxyUsername(), order.proxyPassword(), order.dataCapBytes());
            r.identity = applyIdentity(r.id, w.port, w.path, resolved);
            String egress = null;
            if (settings.probeUrl() != null) {
                try (CdpClient cdp = CdpClient.connect(URI.create("ws://127.0.0.1:" + w.port + w.path), Duration.ofSeconds(10))) {
                    egress = probeEgress(cdp, true, () -> { }, order.startUrl());
                }
            } else if (order.startUrl() != null) {
                try (CdpClient cdp = CdpClient.connect(URI.create("ws://127.0.0.1:" + w.port + w.path), Duration.ofSeconds(10))) {
                    openStartUrl(cdp, order.startUrl());
                }
            }
            r.recorder = startRecorder(order, w.port, w.path);
            if (r.stopping) {
                if (r.recorder != null) {
                    r.recorder.finish(); // the teardown ran before the recorder existed
                }
                return;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            log.info("browser boot session={} warm=true probe_ms={}", id, ms);
            r.port = w.port;
            r.path = w.path;
            r.egress = egress;
            gateway.ready(id, w.port, w.path, egress, resolved, ms, downloads(w.dir).toString());
        } catch (Exception e) {
            if (!r.stopping) {
                log.warn("warm browser adoption failed session={} cause={}", id, e.toString());
                gateway.failed(id, "boot failed: " + e.getClass().getSimpleName());
                teardown(id, false);
            }
        }
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

    /** Waits for the identity to be in effect on the browser's existing targets. */
    @FunctionalInterface
    private interface IdentityWait {
        void run() throws IOException, InterruptedException;
    }

    private static TargetIdentity joined(java.util.concurrent.Future<TargetIdentity> f) throws IOException, InterruptedException {
        try {
            return f.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException("identity not applied", e.getCause());
        }
    }

    private static void closeQuietly(java.util.concurrent.Future<TargetIdentity> f) {
        try {
            TargetIdentity t = joined(f);
            if (t != null) {
                t.close();
            }
        } catch (IOException | InterruptedException e) {
            // Never applied: nothing to close.
        }
    }

    /** Applies the profile to every target of the browser from now on (null when the host applies no identity). */
    private TargetIdentity applyIdentity(UUID session, int port, String path, ObjectNode resolved) throws IOException, InterruptedException {
        return settings.identity()
                ? TargetIdentity.start(URI.create("ws://127.0.0.1:" + port + path), com.aimlib.protocol.identity.TargetOverrides.of(resolved, session))
                : null;
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

    private Process process(Path dir, int bridgePort, ObjectNode profile, String firstUrl) throws IOException {
        return process(dir, bridgePort, profile, firstUrl, new LoadedExtensions());
    }

    private Process process(Path dir, int bridgePort, ObjectNode profile, String firstUrl, LoadedExtensions extensions) throws IOException {
        prepareProfile(dir, extensions);
        ProcessBuilder pb = new ProcessBuilder(command(dir, bridgePort, profile, firstUrl, extensions))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
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

    private void launch(BootOrder order, Running r, ObjectNode resolved, BootExtras extras) {
        long t0 = System.nanoTime();
        UUID id = order.sessionId();
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
            if (r.stopping) {
                return;
            }
            // The egress probe starts loading with the browser itself, overlapping the DevTools start-up.
            Process p = process(r.dir, bridgePort, resolved, settings.probeUrl() != null ? settings.probeUrl() : "about:blank", extensions);
            r.process = p;
            if (r.stopping) {
                // A teardown ran while we started it and saw no process: this side kills it (both fields are volatile).
                ProcessTree.kill(p.toHandle());
                ProcessTree.deleteTree(r.dir);
                owned.remove(r.dir);
                return;
            }
            p.onExit().thenRun(() -> exited(r));
            long spawned = System.nanoTime();
            String[] endpoint = waitForDevTools(r.dir, p, () -> r.stopping);
            long portAt = System.nanoTime();
            int port = Integer.parseInt(endpoint[0].trim());
            String path = endpoint[1].trim();
            String egress = null;
            long cdpAt;
            try (CdpClient cdp = CdpClient.connect(URI.create("ws://127.0.0.1:" + port + path), Duration.ofSeconds(10))) {
                cdp.call("Browser.getVersion", null, null, Duration.ofSeconds(10));
                if (!extensions.ids.isEmpty()) {
                    r.pageWatch = BrowserPageWatch.start(URI.create("ws://127.0.0.1:" + port + path), id);
                }
                if (cookies != null && !cookies.isEmpty()) {
                    cdp.call("Storage.setCookies", CdpClient.params().set("cookies", SavedState.cookieParams(cookies)), null, Duration.ofSeconds(10));
                }
                cdpAt = System.nanoTime();
                // The identity is applied while the probe page loads; the probe waits for it before it blanks the
                // tab, so the customer's first document already has it.
                java.util.concurrent.Future<TargetIdentity> identity = work.submit(() -> applyIdentity(r.id, port, path, resolved));
                IdentityWait await = () -> r.identity = joined(identity);
                try {
                    if (settings.probeUrl() != null) {
                        egress = probeEgress(cdp, false, await, order.startUrl());
                    } else {
                        await.run();
                        openStartUrl(cdp, order.startUrl());
                    }
                } finally {
                    if (r.identity == null) {
                        closeQuietly(identity); // the probe failed before the tab was blanked
                    }
                }
            }
            r.recorder = startRecorder(order, port, path);
            if (r.stopping && r.recorder != null) {
                r.recorder.finish(); // the teardown ran before the recorder existed
            }
            long probed = System.nanoTime();
            log.info("browser boot session={} setup_ms={} devtools_ms={} cdp_ms={} probe_ms={}", id,
                    (spawned - t0) / 1_000_000, (portAt - spawned) / 1_000_000, (cdpAt - portAt) / 1_000_000, (probed - cdpAt) / 1_000_000);
            if (r.stopping) {
                return;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            r.port = port;
            r.path = path;
            r.egress = egress;
            gateway.ready(id, port, path, egress, resolved, ms, downloads(r.dir).toString());
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
                "--proxy-bypass-list=<-loopback>"));
        if (settings.identity()) {
            cmd.addAll(new IdentityParams(profile).flags());
        }
        cmd.addAll(extensions.flags());
        cmd.add(firstUrl);
        return cmd;
    }

    private static String[] waitForDevTools(Path dir, Process p, java.util.function.BooleanSupplier stopping) throws IOException, InterruptedException {
        Path file = dir.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (stopping.getAsBoolean()) {
                throw new IOException("stopped while booting");
            }
            if (!p.isAlive()) {
                throw new IOException("browser exited during boot");
            }
            if (Files.exists(file)) {
                String[] lines = Files.readString(file, StandardCharsets.UTF_8).split("\n");
                if (lines.length >= 2 && !lines[1].isBlank()) {
                    return lines;
                }
            }
            Thread.sleep(5);
        }
        throw new IOException("DevToolsActivePort did not appear");
    }

    /**
     * Reads the address the probe page (the browser's first tab, loaded through the bridge and the
     * device) shows, then replaces that tab with a blank one, so the customer starts from about:blank.
     */
    private String probeEgress(CdpClient cdp, boolean navigate, IdentityWait identity, String startUrl) throws IOException, InterruptedException {
        Duration t = Duration.ofSeconds(15);
        long deadline = System.nanoTime() + t.toNanos();
        String target = firstTab(cdp, t);
        if (target == null) {
            throw new IOException("no first tab to probe");
        }
        String sid = cdp.call("Target.attachToTarget", CdpClient.params().put("targetId", target).put("flatten", true), null, t)
                .path("sessionId").asText();
        try {
            if (navigate) {
                cdp.call("Page.navigate", CdpClient.params().put("url", settings.probeUrl()), sid, t);
            }
            while (System.nanoTime() < deadline) {
                JsonNode v = cdp.call("Runtime.evaluate", CdpClient.params()
                        .put("expression", "location.href + '\\n' + document.readyState + '\\n' + (document.body ? document.body.innerText : '')")
                        .put("returnByValue", true), sid, t).path("result").path("value");
                String[] parts = v.asText().split("\n", 3);
                if (parts.length >= 1 && parts[0].startsWith("chrome-error:")) {
                    throw new IOException("egress probe failed to load");
                }
                if (parts.length == 3 && parts[0].startsWith(settings.probeUrl()) && "complete".equals(parts[1])) {
                    String ip = parts[2].trim();
                    return IP.matcher(ip).matches() ? ip : null;
                }
                Thread.sleep(5);
            }
            throw new IOException("egress probe timed out");
        } finally {
            // Same renderer, no new tab: the customer's first tab is blank again, or on its way to the start URL.
            identity.run();
            if (startUrl == null) {
                cdp.call("Page.navigate", CdpClient.params().put("url", "about:blank"), sid, t);
            } else {
                startNavigation(cdp, sid, startUrl);
            }
            cdp.call("Target.detachFromTarget", CdpClient.params().put("sessionId", sid), null, t);
        }
    }

    /** The browser's first page target (polls until the first tab exists), or null after {@code t}. */
    private static String firstTab(CdpClient cdp, Duration t) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + t.toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode info : cdp.call("Target.getTargets", null, null, t).path("targetInfos")) {
                if ("page".equals(info.path("type").asText())) {
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
        for (Warm w = pool.poll(); w != null; w = pool.poll()) {
            w.bridge.close();
            ProcessTree.kill(w.process.toHandle());
            ProcessTree.deleteTree(w.dir);
        }
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
