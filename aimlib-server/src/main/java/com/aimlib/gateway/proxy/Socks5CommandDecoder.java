package com.aimlib.gateway.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.socksx.v5.Socks5AddressType;
import io.netty.handler.codec.socksx.v5.Socks5CommandStatus;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.NetUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Decodes one SOCKS5 request (RFC 1928 §4) into {@link Connect}. Unlike Netty's decoder it tells why a request is bad, so
 * the reply can say so: {@link Failure} carries the status (0x08 for an unknown address type). After
 * the request, further bytes pass through untouched; after a failure, input is discarded.
 */
final class Socks5CommandDecoder extends ByteToMessageDecoder {
    private enum State { REQUEST, PASS_THROUGH, FAILED }

    /** A CONNECT request; {@code host} is an IP literal or an unresolved name. */
    record Connect(Socks5AddressType addressType, String host, int port) {
    }

    /** A request that cannot be served, with the reply status that says why. */
    record Failure(Socks5CommandStatus status) {
    }

    private State state = State.REQUEST;

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        switch (state) {
            case PASS_THROUGH -> out.add(in.readRetainedSlice(in.readableBytes()));
            case FAILED -> in.skipBytes(in.readableBytes());
            case REQUEST -> request(in, out);
        }
    }

    private void request(ByteBuf in, List<Object> out) {
        if (in.readableBytes() < 5) {
            return;
        }
        int at = in.readerIndex();
        if (in.getByte(at) != 5) {
            fail(in, out, Socks5CommandStatus.FAILURE);
            return;
        }
        byte command = in.getByte(at + 1);
        byte addressType = in.getByte(at + 3);
        int addressLength;
        if (addressType == Socks5AddressType.IPv4.byteValue()) {
            addressLength = 4;
        } else if (addressType == Socks5AddressType.IPv6.byteValue()) {
            addressLength = 16;
        } else if (addressType == Socks5AddressType.DOMAIN.byteValue()) {
            addressLength = 1 + in.getUnsignedByte(at + 4);
        } else {
            fail(in, out, Socks5CommandStatus.ADDRESS_UNSUPPORTED);
            return;
        }
        if (in.readableBytes() < 4 + addressLength + 2) {
            return;
        }
        String host;
        if (addressType == Socks5AddressType.DOMAIN.byteValue()) {
            host = domain(in, at + 5, addressLength - 1);
            if (host == null) {
                fail(in, out, Socks5CommandStatus.HOST_UNREACHABLE);
                return;
            }
        } else {
            byte[] raw = new byte[addressLength];
            in.getBytes(at + 4, raw);
            host = NetUtil.bytesToIpAddress(raw);
        }
        int port = in.getUnsignedShort(at + 4 + addressLength);
        in.skipBytes(4 + addressLength + 2);
        Socks5CommandType type = Socks5CommandType.valueOf(command);
        if (type != Socks5CommandType.CONNECT) {
            fail(in, out, Socks5CommandStatus.COMMAND_UNSUPPORTED);
            return;
        }
        if (port == 0) {
            fail(in, out, Socks5CommandStatus.HOST_UNREACHABLE);
            return;
        }
        out.add(new Connect(Socks5AddressType.valueOf(addressType), host, port));
        state = State.PASS_THROUGH;
    }

    /** A host name of printable ASCII without spaces, or null. Length is at most 255 by the wire format. */
    private static String domain(ByteBuf in, int from, int length) {
        if (length == 0) {
            return null;
        }
        for (int i = from; i < from + length; i++) {
            byte b = in.getByte(i);
            if (b <= 0x20 || b >= 0x7f) {
                return null;
            }
        }
        return in.toString(from, length, StandardCharsets.US_ASCII);
    }

    private void fail(ByteBuf in, List<Object> out, Socks5CommandStatus status) {
        in.skipBytes(in.readableBytes());
        state = State.FAILED;
        out.add(new Failure(status));
    }
}
