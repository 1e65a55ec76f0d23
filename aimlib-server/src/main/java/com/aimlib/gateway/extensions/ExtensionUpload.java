package com.aimlib.gateway.extensions;

import com.aimlib.gateway.http.Request;
import com.aimlib.protocol.host.SafeZip;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The body of {@code POST /v1/extensions} as the extension's files: a zip ({@code Content-Type: application/zip} or
 * {@code application/octet-stream}), or {@code multipart/form-data} with one part per file whose filename is its
 * path in the extension (a browser's folder upload, or {@code curl -F "f=@bg.js;filename=bg.js"}), or with one
 * {@code .zip} part. Names are checked like zip entries; a single top folder holding {@code manifest.json} is dropped.
 */
public final class ExtensionUpload {
    /** Files and bytes an unpacked extension may have. */
    public static final SafeZip.Limits LIMITS = new SafeZip.Limits(1000, 32L << 20, 32L << 20);

    /** The files, and the {@code name} form field if one was sent. */
    public record Files(Map<String, byte[]> files, String name) {
    }

    private ExtensionUpload() {
    }

    public static Files read(Request r) {
        String type = r.header("Content-Type") == null ? "" : r.header("Content-Type").toLowerCase(Locale.ROOT);
        if (r.body().length == 0) {
            throw ExtensionManifest.invalid("the body is empty: send the extension as a zip or as multipart/form-data");
        }
        if (type.startsWith("multipart/form-data")) {
            return multipart(r);
        }
        if (type.startsWith("application/zip") || type.startsWith("application/x-zip-compressed") || type.startsWith("application/octet-stream")) {
            return new Files(stripTopFolder(zip(r.body())), null);
        }
        throw ExtensionManifest.invalid("Content-Type must be application/zip or multipart/form-data");
    }

    private static Map<String, byte[]> zip(byte[] body) {
        try {
            return SafeZip.read(body, LIMITS);
        } catch (SafeZip.Refused e) {
            throw ExtensionManifest.invalid("zip refused: " + e.getMessage());
        } catch (IOException e) {
            throw ExtensionManifest.invalid("zip unreadable");
        }
    }

    private static Files multipart(Request r) {
        FullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, r.path(), Unpooled.wrappedBuffer(r.body()));
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, r.header("Content-Type"));
        req.headers().set(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        HttpPostMultipartRequestDecoder decoder = null;
        Map<String, byte[]> files = new LinkedHashMap<>();
        String name = null;
        long total = 0;
        try {
            decoder = new HttpPostMultipartRequestDecoder(new DefaultHttpDataFactory(false), req, StandardCharsets.UTF_8);
            for (InterfaceHttpData d : decoder.getBodyHttpDatas()) {
                if (d instanceof FileUpload f) {
                    String path = f.getFilename();
                    try {
                        SafeZip.checkName(path);
                    } catch (SafeZip.Refused e) {
                        throw ExtensionManifest.invalid("file refused: " + e.getMessage());
                    }
                    if (files.containsKey(path)) {
                        throw ExtensionManifest.invalid("file \"" + path + "\" sent twice");
                    }
                    byte[] data = f.get();
                    total += data.length;
                    if (files.size() >= LIMITS.maxEntries() || total > LIMITS.maxTotalBytes()) {
                        throw ExtensionManifest.invalid("more than " + LIMITS.maxEntries() + " files or " + LIMITS.maxTotalBytes() + " bytes");
                    }
                    files.put(path, data);
                } else if (d instanceof Attribute a && "name".equals(a.getName())) {
                    name = a.getValue();
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof com.aimlib.gateway.http.ApiException api) {
                throw api;
            }
            throw ExtensionManifest.invalid("multipart body unreadable");
        } finally {
            if (decoder != null) {
                decoder.destroy();
            }
            req.release();
        }
        if (files.size() == 1 && files.keySet().iterator().next().toLowerCase(Locale.ROOT).endsWith(".zip")) {
            return new Files(stripTopFolder(zip(files.values().iterator().next())), name);
        }
        if (files.isEmpty()) {
            throw ExtensionManifest.invalid("the form has no file parts");
        }
        return new Files(stripTopFolder(files), name);
    }

    /** {@code myext/manifest.json, myext/bg.js} → {@code manifest.json, bg.js}: what zipping a folder or uploading one gives. */
    static Map<String, byte[]> stripTopFolder(Map<String, byte[]> files) {
        if (files.containsKey("manifest.json") || files.isEmpty()) {
            return files;
        }
        String first = files.keySet().iterator().next();
        int slash = first.indexOf('/');
        if (slash < 0) {
            return files;
        }
        String top = first.substring(0, slash + 1);
        if (!files.keySet().stream().allMatch(k -> k.startsWith(top) && k.length() > top.length())) {
            return files;
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        files.forEach((k, v) -> out.put(k.substring(top.length()), v));
        return out;
    }
}
