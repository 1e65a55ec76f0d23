package com.aimlib.protocol.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The full version of a Chromium binary, from {@code chromium --version} ("Chromium 156.0.8078.108 built on …"). */
public final class ChromiumVersion {
    /** What a host reports when its binary cannot say: an old major no session would be resolved against. */
    public static final String UNKNOWN = "126.0.6478.126";
    private static final Pattern VERSION = Pattern.compile("(\\d+\\.\\d+\\.\\d+\\.\\d+)");

    private ChromiumVersion() {
    }

    public static String of(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor(10, TimeUnit.SECONDS);
            Matcher m = VERSION.matcher(out);
            return m.find() ? m.group(1) : UNKNOWN;
        } catch (IOException e) {
            return UNKNOWN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return UNKNOWN;
        }
    }
}
