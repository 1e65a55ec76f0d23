package com.aimlib.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a device's health command ({@code sh -c}, e.g. an {@code adb shell dumpsys} wrapper on a farm machine) and
 * reads the JSON object it prints on stdout: {@code signal_dbm} (-200..0), {@code network_type} (e.g. {@code LTE},
 * {@code 5G}; up to 16 printable characters), {@code battery_pct} (0..100), {@code temperature_c} (-50..150). Any
 * field may be missing; a value out of range is dropped and named in {@code probe_error}. Blocking: call on a
 * virtual thread. The command is killed at the timeout; at most 64 KiB of its output is read.
 */
final class HealthProbe {
    static final int MAX_OUTPUT = 64 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    private HealthProbe() {
    }

    /** The fields to report, plus {@code probe_error} when something went wrong. Never throws for a bad command. */
    static Map<String, Object> run(String command, Duration timeout) throws InterruptedException {
        Map<String, Object> out = new LinkedHashMap<>();
        Process process;
        try {
            process = new ProcessBuilder("sh", "-c", command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            out.put("probe_error", "health command could not start");
            return out;
        }
        CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> read(process.getInputStream()),
                r -> Thread.ofVirtual().name("health-probe-out").start(r));
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                out.put("probe_error", "health command timed out after " + timeout.toMillis() + " ms");
                return out;
            }
            if (process.exitValue() != 0) {
                out.put("probe_error", "health command exited with " + process.exitValue());
                return out;
            }
            byte[] bytes = stdout.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            parse(new String(bytes, StandardCharsets.UTF_8), out);
            return out;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            out.put("probe_error", "health command output unreadable");
            return out;
        } finally {
            process.destroyForcibly();
        }
    }

    private static byte[] read(InputStream in) {
        try (in) {
            byte[] b = in.readNBytes(MAX_OUTPUT);
            in.transferTo(OutputStreamSink.INSTANCE);
            return b;
        } catch (IOException e) {
            return new byte[0];
        }
    }

    /** Fills {@code out} from the command's output. */
    static void parse(String text, Map<String, Object> out) {
        JsonNode root;
        try {
            root = JSON.readTree(text.trim());
        } catch (IOException e) {
            root = null;
        }
        if (root == null || !root.isObject()) {
            out.put("probe_error", "health command did not print a JSON object");
            return;
        }
        StringBuilder bad = new StringBuilder();
        number(root, "signal_dbm", -200, 0, true, out, bad);
        number(root, "battery_pct", 0, 100, true, out, bad);
        number(root, "temperature_c", -50, 150, false, out, bad);
        JsonNode type = root.get("network_type");
        if (type != null && !type.isNull()) {
            String t = type.isTextual() ? type.asText().trim() : "";
            if (!t.isEmpty() && t.length() <= 16 && t.chars().allMatch(c -> c > ' ' && c < 127)) {
                out.put("network_type", t);
            } else {
                bad.append(bad.isEmpty() ? "" : ", ").append("network_type");
            }
        }
        if (!bad.isEmpty()) {
            out.put("probe_error", "invalid " + bad);
        }
    }

    private static void number(JsonNode root, String field, double min, double max, boolean integer,
                               Map<String, Object> out, StringBuilder bad) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return;
        }
        if (n.isNumber() && n.asDouble() >= min && n.asDouble() <= max && Double.isFinite(n.asDouble())) {
            out.put(field, integer ? (Object) (int) Math.round(n.asDouble()) : (Object) (Math.round(n.asDouble() * 10) / 10.0));
        } else {
            bad.append(bad.isEmpty() ? "" : ", ").append(field);
        }
    }

    /** Discards what a chatty command prints past the limit, so it never blocks on a full pipe. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
