package com.aimlib.protocol.host;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

/**
 * How every role recognises a session's spare tabs: blank tabs the gateway's relay opens ahead of a client's
 * {@code Target.createTarget} so that a new tab is handed out with the identity already in effect (issue 10). A spare
 * waits at {@code about:blank#<mark>…} — the mark derived from the session id, the same on every replica and host, and
 * nothing a page can guess — and is hidden from every client and listing until it is handed out; then its URL is
 * replaced by plain {@code about:blank}. Recognising it from the URL in each event (rather than by an id learnt from
 * the reply that created it) leaves no window in which another connection or replica could see it first.
 */
public final class SpareTabMark {
    private SpareTabMark() {
    }

    /** {@code about:blank#} and the session's mark: the start of every spare tab's URL while it waits. */
    public static String prefix(UUID session) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(("aimlib-spare-tab:" + session).getBytes(StandardCharsets.UTF_8));
            return "about:blank#" + HexFormat.of().formatHex(d, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final java.util.regex.Pattern ANY = java.util.regex.Pattern.compile("about:blank#[0-9a-f]{24}[0-9a-f]*");

    /**
     * Whether {@code url} looks like a waiting spare tab of any session (a browser kept for an adopting create may hold
     * one its earlier session's relay opened).
     */
    public static boolean anySpare(String url) {
        return url != null && ANY.matcher(url).matches();
    }
}
