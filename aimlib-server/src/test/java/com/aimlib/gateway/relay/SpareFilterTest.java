package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.protocol.host.SpareTabMark;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * {@link SpareFilter} in the browser → client direction of a real {@link FrameRelay}: a waiting spare (its URL has the
 * session's mark) is kept from the client — its events, its session's messages, its entries in target lists — and the
 * client gets what it missed, in order and without the mark, when the spare is handed out here ({@code reveal}) or
 * elsewhere (its URL loses the mark); everything else passes byte for byte; garbage and mutated messages never throw
 * and never lose an unrelated message.
 */
class SpareFilterTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final FrameRelay.Activity QUIET = new FrameRelay.Activity() {
        @Override
        public void traffic() {
        }

        @Override
        public void closed() {
        }
    };
    private final String mark = SpareTabMark.prefix(UUID.randomUUID());
    private final String spareUrl = mark + "1a2b";

    private static byte[] text(String s) {
        byte[] p = s.getBytes(StandardCharsets.UTF_8);
        ByteBuf out = Unpooled.buffer();
        out.writeByte(0x81);
        if (p.length < 126) {
            out.writeByte(p.length);
        } else {
            out.writeByte(126).writeShort(p.length);
        }
        out.writeBytes(p);
        byte[] b = new byte[out.readableBytes()];
        out.readBytes(b);
        return b;
    }

    /** The relay, its client's side, and the messages the client got (payloads of unmasked single frames). */
    private final class Relay {
        final EmbeddedChannel client = new EmbeddedChannel();
        final FrameRelay toClient = new FrameRelay(client, QUIET);
        final SpareFilter filter = new SpareFilter(mark, toClient);
        final EmbeddedChannel fromBrowser;

        Relay() {
            toClient.watch(filter);
            fromBrowser = new EmbeddedChannel(toClient);
        }

        void browser(String... messages) {
            for (String m : messages) {
                fromBrowser.writeInbound(Unpooled.wrappedBuffer(text(m)));
            }
        }

        List<String> received() {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            for (Object o = client.readOutbound(); o != null; o = client.readOutbound()) {
                ByteBuf b = (ByteBuf) o;
                byte[] x = new byte[b.readableBytes()];
                b.readBytes(x);
                b.release();
                all.writeBytes(x);
            }
            List<String> out = new ArrayList<>();
            ByteBuf in = Unpooled.wrappedBuffer(all.toByteArray());
            while (in.isReadable()) {
                in.readByte();
                int len = in.readByte() & 0x7F;
                if (len == 126) {
                    len = in.readUnsignedShort();
                }
                byte[] p = new byte[len];
                in.readBytes(p);
                out.add(new String(p, StandardCharsets.UTF_8));
            }
            return out;
        }
    }

    private String info(String id, String type, String url, String title) {
        return "{\"targetId\":\"" + id + "\",\"type\":\"" + type + "\",\"title\":\"" + title + "\",\"url\":\"" + url
                + "\",\"attached\":true,\"canAccessOpener\":false,\"browserContextId\":\"CTX\"}";
    }

    private String created(String info) {
        return "{\"method\":\"Target.targetCreated\",\"params\":{\"targetInfo\":" + info + "}}";
    }

    private String changed(String info) {
        return "{\"method\":\"Target.targetInfoChanged\",\"params\":{\"targetInfo\":" + info + "}}";
    }

    private String attached(String session, String info, boolean waiting, String on) {
        return "{\"method\":\"Target.attachedToTarget\",\"params\":{\"sessionId\":\"" + session + "\",\"targetInfo\":" + info
                + ",\"waitingForDebugger\":" + waiting + "}" + (on == null ? "" : ",\"sessionId\":\"" + on + "\"") + "}";
    }

    @Test
    void aWaitingSpareIsKeptBackAndTheClientGetsItInOrderWhenItIsHandedOutHere() throws Exception {
        Relay r = new Relay();
        String other = created(info("PAGE1", "page", "https://a.test/", "A"));
        r.browser(other,
                created(info("TAB9", "tab", spareUrl, "")),
                created(info("PAGE9", "page", spareUrl, "")),
                attached("S9", info("TAB9", "tab", spareUrl, ""), true, null),
                "{\"method\":\"Target.attachedToTarget\",\"params\":{\"sessionId\":\"S10\",\"targetInfo\":" + info("PAGE9", "page", spareUrl, "")
                        + ",\"waitingForDebugger\":true},\"sessionId\":\"S9\"}",
                changed(info("PAGE9", "page", spareUrl, spareUrl)),
                "{\"method\":\"Inspector.detached\",\"params\":{},\"sessionId\":\"S9\"}",
                "{\"id\":7,\"result\":{\"targetInfos\":[" + info("PAGE1", "page", "https://a.test/", "A") + "," + info("PAGE9", "page", spareUrl, "") + "]}}");
        List<String> got = r.received();
        assertThat(got).hasSize(2);
        assertThat(got.get(0)).isEqualTo(other);
        JsonNode list = JSON.readTree(got.get(1)).path("result").path("targetInfos");
        assertThat(list).hasSize(1);
        assertThat(list.get(0).path("targetId").asText()).isEqualTo("PAGE1");
        assertThat(String.join("\n", got)).doesNotContain(mark);

        r.filter.reveal(spareUrl);
        List<String> revealed = r.received();
        assertThat(revealed).extracting(m -> JSON.readTree(m).path("method").asText()).containsExactly(
                "Target.targetCreated", "Target.targetCreated", "Target.attachedToTarget", "Target.attachedToTarget",
                "Target.targetInfoChanged", "Inspector.detached");
        assertThat(String.join("\n", revealed)).doesNotContain(mark);
        JsonNode tabAttach = JSON.readTree(revealed.get(2));
        assertThat(tabAttach.path("params").path("waitingForDebugger").asBoolean()).isTrue();
        assertThat(tabAttach.path("params").path("targetInfo").path("url").asText()).isEqualTo("about:blank");
        assertThat(JSON.readTree(revealed.get(3)).path("sessionId").asText()).isEqualTo("S9");
        assertThat(r.filter.served("PAGE9")).isTrue();

        // From now on the tab is the client's: its events pass, a title that still names the old URL shows about:blank.
        r.browser(changed(info("PAGE9", "page", "about:blank", spareUrl)), "{\"method\":\"Page.loadEventFired\",\"params\":{},\"sessionId\":\"S10\"}");
        List<String> after = r.received();
        assertThat(after).hasSize(2);
        assertThat(JSON.readTree(after.get(0)).path("params").path("targetInfo").path("title").asText()).isEqualTo("about:blank");
        assertThat(after.get(1)).contains("Page.loadEventFired");
    }

    @Test
    void aSpareHandedOutElsewhereReachesThisClientAsATabJustOpened() throws Exception {
        Relay r = new Relay();
        r.browser(created(info("PAGE9", "page", spareUrl, "")), changed(info("PAGE9", "page", spareUrl, spareUrl)));
        assertThat(r.received()).isEmpty();
        r.browser(changed(info("PAGE9", "page", "about:blank", spareUrl)));
        List<String> got = r.received();
        assertThat(got).extracting(m -> JSON.readTree(m).path("method").asText())
                .containsExactly("Target.targetCreated", "Target.targetInfoChanged", "Target.targetInfoChanged");
        assertThat(String.join("\n", got)).doesNotContain(mark);
        // A spare closed while waiting is forgotten without a word.
        r.browser(created(info("PAGE8", "page", spareUrl + "9", "")), "{\"method\":\"Target.targetDestroyed\",\"params\":{\"targetId\":\"PAGE8\"}}");
        assertThat(r.received()).isEmpty();
        r.filter.reveal(spareUrl + "9");
        assertThat(r.received()).isEmpty();
    }

    @Test
    void garbageAndMutatedMessagesNeverThrowAndUnrelatedOnesPassUntouched() {
        Random rnd = new Random(10);
        List<String> seeds = List.of(created(info("PAGE9", "page", spareUrl, "")), attached("S9", info("PAGE9", "page", spareUrl, ""), true, null),
                changed(info("PAGE9", "page", "about:blank", spareUrl)), "{\"id\":3,\"result\":{\"targetInfos\":[" + info("P", "page", spareUrl, "") + "]}}",
                "{\"method\":\"Target.targetDestroyed\",\"params\":{\"targetId\":\"PAGE9\"}}");
        String plain = "{\"method\":\"Page.frameNavigated\",\"params\":{\"frame\":{\"id\":\"F\",\"url\":\"https://b.test/\"}},\"sessionId\":\"X\"}";
        for (int round = 0; round < 300; round++) {
            Relay r = new Relay();
            StringBuilder m = new StringBuilder(seeds.get(rnd.nextInt(seeds.size())));
            for (int k = rnd.nextInt(4); k >= 0; k--) {
                int at = rnd.nextInt(m.length());
                switch (rnd.nextInt(4)) {
                    case 0 -> m.deleteCharAt(at);
                    case 1 -> m.insert(at, "\"{}[],:#".charAt(rnd.nextInt(8)));
                    case 2 -> m.setCharAt(at, (char) ('!' + rnd.nextInt(90)));
                    default -> m.insert(at, mark);
                }
            }
            r.browser(m.toString(), "not json " + mark, "[" + mark + "]", "{\"id\":2000000001,\"result\":{\"u\":\"" + mark + "\"}}", plain);
            List<String> got = r.received();
            assertThat(got).as(m.toString()).isNotEmpty();
            assertThat(got.get(got.size() - 1)).isEqualTo(plain);
            r.filter.reveal(spareUrl);
            r.received();
        }
    }
}
