package com.aimlib.host;

import com.aimlib.protocol.host.BootExtras;
import com.aimlib.protocol.host.SafeZip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * A session's extensions on the host: unpacked under its user-data-dir, passed with {@code --load-extension} and
 * {@code --disable-extensions-except} (nothing else loads), and denied file access. Chromium grants an extension
 * loaded from the command line access to {@code file://} URLs (tried with Chromium 156: {@code fetch('file:///etc/hostname')}
 * from its service worker succeeded, and {@code chrome.tabs.create} opened a file tab); the profile's preference
 * {@code extensions.settings.<id>.newAllowFileAccess = false}, written before the first start, is kept instead.
 */
final class LoadedExtensions {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    static final SafeZip.Limits LIMITS = new SafeZip.Limits(5_000, 256L << 20, 128L << 20);

    final List<Path> dirs = new ArrayList<>();
    final List<String> ids = new ArrayList<>();

    /** Unpacks every extension into {@code <userDataDir>/aimlib-extensions/<uuid>} and computes the id Chromium will give it. */
    static LoadedExtensions unpack(List<BootExtras.Extension> extensions, Path userDataDir) throws IOException {
        LoadedExtensions loaded = new LoadedExtensions();
        for (BootExtras.Extension e : extensions) {
            Map<String, byte[]> files = SafeZip.read(e.archive(), LIMITS);
            Path dir = userDataDir.resolve("aimlib-extensions").resolve(e.id().toString()).toAbsolutePath();
            SafeZip.unpack(files, dir);
            JsonNode manifest = MAPPER.readTree(files.get("manifest.json"));
            loaded.dirs.add(dir);
            loaded.ids.add(chromeId(dir, manifest));
        }
        return loaded;
    }

    /** The launch flags; empty without extensions. */
    List<String> flags() {
        if (dirs.isEmpty()) {
            return List.of();
        }
        String list = String.join(",", dirs.stream().map(Path::toString).toList());
        return List.of("--load-extension=" + list, "--disable-extensions-except=" + list);
    }

    /** Adds the file-access denial of every extension to the profile's preferences before the first start. */
    void denyFileAccess(ObjectNode prefs) {
        if (ids.isEmpty()) {
            return;
        }
        ObjectNode settings = prefs.withObject("/extensions").withObject("/settings");
        for (String id : ids) {
            settings.putObject(id).put("newAllowFileAccess", false);
        }
    }

    /**
     * Chromium's id of an unpacked extension: the SHA-256 of the manifest's {@code key} (a base64 public key) when
     * it has one, else of the directory's path, first 16 bytes, each hex digit written as a letter a–p.
     */
    static String chromeId(Path dir, JsonNode manifest) {
        byte[] input;
        JsonNode key = manifest == null ? null : manifest.get("key");
        if (key != null && key.isTextual()) {
            input = Base64.getMimeDecoder().decode(key.asText());
        } else {
            input = dir.toString().getBytes(StandardCharsets.UTF_8);
        }
        byte[] hash;
        try {
            hash = MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder id = new StringBuilder(32);
        for (int i = 0; i < 16; i++) {
            id.append((char) ('a' + ((hash[i] >> 4) & 0xf))).append((char) ('a' + (hash[i] & 0xf)));
        }
        return id.toString();
    }
}
