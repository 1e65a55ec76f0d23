package com.aimlib.gateway.relay;

import io.netty.buffer.ByteBuf;

/**
 * Reads one WebSocket frame header (RFC 6455 §5.2) from a byte stream, however it is split across reads. The
 * relay splices frames raw; this is all it needs to know where frames and messages begin and end.
 */
final class FrameHeader {
    private final byte[] bytes = new byte[14];
    private int have;
    boolean fin;
    int opcode;
    boolean masked;
    long length;
    final byte[] mask = new byte[4];

    /** Consumes header bytes from {@code in}; true once the header is complete (then {@link #bytes()} holds it). */
    boolean read(ByteBuf in) {
        while (in.isReadable()) {
            int need = needed();
            if (have == need) {
                break;
            }
            bytes[have++] = in.readByte();
        }
        if (have < 2 || have < needed()) {
            return false;
        }
        fin = (bytes[0] & 0x80) != 0;
        opcode = bytes[0] & 0x0F;
        masked = (bytes[1] & 0x80) != 0;
        int len7 = bytes[1] & 0x7F;
        int at = 2;
        if (len7 == 126) {
            length = ((bytes[2] & 0xFFL) << 8) | (bytes[3] & 0xFFL);
            at = 4;
        } else if (len7 == 127) {
            length = 0;
            for (int i = 2; i < 10; i++) {
                length = (length << 8) | (bytes[i] & 0xFFL);
            }
            at = 10;
        } else {
            length = len7;
        }
        if (masked) {
            System.arraycopy(bytes, at, mask, 0, 4);
        }
        return true;
    }

    /** The header's bytes as received (valid once {@link #read} returned true). */
    byte[] bytes() {
        return java.util.Arrays.copyOf(bytes, have);
    }

    boolean control() {
        return opcode >= 8;
    }

    void reset() {
        have = 0;
    }

    private int needed() {
        if (have < 2) {
            return 2;
        }
        int len7 = bytes[1] & 0x7F;
        int n = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
        return n + ((bytes[1] & 0x80) != 0 ? 4 : 0);
    }
}
