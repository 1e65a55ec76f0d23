package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.protocol.identity.TargetOverrides;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The browser → client direction with {@link ClientIdentity} watching, fed the same stream split every way (one byte
 * at a time, random cuts, headers split): every browser message reaches the client byte for byte except the replies
 * to the relay's own calls, which never do; each attach event of a page sends the relay's calls to the browser before
 * the event is written on; messages above the inspection limit and binary/control frames pass untouched.
 */
class FrameRelayWatchTest {
    private static final FrameRelay.Activity QUIET = new FrameRelay.Activity() {
        @Override
        public void traffic() {
        }

        @Override
        public void closed() {
        }
    };

    private static byte[] frame(int opcode, boolean fin, byte[] payload) {
        ByteBuf out = Unpooled.buffer();
        out.writeByte((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            out.writeByte(payload.length);
        } else if (payload.length < 65536) {
            out.writeByte(126).writeShort(payload.length);
        } else {
            out.writeByte(127).writeLong(payload.length);
        }
        out.writeBytes(payload);
        byte[] b = new byte[out.readableBytes()];
        out.readBytes(b);
        return b;
    }

    private static byte[] text(String s) {
        return frame(1, true, s.getBytes(StandardCharsets.UTF_8));
    }

    private static String attached(String session, String type) {
        return attached(session, type, true);
    }

    private static String attached(String session, String type, boolean waiting) {
        return "{\"method\":\"Target.attachedToTarget\",\"params\":{\"sessionId\":\"" + session + "\",\"targetInfo\":{\"targetId\":\"T"
                + session + "\",\"type\":\"" + type + "\",\"url\":\"about:blank\"},\"waitingForDebugger\":" + waiting + "}}";
    }

    private static TargetOverrides overrides() {
        ObjectNode p = new ObjectMapper().createObjectNode().put("device", "pixel-8").put("user_agent", "UA").put("locale", "de-DE")
                .put("cores", 8).put("touch_points", 5).put("dpr", 2.625);
        p.putObject("ua_ch").put("platform", "Android");
        return TargetOverrides.of(p, UUID.randomUUID());
    }

    private record Run(byte[] toClient, List<String> toBrowser, int browserCallsBeforeFirstAttachWritten) {
    }

    private static Run run(List<byte[]> frames, List<Integer> cuts) {
        EmbeddedChannel browser = new EmbeddedChannel();
        EmbeddedChannel client = new EmbeddedChannel();
        FrameRelay toClient = new FrameRelay(client, QUIET);
        GuardedFrameRelay guarded = new GuardedFrameRelay(browser, QUIET, new CdpGuard(null), toClient, "s");
        toClient.watch(new ClientIdentity(overrides(), guarded, "s"));
        EmbeddedChannel fromBrowser = new EmbeddedChannel(toClient);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        frames.forEach(all::writeBytes);
        byte[] stream = all.toByteArray();
        List<String> calls = new ArrayList<>();
        int before = -1;
        ByteArrayOutputStream clientBytes = new ByteArrayOutputStream();
        int at = 0;
        for (int cut : cuts) {
            fromBrowser.writeInbound(Unpooled.wrappedBuffer(stream, at, cut - at));
            at = cut;
            for (Object o = browser.readOutbound(); o != null; o = browser.readOutbound()) {
                calls.add(unmask((ByteBuf) o));
            }
            for (Object o = client.readOutbound(); o != null; o = client.readOutbound()) {
                ByteBuf b = (ByteBuf) o;
                byte[] x = new byte[b.readableBytes()];
                b.readBytes(x);
                b.release();
                clientBytes.writeBytes(x);
                if (before < 0 && new String(clientBytes.toByteArray(), StandardCharsets.ISO_8859_1).contains("attachedToTarget")) {
                    before = calls.size();
                }
            }
        }
        return new Run(clientBytes.toByteArray(), calls, before);
    }

    /** The payload of a masked single-frame text message the relay wrote to the browser. */
    private static String unmask(ByteBuf b) {
        b.readByte();
        int len = b.readByte() & 0x7F;
        if (len == 126) {
            len = b.readUnsignedShort();
        } else if (len == 127) {
            len = (int) b.readLong();
        }
        byte[] m = new byte[4];
        b.readBytes(m);
        byte[] p = new byte[len];
        b.readBytes(p);
        b.release();
        for (int i = 0; i < len; i++) {
            p[i] ^= m[i & 3];
        }
        return new String(p, StandardCharsets.UTF_8);
    }

    @Test
    void repliesToTheRelaysCallsAreDroppedAndEverythingElsePassesHoweverSplit() {
        TargetOverrides o = overrides();
        int calls = o.forClientSession("page").size();
        byte[] big = new byte[FrameRelay.INSPECT_LIMIT + 10];
        java.util.Arrays.fill(big, (byte) 'x');
        List<byte[]> frames = new ArrayList<>();
        List<byte[]> expected = new ArrayList<>();
        byte[] a = text("{\"id\":1,\"result\":{}}");
        byte[] attach = text(attached("S1", "page"));
        frames.add(a);
        expected.add(a);
        frames.add(attach);
        expected.add(attach);
        for (int i = 0; i < calls; i++) {
            frames.add(text("{\"id\":" + (ClientIdentity.FIRST_ID + i) + ",\"result\":{},\"sessionId\":\"S1\"}")); // dropped
        }
        byte[] ping = frame(9, true, new byte[] {1, 2});
        byte[] bin = frame(2, true, new byte[] {7, 7, 7});
        byte[] large = frame(1, true, big);
        byte[] notOurs = text("{\"id\":" + (ClientIdentity.FIRST_ID + 999) + ",\"result\":{}}"); // never sent by the relay
        byte[] event = text("{\"method\":\"Page.loadEventFired\",\"params\":{}}");
        byte[] other = text(attached("S2", "browser")); // no commands for this type
        byte[] running = text(attached("S3", "page", false)); // running already: calls too (the client is held until answered)
        for (byte[] f : List.of(ping, bin, large, notOurs, event, other, running)) {
            frames.add(f);
            expected.add(f);
        }
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        expected.forEach(want::writeBytes);
        int total = frames.stream().mapToInt(f -> f.length).sum();
        Random random = new Random(42);
        List<List<Integer>> splits = new ArrayList<>();
        List<Integer> whole = List.of(total);
        List<Integer> bytes = new ArrayList<>();
        for (int i = 1; i <= total; i++) {
            bytes.add(i);
        }
        splits.add(whole);
        splits.add(bytes);
        for (int k = 0; k < 200; k++) {
            java.util.TreeSet<Integer> cuts = new java.util.TreeSet<>();
            int n = 1 + random.nextInt(12);
            for (int i = 0; i < n; i++) {
                cuts.add(1 + random.nextInt(total));
            }
            cuts.add(total);
            splits.add(new ArrayList<>(cuts));
        }
        for (List<Integer> cuts : splits) {
            Run r = run(frames, cuts);
            assertThat(r.toClient()).as("cuts " + (cuts.size() > 20 ? "every byte" : cuts)).isEqualTo(want.toByteArray());
            assertThat(r.toBrowser()).hasSize(2 * calls);
            assertThat(r.toBrowser().subList(calls, 2 * calls)).allMatch(c -> c.endsWith(",\"sessionId\":\"S3\"}"));
            assertThat(r.toBrowser().getFirst()).startsWith("{\"id\":" + ClientIdentity.FIRST_ID + ",\"method\":\"Emulation.setUserAgentOverride\"")
                    .endsWith(",\"sessionId\":\"S1\"}");
            assertThat(r.toBrowser()).noneMatch(c -> c.contains("Target.setAutoAttach"));
            assertThat(r.browserCallsBeforeFirstAttachWritten()).as("the calls went out before the event was written on").isGreaterThanOrEqualTo(calls);
        }
    }

    /**
     * After the attach event of a target that runs already, what the client sends waits until every call of the
     * relay's is answered, then passes in order; a paused target's attach holds nothing.
     */
    @Test
    void theClientWaitsForTheAnswersOnlyAfterARunningTargetAttached() {
        EmbeddedChannel browser = new EmbeddedChannel();
        EmbeddedChannel client = new EmbeddedChannel();
        FrameRelay toClient = new FrameRelay(client, QUIET);
        GuardedFrameRelay guarded = new GuardedFrameRelay(browser, QUIET, new CdpGuard(null), toClient, "s");
        client.pipeline().addLast(guarded);
        toClient.watch(new ClientIdentity(overrides(), guarded, "s"));
        EmbeddedChannel fromBrowser = new EmbeddedChannel(toClient);
        int calls = overrides().forClientSession("page").size();

        fromBrowser.writeInbound(Unpooled.wrappedBuffer(text(attached("P1", "page", true))));
        assertThat(drain(browser)).hasSize(calls);
        client.writeInbound(Unpooled.wrappedBuffer(masked("{\"id\":1,\"sessionId\":\"P1\",\"method\":\"Runtime.runIfWaitingForDebugger\"}")));
        assertThat(drain(browser)).as("a paused target's attach holds nothing").containsExactly(
                "{\"id\":1,\"sessionId\":\"P1\",\"method\":\"Runtime.runIfWaitingForDebugger\"}");

        fromBrowser.writeInbound(Unpooled.wrappedBuffer(text(attached("R1", "page", false))));
        List<String> sent = drain(browser);
        assertThat(sent).hasSize(calls).allMatch(c -> c.endsWith(",\"sessionId\":\"R1\"}"));
        String nav = "{\"id\":2,\"sessionId\":\"R1\",\"method\":\"Page.navigate\",\"params\":{\"url\":\"http://x/\"}}";
        client.writeInbound(Unpooled.wrappedBuffer(masked(nav)));
        for (int i = 0; i < calls - 1; i++) {
            fromBrowser.writeInbound(Unpooled.wrappedBuffer(text("{\"id\":" + (ClientIdentity.FIRST_ID + calls + i) + ",\"result\":{},\"sessionId\":\"R1\"}")));
            assertThat(drain(browser)).as("held while " + (calls - 1 - i) + " answers are missing").isEmpty();
        }
        fromBrowser.writeInbound(Unpooled.wrappedBuffer(text("{\"id\":" + (ClientIdentity.FIRST_ID + 2 * calls - 1) + ",\"result\":{},\"sessionId\":\"R1\"}")));
        assertThat(drain(browser)).as("released once all are answered").containsExactly(nav);
        assertThat(client.config().isAutoRead()).isTrue();
    }

    private static List<String> drain(EmbeddedChannel browser) {
        List<String> out = new ArrayList<>();
        for (Object o = browser.readOutbound(); o != null; o = browser.readOutbound()) {
            out.add(unmask((ByteBuf) o));
        }
        return out;
    }

    private static byte[] masked(String s) {
        ByteBuf b = GuardedFrameRelay.maskedText(s.getBytes(StandardCharsets.UTF_8));
        byte[] x = new byte[b.readableBytes()];
        b.readBytes(x);
        return x;
    }
}
