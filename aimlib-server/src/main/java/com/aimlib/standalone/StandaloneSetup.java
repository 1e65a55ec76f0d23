package com.aimlib.standalone;

import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.api.ProxyEndpoints;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.jdbi.v3.core.Jdbi;

/**
 * What {@code aimlib standalone} puts into a (possibly reused) database before it serves: the
 * operator key and, with {@code --demo}, the demo customer, device, lease and keys. Idempotent: a
 * restart finds the rows it made before and creates no duplicates.
 *
 * <p>Keys are stored hashed. The first operator key is printed once and never again. The demo's keys
 * are printed at its first start and kept in {@code <data-dir>/demo.env} (mode 0600) for later ones; their
 * plaintext is also sealed with the server key ({@link SecretBox}) in {@code settings}, so that file can be
 * rewritten with current URLs at every start.
 */
public final class StandaloneSetup {
    static final String OPERATOR_CREATED = "standalone.operator_key_id";
    static final String DEMO_CUSTOMER_KEY = "demo.customer_key";
    static final String DEMO_OPERATOR_KEY = "demo.operator_key";
    public static final String DEMO_CUSTOMER = "demo";
    public static final String DEMO_DEVICE = "demo-device";

    private final Accounts accounts;
    private final SecretBox box;
    private final Jdbi jdbi;
    private final PrintStream out;

    public StandaloneSetup(Database db, SecretBox box, PrintStream out) {
        this.accounts = new Accounts(db, box);
        this.box = box;
        this.jdbi = db.jdbi();
        this.out = out;
    }

    /** The keys the demo prints; {@code operatorKey} null when it was shown at an earlier start. */
    public record Demo(UUID customerId, UUID deviceId, UUID leaseId, String customerKey, String operatorKey) {
    }

    /**
     * Makes sure an operator key exists. {@code preset} (AIMLIB_OPERATOR_KEY) is registered as is; without
     * it a key is minted on first start and printed once, unless {@code demo}: then the demo's operator key
     * (printed in its export lines at every start) is the one, so a user never holds two.
     */
    public void ensureOperatorKey(String preset, boolean demo) {
        // Replicas started together on one database (a Deployment, the topology test) each check, then insert: one of
        // two crashed on the key's unique index, and two without a preset would each mint a key. One at a time.
        jdbi.useHandle(h -> {
            h.execute("SELECT pg_advisory_lock(?)", OPERATOR_KEY_LOCK);
            try {
                ensureOperatorKeyAlone(preset, demo);
            } finally {
                h.execute("SELECT pg_advisory_unlock(?)", OPERATOR_KEY_LOCK);
            }
        });
    }

    /** Advisory lock key of {@link #ensureOperatorKey} ("aimlib-opkey"). */
    static final long OPERATOR_KEY_LOCK = 0x61696d6c_6f706bL;

    private void ensureOperatorKeyAlone(String preset, boolean demo) {
        if (preset != null && !preset.isBlank()) {
            String key = preset.trim();
            if (key.length() < 16 || key.length() > 256 || key.chars().anyMatch(c -> c <= 32 || c >= 127)) {
                throw new IllegalArgumentException("AIMLIB_OPERATOR_KEY must be 16 to 256 printable characters without spaces");
            }
            Optional<Accounts.ApiKey> existing = accounts.keyByHash(Secrets.hash(key));
            if (existing.isEmpty()) {
                accounts.insertKey("operator", null, "preset", Set.of(), null, key);
                out.println("operator key: registered the one from AIMLIB_OPERATOR_KEY");
            } else if (!"operator".equals(existing.get().kind()) || existing.get().revokedAt() != null) {
                throw new IllegalArgumentException("AIMLIB_OPERATOR_KEY names a key that is revoked or not an operator key");
            }
            setting(OPERATOR_CREATED).ifPresentOrElse(v -> { }, () -> put(OPERATOR_CREATED, "preset"));
            return;
        }
        Optional<String> created = setting(OPERATOR_CREATED);
        if (created.isEmpty() && demo) {
            put(OPERATOR_CREATED, "demo");
            return;
        }
        if (created.isPresent()) {
            if (!(demo && created.get().equals("demo"))) {
                out.println(created.get().equals("demo")
                        ? "operator key: the demo's (start with --demo to see it again); set AIMLIB_OPERATOR_KEY to register another"
                        : "operator key: created at first start (shown then only); set AIMLIB_OPERATOR_KEY to register another");
            }
            return;
        }
        Accounts.MintedKey minted = accounts.mintKey(null, "standalone", Set.of(), null);
        put(OPERATOR_CREATED, minted.key().id().toString());
        out.println("operator key (shown once, stored hashed): " + minted.plaintext());
    }

