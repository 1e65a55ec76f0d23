package com.aimlib.gateway.proxy;

import com.aimlib.gateway.auth.LoginThrottle;
import com.aimlib.store.Secrets;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may use the proxy front: resolves credentials to a lease and its device (database on a virtual
 * thread, then a short in-memory cache), admits connections against lease state and the device's
 * budget, ends leases, and writes usage back. The registry of open connections per lease and per
 * device lives here so lease end and a spent cap can close them.
 */
final class ProxyAccess implements LeaseEndListener {
    private static final Logger log = LoggerFactory.getLogger(ProxyAccess.class);
    /** Cached logins are re-read after this long, so a changed password or disabled proxy is seen soon. */
    static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long ENDED_KEEP_NANOS = TimeUnit.SECONDS.toNanos(60);
    static final int MAX_CREDENTIAL_LENGTH = 255;

    private final ProxyStore store;
    private final Clock clock;
    private final Executor blocking;
    private final Map<String, CachedLogin> logins = new ConcurrentHashMap<>();
    private final Map<UUID, LeaseState> leases = new ConcurrentHashMap<>();
    /** Browser sessions' bridge credentials in use here (issue 12), by session: each ends with its session or its lease. */
    private final Map<UUID, LeaseState> bridges = new ConcurrentHashMap<>();
    private final Map<UUID, Long> endedAt = new ConcurrentHashMap<>();
    private final Map<UUID, DeviceBudget> budgets = new ConcurrentHashMap<>();

    private final LoginThrottle throttle;

    ProxyAccess(ProxyStore store, Clock clock, Executor blocking) {
        this(store, clock, blocking, new LoginThrottle(LoginThrottle.Settings.defaults()));
    }

    ProxyAccess(ProxyStore store, Clock clock, Executor blocking, LoginThrottle throttle) {
        this.store = store;
        this.clock = clock;
        this.blocking = blocking;
        this.throttle = throttle;
    }

    private record CachedLogin(byte[] passwordHash, LeaseState lease, DeviceBudget budget, long expiresAt) {
    }

    /** The outcome of checking credentials: a lease and its device budget, or a refusal. */
    record Grant(LeaseState lease, DeviceBudget budget, Refusal refusal) {
        static Grant refused(Refusal r) {
            return new Grant(null, null, r);
        }
    }

    /**
     * Checks credentials from {@code source} under the guessing back-off ({@link LoginThrottle}: delays
     * are scheduled on {@code loop}). Completes at once from the cache (safe on an event loop); a miss
     * goes to the database on a virtual thread. Never completes exceptionally.
     */
    CompletableFuture<Grant> authenticate(String username, String password, InetAddress source, ScheduledExecutorService loop) {
        String user = username != null && plausibleUsername(username) ? username : null;
        return throttle.guard(loop, source, user, () -> authenticate(username, password),
                g -> g.refusal() == Refusal.BAD_CREDENTIALS, Grant.refused(Refusal.BAD_CREDENTIALS)).whenComplete((g, e) -> {
                    if (g != null && g.refusal() == Refusal.BAD_CREDENTIALS) {
                        // The client's address (behind a balancer: from its PROXY header), for an operator's fail2ban or
                        // firewall; never the username or password.
                        log.info("event=proxy_login_failed source={}", source == null ? null : source.getHostAddress());
                    }
                });
    }

