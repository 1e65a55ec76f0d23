package com.aimlib.sdk;

import com.aimlib.protocol.ExtensionBody;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Your Chrome extensions ({@code /v1/extensions}): upload (a directory or a zip), list, read, delete. */
public final class Extensions {
    private static final TypeReference<ExtensionBody> ONE = new TypeReference<>() {
    };
    private static final TypeReference<List<ExtensionBody>> LIST = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, Object>> ANY = new TypeReference<>() {
    };
    private final Transport transport;

    Extensions(Transport transport) {
        this.transport = transport;
    }

    /** Uploads an unpacked extension directory (zipped here) or a {@code .zip} file; {@code name} may be null. */
    public Extension upload(Path path, String name) {
        byte[] zip;
        try {
            zip = Files.isDirectory(path) ? zipDirectory(path) : Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String target = "/v1/extensions" + (name == null ? "" : "?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8));
        return new Extension(transport.upload(target, zip, "application/zip", ONE));
    }

    public Extension upload(Path path) {
        return upload(path, null);
    }

    public List<Extension> list() {
        return transport.call("GET", "/v1/extensions", null, LIST).stream().map(Extension::new).toList();
    }

    public Extension get(String id) {
        return new Extension(transport.call("GET", "/v1/extensions/" + id, null, ONE));
    }

    public void delete(String id) {
        transport.call("DELETE", "/v1/extensions/" + id, null, ANY);
    }

    private static byte[] zipDirectory(Path dir) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out); Stream<Path> walk = Files.walk(dir)) {
            for (Path f : walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
                zip.putNextEntry(new ZipEntry(dir.relativize(f).toString().replace('\\', '/')));
                zip.write(Files.readAllBytes(f));
                zip.closeEntry();
            }
        }
        return out.toByteArray();
    }
}