    /** Creates (or finds) the demo customer, device, lease and keys. */
    public Demo ensureDemo(String presetOperatorKey) {
        Accounts.Customer customer = accounts.customerByName(DEMO_CUSTOMER)
                .orElseGet(() -> accounts.createCustomer(DEMO_CUSTOMER, 5));
        Accounts.Device device = accounts.deviceByName(DEMO_DEVICE)
                .orElseGet(() -> accounts.createDevice(DEMO_DEVICE, "local", "local", 1, null));
        List<Accounts.Lease> active = accounts.leases(null, device.id(), "active");
        Accounts.Lease lease = active.isEmpty()
                ? accounts.createLease(customer.id(), device.id(), null, "socks5")
                : active.get(0);
        String customerKey = sealedKey(DEMO_CUSTOMER_KEY, "customer")
                .orElseGet(() -> mintSealed(DEMO_CUSTOMER_KEY, customer.id()));
        String operatorKey = presetOperatorKey != null && !presetOperatorKey.isBlank() ? presetOperatorKey.trim()
                : sealedKey(DEMO_OPERATOR_KEY, "operator").orElseGet(() -> mintSealed(DEMO_OPERATOR_KEY, null));
        return new Demo(customer.id(), device.id(), lease.id(), customerKey, operatorKey);
    }

    /** The file the demo's export lines are kept in, in the data directory. */
    public static final String DEMO_ENV = "demo.env";

    /**
     * Prints the Quick Start for the demo and keeps its export lines in {@code demoEnv} (mode 0600, rewritten
     * at each start so its URLs are current). The keys and the proxy password are printed only when that file
     * did not hold them yet (the first start, or a key replaced since); later starts print the file's path.
     * {@code originUrl} is the demo origin, the one loopback site its proxy reaches.
     */
    public void printDemo(Demo demo, Gateway gateway, String originUrl, Path demoEnv) throws IOException {
        Optional<Accounts.Proxy> proxy = accounts.proxyForLease(demo.leaseId());
        String base = gateway.baseUrl();
        Map<String, String> exports = new LinkedHashMap<>();
        exports.put("AIMLIB_BASE_URL", base);
        exports.put("AIMLIB_API_KEY", demo.customerKey());
        exports.put("AIMLIB_ADMIN_URL", base);
        exports.put("AIMLIB_OPERATOR_KEY", demo.operatorKey());
        exports.put("AIMLIB_DEMO_ORIGIN", originUrl);
        proxy.ifPresent(p -> exports.put("AIMLIB_DEMO_PROXY", new ProxyEndpoints(gateway.config().publicHost(), gateway::socksPort,
                gateway::httpProxyPort).url(p.protocol(), p.username(), p.password())));
        List<String> lines = exports.entrySet().stream().map(e -> "export " + e.getKey() + "=" + e.getValue()).toList();
        boolean known = Files.exists(demoEnv) && Files.readAllLines(demoEnv).containsAll(
                lines.stream().filter(l -> l.startsWith("export AIMLIB_API_KEY=") || l.startsWith("export AIMLIB_OPERATOR_KEY=")
                        || l.startsWith("export AIMLIB_DEMO_PROXY=")).toList());
        writePrivate(demoEnv, String.join("\n", lines) + "\n");

        out.println();
        if (known) {
            out.println("Demo ready: customer '" + DEMO_CUSTOMER + "' leases device '" + DEMO_DEVICE + "' (region local).");
            out.println("Its keys and proxy password are in " + demoEnv + " (mode 0600; printed at the first start only). Load them:");
            out.println();
            out.println("source " + demoEnv);
        } else {
            out.println("Demo ready: customer '" + DEMO_CUSTOMER + "' leases device '" + DEMO_DEVICE + "' (region local). Paste:");
            out.println();
            lines.forEach(out::println);
            out.println();
            out.println("These are also in " + demoEnv + " (mode 0600); later starts print only that path.");
        }
        out.println();
        out.println("Then try:");
        out.println("  curl -s -H \"Authorization: Bearer $AIMLIB_API_KEY\" \"$AIMLIB_BASE_URL/v1/devices\"");
        if (proxy.isPresent()) {
            out.println("  curl -s -x \"$AIMLIB_DEMO_PROXY\" \"$AIMLIB_DEMO_ORIGIN/\"");
        }
        out.println("  curl -s -H \"Authorization: Bearer $AIMLIB_API_KEY\" -d '{\"subject\":\"hello\",\"body\":\"first ticket\"}' \"$AIMLIB_BASE_URL/v1/tickets\"");
        out.println("  ./aimlib admin customers list");
        out.println();
        out.flush();
    }

    /** Writes {@code text} to {@code file} with mode 0600 from the first byte on, replacing it atomically. */
    private static void writePrivate(Path file, String text) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private Optional<String> sealedKey(String setting, String kind) {
        return setting(setting).map(v -> box.open(Base64.getDecoder().decode(v)))
                .filter(plain -> accounts.keyByHash(Secrets.hash(plain))
                        .filter(k -> k.kind().equals(kind) && k.revokedAt() == null).isPresent());
    }

    private String mintSealed(String setting, UUID customerId) {
        Accounts.MintedKey minted = accounts.mintKey(customerId, "demo", customerId == null ? Set.of() : Accounts.CUSTOMER_SCOPES, null);
        put(setting, Base64.getEncoder().encodeToString(box.seal(minted.plaintext())));
        return minted.plaintext();
    }

    private Optional<String> setting(String key) {
        return jdbi.withHandle(h -> h.createQuery("SELECT value FROM settings WHERE key = :k").bind("k", key)
                .mapTo(String.class).findOne());
    }

    private void put(String key, String value) {
        jdbi.useHandle(h -> h.createUpdate("""
                        INSERT INTO settings (key, value) VALUES (:k, :v)
                        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value""")
                .bind("k", key).bind("v", value).execute());
    }
}
