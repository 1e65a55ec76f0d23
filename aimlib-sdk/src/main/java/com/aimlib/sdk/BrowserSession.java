package com.aimlib.sdk;

import com.aimlib.protocol.BrowserSessionBody;
import com.aimlib.protocol.BrowserSessionCreated;
import com.aimlib.protocol.ErrorCode;
import com.aimlib.protocol.SessionPagesBody;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A managed browser session on a device: a real Chromium egressing through the device's mobile IP, driven
 * with Playwright over the gateway's CDP relay. Close it (try-with-resources) to stop it.
 *
 * <pre>{@code
 * try (BrowserSession session = device.browser(BrowserOptions.builder().profile("pixel-8-pro").ttl("10m").build())) {
 *     Page page = session.newPage();   // waits until ready and connects
 *     page.navigate("https://example.com");
 * }
 * }</pre>
 *
 * All tabs share one IP and fingerprint, at most {@link #maxTabs()} at a time. The methods may be called from
 * any thread (virtual threads included); Playwright's objects themselves are for one thread at a time.
 */
public final class BrowserSession implements AutoCloseable {
    /** The documented default readiness wait. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(180);
    private static final Set<String> READY = Set.of("ready", "active", "idle");
    private static final Set<String> DEAD = Set.of("failed", "gone");
    private static final Duration FAST_POLL = Duration.ofMillis(100);
    private static final Duration FAST_PHASE = Duration.ofSeconds(5);
    private static final Duration SLOW_POLL = Duration.ofSeconds(2);

    private static final com.fasterxml.jackson.core.type.TypeReference<SessionPagesBody> PAGES = new com.fasterxml.jackson.core.type.TypeReference<>() {
    };
    private final Transport transport;
    private final Device device;
    private final BrowserSessionCreated created;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile String status;
    private volatile String egressIp;
    private volatile Map<String, Object> fingerprint = Map.of();
    private volatile Instant expiresAt;
    private CdpConnection cdp;
    private boolean stopped;
    private volatile boolean persist;
    private volatile String contextName;
    private volatile String contextId;

    BrowserSession(Transport transport, Device device, BrowserSessionCreated created) {
        this.transport = transport;
        this.device = device;
        this.created = created;
        this.status = created.status();
        this.egressIp = created.egressIp();
        this.expiresAt = created.expiresAt();
    }

    /** The session id (a UUID). */
    public String id() {
        return created.sessionId().toString();
    }

    /** The device the session runs on. */
    public Device device() {
        return device;
    }

    /** The last status the server reported: {@code provisioning}, {@code ready}, {@code active}, {@code idle}, … */
    public String status() {
        return status;
    }

    /** The {@code ws(s)://} CDP relay endpoint. */
    public String connectUrl() {
        return created.connectUrl();
    }

    /** The relay's bearer token (secret: never log it). */
    public String connectToken() {
        return created.connectToken();
    }

    /** The per-session tab cap. */
    public int maxTabs() {
        return created.maxTabs();
    }

    /** The gateway region the session runs in. */
    public String region() {
        return created.region();
    }

    /** The hard deadline. */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** The device's public IP for this session; null until ready. */
    public String egressIp() {
        return egressIp;
    }

    /** The resolved profile ({@code resolved_profile}); empty until ready. */
    public Map<String, Object> fingerprint() {
        return fingerprint;
    }

    /** The live Playwright browser once connected, else null. */
    public Browser browser() {
        lock.lock();
        try {
            return cdp == null ? null : cdp.browser();
        } finally {
            lock.unlock();
        }
    }

    /** The relay's HTTP discovery URL, the form Playwright's {@code connectOverCDP} takes. */
    public String discoveryUrl() {
        String u = connectUrl();
        if (u.startsWith("wss://")) {
            return "https://" + u.substring(6);
        }
        return u.startsWith("ws://") ? "http://" + u.substring(5) : u;
    }

    /** {@link #waitUntilReady(Duration)} with the documented 180 s. */
    public BrowserSession waitUntilReady() {
        return waitUntilReady(DEFAULT_TIMEOUT);
    }

    /**
     * Polls {@code GET /v1/devices/{id}/browser} until the session is ready (first poll at once, then every
     * 100 ms for 5 s, then backing off to 2 s), filling in {@link #egressIp()} and {@link #fingerprint()}.
     *
     * @throws SessionExpiredException the session is gone (the poll answered 404, or the device now has another session) or expiring
     * @throws AimlibException the session failed
     * @throws SessionTimeoutException it was not ready within {@code timeout}
     */
    public BrowserSession waitUntilReady(Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        Duration pause = FAST_POLL;
        while (true) {
            Transport.Answer a = transport.exchange("GET", URI.create(transport.base() + "/v1/devices/" + device.id() + "/browser"),
                    authorization(), null);
            if (a.status() == 404) {
                status = "gone";
                throw new SessionExpiredException("session " + id() + " not found: expired or stopped", 404,
                        Errors.code(Transport.MAPPER, a.body()));
            }
            if (!a.ok()) {
                throw Errors.from(Transport.MAPPER, a.status(), a.body());
            }
            BrowserSessionBody b = read(a.body());
            if (!created.sessionId().equals(b.sessionId())) {
                status = "gone";
                throw new SessionExpiredException("session " + id() + " was replaced by session " + b.sessionId() + " on its device");
            }
            status = b.status();
            expiresAt = b.expiresAt();
            if (READY.contains(b.status())) {
                egressIp = b.egressIp();
                fingerprint = b.resolvedProfile() == null ? Map.of() : Map.copyOf(b.resolvedProfile());
                return this;
            }
            if (DEAD.contains(b.status())) {
                throw new AimlibException("session " + id() + " is " + b.status());
            }
            if ("expiring".equals(b.status())) {
                throw new SessionExpiredException("session " + id() + " is expiring");
            }
            long now = System.nanoTime();
            if (now >= deadline) {
                throw new SessionTimeoutException("session " + id() + " not ready within " + timeout + " (status " + b.status() + ")");
            }
            if (now - start > FAST_PHASE.toNanos()) {
                pause = pause.multipliedBy(3).dividedBy(2);
                pause = pause.compareTo(SLOW_POLL) > 0 ? SLOW_POLL : pause;
            }
            Transport.sleep(Duration.ofNanos(Math.min(pause.toNanos(), deadline - now)));
        }
    }

    /** {@link #connect(Duration)} with the documented 180 s. */
    public Browser connect() {
        return connect(DEFAULT_TIMEOUT);
    }

    /**
     * Waits until ready, then connects Playwright over the relay (HTTP discovery URL, connect token as bearer)
     * and returns the live browser; the same browser on later calls.
     *
     * @throws SessionExpiredException as {@link #waitUntilReady(Duration)}, or the relay answers {@code session_expired}
     * @throws SessionTimeoutException not ready, or the relay still provisioning, within {@code timeout}
     * @throws LeaseInactiveException the relay answers {@code lease_inactive}
     * @throws AimlibException the session failed, or any other refusal or connect failure
     */
    public Browser connect(Duration timeout) {
        lock.lock();
        try {
            if (stopped) {
                throw new SessionExpiredException("session " + id() + " was stopped");
            }
            if (cdp != null) {
                return cdp.browser();
            }
            long deadline = System.nanoTime() + timeout.toNanos();
            waitUntilReady(timeout);
            awaitRelay(deadline, timeout);
            cdp = CdpConnection.open(discoveryUrl(), connectToken(), Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            return cdp.browser();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Asks the relay's discovery endpoint once before Playwright does, so that its refusals become the typed
     * exceptions (Playwright would only report a failed connect): 425 {@code session_provisioning} and 503
     * {@code host_unavailable} are waited out, honouring {@code Retry-After}, until the deadline.
     */
    private void awaitRelay(long deadline, Duration timeout) {
        URI version = URI.create(discoveryUrl() + "/json/version");
        while (true) {
            Transport.Answer a = transport.exchange("GET", version, "Bearer " + connectToken(), null);
            if (a.ok()) {
                return;
            }
            String code = Errors.code(Transport.MAPPER, a.body());
            boolean transient_ = ErrorCode.SESSION_PROVISIONING.wire().equals(code) || ErrorCode.HOST_UNAVAILABLE.wire().equals(code);
            long left = deadline - System.nanoTime();
            if (!transient_) {
                throw Errors.from(Transport.MAPPER, a.status(), a.body());
            }
            if (left <= 0) {
                throw new SessionTimeoutException("session " + id() + " not connectable within " + timeout + " (" + code + ")",
                        a.status(), code);
            }
            Duration wait = a.retryAfter().isPresent() ? transport.delay(a, 0) : FAST_POLL;
            Transport.sleep(Duration.ofNanos(Math.min(wait.toNanos(), left)));
        }
    }

    /**
     * Opens a tab, connecting first if needed: the browser's initial tab on the first call, then new tabs up
     * to {@link #maxTabs()} open at once. A closed page frees its slot.
     *
     * @throws TabLimitException another tab would exceed {@link #maxTabs()}
     */
    public Page newPage() {
        lock.lock();
        try {
            connect();
            return cdp.newPage(maxTabs());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the session, best effort: disconnects Playwright and stops it, then {@code DELETE}s the session on
     * its device (only while the device's session is still this one). Errors are swallowed; idempotent.
     */
    public void stop() {
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            stopped = true;
            if (cdp != null) {
                cdp.close();
                cdp = null;
            }
            try {
                String path = "/v1/devices/" + device.id() + "/browser";
                Transport.Answer a = transport.exchange("GET", URI.create(transport.base() + path), authorization(), null);
                if (a.ok() && created.sessionId().equals(read(a.body()).sessionId())) {
                    transport.exchange("DELETE", URI.create(transport.base() + path), authorization(), null);
                    status = "expiring";
                }
            } catch (RuntimeException ignored) {
                // best effort, as documented: the session expires on its own at its TTL or idle timeout
            }
        } finally {
            lock.unlock();
        }
    }

    void persistOnStop(boolean persist, String contextName) {
        this.persist = persist;
        this.contextName = contextName;
    }

    /** The context this session's state was saved into by a persisting stop; null before. */
    public String contextId() {
        return contextId;
    }

    /**
     * Saves the running session's cookies and storage now ({@code POST /v1/sessions/{id}/context}) into a new
     * context named {@code name} (null: into the context it started from, or a new one).
     */
    public Context saveContext(String name) {
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        if (name != null) {
            body.put("name", name);
        }
        return new Context(transport.call("POST", "/v1/sessions/" + id() + "/context", body, Contexts.ONE));
    }

    /**
     * Stops the session and saves its state first ({@code DELETE} with {@code persist}); unlike {@link #stop()} it
     * throws when the save fails ({@code context_too_large} …). Returns the saved context's id.
     */
    public String stopAndPersist(String contextName) {
        lock.lock();
        try {
            if (stopped) {
                throw new AimlibException("session " + id() + " is already stopped");
            }
            stopped = true;
            if (cdp != null) {
                cdp.close();
                cdp = null;
            }
            java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("persist", true);
            if (contextName != null) {
                body.put("context_name", contextName);
            }
            com.aimlib.protocol.PersistedStopBody r = transport.call("DELETE", "/v1/devices/" + device.id() + "/browser", body,
                    new com.fasterxml.jackson.core.type.TypeReference<com.aimlib.protocol.PersistedStopBody>() {
                    });
            status = "expiring";
            contextId = r.contextId().toString();
            return contextId;
        } finally {
            lock.unlock();
        }
    }


    /**
     * The session's open tabs with their live-view and inspector links (an extension, {@code GET /v1/sessions/{id}/pages}).
     * The interactive and inspector links are null unless the API key holds {@code sessions.write}.
     */
    public java.util.List<SessionPagesBody.Page> pages() {
        return transport.call("GET", "/v1/sessions/" + id() + "/pages", null, PAGES).pages();
    }

    /**
     * A signed live-view link of the session's first tab, to open in any browser: read-only, or ({@code interactive})
     * one a person can click and type into. Links expire after 15 minutes.
     */
    public String liveViewUrl(boolean interactive) {
        java.util.List<SessionPagesBody.Page> pages = pages();
        if (pages.isEmpty()) {
            throw new AimlibException("the session has no open tab");
        }
        String url = interactive ? pages.get(0).interactiveLiveViewUrl() : pages.get(0).liveViewUrl();
        if (url == null) {
            throw new AimlibException("an interactive live view needs an API key with the sessions.write scope");
        }
        return url;
    }

    /** The session's recording (an extension): its files and their download. */
    public SessionRecording recording() {
        return new SessionRecording(transport, id());
    }

    /** {@link #stop()}, or {@link #stopAndPersist} when the session was created with {@code persist(true)}. */
    @Override
    public void close() {
        if (persist && !stopped) {
            stopAndPersist(contextName);
            return;
        }
        stop();
    }

    private String authorization() {
        return transport.authorization();
    }

    private static BrowserSessionBody read(String body) {
        try {
            return Transport.MAPPER.readValue(body, BrowserSessionBody.class);
        } catch (JsonProcessingException e) {
            throw new AimlibException("unreadable session answer", e);
        }
    }

    @Override
    public String toString() {
        return "BrowserSession[id=" + id() + ", device=" + device.id() + ", status=" + status + ", connectUrl=" + connectUrl()
                + ", maxTabs=" + maxTabs() + ", egressIp=" + egressIp + "]";
    }
}
