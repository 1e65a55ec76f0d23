package com.aimlib.gateway.http;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8: overlong forms ({@code C0 AF} for '/'), encoded surrogates and invalid bytes are refused,
 * never replaced or decoded leniently. Jackson's byte parser decodes overlong forms, and Netty's
 * {@code QueryStringDecoder} replaces bad sequences, so request input is checked here first.
 */
public final class StrictUtf8 {
    private StrictUtf8() {
    }

    public static boolean isValid(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return decodes(bytes);
            }
        }
        return true;
    }

    /** Whether a request target's percent-decoded bytes (and any raw bytes above ASCII) are valid UTF-8. */
    public static boolean isValidUri(String uri) {
        boolean plain = true;
        for (int i = 0; i < uri.length() && plain; i++) {
            char c = uri.charAt(i);
            plain = c != '%' && c < 0x80;
        }
        if (plain) {
            return true;
        }
        // The codec hands the request line over byte for byte (one char per byte), so this recovers the bytes.
        byte[] out = new byte[uri.length()];
        int n = 0;
        for (int i = 0; i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '%' && i + 2 < uri.length() && hex(uri.charAt(i + 1)) >= 0 && hex(uri.charAt(i + 2)) >= 0) {
                out[n++] = (byte) (hex(uri.charAt(i + 1)) << 4 | hex(uri.charAt(i + 2)));
                i += 2;
            } else if (c > 0xff) {
                return false;
            } else {
                out[n++] = (byte) c;
            }
        }
        return decodes(java.util.Arrays.copyOf(out, n));
    }

    private static boolean decodes(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
