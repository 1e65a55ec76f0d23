package com.aimlib.protocol.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A saved browser context: every cookie of the browser (from CDP {@code Storage.getCookies}, so session cookies too,
 * which Chromium never writes to disk) and the profile's origin storage directories as Chromium left them after a
 * clean shutdown ({@code Local Storage}, {@code IndexedDB}, {@code Service Worker} with its CacheStorage and script
 * cache, {@code WebStorage}, the quota database naming their buckets). One zip: {@code cookies.json} plus
 * {@code Default/<part>/…}. Restored by writing the directories into a fresh user-data-dir before Chromium starts
 * and setting the cookies over CDP before the session is ready.
 */
public final class SavedState {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** The profile directories that hold origin storage (Chromium 156's layout, checked by hand and by ContextsTest). */
    static final List<String> PARTS = List.of("Local Storage", "IndexedDB", "Service Worker", "WebStorage");
    static final String COOKIES = "cookies.json";
    /** What a restore accepts: the zip was written by {@link #capture}, but it is read as strictly as an upload. */
    private static final SafeZip.Limits LIMITS = new SafeZip.Limits(100_000, 1L << 31, 1L << 30);

    private SavedState() {
    }

    /** The saved state would be larger than the cap; nothing was kept. */
    public static final class TooLarge extends IOException {
        public TooLarge(long max) {
            super("the saved context exceeds " + max + " bytes");
        }
    }

    /** Packs the cookies and the profile's storage directories; stops with {@link TooLarge} past {@code maxBytes}. */
    public static byte[] capture(Path userDataDir, JsonNode cookies, long maxBytes) throws IOException {
        Bounded out = new Bounded(maxBytes);
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry(COOKIES));
            zip.write(MAPPER.writeValueAsBytes(cookies == null ? MAPPER.createArrayNode() : cookies));
            zip.closeEntry();
            Path profile = userDataDir.resolve("Default");
            for (String part : PARTS) {
                Path dir = profile.resolve(part);
                if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                List<Path> files;
                try (Stream<Path> walk = Files.walk(dir)) {
                    files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                            .filter(p -> !p.getFileName().toString().equals("LOCK")).sorted().toList();
                }
                for (Path f : files) {
                    byte[] data;
                    try {
                        data = Files.readAllBytes(f);
                    } catch (java.nio.file.NoSuchFileException gone) {
                        continue; // a live browser removed it (a compacted log) between the walk and the read
                    }
                    zip.putNextEntry(new ZipEntry("Default/" + userDataDir.resolve("Default").relativize(f).toString().replace('\\', '/')));
                    zip.write(data);
                    zip.closeEntry();
                }
            }
        }
        return out.bytes();
    }

    /**
     * Writes the saved storage into {@code userDataDir} (before the browser's first start) and returns the cookies to
     * set over CDP. Only {@code cookies.json} and the known storage directories are accepted.
     */
    public static ArrayNode restore(byte[] state, Path userDataDir) throws IOException {
        Map<String, byte[]> files = SafeZip.read(state, LIMITS);
        byte[] cookies = files.remove(COOKIES);
        for (String name : files.keySet()) {
            boolean known = PARTS.stream().anyMatch(p -> name.startsWith("Default/" + p + "/"));
            if (!known) {
                throw new SafeZip.Refused("saved context holds an unexpected entry");
            }
        }
        SafeZip.unpack(files, userDataDir);
        JsonNode c = cookies == null ? MAPPER.createArrayNode() : MAPPER.readTree(new String(cookies, StandardCharsets.UTF_8));
        return c.isArray() ? (ArrayNode) c : MAPPER.createArrayNode();
    }

    /** {@code Storage.getCookies} entries as {@code Storage.setCookies} parameters (session cookies stay session cookies). */
    public static ArrayNode cookieParams(JsonNode cookies) {
        ArrayNode out = MAPPER.createArrayNode();
        for (JsonNode c : cookies) {
            ObjectNode p = out.addObject();
            for (String f : List.of("name", "value", "domain", "path", "secure", "httpOnly", "sameSite", "priority", "sourceScheme",
                    "sourcePort", "partitionKey")) {
                if (c.has(f) && !c.get(f).isNull()) {
                    p.set(f, c.get(f));
                }
            }
            if (!c.path("session").asBoolean(false) && c.has("expires") && c.get("expires").asDouble() > 0) {
                p.set("expires", c.get("expires"));
            }
        }
        return out;
    }

    /** Collects the zip in memory, refusing to grow past the cap. */
    private static final class Bounded extends OutputStream {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final long max;

        Bounded(long max) {
            this.max = max;
        }

        @Override
        public void write(int b) throws IOException {
            check(1);
            buf.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            check(len);
            buf.write(b, off, len);
        }

        private void check(int n) throws TooLarge {
            if (buf.size() + (long) n > max) {
                throw new TooLarge(max);
            }
        }

        byte[] bytes() {
            return buf.toByteArray();
        }
    }
}
