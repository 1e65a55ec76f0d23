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
import java.util.regex.Matcher;
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
    private final String chromeMajor;
    private volatile UUID hostId;
    private volatile boolean closed;

    /** One session's browser, from the moment a boot is ordered until its teardown finished. */
    private static final class Running {
        final UUID id;
        volatile Process process;
        volatile SessionBridge bridge;
        final Path dir;
        volatile boolean stopping;
        volatile long reportedBytes;

        Running(UUID id, Path dir) {
            this.id = id;
            this.dir = dir;
        }
    }

    private BrowserHost(HostSettings settings, GatewayLink gateway) {
        this.settings = settings;
        this.gateway = gateway;
        this.group = EventLoops.group(1, "host-bridge-" + settings.name());
        this.chromeMajor = chromeMajor(settings.chromium());
    }

    /** Kills leftovers of an earlier run, registers with the gateway, starts heart-beating. */
    public static BrowserHost start(HostSettings settings, GatewayLink gateway) throws IOException {
        BrowserHost host = new BrowserHost(settings, gateway);
        Files.createDirectories(settings.workDir());
        host.killStrangers();
        try (var dirs = Files.list(settings.workDir())) {
            dirs.forEach(ProcessTree::deleteTree);
        }
        host.hostId = gateway.register(settings.name(), settings.region(), settings.address(), settings.capacity(), host);
        long beat = settings.heartbeatInterval().toMillis();
        host.timer.scheduleWithFixedDelay(host::beat, beat, beat, TimeUnit.MILLISECONDS);
        long rep = settings.bytesReportInterval().toMillis();
        host.timer.scheduleWithFixedDelay(host::reportBytes, rep, rep, TimeUnit.MILLISECONDS);
        log.info("browser host up host={} name={} capacity={} chrome={}", host.hostId, settings.name(), settings.capacity(), host.chromeMajor);
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

    /** The sessions this host runs a browser for (booting, running or being torn down). */
    public java.util.Set<UUID> sessions() {
        return java.util.Set.copyOf(running.keySet());
    }

    /** Bytes the session's bridge has carried so far, or -1 for an unknown session. */
    public long bytesOf(UUID sessionId) {
        Running r = running.get(sessionId);
        return r == null || r.bridge == null ? -1 : r.bridge.bytes();
    }

    @Override
    public void boot(BootOrder order) {
        Running r = new Running(order.sessionId(), settings.workDir().resolve(order.sessionId().toString()));
        if (running.putIfAbsent(order.sessionId(), r) != null) {
            return;
        }
        work.execute(() -> launch(order, r));
    }

    @Override
    public void stop(UUID sessionId) {
        work.execute(() -> teardown(sessionId, true));
    }

    private void launch(BootOrder order, Running r) {
        long t0 = System.nanoTime();
        UUID id = order.sessionId();
        try {
            Files.createDirectories(r.dir);
            SessionBridge bridge = new SessionBridge(group, settings.upstreamType(), settings.upstream(),
                    order.proxyUsername(), order.proxyPassword(), order.dataCapBytes());
            r.bridge = bridge;
            int bridgePort = bridge.start();
            ObjectNode resolved = DeviceProfiles.resolve(order.profile(), chromeMajor);
            ProcessBuilder pb = new ProcessBuilder(command(r.dir, bridgePort, resolved))
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            String tz = DeviceProfiles.clean(resolved.path("timezone").asText("UTC"));
            if (!tz.isEmpty()) {
                pb.environment().put("TZ", tz);
            }
            if (r.stopping) {
                return;
            }
            Process p = pb.start();
            r.process = p;
            if (r.stopping) {
                // A teardown ran while we started it and saw no process: this side kills it (both fields are volatile).
                ProcessTree.kill(p.toHandle());
                ProcessTree.deleteTree(r.dir);
                return;
            }
            p.onExit().thenRun(() -> exited(r));
            long spawned = System.nanoTime();
            String[] endpoint = waitForDevTools(r, p);
            long portAt = System.nanoTime();
            int port = Integer.parseInt(endpoint[0].trim());
            String path = endpoint[1].trim();
            String egress = null;
            long cdpAt;
            try (CdpClient cdp = CdpClient.connect(URI.create("ws://127.0.0.1:" + port + path), Duration.ofSeconds(10))) {
                cdp.call("Browser.getVersion", null, null, Duration.ofSeconds(10));
                cdpAt = System.nanoTime();
                if (settings.probeUrl() != null) {
                    egress = probeEgress(cdp);
                }
            }
            long probed = System.nanoTime();
            log.info("browser boot session={} setup_ms={} devtools_ms={} cdp_ms={} probe_ms={}", id,
                    (spawned - t0) / 1_000_000, (portAt - spawned) / 1_000_000, (cdpAt - portAt) / 1_000_000, (probed - cdpAt) / 1_000_000);
            if (r.stopping) {
                return;
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            gateway.ready(id, port, path, egress, resolved, ms);
        } catch (Exception e) {
            if (!r.stopping) {
                log.warn("browser boot failed session={} cause={}", id, e.toString());
                gateway.failed(id, "boot failed: " + e.getClass().getSimpleName());
                teardown(id, false);
            }
        }
    }

    private List<String> command(Path dir, int bridgePort, ObjectNode profile) {
        int[] vp = DeviceProfiles.viewport(profile);
        List<String> cmd = new ArrayList<>(List.of("setsid", settings.chromium().toString(),
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check",
                "--disable-dev-shm-usage", "--user-data-dir=" + dir, "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1", "--proxy-server=http://127.0.0.1:" + bridgePort,
                "--proxy-bypass-list=<-loopback>", "--user-agent=" + DeviceProfiles.userAgent(profile),
                "--window-size=" + vp[0] + "," + vp[1]));
        String locale = DeviceProfiles.clean(profile.path("locale").asText(""));
        if (!locale.isEmpty()) {
            cmd.add("--lang=" + locale);
        }
        // The egress probe starts loading with the browser itself, overlapping the DevTools start-up.
        cmd.add(settings.probeUrl() != null ? settings.probeUrl() : "about:blank");
        return cmd;
    }

    private String[] waitForDevTools(Running r, Process p) throws IOException, InterruptedException {
        Path file = r.dir.resolve("DevToolsActivePort");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            if (r.stopping) {
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
    private String probeEgress(CdpClient cdp) throws IOException, InterruptedException {
        Duration t = Duration.ofSeconds(15);
        String target = null;
        long deadline = System.nanoTime() + t.toNanos();
        while (target == null && System.nanoTime() < deadline) {
            for (JsonNode info : cdp.call("Target.getTargets", null, null, t).path("targetInfos")) {
                if ("page".equals(info.path("type").asText())) {
                    target = info.path("targetId").asText();
                }
            }
            if (target == null) {
                Thread.sleep(5);
            }
        }
        if (target == null) {
            throw new IOException("no first tab to probe");
        }
        String sid = cdp.call("Target.attachToTarget", CdpClient.params().put("targetId", target).put("flatten", true), null, t)
                .path("sessionId").asText();
        try {
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
            // Same renderer, no new tab: the customer's first tab is blank again.
            cdp.call("Page.navigate", CdpClient.params().put("url", "about:blank"), sid, t);
            cdp.call("Target.detachFromTarget", CdpClient.params().put("sessionId", sid), null, t);
        }
    }

    private void exited(Running r) {
        if (r.stopping || closed) {
            return;
        }
        log.warn("browser exited on its own session={}", r.id);
        gateway.failed(r.id, "browser exited");
        work.execute(() -> teardown(r.id, false));
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
            String rest = cmd.substring(at + prefix.length());
            String sid = rest.length() >= 36 ? rest.substring(0, 36) : rest;
            boolean known;
            try {
                known = running.containsKey(UUID.fromString(sid));
            } catch (IllegalArgumentException e) {
                known = false;
            }
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
        work.shutdown();
        try {
            work.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Whatever a boot in flight started after the teardowns above: nothing of this host outlives it.
        killStrangers();
        try (var dirs = Files.list(settings.workDir())) {
            dirs.forEach(ProcessTree::deleteTree);
        } catch (IOException ignored) {
            // Work dir gone already.
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static String chromeMajor(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            Matcher m = Pattern.compile("(\\d+)\\.\\d+\\.\\d+\\.\\d+").matcher(out);
            return m.find() ? m.group(1) : "126";
        } catch (IOException e) {
            return "126";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "126";
        }
    }
}