    /** The check itself, without back-off. */
    CompletableFuture<Grant> authenticate(String username, String password) {
        if (username == null || password == null || !plausibleUsername(username) || password.length() > MAX_CREDENTIAL_LENGTH) {
            return CompletableFuture.completedFuture(Grant.refused(Refusal.BAD_CREDENTIALS));
        }
        byte[] offered = sha256(password);
        CachedLogin cached = logins.get(username);
        // Only the right password is answered from the cache. A wrong one takes the same path as an unknown
        // username (query, decryption, digest comparison), so the answer time does not tell them apart.
        if (cached != null && System.nanoTime() - cached.expiresAt < 0 && !cached.lease.ended()
                && MessageDigest.isEqual(offered, cached.passwordHash)) {
            return CompletableFuture.completedFuture(new Grant(cached.lease, cached.budget, null));
        }
        return CompletableFuture.supplyAsync(() -> lookUp(username, offered), blocking)
                .exceptionally(e -> {
                    // The exception text may quote bound values; the class name is enough here.
                    log.warn("proxy credential lookup failed error={}", rootCause(e).getClass().getName());
                    return Grant.refused(Refusal.CHECK_FAILED);
                });
    }

    /** Usernames we mint are short and alphanumeric; anything else is refused without a query. */
    static boolean plausibleUsername(String u) {
        if (u.isEmpty() || u.length() > 64) {
            return false;
        }
        for (int i = 0; i < u.length(); i++) {
            char c = u.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private Grant lookUp(String username, byte[] offered) {
        if (username.startsWith(com.aimlib.protocol.host.HostApi.BRIDGE_USER_PREFIX)) {
            return lookUpBridge(username, offered);
        }
        Optional<ProxyStore.Login> found = store.login(username, clock.instant());
        // An unknown username is compared with a decoy, so it costs what a wrong password costs.
        byte[] actual = found.map(ProxyStore.Login::passwordHash).orElse(DECOY_HASH);
        boolean same = MessageDigest.isEqual(offered, actual);
        if (found.isEmpty()) {
            logins.remove(username);
            return Grant.refused(Refusal.BAD_CREDENTIALS);
        }
        ProxyStore.Login login = found.get();
        if (!same) {
            return Grant.refused(Refusal.BAD_CREDENTIALS);
        }
        if (!login.usable()) {
            logins.remove(username);
            leaseEnded(login.leaseId());
            return Grant.refused(Refusal.LEASE_INACTIVE);
        }
        LeaseState lease = leases.computeIfAbsent(login.leaseId(), id -> new LeaseState(id, login.deviceId()));
        if (lease.ended()) {
            // The database says usable again: the customer was reactivated after a suspension ended it here.
            lease.reopen();
            endedAt.remove(lease.leaseId);
        }
        DeviceBudget budget = budget(login.deviceId());
        logins.put(username, new CachedLogin(actual, lease, budget, System.nanoTime() + CACHE_NANOS));
        return new Grant(lease, budget, null);
    }

    /**
     * A browser session's bridge credential (issue 12): its own connection registry, so the session's end closes its
     * bridge's connections and nothing of the customer's own; bytes still count against the lease and device.
     */
    private Grant lookUpBridge(String username, byte[] offered) {
        Optional<ProxyStore.Login> found = store.bridgeLogin(username, clock.instant());
        byte[] actual = found.map(ProxyStore.Login::passwordHash).orElse(DECOY_HASH);
        boolean same = MessageDigest.isEqual(offered, actual);
        if (found.isEmpty() || !same) {
            logins.remove(username);
            return Grant.refused(Refusal.BAD_CREDENTIALS);
        }
        ProxyStore.Login login = found.get();
        if (!login.usable()) {
            logins.remove(username);
            bridgeEnded(login.sessionId());
            return Grant.refused(Refusal.LEASE_INACTIVE);
        }
        LeaseState bridge = bridges.computeIfAbsent(login.sessionId(), id -> new LeaseState(login.leaseId(), login.deviceId(), id));
        if (bridge.ended()) {
            return Grant.refused(Refusal.LEASE_INACTIVE); // a session never comes back
        }
        DeviceBudget budget = budget(login.deviceId());
        logins.put(username, new CachedLogin(actual, bridge, budget, System.nanoTime() + CACHE_NANOS));
        return new Grant(bridge, budget, null);
    }

    /** The session's bridge credential stops working here and its open connections close (its session ended). */
    void bridgeEnded(UUID sessionId) {
        LeaseState b = sessionId == null ? null : bridges.get(sessionId);
        if (b == null || b.ended()) {
            return;
        }
        b.end();
        endedAt.put(sessionId, System.nanoTime());
        ProxiedConnection.closeAllOf(b);
        logins.values().removeIf(c -> c.lease == b);
        log.info("session bridge credential ended session={} closed={}", sessionId, b.connections.size());
    }

    private DeviceBudget budget(UUID deviceId) {
        DeviceBudget known = budgets.get(deviceId);
        if (known != null) {
            return known;
        }
        LocalDate month = month();
        ProxyStore.Budget b = store.budgets(List.of(deviceId), month).get(deviceId);
        DeviceBudget fresh = new DeviceBudget(deviceId, b == null ? null : b.capBytes(), b == null ? 0 : b.usedBytes(), month);
        DeviceBudget raced = budgets.putIfAbsent(deviceId, fresh);
        return raced == null ? fresh : raced;
    }

    /**
     * Registers {@code c} with its lease and device, then checks they still admit traffic (register
     * first, so a lease end or a spent cap racing with us always sees or closes the connection).
     * Returns null when admitted.
     */
    Refusal admit(ProxiedConnection c) {
        c.lease.connections.add(c);
        c.budget.connections.add(c);
        c.client.closeFuture().addListener(f -> {
            c.lease.connections.remove(c);
            c.budget.connections.remove(c);
        });
        if (c.lease.ended()) {
            return Refusal.LEASE_INACTIVE;
        }
        if (c.budget.spent()) {
            return Refusal.CAP_REACHED;
        }
        return null;
    }

    @Override
    public void leaseEnded(UUID leaseId) {
        for (LeaseState b : bridges.values()) {
            if (b.leaseId.equals(leaseId)) {
                bridgeEnded(b.sessionId);
            }
        }
        LeaseState lease = leases.get(leaseId);
        if (lease == null || lease.ended()) {
            return;
        }
        lease.end();
        endedAt.put(leaseId, System.nanoTime());
        ProxiedConnection.closeAllOf(lease);
        log.info("proxy lease ended lease={} closed={}", leaseId, lease.connections.size());
    }

    /**
     * A customer's status changed. Suspension: each of its leases this gateway knows is ended here at once
     * (credentials refused, open connections closed). Reactivation needs nothing: the next login finds the
     * lease usable in the database and reopens it.
     */
    void customerStatusChanged(UUID customerId) {
        List<UUID> known = new ArrayList<>();
        for (UUID id : store.leasesOf(customerId)) {
            LeaseState l = leases.get(id);
            boolean bridged = bridges.values().stream().anyMatch(b -> b.leaseId.equals(id) && !b.ended());
            if (l != null && !l.ended() || bridged) {
                known.add(id);
            }
        }
        Set<UUID> usable = store.usableLeases(known, clock.instant());
        for (UUID id : known) {
            if (!usable.contains(id)) {
                leaseEnded(id);
            }
        }
        logins.values().removeIf(c -> c.lease.ended());
    }

    /** A device's cap changed: reload it now instead of at the next flush; a cap now below usage finishes its connections. */
    void deviceCapChanged(UUID deviceId) {
        DeviceBudget b = budgets.get(deviceId);
        if (b == null) {
            return;
        }
        LocalDate month = month();
        ProxyStore.Budget f = store.budgets(List.of(deviceId), month).get(deviceId);
        if (f != null) {
            b.refresh(f.capBytes(), f.usedBytes(), month);
            if (b.spent()) {
                ProxiedConnection.finishAllOf(b);
            }
        }
    }

    /** The safety net for lease ends we were not told about (other replicas, expiry by time): one query. */
    void pollLeases() {
        List<UUID> liveBridges = new ArrayList<>();
        for (LeaseState b : bridges.values()) {
            if (!b.ended()) {
                liveBridges.add(b.sessionId);
            }
        }
        Set<UUID> usableBridges = store.usableBridges(liveBridges, clock.instant());
        for (UUID id : liveBridges) {
            if (!usableBridges.contains(id)) {
                bridgeEnded(id);
            }
        }
        List<UUID> live = new ArrayList<>();
        for (LeaseState l : leases.values()) {
            if (!l.ended()) {
                live.add(l.leaseId);
            }
        }
        Set<UUID> usable = store.usableLeases(live, clock.instant());
        for (UUID id : live) {
            if (!usable.contains(id)) {
                leaseEnded(id);
            }
        }
        long now = System.nanoTime();
        endedAt.forEach((id, at) -> {
            LeaseState l = leases.get(id);
            if (l == null) {
                l = bridges.get(id);
            }
            if (now - at > ENDED_KEEP_NANOS && l != null && l.connections.isEmpty()
                    && l.pendingUp.sum() == 0 && l.pendingDown.sum() == 0) {
                leases.remove(id, l);
                bridges.remove(id, l);
                endedAt.remove(id);
            }
        });
        logins.values().removeIf(c -> c.lease.ended() || now - c.expiresAt > 0);
    }

    /** Writes unflushed bytes to device_usage and leases, then reloads caps and usage into the budgets. */
    void flushUsage() {
        LocalDate month = month();
        List<ProxyStore.Delta> deviceDeltas = new ArrayList<>();
        List<ProxyStore.Delta> leaseDeltas = new ArrayList<>();
        for (DeviceBudget b : budgets.values()) {
            long up = b.pendingUp.sumThenReset();
            long down = b.pendingDown.sumThenReset();
            if (up != 0 || down != 0) {
                deviceDeltas.add(new ProxyStore.Delta(b.deviceId, up, down));
            }
        }
        for (LeaseState l : (Iterable<LeaseState>) java.util.stream.Stream.concat(leases.values().stream(), bridges.values().stream())::iterator) {
            long up = l.pendingUp.sumThenReset();
            long down = l.pendingDown.sumThenReset();
            if (up != 0 || down != 0) {
                leaseDeltas.add(new ProxyStore.Delta(l.leaseId, up, down));
            }
        }
        try {
            store.addUsage(deviceDeltas, month, leaseDeltas);
        } catch (RuntimeException e) {
            // Put the bytes back so the next flush writes them.
            for (ProxyStore.Delta d : deviceDeltas) {
                DeviceBudget b = budgets.get(d.id());
                b.pendingUp.add(d.up());
                b.pendingDown.add(d.down());
            }
            for (ProxyStore.Delta d : leaseDeltas) {
                LeaseState l = leases.get(d.id());
                if (l == null) {
                    l = bridges.values().stream().filter(b -> b.leaseId.equals(d.id())).findFirst().orElse(null);
                }
                if (l != null) {
                    l.pendingUp.add(d.up());
                    l.pendingDown.add(d.down());
                }
            }
            throw e;
        }
        if (budgets.isEmpty()) {
            return;
        }
        Map<UUID, ProxyStore.Budget> fresh = store.budgets(budgets.keySet(), month);
        for (DeviceBudget b : budgets.values()) {
            ProxyStore.Budget f = fresh.get(b.deviceId);
            if (f != null) {
                b.refresh(f.capBytes(), f.usedBytes(), month);
                if (b.spent()) {
                    ProxiedConnection.finishAllOf(b);
                }
            }
        }
    }

    /** The budget of a device known to this gateway, if any (tests and metrics). */
    DeviceBudget knownBudget(UUID deviceId) {
        return budgets.get(deviceId);
    }

    int openConnections(UUID leaseId) {
        LeaseState l = leases.get(leaseId);
        return l == null ? 0 : l.connections.size();
    }

    private LocalDate month() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).withDayOfMonth(1);
    }

    private static final byte[] DECOY_HASH = sha256(Secrets.randomAlphanumeric(24));

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
