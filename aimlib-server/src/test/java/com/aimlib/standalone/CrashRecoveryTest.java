package com.aimlib.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.store.EmbeddedDatabase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code aimlib standalone --demo} killed as a bad day would: SIGKILL of the JVM mid-session, then the JVM and
 * its PostgreSQL together (power loss). Each restart on the same data dir serves within 15 s, leaves nothing of
 * the old run alive, fails the old session, and still has every ticket it answered 201 for. The two kills run
 * over one data dir, one after the other, to keep the JVM and database starts few.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CrashRecoveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RESTART_BUDGET = Duration.ofSeconds(15);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int REST_PORT = com.aimlib.testing.Ports.free(1)[0];
    private static Path data;
    private static StandaloneProcessTest.Started current;

    @BeforeAll
    static void dataDir() throws IOException {
        data = Files.createTempDirectory("aimlib-crash");
    }

    @AfterAll
    static void stop() throws Exception {
        if (current != null && current.process().isAlive()) {
            StandaloneProcessTest.stop(current);
            assertThat(stillAlive(referencing(data))).as("a clean stop leaves nothing running").isEmpty();
        }
        try (Stream<Path> all = Files.walk(data)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Test
    @Order(1)
    void sigkillMidSessionRestartsWithin15sWithoutOrphansAndFailsTheOldSession() throws Exception {
        StandaloneProcessTest.Started first = startOrReuse();
        String device = demoDevice(first);
        List<String> acked = postTickets(first, 20);
        String oldSession = createSessionAndAwaitReady(first, device);
        Map<Long, Instant> oldRun = referencing(data);
        assertThat(oldRun.values()).as("the old run's postgres and browser reference its data dir").hasSizeGreaterThanOrEqualTo(3);

        killNow(List.of(first.process().pid()));
        assertThat(first.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(first.process().exitValue()).as("SIGKILL").isEqualTo(128 + 9);

        StandaloneProcessTest.Started second = restartWithinBudget();
        assertThat(stillAlive(oldRun)).as("nothing of the killed run is left").isEmpty();
        assertThat(sessionRow(oldSession)).isEqualTo("failed: host restarted");
        HttpResponse<String> now = call(second, "GET", "/v1/devices/" + device + "/browser", null);
        if (now.statusCode() == 200) {
            assertThat(JSON.readTree(now.body()).path("session_id").asText()).isNotEqualTo(oldSession);
        } else {
            assertThat(now.statusCode()).isEqualTo(404);
        }
        createSessionAndAwaitReady(second, device);
        assertThat(ticketIds(second)).containsAll(acked);
    }

    @Test
    @Order(2)
    void powerLossOfJvmAndDatabaseTogetherLosesNoAcknowledgedTicket() throws Exception {
        StandaloneProcessTest.Started running = startOrReuse();
        Set<String> acked = ConcurrentHashMap.newKeySet();
        Set<String> refused = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            writers.add(Thread.ofVirtual().start(() -> {
                while (!stop.get()) {
                    try {
                        HttpResponse<String> r = call(running, "POST", "/v1/tickets", "{\"subject\":\"power\",\"body\":\"loss\"}");
                        if (r.statusCode() == 201) {
                            acked.add(JSON.readTree(r.body()).get("id").asText());
                        } else {
                            refused.add(r.statusCode() + " " + r.body());
                        }
                    } catch (IOException | InterruptedException e) {
                        return; // the server died under us: nothing acknowledged here
                    } catch (RuntimeException e) {
                        refused.add(e.toString());
                        return;
                    }
                }
            }));
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (acked.size() < 100 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        long postmaster = Long.parseLong(Files.readAllLines(data.resolve("pg/postmaster.pid")).getFirst().trim());
        List<Long> victims = new ArrayList<>(List.of(running.process().pid(), postmaster));
        ProcessHandle.of(postmaster).orElseThrow().descendants().forEach(p -> victims.add(p.pid()));
        Map<Long, Instant> oldRun = referencing(data);
        killNow(victims);
        stop.set(true);
        for (Thread t : writers) {
            t.join(10_000);
        }
        assertThat(acked).as("tickets acknowledged before the kill; refusals %s", refused).hasSizeGreaterThanOrEqualTo(50);
        assertThat(running.process().waitFor(10, TimeUnit.SECONDS)).isTrue();

        StandaloneProcessTest.Started again = restartWithinBudget();
        assertThat(stillAlive(oldRun)).as("nothing of the killed run is left").isEmpty();
        assertThat(ticketIds(again)).containsAll(acked);
    }

    private static StandaloneProcessTest.Started startOrReuse() throws Exception {
        if (current == null || !current.process().isAlive()) {
            current = StandaloneProcessTest.awaitUp(StandaloneProcessTest.launch(data, REST_PORT, stderr()));
        }
        return current;
    }

    /**
     * Starts on the same data dir and proves it serves /healthz and /v1 (the demo key, so the database) within the
     * budget, timed from the process start; the demo's browser host and agent may still be coming up.
     */
    private static StandaloneProcessTest.Started restartWithinBudget() throws Exception {
        long t0 = System.nanoTime();
        Process p = StandaloneProcessTest.launch(data, REST_PORT, stderr());
        String key = current.exports().get("AIMLIB_API_KEY");
        Duration took = null;
        while (took == null && System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60) && p.isAlive()) {
            if (status("/healthz", null) == 200 && status("/v1/devices", key) == 200) {
                took = Duration.ofNanos(System.nanoTime() - t0);
            } else {
                Thread.sleep(50);
            }
        }
        current = StandaloneProcessTest.awaitUp(p);
        assertThat(took).as("restart to /healthz and /v1 after a kill").isNotNull().isLessThan(RESTART_BUDGET);
        return current;
    }

    private static int status(String path, String key) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + REST_PORT + path)).timeout(Duration.ofSeconds(2));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        try {
            return HTTP.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The children's logs, kept in target/ for a failure's post-mortem (the data dir is deleted). */
    private static ProcessBuilder.Redirect stderr() {
        return ProcessBuilder.Redirect.appendTo(Path.of("target", "crash-recovery-" + data.getFileName() + ".log").toFile());
    }

    private static String demoDevice(StandaloneProcessTest.Started s) throws Exception {
        HttpResponse<String> r = call(s, "GET", "/v1/devices", null);
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body()).get(0).get("device_id").asText();
    }

    private static List<String> postTickets(StandaloneProcessTest.Started s, int n) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            HttpResponse<String> r = call(s, "POST", "/v1/tickets", "{\"subject\":\"crash " + i + "\",\"body\":\"before the kill\"}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
            ids.add(JSON.readTree(r.body()).get("id").asText());
        }
        return ids;
    }

    private static String createSessionAndAwaitReady(StandaloneProcessTest.Started s, String device) throws Exception {
        HttpResponse<String> created = call(s, "POST", "/v1/devices/" + device + "/browser", "{}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String id = JSON.readTree(created.body()).get("session_id").asText();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode last = null;
        while (System.nanoTime() < until) {
            HttpResponse<String> r = call(s, "GET", "/v1/devices/" + device + "/browser", null);
            if (r.statusCode() == 200) {
                last = JSON.readTree(r.body());
                if ("ready".equals(last.path("status").asText())) {
                    assertThat(last.path("session_id").asText()).isEqualTo(id);
                    return id;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("session " + id + " not ready; last " + last);
    }

    private static Set<String> ticketIds(StandaloneProcessTest.Started s) throws Exception {
        HttpResponse<String> r = call(s, "GET", "/v1/tickets", null);
        assertThat(r.statusCode()).isEqualTo(200);
        Set<String> ids = new HashSet<>();
        JSON.readTree(r.body()).forEach(t -> ids.add(t.get("id").asText()));
        return ids;
    }

    /** The old session's row, read straight from the embedded database with the generated password. */
    private static String sessionRow(String id) throws Exception {
        String password = Files.readString(data.resolve("pg-password")).trim();
        try (Connection c = DriverManager.getConnection(EmbeddedDatabase.jdbcUrl(data.resolve("pg-run"), 5432, "postgres"), "postgres", password);
             var st = c.prepareStatement("SELECT status, failure_reason FROM browser_sessions WHERE id = ?")) {
            st.setObject(1, java.util.UUID.fromString(id));
            try (var rs = st.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return rs.getString(1) + ": " + rs.getString(2);
            }
        }
    }

    private static HttpResponse<String> call(StandaloneProcessTest.Started s, String method, String path, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.exports().get("AIMLIB_BASE_URL") + path))
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + s.exports().get("AIMLIB_API_KEY"));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static boolean zombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }

    /** SIGKILL to all of {@code pids} in one kill(1): as close to one instant as a test can get. */
    private static void killNow(List<Long> pids) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("kill", "-KILL"));
        pids.forEach(p -> cmd.add(Long.toString(p)));
        assertThat(new ProcessBuilder(cmd).inheritIO().start().waitFor()).isZero();
    }

    /**
     * Processes whose command line names {@code dir} or whose working directory is under it (postgres runs in
     * its data dir), with their start times so a reused pid is not mistaken for a survivor.
     */
    static Map<Long, Instant> referencing(Path dir) throws IOException {
        String needle = dir.toRealPath().toString();
        Map<Long, Instant> out = new HashMap<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                long pid = Long.parseLong(p.getFileName().toString());
                if (pid == ProcessHandle.current().pid()) {
                    continue;
                }
                boolean refers;
                try {
                    String cmdline = Files.readString(p.resolve("cmdline"), StandardCharsets.UTF_8);
                    refers = cmdline.contains(needle) || Files.readSymbolicLink(p.resolve("cwd")).toString().startsWith(needle);
                } catch (IOException | RuntimeException e) {
                    continue; // gone meanwhile, or a kernel thread
                }
                if (refers) {
                    ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).ifPresent(t -> out.put(pid, t));
                }
            }
        }
        return out;
    }

    /**
     * The processes of {@code run} still running (same pid, same start time). A zombie has ended: our PID 1 (the
     * sandbox's init) does not reap orphans, so killed ones stay listed in /proc.
     */
    private static Map<Long, String> stillAlive(Map<Long, Instant> run) {
        Map<Long, String> alive = new HashMap<>();
        run.forEach((pid, start) -> ProcessHandle.of(pid)
                .filter(h -> h.isAlive() && !zombie(pid) && h.info().startInstant().map(start::equals).orElse(false))
                .ifPresent(h -> alive.put(pid, h.info().commandLine().orElse("?"))));
        return alive;
    }
}
