package com.aimlib.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fonts a session's Chromium can see: only the phone's. Chromium on Linux finds fonts through fontconfig, which
 * reads the file named by {@code FONTCONFIG_FILE}; the host writes one per font list that names only the directories
 * holding the families of {@code resolved_profile.fonts} the host has installed and every Noto family (Android draws
 * every script with Noto), rejecting any other family found there — so DejaVu, Liberation and whatever else the
 * machine has are not seen at all. A page probing for fonts then
 * finds Roboto, Noto Sans/Serif and Noto Color Emoji, with {@code sans-serif} drawn in Roboto as on the phone, and none
 * of the desktop's families. Without Roboto installed ({@code fonts-roboto}) nothing is restricted: a browser with no
 * usable font would be worse than the host's own set (logged once at start).
 */
final class HostFonts {
    private static final Logger log = LoggerFactory.getLogger(HostFonts.class);
    private static final List<String> FONT_DIRS = List.of("/usr/share/fonts", "/usr/local/share/fonts");

    private final Path dir;
    /** Installed families, lower case. */
    private final Set<String> installed;
    /** Every installed font file and its family names (as fc-list gives them). */
    private final List<Font> files;

    private record Font(String file, List<String> families) {
        boolean noto() {
            return file.contains("/noto/");
        }
    }

    private HostFonts(Path dir, Set<String> installed, List<Font> files) {
        this.dir = dir;
        this.installed = installed;
        this.files = files;
    }

    /** Lists the installed families ({@code fc-list : family}); blocking, at host start. */
    static HostFonts detect(Path workDir) {
        Set<String> families = new LinkedHashSet<>();
        List<Font> files = new ArrayList<>();
        try {
            ProcessBuilder pb = new ProcessBuilder("fc-list", ":", "file", "family").redirectErrorStream(true);
            pb.environment().remove("FONTCONFIG_FILE");
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0) {
                for (String line : out.split("\n")) {
                    int at = line.indexOf(": ");
                    if (at <= 0) {
                        continue;
                    }
                    List<String> names = new ArrayList<>();
                    for (String f : line.substring(at + 2).split(",")) {
                        if (!f.isBlank()) {
                            names.add(f.trim());
                            families.add(f.trim().toLowerCase(Locale.ROOT));
                        }
                    }
                    files.add(new Font(line.substring(0, at), List.copyOf(names)));
                }
            }
        } catch (IOException e) {
            // No fontconfig tools: nothing is restricted.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!families.contains("roboto")) {
            log.warn("fonts: Roboto is not installed (apt-get install fonts-roboto fonts-noto-core fonts-noto-color-emoji); "
                    + "sessions see the host's own fonts");
        }
        return new HostFonts(workDir.resolve("fonts"), Set.copyOf(families), List.copyOf(files));
    }

    /** The families of {@code wanted} this host can show; empty when fonts are not restricted. */
    List<String> accepted(List<String> wanted) {
        if (!installed.contains("roboto")) {
            return List.of();
        }
        List<String> a = new ArrayList<>();
        for (String f : wanted) {
            String clean = f.replaceAll("[^A-Za-z0-9 ._-]", "");
            if (!clean.isBlank() && installed.contains(clean.toLowerCase(Locale.ROOT))) {
                a.add(clean);
            }
        }
        return a;
    }

    /** The file written for each accepted family list: it is the same for every launch with that list. */
    private final java.util.Map<List<String>, Path> written = new java.util.concurrent.ConcurrentHashMap<>();

    /** The fontconfig file for {@code wanted} (written once per distinct list), or null when fonts are not restricted. Blocking. */
    Path config(List<String> wanted) throws IOException {
        List<String> families = accepted(wanted);
        if (families.isEmpty()) {
            return null;
        }
        Path known = written.get(families);
        if (known != null) {
            return known;
        }
        String xml = xml(families);
        Path file = dir.resolve("fonts-" + HexFormat.of().formatHex(sha(xml), 0, 8) + ".conf");
        if (!Files.exists(file)) {
            Files.createDirectories(dir.resolve("cache"));
            Path tmp = Files.createTempFile(dir, "fonts", ".tmp");
            Files.writeString(tmp, xml);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        written.put(families, file);
        return file;
    }

    /**
     * Only the directories that hold the phone's fonts (a rejectfont glob of everything does not combine with accepted
     * patterns: fontconfig then lists nothing), and within them every other family rejected by name.
     */
    private String xml(List<String> families) {
        Set<String> accepted = new java.util.HashSet<>();
        families.forEach(f -> accepted.add(f.toLowerCase(Locale.ROOT)));
        Set<String> dirs = new java.util.TreeSet<>();
        for (Font f : files) {
            if (f.noto() || f.families().stream().anyMatch(n -> accepted.contains(n.toLowerCase(Locale.ROOT)))) {
                dirs.add(Path.of(f.file()).getParent().toString());
            }
        }
        Set<String> rejected = new java.util.TreeSet<>();
        for (Font f : files) {
            boolean inside = dirs.stream().anyMatch(d -> f.file().startsWith(d + "/"));
            if (inside && !f.noto() && f.families().stream().noneMatch(n -> accepted.contains(n.toLowerCase(Locale.ROOT)))) {
                rejected.add(f.families().getFirst());
            }
        }
        StringBuilder x = new StringBuilder("""
                <?xml version="1.0"?>
                <!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
                <!-- Written by the aimlib browser host: the phone's fonts only (host/HostFonts.java). -->
                <fontconfig>
                """);
        for (String d : dirs) {
            x.append("  <dir>").append(escape(d)).append("</dir>\n");
        }
        x.append("  <cachedir>/var/cache/fontconfig</cachedir>\n  <cachedir>").append(escape(dir.resolve("cache").toString())).append("</cachedir>\n");
        if (!rejected.isEmpty()) {
            x.append("  <selectfont>\n    <rejectfont>\n");
            for (String r : rejected) {
                x.append("      <pattern><patelt name=\"family\"><string>").append(escape(r)).append("</string></patelt></pattern>\n");
            }
            x.append("    </rejectfont>\n  </selectfont>\n");
        }
        alias(x, "sans-serif", "Roboto", "Noto Sans");
        alias(x, "serif", "Noto Serif");
        alias(x, "monospace", "Droid Sans Mono", "Noto Mono", "Noto Sans Mono");
        alias(x, "emoji", "Noto Color Emoji");
        return x.append("</fontconfig>\n").toString();
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    private static void alias(StringBuilder x, String generic, String... prefer) {
        x.append("  <alias><family>").append(generic).append("</family><prefer>");
        for (String p : prefer) {
            x.append("<family>").append(p).append("</family>");
        }
        x.append("</prefer></alias>\n");
    }

    private static byte[] sha(String s) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
