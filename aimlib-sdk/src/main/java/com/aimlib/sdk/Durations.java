package com.aimlib.sdk;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as the SDK accepts them for {@code ttl} and {@code idle_timeout}: a {@link Duration}, a number of
 * seconds, or a string with a unit suffix {@code s}, {@code m} or {@code h} ({@code "30s"}, {@code "10m"},
 * {@code "1h"}, {@code "1.5m"}); a bare number string is seconds. The server takes whole seconds, so a
 * fraction is rounded up.
 */
public final class Durations {
    private static final Pattern FORM = Pattern.compile("(\\d+(?:\\.\\d+)?|\\.\\d+)\\s*([smh]?)");

    private Durations() {
    }

    /** Whole seconds of a duration string; {@link IllegalArgumentException} for anything else. */
    public static long seconds(String text) {
        if (text == null) {
            throw new IllegalArgumentException("duration must not be null");
        }
        Matcher m = FORM.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: \"" + text + "\" (use seconds or 30s, 10m, 1h)");
        }
        long unit = switch (m.group(2)) {
            case "m" -> 60;
            case "h" -> 3600;
            default -> 1;
        };
        return new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(unit)).setScale(0, RoundingMode.CEILING).longValueExact();
    }

    /** Whole seconds of a duration, rounded up. */
    public static long seconds(Duration d) {
        long s = d.getSeconds();
        return d.getNano() > 0 ? s + 1 : s;
    }
}
