package com.aimlib.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The REST calls of a test made with the real curl binary: what a customer's shell sees, status line included. */
public final class Curl {
    /** {@code head}: the status line and headers as curl printed them; {@code body}: the body. */
    public record Reply(int status, String head, String body) {
        public String statusLine() {
            return head.lines().findFirst().orElse("");
        }
    }

    private Curl() {
    }

    public static Reply call(String method, String url, String bearer, String body) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-i", "--max-time", "30", "-X", method));
        if (bearer != null) {
            cmd.addAll(List.of("-H", "Authorization: Bearer " + bearer));
        }
        if (body != null) {
            cmd.addAll(List.of("-H", "Content-Type: application/json", "--data-binary", body));
        }
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(40, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("curl failed: " + new String(out, StandardCharsets.UTF_8));
        }
        String text = new String(out, StandardCharsets.UTF_8);
        int split = text.indexOf("\r\n\r\n");
        String head = split < 0 ? text : text.substring(0, split);
        String rest = split < 0 ? "" : text.substring(split + 4);
        int status = Integer.parseInt(head.lines().findFirst().orElseThrow().split(" ")[1]);
        return new Reply(status, head, rest);
    }
}
