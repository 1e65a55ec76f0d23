package com.aimlib.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class Socks5CommandDecoderTest {

    private static Object decodeByteByByte(byte[] wire) {
        EmbeddedChannel ch = new EmbeddedChannel(new Socks5CommandDecoder());
        for (byte b : wire) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {b}));
        }
        Object out = ch.readInbound();
        ch.finishAndReleaseAll();
        return out;
    }

    @Test
    void decodesIpv4Ipv6AndDomainRequestsSplitAcrossReads() {
        assertThat(decodeByteByByte(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, 0x1f, (byte) 0x90}))
                .isEqualTo(new Socks5CommandDecoder.Connect(Socks5AddressType.IPv4, "127.0.0.1", 8080));
        byte[] v6 = new byte[4 + 16 + 2];
        v6[0] = 5;
        v6[1] = 1;
        v6[3] = 4;
        v6[19] = 1;
        v6[21] = 80;
        assertThat(decodeByteByByte(v6)).isEqualTo(new Socks5CommandDecoder.Connect(Socks5AddressType.IPv6, "::1", 80));
        byte[] name = "example.test".getBytes(StandardCharsets.US_ASCII);
        ByteBuf d = Unpooled.buffer().writeBytes(new byte[] {5, 1, 0, 3, (byte) name.length}).writeBytes(name).writeShort(443);
        byte[] wire = new byte[d.readableBytes()];
        d.readBytes(wire);
        assertThat(decodeByteByByte(wire)).isEqualTo(new Socks5CommandDecoder.Connect(Socks5AddressType.DOMAIN, "example.test", 443));
    }

    @Test
    void bindAndUdpAssociateAreUnsupportedCommands() {
        assertThat(decodeByteByByte(new byte[] {5, 2, 0, 1, 127, 0, 0, 1, 0, 80}))
                .isEqualTo(new Socks5CommandDecoder.Failure(Socks5CommandStatus.COMMAND_UNSUPPORTED));
        assertThat(decodeByteByByte(new byte[] {5, 3, 0, 1, 0, 0, 0, 0, 0, 0}))
                .isEqualTo(new Socks5CommandDecoder.Failure(Socks5CommandStatus.COMMAND_UNSUPPORTED));
    }

    @Test
    void unknownAddressTypeBadVersionAndBadNamesAreRefusedWithTheirStatus() {
        assertThat(decodeByteByByte(new byte[] {5, 1, 0, 9, 1, 2}))
                .isEqualTo(new Socks5CommandDecoder.Failure(Socks5CommandStatus.ADDRESS_UNSUPPORTED));
        assertThat(decodeByteByByte(new byte[] {4, 1, 0, 1, 1}))
                .isEqualTo(new Socks5CommandDecoder.Failure(Socks5CommandStatus.FAILURE));
        assertThat(decodeByteByByte(new byte[] {5, 1, 0, 3, 0, 0, 80}))
                .isEqualTo(new Socks5CommandDecoder.Failure(Socks5CommandStatus.HOST_UNREACHABLE));
        assertThat(decodeByteByByte(new byte[] {5, 1, 0, 3, 2, 'a', '\n', 0, 80}))
                .isEqualTo(new Socks5CommandDecoder.Failure(Socks5CommandStatus.HOST_UNREACHABLE));
        assertThat(decodeByteByByte(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, 0, 0}))
                .isEqualTo(new Socks5CommandDecoder.Failure(Socks5CommandStatus.HOST_UNREACHABLE));
    }

    @Test
    void bytesAfterTheRequestPassThroughAndNothingLeaks() {
        EmbeddedChannel ch = new EmbeddedChannel(new Socks5CommandDecoder());
        ByteBuf in = Unpooled.buffer().writeBytes(new byte[] {5, 1, 0, 1, 127, 0, 0, 1, 0, 80, 'h', 'i'});
        ch.writeInbound(in);
        assertThat((Object) ch.readInbound()).isInstanceOf(Socks5CommandDecoder.Connect.class);
        ByteBuf rest = ch.readInbound();
        assertThat(rest.toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
        rest.release();
        ch.finishAndReleaseAll();
        assertThat(in.refCnt()).isZero();
    }
}
