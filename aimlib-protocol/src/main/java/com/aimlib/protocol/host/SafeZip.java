package com.aimlib.protocol.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes the zips aimlib stores (uploaded extensions, saved browser contexts) with the JDK's zip reader,
 * which reads the central directory like every other zip tool. Every entry name is checked before anything is
 * written: relative, '/'-separated, no '.', '..' or empty segments, no backslash, colon or control characters, no
 * duplicates; sizes are counted while inflating (a header's size is never trusted), so a zip bomb stops at the limit.
 * Only regular files come out: a symlink entry would be written as a file holding its target's name.
 */
public final class SafeZip {
    private SafeZip() {
    }

    /** What a zip may hold. */
    public record Limits(int maxEntries, long maxTotalBytes, long maxEntryBytes) {
    }

    /** A zip or one of its names refused; the message names the entry and the rule. */
    public static final class Refused extends IOException {
        public Refused(String message) {
            super(message);
        }
    }

    /** The zip's files (directories dropped), names checked, in the zip's order. */
    public static Map<String, byte[]> read(byte[] zip, Limits limits) throws IOException {
        Path tmp = Files.createTempFile("aimlib-zip", ".zip");
        try {
            Files.write(tmp, zip);
            Map<String, byte[]> files = new LinkedHashMap<>();
            long total = 0;
            int entries = 0;
            try (ZipFile zf = new ZipFile(tmp.toFile())) {
                Enumeration<? extends ZipEntry> all = zf.entries();
                while (all.hasMoreElements()) {
                    ZipEntry e = all.nextElement();
                    if (++entries > limits.maxEntries()) {
                        throw new Refused("more than " + limits.maxEntries() + " entries");
                    }
                    String name = e.getName();
                    if (e.isDirectory()) {
                        checkName(name.substring(0, Math.max(0, name.length() - 1)));
                        continue;
                    }
                    checkName(name);
                    if (files.containsKey(name)) {
                        throw new Refused("duplicate entry " + printable(name));
                    }
                    byte[] data = readBounded(zf.getInputStream(e), Math.min(limits.maxEntryBytes(), limits.maxTotalBytes() - total), name);
                    total += data.length;
                    files.put(name, data);
                }
            } catch (ZipException e) {
                throw new Refused("not a readable zip (" + e.getMessage() + ")");
            }
            return files;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static byte[] readBounded(InputStream in, long max, String name) throws IOException {
        try (in) {
            byte[] data = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, Math.max(0, max) + 1));
            if (data.length > max) {
                throw new Refused("entry " + printable(name) + " inflates past the size limit");
            }
            return data;
        }
    }

    /** Refuses a name that could land outside the directory it is unpacked into, or be read differently elsewhere. */
    public static void checkName(String name) throws Refused {
        if (name.isEmpty() || name.length() > 1024) {
            throw new Refused("entry name empty or longer than 1024 characters");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\' || c == ':') {
                throw new Refused("entry " + printable(name) + " has a control character, backslash or colon");
            }
        }
        if (name.startsWith("/")) {
            throw new Refused("entry " + printable(name) + " is an absolute path");
        }
        for (String seg : name.split("/", -1)) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new Refused("entry " + printable(name) + " has an empty, '.' or '..' segment");
            }
            if (seg.length() > 255) {
                throw new Refused("entry " + printable(name) + " has a segment longer than 255 characters");
            }
        }
    }

    private static String printable(String name) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < Math.min(name.length(), 200); i++) {
            char c = name.charAt(i);
            sb.append(c < 0x20 || c == 0x7f ? '?' : c);
        }
        return sb.append('"').toString();
    }

    /** Writes {@code files} as a zip (deflated). */
    public static void write(Map<String, byte[]> files, OutputStream out) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                zip.putNextEntry(new ZipEntry(f.getKey()));
                zip.write(f.getValue());
                zip.closeEntry();
            }
        }
    }

    /** Writes the (already checked) files under {@code dir}, creating directories; never follows a link out of it. */
    public static void unpack(Map<String, byte[]> files, Path dir) throws IOException {
        Path root = dir.toAbsolutePath().normalize();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            checkName(f.getKey());
            Path target = root.resolve(f.getKey()).normalize();
            if (!target.startsWith(root)) {
                throw new Refused("entry " + printable(f.getKey()) + " leaves its directory");
            }
            Files.createDirectories(target.getParent());
            Files.write(target, f.getValue(), java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS);
        }
    }
}
