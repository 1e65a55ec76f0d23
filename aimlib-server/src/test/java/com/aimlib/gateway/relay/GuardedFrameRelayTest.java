package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class GuardedFrameRelayTest {
    private static final FrameRelay.Activity QUIET = new FrameRelay.Activity() {
        @Override
        public void traffic() {
        }

        @Override
        public void closed() {
        }
    };

    private final EmbeddedChannel browser = new EmbeddedChannel();
    private final EmbeddedChannel client = new EmbeddedChannel();
    private final FrameRelay toClient = new FrameRelay(client, QUIET);
    private final EmbeddedChannel fromBrowser = new EmbeddedChannel(toClient);
    private final EmbeddedChannel fromClient = new EmbeddedChannel(new GuardedFrameRelay(browser, QUIET, new CdpGuard(null), toClient, "s"));

    private static byte[] bytes(ByteBuf b) {
        byte[] out = new byte[b.readableBytes()];
        b.readBytes(out);
        b.release();
        return out;
    }

    private static byte[] drain(EmbeddedChannel ch) {
        ByteBuf all = Unpooled.buffer();
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            all.writeBytes((ByteBuf) o);
            ((ByteBuf) o).release();
        }
        return bytes(all);
    }

    /** Feeds {@code data} in pieces of {@code step} bytes. */
    private static void feed(EmbeddedChannel ch, byte[] data, int step) {
        for (int i = 0; i < data.length; i += step) {
            ch.writeInbound(Unpooled.wrappedBuffer(data, i, Math.min(step, data.length - i)));
        }
    }

    private static byte[] masked(String text) {
        return bytes(GuardedFrameRelay.maskedText(text.getBytes(StandardCharsets.UTF_8)));
    }

    private static byte[] unmasked(String text) {
        return bytes(GuardedFrameRelay.unmaskedText(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void allowedCallsPassByteForByteHoweverSplit() {
        byte[] call = masked("{\"id\":1,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"" + "x".repeat(70_000) + "\"}}");
        for (int step : new int[] {1, 3, 7, 1000, call.length}) {
            feed(fromClient, call, step);
            assertThat(drain(browser)).isEqualTo(call);
            assertThat(drain(client)).isEmpty();
        }
    }

    @Test
    void refusedCallNeverReachesTheBrowserAndIsAnsweredBetweenBrowserMessages() {
        byte[] big = unmasked("{\"id\":2,\"result\":{\"v\":\"" + "y".repeat(200_000) + "\"}}");
        feed(fromBrowser, java.util.Arrays.copyOf(big, 1000), 1000);
        feed(fromClient, masked("{\"id\":3,\"method\":\"Page.navigate\",\"params\":{\"url\":\"file:///etc/passwd\"}}"), 5);
        assertThat(drain(browser)).isEmpty();
        feed(fromBrowser, java.util.Arrays.copyOfRange(big, 1000, big.length), 4096);
        byte[] got = drain(client);
        assertThat(java.util.Arrays.copyOf(got, big.length)).isEqualTo(big);
        String reply = new String(got, big.length + 2, got.length - big.length - 2, StandardCharsets.UTF_8);
        assertThat(reply).isEqualTo("{\"id\":3,\"error\":{\"code\":-32000,\"message\":\"aimlib: only http(s), ws(s), data, blob and about:blank URLs are allowed\"}}");
        feed(fromClient, masked("{\"id\":4,\"method\":\"Page.navigate\",\"params\":{\"url\":\"file:///etc/passwd\"}}"), 100);
        assertThat(new String(drain(client), StandardCharsets.UTF_8)).contains("\"id\":4");
    }

    @Test
    void fragmentedTextIsJudgedWholeAndControlFramesPassBetween() {
        byte[] first = new byte[] {0x01, (byte) 0x80 | 20, 0, 0, 0, 0};
        String json = "{\"id\":5,\"method\":\"Page.navigate\",\"params\":{\"url\":\"chrome://version\"}}";
        byte[] a = json.substring(0, 20).getBytes(StandardCharsets.UTF_8);
        byte[] rest = json.substring(20).getBytes(StandardCharsets.UTF_8);
        byte[] ping = new byte[] {(byte) 0x89, (byte) 0x80, 0, 0, 0, 0};
        byte[] last = new byte[] {(byte) 0x80, (byte) (0x80 | rest.length), 0, 0, 0, 0};
        feed(fromClient, first, 1);
        feed(fromClient, a, 1);
        feed(fromClient, ping, 1);
        assertThat(drain(browser)).isEqualTo(ping);
        feed(fromClient, last, 2);
        feed(fromClient, rest, 9);
        assertThat(drain(browser)).isEmpty();
        assertThat(new String(drain(client), StandardCharsets.UTF_8)).contains("\"id\":5", "aimlib:");
    }

    @Test
    void aFiftyMegabyteFragmentedCallIsForwardedByteForByte() {
        byte[] json = ("{\"id\":1,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"'" + "x".repeat(50 * 1024 * 1024)
                + "'.length\"}}").getBytes(StandardCharsets.UTF_8);
        ByteBuf wire = Unpooled.buffer(json.length + json.length / 16384 * 14 + 64);
        byte[] mask = {1, 2, 3, 4};
        for (int at = 0; at < json.length; at += 16384) {
            int n = Math.min(16384, json.length - at);
            wire.writeByte((at + n == json.length ? 0x80 : 0) | (at == 0 ? 1 : 0)).writeByte(0x80 | 126).writeShort(n).writeBytes(mask);
            for (int i = 0; i < n; i++) {
                wire.writeByte(json[at + i] ^ mask[i & 3]);
            }
        }
        byte[] sent = new byte[wire.readableBytes()];
        wire.getBytes(0, sent);
        while (wire.isReadable()) {
            fromClient.writeInbound(wire.readRetainedSlice(Math.min(65536, wire.readableBytes())));
        }
        wire.release();
        assertThat(java.util.Arrays.equals(drain(browser), sent)).isTrue();
        assertThat(drain(client)).isEmpty();
    }

    @Test
    void binaryMessagesPassUntouched() {
        byte[] bin = new byte[] {(byte) 0x82, (byte) 0x83, 1, 2, 3, 4, 9, 9, 9};
        feed(fromClient, bin, 2);
        assertThat(drain(browser)).isEqualTo(bin);
    }

    @Test
    void aFiftyMegabyteBrowserMessagePassesAsIs() {
        int n = 50 * 1024 * 1024;
        ByteBuf frame = Unpooled.buffer(n + 10).writeByte(0x81).writeByte(127).writeLong(n);
        frame.writerIndex(n + 10);
        long total = 0;
        while (frame.isReadable()) {
            fromBrowser.writeInbound(frame.readRetainedSlice(Math.min(65536, frame.readableBytes())));
            for (Object o = client.readOutbound(); o != null; o = client.readOutbound()) {
                total += ((ByteBuf) o).readableBytes();
                ((ByteBuf) o).release();
            }
        }
        frame.release();
        assertThat(total).isEqualTo(n + 10L);
    }
}
