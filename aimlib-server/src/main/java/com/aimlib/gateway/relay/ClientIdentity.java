package com.aimlib.gateway.relay;

import com.aimlib.protocol.identity.TargetOverrides;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.util.collection.IntObjectHashMap;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a target the session's identity on the client's own CDP session, before the client can send anything to it.
 *
 * <p>The host applies the identity to every target through its own browser-level connection, but its
 * {@code Target.attachedToTarget} for a new tab can arrive after the client that opened the tab has already resumed and
 * navigated it (measured: Playwright's first document of a new page went out with Chromium's own client hints in about
 * one run in three). The client's own attach event is the one moment that is certainly early enough: when the relay
 * sees it (browser → client; in flat mode a {@code Target.attachToTarget} brings one too), it writes the overrides to the browser on that session right away, before the event
 * is even flushed to the client; CDP runs one session's commands in order, so whatever the client then sends
 * ({@code Runtime.runIfWaitingForDebugger}, a navigation) runs after them. Nothing waits: no round trip is added. The
 * replies carry ids from a range no client uses and are dropped on their way back. The in-page script applies itself
 * once per context, however many sessions add it.
 */
final class ClientIdentity implements FrameRelay.Watcher {
    private static final Logger log = LoggerFactory.getLogger(ClientIdentity.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] ATTACHED = "{\"method\":\"Target.attachedToTarget\"".getBytes(StandardCharsets.US_ASCII);
    static final byte[] REPLY = "{\"id\":".getBytes(StandardCharsets.US_ASCII);
    /** Our call ids: above what any client counts to in a session's life (Playwright and Puppeteer count from 1). */
    static final int FIRST_ID = 2_000_000_000;

    private final TargetOverrides overrides;
    private final GuardedFrameRelay toBrowser;
    private final String session;
    private final java.util.function.Predicate<String> verified;
    /** Calls sent and not yet answered, by id. */
    private final IntObjectHashMap<Call> waiting = new IntObjectHashMap<>();

    /** One call of ours; {@code batch} is set when the client is held back until all of a batch are answered. */
    private record Call(String method, Batch batch) {
    }

    private static final class Batch {
        int left;
        Runnable open;
    }
    private int next = FIRST_ID;

    ClientIdentity(TargetOverrides overrides, GuardedFrameRelay toBrowser, String session) {
        this(overrides, toBrowser, session, t -> false);
    }

    /** {@code verified}: targets whose identity the relay already saw in effect (handed-out spare tabs). */
    ClientIdentity(TargetOverrides overrides, GuardedFrameRelay toBrowser, String session, java.util.function.Predicate<String> verified) {
        this.overrides = overrides;
        this.toBrowser = toBrowser;
        this.session = session;
        this.verified = verified;
    }

    @Override
    public boolean dropFromBrowser(ByteBuf payload) {
        if (!waiting.isEmpty() && startsWith(payload, REPLY)) {
            int id = replyId(payload);
            Call call = id >= FIRST_ID ? waiting.remove(id) : null;
            if (call != null) {
                if (log.isDebugEnabled() && payload.toString(StandardCharsets.UTF_8).contains("\"error\":")) {
                    log.debug("identity call failed on a client session method={} session={}", call.method(), session);
                }
                if (call.batch() != null && --call.batch().left == 0) {
                    call.batch().open.run();
                }
                return true;
            }
            return false;
        }
        if (startsWith(payload, ATTACHED)) {
            attached(payload);
        }
        return false;
    }

    private void attached(ByteBuf payload) {
        JsonNode p;
        try (ByteBufInputStream in = new ByteBufInputStream(payload.duplicate())) {
            p = MAPPER.readTree((java.io.InputStream) in).path("params");
        } catch (IOException e) {
            return;
        }
        String target = p.path("sessionId").asText("");
        List<TargetOverrides.Command> commands = overrides.forClientSession(p.path("targetInfo").path("type").asText());
        if (target.isEmpty() || commands.isEmpty()) {
            return;
        }
        if (verified.test(p.path("targetInfo").path("targetId").asText(""))) {
            // A spare tab handed out: the relay saw the host's identity in effect in it before (SpareTabs), nothing to race.
            return;
        }
        // A target that runs already (the client attached to a tab it had just created, Target.attachToTarget): the
        // host's own session gated its start, but the client may navigate that blank tab before the host's overrides
        // are in (seen in a CI run: a raw-CDP navigation committed with the launch's UA and locale). Then the client is
        // held back until our calls are answered: Chromium passes renderer-side overrides to a navigation's new
        // document only once the renderer has answered them. A paused target needs no hold: nothing runs before the
        // client's resume, which comes after our calls.
        Batch batch = null;
        if (!p.path("waitingForDebugger").asBoolean(false)) {
            batch = new Batch();
            batch.left = commands.size();
            batch.open = toBrowser.gate();
        }
        for (TargetOverrides.Command c : commands) {
            int id = next;
            next = next == Integer.MAX_VALUE ? FIRST_ID : next + 1;
            waiting.put(id, new Call(c.method(), batch));
            String call = "{\"id\":" + id + ",\"method\":\"" + c.method() + "\",\"params\":" + c.params()
                    + ",\"sessionId\":" + MAPPER.valueToTree(target) + "}";
            toBrowser.injectToBrowser(GuardedFrameRelay.maskedText(call.getBytes(StandardCharsets.UTF_8)));
        }
    }

    static boolean startsWith(ByteBuf b, byte[] prefix) {
        if (b.readableBytes() < prefix.length) {
            return false;
        }
        int at = b.readerIndex();
        for (int i = 0; i < prefix.length; i++) {
            if (b.getByte(at + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The number after {"id": (Chromium writes the id first in a reply); -1 when it is not one. */
    static int replyId(ByteBuf b) {
        long v = 0;
        int digits = 0;
        for (int i = b.readerIndex() + REPLY.length; i < b.writerIndex() && digits < 11; i++) {
            byte c = b.getByte(i);
            if (c < '0' || c > '9') {
                break;
            }
            v = v * 10 + (c - '0');
            digits++;
        }
        return digits == 0 || v > Integer.MAX_VALUE ? -1 : (int) v;
    }

}
