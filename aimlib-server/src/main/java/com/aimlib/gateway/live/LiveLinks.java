package com.aimlib.gateway.live;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.http.ApiException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Short-lived signed links to one tab of a session (issue 14), so a live view or an inspector opens in a plain
 * browser tab without a header: {@code mode}, {@code exp} (epoch seconds) and {@code sig}, an HMAC-SHA256 over the
 * session, the tab, the mode, the expiry and the session's connect-token hash, under a key derived from the server
 * key. A link therefore dies with its expiry and with the session's token (a new session, an adoption), and is good
 * for the one tab and the one mode it names.
 */
public final class LiveLinks {
    /** What a link lets its holder do. */
    public enum Mode {
        /** Watch the tab's screencast; input is refused. */
        VIEW("view"),
        /** Watch and click/type into the tab. */
        CONTROL("control"),
        /** The tab's CDP, guarded like the relay (a DevTools frontend). */
        INSPECT("inspect");

        final String wire;

        Mode(String wire) {
            this.wire = wire;
        }

        public String wire() {
            return wire;
        }

        static Mode of(String s) {
            for (Mode m : values()) {
                if (m.wire.equals(s)) {
                    return m;
                }
            }
            return null;
        }
    }

    /** A link's query: {@code mode=…&exp=…&sig=…}. */
    public record Signed(Mode mode, long exp, String sig) {
        public String query() {
            return "mode=" + mode.wire + "&exp=" + exp + "&sig=" + sig;
        }
    }

    private final SecretKeySpec key;
    private final Clock clock;

    public LiveLinks(byte[] key, Clock clock) {
        this.key = new SecretKeySpec(key.clone(), "HmacSHA256");
        this.clock = clock;
    }

    public Signed sign(UUID session, String target, Mode mode, Instant expires, byte[] tokenHash) {
        long exp = expires.getEpochSecond();
        return new Signed(mode, exp, Base64.getUrlEncoder().withoutPadding().encodeToString(mac(session, target, mode, exp, tokenHash)));
    }

    /**
     * Checks a link for {@code want}: 403 {@code link_invalid} when the signature does not match (forged, another
     * tab, another mode, a session since re-created), 403 {@code link_expired} when it is genuine but past its expiry.
     */
    public void verify(UUID session, String target, Mode want, String mode, String exp, String sig, byte[] tokenHash) {
        Mode m = Mode.of(mode);
        long e;
        try {
            e = Long.parseLong(exp == null ? "" : exp);
        } catch (NumberFormatException x) {
            throw invalid();
        }
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(sig == null ? "" : sig);
        } catch (IllegalArgumentException x) {
            throw invalid();
        }
        if (m == null || tokenHash == null || !MessageDigest.isEqual(given, mac(session, target, m, e, tokenHash))) {
            throw invalid();
        }
        if (m != want) {
            throw new ApiException(403, ErrorCode.LINK_INVALID, "this link is for " + m.wire + ", not " + want.wire);
        }
        if (clock.instant().getEpochSecond() >= e) {
            throw new ApiException(403, ErrorCode.LINK_EXPIRED, "this link expired; list the session's pages for a new one");
        }
    }

    private static ApiException invalid() {
        return new ApiException(403, ErrorCode.LINK_INVALID, "the link's signature does not match");
    }

    private byte[] mac(UUID session, String target, Mode mode, long exp, byte[] tokenHash) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            String msg = "aimlib-live-v1|" + session + "|" + target + "|" + mode.wire + "|" + exp + "|" + HexFormat.of().formatHex(tokenHash);
            return mac.doFinal(msg.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException x) {
            throw new IllegalStateException("HMAC unavailable", x);
        }
    }
}
