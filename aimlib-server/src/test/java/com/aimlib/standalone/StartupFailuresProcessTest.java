package com.aimlib.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.testing.Ports;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The real {@code ./aimlib} launcher with {@code HOME} pointing at a temporary directory: the data lands
 * under it, a second instance on the same data directory stops with one line naming the first's pid, and a
 * busy port or a missing Chromium is one line with the fix. Never a stack trace.
 */
class StartupFailuresProcessTest {
    static final Path LAUNCHER = Path.of("..", "aimlib").toAbsolutePath().normalize();

    /** {@code ./aimlib standalone ...} with HOME={@code home}, run from Maven's classpath (no build). */
    static ProcessBuilder launcher(Path home, String... args) {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString(), "standalone", "--warm-browsers", "0"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("HOME", home.toString());
        env.remove("AIMLIB_DATA_DIR");
        env.put("AIMLIB_CLASSPATH", System.getProperty("java.class.path"));
        env.put("JAVA_HOME", Path.of(ProcessHandle.current().info().command().orElseThrow()).getParent().getParent().toString());
        env.put("AIMLIB_LOG_LEVEL", "WARN");
        return pb;
    }

    static String[] ports(int[] p) {
        return new String[] {"--port", String.valueOf(p[0]), "--socks-port", String.valueOf(p[1]),
                "--http-proxy-port", String.valueOf(p[2]), "--tunnel-port", String.valueOf(p[3])};
    }

    static Process awaitUp(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        List<String> lines = new ArrayList<>();
        for (String line; (line = out.readLine()) != null && System.nanoTime() < deadline; ) {
            lines.add(line);
            if (line.startsWith("aimlib standalone is up")) {
                return p;
            }
        }
        p.destroyForcibly();
        throw new AssertionError("standalone did not come up: " + lines);
    }

    /** Runs a start that must fail; returns its stderr lines after checking the exit code and the absence of a trace. */
    static List<String> failedStart(ProcessBuilder pb) throws Exception {
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.getOutputStream().close();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isEqualTo(1);
        assertThat(err).as("no stack trace").doesNotContain("\tat ").doesNotContain("Exception");
        return err.lines().filter(l -> !l.startsWith("WARNING: ") && !l.isBlank()).toList();
    }

    @Test
    void dataFollowsHomeAndASecondInstanceOrABusyPortIsOneLine() throws Exception {
        Path home = Files.createTempDirectory("aimlib-home");
        int[] ports = Ports.free(4);
        Process first = awaitUp(launcher(home, ports(ports)).redirectError(ProcessBuilder.Redirect.DISCARD).start());
        try {
            Path data = home.resolve(".aimlib");
            assertThat(data.resolve("pg/PG_VERSION")).as("the data lives under $HOME").exists();
            assertThat(Files.readString(data.resolve("aimlib.lock")).trim()).isEqualTo(String.valueOf(first.pid()));

            List<String> second = failedStart(launcher(home, ports(Ports.free(4))));
            assertThat(second).containsExactly("aimlib standalone: data directory " + data.toRealPath()
                    + " is in use by another aimlib process (pid " + first.pid()
                    + "): stop that one, or give this one its own --data-dir (env AIMLIB_DATA_DIR)");

            int[] clash = Ports.free(4);
            clash[0] = ports[0];
            List<String> busy = failedStart(launcher(Files.createTempDirectory("aimlib-home"), ports(clash)));
            assertThat(busy).contains("aimlib standalone: port " + ports[0] + " on 127.0.0.1 is in use (--port): stop what listens there"
                    + " (ss -ltnp 'sport = :" + ports[0] + "') or pass another --port");
        } finally {
            first.destroy();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void missingChromiumIsOneLineWithTheFix() throws Exception {
        List<String> err = failedStart(launcher(Files.createTempDirectory("aimlib-home"), "--chromium", "/nonexistent/chromium"));
        assertThat(err).containsExactly("aimlib standalone: Chromium not found at /nonexistent/chromium:"
                + " install it (apt-get install chromium) or pass its path with --chromium");
    }
}
