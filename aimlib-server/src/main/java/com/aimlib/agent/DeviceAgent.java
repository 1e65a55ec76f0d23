package com.aimlib.agent;

import com.aimlib.net.tunnel.KeepAliveHandler;
import com.aimlib.net.tunnel.TunnelSettings;
import com.aimlib.net.EventLoops;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One device of an agent: keeps its pool of tunnel connections to the gateway up (jittered exponential
 * backoff), knows its binding and egress IP, and rotates on request.
 */
final class DeviceAgent {
    private static final Logger log = LoggerFactory.getLogger(DeviceAgent.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DeviceConfig config;
    private final AgentSettings settings;
    private final InetSocketAddress gateway;
    private final SslContext ssl;
    private final EventLoopGroup group;
    private final ExecutorService blocking;
    private final List<Channel> connections = new CopyOnWriteArrayList<>();
    private final Set<Channel> streams = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean rotating = new AtomicBoolean();
    private final int[] failures;
    private volatile InetAddress bindAddress;
    private volatile String egressIp;
    private volatile long probedAt;
    private volatile boolean closed;
    private volatile String lastFailure;

    DeviceAgent(DeviceConfig config, AgentSettings settings, InetSocketAddress gateway, SslContext ssl,
                EventLoopGroup group, ExecutorService blocking) {
        this.config = config;
        this.settings = settings;
        this.gateway = gateway;
        this.ssl = ssl;
        this.group = group;
        this.blocking = blocking;
        this.failures = new int[config.pool()];
    }

    DeviceConfig config() {
        return config;
    }

    AgentSettings settings() {
        return settings;
    }

    ExecutorService blocking() {
        return blocking;
    }

    InetAddress bindAddress() {
        return bindAddress;
    }

    boolean rotating() {
        return rotating.get();
    }

    /** Resolves the binding (blocking), then dials every slot of the pool. */
    void start() throws IOException {
        bindAddress = config.binding().resolve();
        blocking.execute(this::probeQuietly);
        for (int slot = 0; slot < config.pool(); slot++) {
            dial(slot);
        }
    }

    int connectedCount() {
        return (int) connections.stream().filter(Channel::isActive).count();
    }

    String lastFailure() {
        return lastFailure;
    }

    private void dial(int slot) {
        if (closed) {
            return;
        }
        Bootstrap b = new Bootstrap()
                .group(group)
                .channel(EventLoops.socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.RCVBUF_ALLOCATOR, EventLoops.payloadReads())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        TunnelSettings.tuneSocket(ch, gateway.getAddress());
                        if (ssl != null) {
                            ch.pipeline().addLast("tls", ssl.newHandler(ch.alloc(), gateway.getHostString(), gateway.getPort()));
                        }
                        ch.pipeline().addLast("idle", KeepAliveHandler.idleDetector(settings.tunnel()));
                        ch.pipeline().addLast("upgrade", new UpgradeClientHandler(DeviceAgent.this,
                                gateway.getHostString() + ":" + gateway.getPort()));
                    }
                });
        ChannelFuture f = b.connect(gateway);
        Channel ch = f.channel();
        ch.attr(SLOT).set(slot);
        f.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                lastFailure = "connect failed";
                redial(slot);
            }
        });
        ch.closeFuture().addListener(c -> {
            if (connections.remove(ch)) {
                log("tunnel_down", "slot=" + slot);
            }
            if (f.isSuccess()) {
                redial(slot);
            }
        });
    }

    private static final AttributeKey<Integer> SLOT = AttributeKey.valueOf("aimlib.slot");

    private void redial(int slot) {
        if (closed) {
            return;
        }
        int n = Math.min(failures[slot]++, 20);
        long cap = Math.min(settings.backoffMax().toMillis(), settings.backoffMin().toMillis() << n);
        long delay = settings.backoffMin().toMillis() / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, cap));
        group.schedule(() -> dial(slot), delay, TimeUnit.MILLISECONDS);
    }

    /** The gateway accepted this connection: it is part of the pool now. */
    void upgraded(Channel ch) {
        Integer slot = ch.attr(SLOT).get();
        if (slot != null) {
            failures[slot] = 0;
        }
        connections.add(ch);
        log("tunnel_up", "slot=" + slot);
    }

    void handshakeFailed(String why) {
        lastFailure = why;
        log("tunnel_refused", why);
    }

    void log(String event, String detail) {
        log.info("event={} device={} {}", event, config.id(), detail);
    }

    void track(Channel stream) {
        streams.add(stream);
        stream.closeFuture().addListener(f -> streams.remove(stream));
    }

    int activeStreams() {
        return streams.size();
    }

    private void probeQuietly() {
        try {
            probe();
        } catch (Exception e) {
            log("egress_probe_failed", e.getClass().getSimpleName());
        }
    }

    /**
     * Re-reads the binding (a carrier may have given the device a new address on its own) and asks the
     * what-is-my-IP URL from it; without a URL the binding's address is the answer.
     */
    private String probe() throws IOException, InterruptedException {
        bindAddress = config.binding().resolve();
        if (config.whatIsMyIpUrl() == null || config.whatIsMyIpUrl().isBlank()) {
            InetAddress bind = bindAddress;
            egressIp = bind == null ? null : bind.getHostAddress();
            return egressIp;
        }
        egressIp = EgressProbe.probe(config.whatIsMyIpUrl(), bindAddress, settings.probeTimeout());
        probedAt = System.nanoTime();
        return egressIp;
    }

    /** What the gateway's status stream answers: carrier, egress IP (probed if not yet known), rotating, the phone's time zone and locale. */
    CompletableFuture<String> statusJson() {
        return CompletableFuture.supplyAsync(() -> {
            if (!rotating.get() && (egressIp == null || System.nanoTime() - probedAt > settings.probeMaxAge().toNanos())) {
                probeQuietly();
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("device_id", config.id().toString());
            body.put("carrier", config.carrier());
            body.put("egress_ip", egressIp);
            body.put("rotating", rotating.get());
            body.put("timezone", config.reportedTimezone());
            body.put("locale", config.reportedLocale());
            return json(body);
        }, blocking);
    }

    /**
     * What the gateway's health stream answers: the health command's fields (when one is configured) and whether
     * the device reaches the internet now ({@code egress_ok}: a fresh what-is-my-IP probe from the binding, or
     * without a probe URL the binding resolving; null while rotating, when the answer would mean nothing).
     */
    CompletableFuture<String> healthJson() {
        return CompletableFuture.supplyAsync(() -> {
            Map<String, Object> body = new LinkedHashMap<>();
            if (config.healthCommand() != null && !config.healthCommand().isBlank()) {
                try {
                    body.putAll(HealthProbe.run(config.healthCommand(), settings.probeTimeout()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    body.put("probe_error", "interrupted");
                }
            }
            Boolean egressOk = null;
            if (!rotating.get()) {
                try {
                    if (config.whatIsMyIpUrl() == null || config.whatIsMyIpUrl().isBlank()) {
                        egressOk = config.binding().resolve() != null;
                    } else {
                        probe();
                        egressOk = true;
                    }
                } catch (IOException e) {
                    egressOk = false;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            body.put("egress_ok", egressOk);
            body.put("egress_ip", egressIp);
            body.put("rotating", rotating.get());
            return json(body);
        }, blocking);
    }

    /** A control answer: HTTP status and JSON body. */
    record Answer(int status, String json) {
    }

    /**
     * Rotates: drain (refuse new streams, let open ones finish for the drain timeout, reset the rest) → rotate
     * command → wait for the network → probe until the egress IP differs from before, within the rotate
     * timeout. Any other ending runs the restore command, so a device is never left in airplane mode.
     */
    CompletableFuture<Answer> rotate() {
        return CompletableFuture.supplyAsync(this::rotateNow, blocking);
    }

    private Answer rotateNow() {
        if (config.rotateCommand() == null || config.rotateCommand().isBlank()) {
            return new Answer(501, "{\"error\":\"no_rotate_command\",\"outcome\":\"failed\",\"reason\":\"no_rotate_command\"}");
        }
        if (!rotating.compareAndSet(false, true)) {
            return new Answer(409, "{\"error\":\"rotation_in_progress\"}");
        }
        String previous = egressIp;
        int[] drained = {0, 0};
        Map<String, Object> body = new LinkedHashMap<>();
        try {
            if (previous == null) {
                probeQuietly();
                previous = egressIp;
            }
            drained = drain();
            log("rotate_start", "drained=" + drained[0] + " reset=" + drained[1]);
            String failure = runCommand(config.rotateCommand());
            String outcome;
            String reason;
            String now = null;
            if (failure != null) {
                outcome = failure.equals("timeout") ? "timeout" : "failed";
                reason = "rotate_command_" + failure;
            } else {
                // Wait for the network to come back with a different address.
                long deadline = System.nanoTime() + settings.rotateTimeout().toNanos();
                boolean answered = false;
                while (System.nanoTime() < deadline) {
                    try {
                        now = probe();
                        answered = true;
                        if (now != null && !now.equals(previous)) {
                            break;
                        }
                    } catch (IOException e) {
                        // The device is typically between networks right after the command: try again.
                    }
                    Thread.sleep(250);
                }
                boolean changed = now != null && !now.equals(previous);
                outcome = changed ? "succeeded" : answered ? "failed" : "timeout";
                reason = changed ? null : answered ? "ip_unchanged" : "network_not_back";
            }
            if (!outcome.equals("succeeded")) {
                body.put("restored", restore());
                now = egressIp;
            }
            log("rotate_done", "outcome=" + outcome + (reason == null ? "" : " reason=" + reason));
            body.put("outcome", outcome);
            body.put("reason", reason);
            body.put("previous_ip", previous);
            body.put("egress_ip", now);
            body.put("changed", outcome.equals("succeeded"));
            body.put("carrier", config.carrier());
            body.put("drained_streams", drained[0]);
            body.put("reset_streams", drained[1]);
            if (reason != null && reason.startsWith("rotate_command_")) {
                body.put("error", reason);
                return new Answer(502, json(body));
            }
            return new Answer(outcome.equals("succeeded") ? 200 : 504, json(body));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            restore();
            return new Answer(500, "{\"error\":\"rotation_interrupted\",\"outcome\":\"failed\",\"reason\":\"rotation_interrupted\"}");
        } finally {
            rotating.set(false);
        }
    }

    /**
     * Runs {@code command} with {@code sh -c} within the command timeout; null when it exited 0, else
     * {@code "timeout"} (then it and everything it started are killed) or {@code "failed"}.
     */
    private String runCommand(String command) throws InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder("sh", "-c", command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
        } catch (IOException e) {
            return "failed";
        }
        if (!process.waitFor(settings.commandTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            return "timeout";
        }
        return process.exitValue() == 0 ? null : "failed";
    }

    /**
     * After a failed rotation: runs the restore command (if the device has one), then reads the binding and
     * probes again so the reported IP is the one the device has now. True when the restore command succeeded.
     */
    private boolean restore() {
        boolean ok = true;
        if (config.restoreCommand() != null && !config.restoreCommand().isBlank()) {
            try {
                ok = runCommand(config.restoreCommand()) == null;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                ok = false;
            }
            log("rotate_restore", "ok=" + ok);
        }
        probeQuietly();
        return ok;
    }

    /**
     * Lets open streams finish for the drain timeout, then resets the ones still open. Answers how many
     * finished by themselves and how many were reset.
     */
    private int[] drain() throws InterruptedException {
        int open = streams.size();
        long deadline = System.nanoTime() + settings.drainTimeout().toNanos();
        while (!streams.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        int reset = 0;
        for (Channel s : streams) {
            s.close();
            reset++;
        }
        return new int[] {Math.max(0, open - reset), reset};
    }

    private static String json(Map<String, Object> body) {
        try {
            return JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops redialling and closes the connections: GOAWAY, in-flight streams get the drain timeout. */
    CompletableFuture<Void> close() {
        closed = true;
        CompletableFuture<?>[] all = connections.stream().map(ch -> {
            CompletableFuture<Void> done = new CompletableFuture<>();
            ch.close().addListener(f -> done.complete(null));
            ch.closeFuture().addListener(f -> done.complete(null));
            return done;
        }).toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(all);
    }

    /** Drops every connection at once without GOAWAY, as a crash would. */
    void abort() {
        closed = true;
        for (Channel ch : connections) {
            ch.eventLoop().execute(() -> {
                if (ch.isOpen()) {
                    ch.config().setOption(ChannelOption.SO_LINGER, 0);
                }
                ch.unsafe().close(ch.voidPromise());
            });
        }
    }

}
