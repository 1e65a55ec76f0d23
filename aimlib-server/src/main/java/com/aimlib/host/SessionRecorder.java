package com.aimlib.host;

import com.aimlib.protocol.host.RecordingOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records one session on the host's own browser-level CDP connection (issue 14), never on the customer's: it
 * auto-attaches to every page (without pausing it) and, per what was asked, enables {@code Network} on its own CDP
 * session (HAR), {@code Page} (a PNG screenshot at every main-frame load and of every tab at stop) and
 * {@code Page.startScreencast} (JPEG frames kept on disk, made into an H.264 MP4 by Debian's {@code ffmpeg} at stop).
 * It never enables Runtime, Console or Debugger. Every file counts against {@link RecordingOrder#budgetBytes}: past it
 * frames and screenshots are dropped (the HAR and the video are still written).
 */
final class SessionRecorder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SessionRecorder.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Duration STEP = Duration.ofSeconds(10);
    /** Bounds the HAR kept in memory: a page that fires requests forever cannot grow it without end. */
    static final int MAX_HAR_ENTRIES = 20_000;
    static final String HAR = "recording.har";
    static final String VIDEO = "video.mp4";
    static final String SCREENSHOTS = "screenshots";
    /** Frames waiting for ffmpeg; hidden from listings (dot) and deleted once the video is made. */
    static final String FRAMES = ".frames";
    private static final String SCREENCAST = "{\"format\":\"jpeg\",\"quality\":70,\"maxWidth\":1280,\"maxHeight\":1280,\"everyNthFrame\":1}";

    private final RecordingOrder order;
    private final CdpClient cdp;
    private final Path ffmpeg;
    /** File writes leave the socket thread, in order. */
    private final ExecutorService files = Executors.newSingleThreadExecutor(Thread.ofVirtual().name("recorder").factory());
    private final Set<String> pages = ConcurrentHashMap.newKeySet();
    /** Sessions on the relay's waiting spare tabs (SpareTabMark): not filmed or shot until handed out. */
    private final Set<String> spares = ConcurrentHashMap.newKeySet();
    /** Pages whose screencast sent at least one frame; the others get their screencast started again. */
    private final Set<String> filmed = ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ScheduledExecutorService watchdog =
            Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("recorder-watchdog").factory());
    private final Map<String, ObjectNode> inflight = new ConcurrentHashMap<>();
    private final List<ObjectNode> entries = new ArrayList<>();
    private final List<long[]> frames = new ArrayList<>();
    private final AtomicLong written = new AtomicLong();
    private final AtomicInteger screenshotSeq = new AtomicInteger();
    private volatile boolean overBudget;
    private volatile boolean stopped;

    private SessionRecorder(RecordingOrder order, CdpClient cdp, Path ffmpeg) {
        this.order = order;
        this.cdp = cdp;
        this.ffmpeg = ffmpeg;
    }

    /** Connects to the browser endpoint and starts recording every existing and future page. */
    static SessionRecorder start(URI browser, RecordingOrder order, Path ffmpeg) throws IOException, InterruptedException {
        Files.createDirectories(order.dir());
        if (order.screenshots()) {
            Files.createDirectories(order.dir().resolve(SCREENSHOTS));
        }
        if (order.video()) {
            Files.createDirectories(order.dir().resolve(FRAMES));
        }
        CdpClient cdp = CdpClient.connect(browser, STEP);
        SessionRecorder r = new SessionRecorder(order, cdp, ffmpeg);
        cdp.onEvent(r::event);
        if (order.video()) {
            r.watchdog.scheduleWithFixedDelay(r::restartSilentScreencasts, 2, 2, TimeUnit.SECONDS);
        }
        try {
            cdp.call("Target.setAutoAttach", CdpClient.params().put("autoAttach", true).put("waitForDebuggerOnStart", false)
                    .put("flatten", true), null, STEP);
        } catch (IOException | RuntimeException e) {
            r.close();
            throw e;
        }
        return r;
    }

    private void event(JsonNode e) {
        if (stopped) {
            return;
        }
        String method = e.path("method").asText();
        JsonNode p = e.path("params");
        String session = e.path("sessionId").asText(null);
        switch (method) {
            case "Target.attachedToTarget" -> attached(p);
            case "Target.detachedFromTarget" -> {
                pages.remove(p.path("sessionId").asText());
                spares.remove(p.path("sessionId").asText());
            }
            case "Page.navigatedWithinDocument" -> spareNavigated(session, p.path("url").asText(""));
            case "Page.frameNavigated" -> {
                if (!p.path("frame").has("parentId")) {
                    spareNavigated(session, p.path("frame").path("url").asText(""));
                }
            }
            case "Network.requestWillBeSent" -> request(session, p);
            case "Network.responseReceived" -> response(session, p);
            case "Network.loadingFinished" -> finished(session, p, null);
            case "Network.loadingFailed" -> finished(session, p, p.path("errorText").asText("failed"));
            case "Page.loadEventFired" -> {
                if (session != null && spares.contains(session)) {
                    return;
                }
                if (order.screenshots() && session != null) {
                    screenshot(session, "load");
                }
                if (order.video() && session != null) {
                    // A screencast started on a tab that had not painted yet (just blanked by the egress probe) sometimes
                    // never sends a frame (seen with Chromium 156): starting it again at each load makes it reliable.
                    cdp.send("Page.startScreencast", SCREENCAST, session);
                }
            }
            case "Page.screencastFrame" -> frame(session, p);
            default -> {
            }
        }
    }

    private void attached(JsonNode p) {
        if (!"page".equals(p.path("targetInfo").path("type").asText())) {
            return;
        }
        String session = p.path("sessionId").asText();
        boolean spare = com.aimlib.protocol.host.SpareTabMark.anySpare(p.path("targetInfo").path("url").asText(""));
        if (spare && (order.screenshots() || order.video())) {
            // A relay's waiting spare tab is no tab of the customer's yet: filmed and shot once it is handed out (its URL
            // becomes about:blank in the same document, seen as Page.navigatedWithinDocument).
            spares.add(session);
        } else {
            pages.add(session);
        }
        if (order.har()) {
            // Network on the host's own CDP session: the customer's sessions see nothing of it.
            cdp.send("Network.enable", "{}", session);
        }
        if (order.screenshots() || order.video()) {
            cdp.send("Page.enable", "{}", session);
        }
        if (order.video() && !spare) {
            cdp.send("Page.startScreencast", SCREENCAST, session);
        }
    }

    /** A spare tab's URL changed: once it is no spare's, it is a page of the session like any other. */
    private void spareNavigated(String session, String url) {
        if (session != null && !com.aimlib.protocol.host.SpareTabMark.anySpare(url) && spares.remove(session)) {
            pages.add(session);
            if (order.video()) {
                cdp.send("Page.startScreencast", SCREENCAST, session);
            }
        }
    }

    // ---- HAR ----

    private static String key(String session, JsonNode p) {
        return session + "/" + p.path("requestId").asText();
    }

    private void request(String session, JsonNode p) {
        String k = key(session, p);
        if (p.has("redirectResponse")) {
            ObjectNode prev = inflight.remove(k);
            if (prev != null) {
                respond(prev, p.path("redirectResponse"));
                prev.with("response").put("redirectURL", p.path("request").path("url").asText(""));
                close(prev, p.path("timestamp").asDouble(), null);
            }
        }
        JsonNode rq = p.path("request");
        ObjectNode entry = MAPPER.createObjectNode();
        double wall = p.path("wallTime").asDouble(System.currentTimeMillis() / 1000.0);
        entry.put("startedDateTime", Instant.ofEpochMilli((long) (wall * 1000)).toString());
        entry.put("_ts", p.path("timestamp").asDouble());
        entry.put("pageref", session);
        ObjectNode request = entry.putObject("request");
        String url = rq.path("url").asText("") + rq.path("urlFragment").asText("");
        request.put("method", rq.path("method").asText("GET")).put("url", url).put("httpVersion", "");
        request.set("headers", headers(rq.path("headers")));
        request.set("queryString", query(url));
        request.putArray("cookies");
        request.put("headersSize", -1);
        if (rq.has("postData")) {
            String type = header(rq.path("headers"), "content-type");
            request.putObject("postData").put("mimeType", type == null ? "" : type).put("text", rq.path("postData").asText());
            request.put("bodySize", rq.path("postData").asText().length());
        } else {
            request.put("bodySize", 0);
        }
        entry.put("_resourceType", p.path("type").asText(""));
        inflight.put(k, entry);
    }

    private void response(String session, JsonNode p) {
        ObjectNode entry = inflight.get(key(session, p));
        if (entry != null) {
            respond(entry, p.path("response"));
        }
    }

    private static void respond(ObjectNode entry, JsonNode rs) {
        ObjectNode response = entry.putObject("response");
        String protocol = rs.path("protocol").asText("");
        response.put("status", rs.path("status").asInt()).put("statusText", rs.path("statusText").asText(""))
                .put("httpVersion", protocol.isEmpty() ? "" : protocol.toUpperCase(java.util.Locale.ROOT));
        response.set("headers", headers(rs.path("headers")));
        response.putArray("cookies");
        response.putObject("content").put("size", 0).put("mimeType", rs.path("mimeType").asText(""));
        response.put("redirectURL", "").put("headersSize", -1).put("bodySize", -1);
        if (rs.hasNonNull("remoteIPAddress")) {
            entry.put("serverIPAddress", rs.path("remoteIPAddress").asText());
        }
        ((ObjectNode) entry.get("request")).put("httpVersion", response.get("httpVersion").asText());
    }

    private void finished(String session, JsonNode p, String error) {
        ObjectNode entry = inflight.remove(key(session, p));
        if (entry == null) {
            return;
        }
        if (error == null && entry.has("response")) {
            long size = p.path("encodedDataLength").asLong(-1);
            ((ObjectNode) entry.get("response")).put("bodySize", size);
            ((ObjectNode) entry.get("response").get("content")).put("size", size);
        }
        close(entry, p.path("timestamp").asDouble(), error);
    }

    private void close(ObjectNode entry, double endTs, String error) {
        double start = entry.remove("_ts").asDouble();
        double ms = Math.max(0, (endTs - start) * 1000);
        entry.put("time", ms);
        entry.putObject("cache");
        entry.putObject("timings").put("send", 0).put("wait", ms).put("receive", 0);
        if (!entry.has("response")) {
            ObjectNode response = entry.putObject("response");
            response.put("status", 0).put("statusText", "").put("httpVersion", "");
            response.putArray("headers");
            response.putArray("cookies");
            response.putObject("content").put("size", 0).put("mimeType", "");
            response.put("redirectURL", "").put("headersSize", -1).put("bodySize", -1);
        }
        if (error != null) {
            entry.put("_error", error);
        }
        synchronized (entries) {
            if (entries.size() < MAX_HAR_ENTRIES) {
                entries.add(entry);
            }
        }
    }

    private static ArrayNode headers(JsonNode h) {
        ArrayNode out = MAPPER.createArrayNode();
        h.fields().forEachRemaining(f -> {
            for (String v : f.getValue().asText("").split("\n")) {
                out.addObject().put("name", f.getKey()).put("value", v);
            }
        });
        return out;
    }

    private static String header(JsonNode h, String name) {
        var it = h.fields();
        while (it.hasNext()) {
            var f = it.next();
            if (f.getKey().equalsIgnoreCase(name)) {
                return f.getValue().asText();
            }
        }
        return null;
    }

    private static ArrayNode query(String url) {
        ArrayNode out = MAPPER.createArrayNode();
        try {
            String q = URI.create(url).getRawQuery();
            if (q != null) {
                for (String pair : q.split("&")) {
                    int eq = pair.indexOf('=');
                    String n = eq < 0 ? pair : pair.substring(0, eq);
                    String v = eq < 0 ? "" : pair.substring(eq + 1);
                    out.addObject().put("name", decode(n)).put("value", decode(v));
                }
            }
        } catch (IllegalArgumentException e) {
            // A URL java.net.URI cannot parse: the HAR keeps it whole in request.url.
        }
        return out;
    }

    private static String decode(String s) {
        try {
            return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    // ---- screenshots and frames ----

    private boolean spend(long bytes) {
        if (overBudget || written.addAndGet(bytes) > order.budgetBytes()) {
            if (!overBudget) {
                log.info("recording reached its storage budget; frames and screenshots dropped dir={}", order.dir().getFileName());
            }
            overBudget = true;
            return false;
        }
        return true;
    }

    private void screenshot(String session, String why) {
        cdp.send("Page.captureScreenshot", "{\"format\":\"png\"}", session).thenAccept(r -> {
            String data = r.path("result").path("data").asText(null);
            if (data != null) {
                byte[] png = Base64.getDecoder().decode(data);
                int n = screenshotSeq.incrementAndGet();
                write(order.dir().resolve(SCREENSHOTS).resolve(String.format("%04d-%d-%s.png", n, System.currentTimeMillis(), why)), png);
            }
        });
    }

    /**
     * A screencast started on a tab that had not painted yet sometimes never sends a frame (Chromium 156); a tab that
     * has sent none gets it started again (a started screencast sends the current picture at once).
     */
    private void restartSilentScreencasts() {
        if (stopped) {
            return;
        }
        for (String s : pages) {
            if (!filmed.contains(s)) {
                cdp.send("Page.startScreencast", SCREENCAST, s);
            }
        }
    }

    private void frame(String session, JsonNode p) {
        filmed.add(session);
        cdp.send("Page.screencastFrameAck", "{\"sessionId\":" + p.path("sessionId").asInt() + "}", session);
        byte[] jpeg = Base64.getDecoder().decode(p.path("data").asText(""));
        long at = System.currentTimeMillis();
        int n;
        synchronized (frames) {
            n = frames.size() + 1;
            if (jpeg.length == 0 || !spend(jpeg.length)) {
                return;
            }
            frames.add(new long[] {n, at});
        }
        try {
            files.execute(() -> writeNow(order.dir().resolve(FRAMES).resolve(String.format("%08d.jpg", n)), jpeg, false));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Stopping: the frame is not kept.
        }
    }

    private void write(Path file, byte[] bytes) {
        if (!spend(bytes.length)) {
            return;
        }
        try {
            files.execute(() -> writeNow(file, bytes, true));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Stopping.
        }
    }

    private static void writeNow(Path file, byte[] bytes, boolean logFailure) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            if (logFailure) {
                log.warn("recording write failed file={} cause={}", file.getFileName(), e.toString());
            }
        }
    }

    /**
     * While the browser still runs: a screenshot of every open tab (when asked for), the screencasts stopped, the
     * host's CDP connection closed.
     */
    void stopCapture() {
        if (stopped) {
            return;
        }
        List<java.util.concurrent.CompletableFuture<JsonNode>> shots = new ArrayList<>();
        for (String s : pages) {
            if (order.screenshots()) {
                shots.add(cdp.send("Page.captureScreenshot", "{\"format\":\"png\"}", s).thenApply(r -> {
                    String data = r.path("result").path("data").asText(null);
                    if (data != null) {
                        int n = screenshotSeq.incrementAndGet();
                        write(order.dir().resolve(SCREENSHOTS).resolve(String.format("%04d-%d-stop.png", n, System.currentTimeMillis())),
                                Base64.getDecoder().decode(data));
                    }
                    return r;
                }));
            }
            if (order.video()) {
                shots.add(cdp.send("Page.stopScreencast", "{}", s));
            }
        }
        try {
            java.util.concurrent.CompletableFuture.allOf(shots.toArray(java.util.concurrent.CompletableFuture[]::new))
                    .get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("recording stop steps incomplete cause={}", e.toString());
        }
        stopped = true;
        watchdog.shutdownNow();
        cdp.close();
    }

    /** After the browser is gone: the HAR written, the video made from the frames, the frames deleted. Blocking. */
    void finish() {
        stopCapture();
        files.shutdown();
        try {
            files.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (order.har()) {
            writeHar();
        }
        if (order.video()) {
            encodeVideo();
        }
    }

    private void writeHar() {
        ObjectNode har = MAPPER.createObjectNode();
        ObjectNode log = har.putObject("log");
        log.put("version", "1.2");
        log.putObject("creator").put("name", "aimlib").put("version", "1");
        ArrayNode pageList = log.putArray("pages");
        ArrayNode out = log.putArray("entries");
        Map<String, String> firstStart = new LinkedHashMap<>();
        List<ObjectNode> sorted;
        synchronized (entries) {
            // Requests still open at stop are written too, without a response.
            for (ObjectNode open : inflight.values()) {
                if (entries.size() < MAX_HAR_ENTRIES) {
                    close(open, open.path("_ts").asDouble(), "not finished when the session stopped");
                }
            }
            inflight.clear();
            sorted = new ArrayList<>(entries);
        }
        sorted.sort(java.util.Comparator.comparing(e -> e.path("startedDateTime").asText()));
        for (ObjectNode e : sorted) {
            firstStart.putIfAbsent(e.path("pageref").asText(), e.path("startedDateTime").asText());
            out.add(e);
        }
        int n = 0;
        Map<String, String> ids = new LinkedHashMap<>();
        for (Map.Entry<String, String> p : firstStart.entrySet()) {
            String id = "page_" + (++n);
            ids.put(p.getKey(), id);
            pageList.addObject().put("startedDateTime", p.getValue()).put("id", id).put("title", "tab " + n).putObject("pageTimings");
        }
        for (ObjectNode e : sorted) {
            e.put("pageref", ids.get(e.path("pageref").asText()));
        }
        try {
            byte[] bytes = MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(har);
            Files.write(order.dir().resolve(HAR), bytes);
        } catch (IOException e) {
            SessionRecorder.log.warn("HAR not written cause={}", e.toString());
        }
    }

    private void encodeVideo() {
        Path framesDir = order.dir().resolve(FRAMES);
        List<long[]> list;
        synchronized (frames) {
            list = new ArrayList<>(frames);
        }
        try {
            list.removeIf(f -> !Files.exists(framesDir.resolve(String.format("%08d.jpg", f[0]))));
            if (list.isEmpty()) {
                log.info("no screencast frames; no video dir={}", order.dir().getFileName());
                return;
            }
            int[] size = dimensions(framesDir.resolve(String.format("%08d.jpg", list.get(0)[0])));
            StringBuilder concat = new StringBuilder("ffconcat version 1.0\n");
            long end = Math.max(System.currentTimeMillis(), list.get(list.size() - 1)[1] + 500);
            for (int i = 0; i < list.size(); i++) {
                long next = i + 1 < list.size() ? list.get(i + 1)[1] : end;
                double seconds = Math.max(0.04, (next - list.get(i)[1]) / 1000.0);
                concat.append("file '").append(String.format("%08d.jpg", list.get(i)[0])).append("'\nduration ")
                        .append(String.format(java.util.Locale.ROOT, "%.3f", seconds)).append('\n');
            }
            // The concat demuxer ignores the last entry's duration unless the file is listed once more.
            concat.append("file '").append(String.format("%08d.jpg", list.get(list.size() - 1)[0])).append("'\n");
            Path script = framesDir.resolve("frames.ffconcat");
            Files.writeString(script, concat);
            String box = size[0] + ":" + size[1];
            Path out = order.dir().resolve(VIDEO);
            Path log = framesDir.resolve("ffmpeg.log");
            Process p = new ProcessBuilder(ffmpeg.toString(), "-nostdin", "-y", "-loglevel", "error", "-f", "concat", "-safe", "0",
                    "-i", script.toString(), "-vf", "scale=" + box + ":force_original_aspect_ratio=decrease,pad=" + box
                    + ":(ow-iw)/2:(oh-ih)/2,format=yuv420p", "-r", "10", "-c:v", "libx264", "-preset", "veryfast",
                    "-movflags", "+faststart", out.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(180, TimeUnit.SECONDS)) {
                ProcessTree.kill(p.toHandle());
                throw new IOException("ffmpeg timed out");
            }
            if (p.exitValue() != 0) {
                throw new IOException("ffmpeg exit " + p.exitValue() + ": " + Files.readString(log).strip());
            }
            SessionRecorder.log.info("video made dir={} frames={} bytes={}", order.dir().getFileName(), list.size(), Files.size(out));
        } catch (IOException e) {
            log.warn("video not made dir={} cause={}", order.dir().getFileName(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ProcessTree.deleteTree(framesDir);
        }
    }

    /** The first frame's size, rounded down to even numbers (H.264 4:2:0 needs them). */
    private static int[] dimensions(Path jpeg) throws IOException {
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(jpeg.toFile());
        if (img == null) {
            throw new IOException("first frame is not an image");
        }
        return new int[] {Math.max(2, img.getWidth() & ~1), Math.max(2, img.getHeight() & ~1)};
    }

    @Override
    public void close() {
        stopped = true;
        watchdog.shutdownNow();
        cdp.close();
        files.shutdownNow();
    }
}
