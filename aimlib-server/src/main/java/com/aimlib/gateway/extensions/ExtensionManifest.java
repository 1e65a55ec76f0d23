package com.aimlib.gateway.extensions;

import com.aimlib.protocol.ErrorCode;
import com.aimlib.gateway.http.ApiException;
import com.aimlib.gateway.http.StrictUtf8;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The rules an uploaded extension's {@code manifest.json} must pass: strict JSON (no comments, no duplicate keys,
 * UTF-8), manifest version 3, a name and a Chrome version string, every file it names present in the package, and
 * none of the permissions or keys that would let it move traffic off the device or reach outside the browser's
 * sandbox ({@link #REFUSED_PERMISSIONS}, {@link #REFUSED_KEYS}, {@code file://} host patterns, static
 * declarativeNetRequest redirects to anything but http(s)). A refusal is 400 {@code extension_invalid} naming it.
 */
public final class ExtensionManifest {
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonParser.Feature.ALLOW_COMMENTS)
            .build();
    private static final Pattern VERSION = Pattern.compile("(0|[1-9][0-9]{0,8})(\\.(0|[1-9][0-9]{0,8})){0,3}");

    /** Permission → why it is refused. */
    public static final Map<String, String> REFUSED_PERMISSIONS = Map.ofEntries(
            Map.entry("proxy", "sets the browser's proxy, so its traffic would leave from the host instead of the device"),
            Map.entry("nativeMessaging", "talks to programs on the host, outside the browser's sandbox"),
            Map.entry("debugger", "speaks CDP from inside the browser, around the relay's guard (file: URLs, contexts with their own proxy)"),
            Map.entry("privacy", "can turn WebRTC's non-proxied UDP back on, which sends packets from the host's own address"),
            Map.entry("vpnProvider", "routes traffic through a VPN instead of the device"),
            Map.entry("webRequestBlocking", "rewrites requests in flight; not available to Manifest V3 extensions outside enterprise policy"),
            Map.entry("downloads.open", "opens downloaded files with the host's programs"),
            Map.entry("socket", "raw TCP/UDP sockets that bypass the proxy"),
            Map.entry("sockets", "raw TCP/UDP sockets that bypass the proxy"),
            Map.entry("fileSystemProvider", "exposes host file systems"),
            Map.entry("fileBrowserHandler", "handles host files"),
            Map.entry("enterprise.platformKeys", "host key material"),
            Map.entry("platformKeys", "host key material"),
            Map.entry("certificateProvider", "host key material"),
            Map.entry("system.network", "lists the host's network interfaces"));

    /** Manifest keys refused outright: packaged-app and plugin features that reach the host. */
    public static final Map<String, String> REFUSED_KEYS = Map.of(
            "app", "packaged apps are not extensions",
            "sockets", "raw sockets bypass the proxy",
            "nacl_modules", "native code",
            "plugins", "native NPAPI plugins",
            "file_system_provider_capabilities", "exposes host file systems");

    /** What the gateway keeps of a valid manifest. */
    public record Validated(String name, String version, List<String> permissions, List<String> hostPermissions, JsonNode manifest) {
    }

    private ExtensionManifest() {
    }

    public static Validated validate(Map<String, byte[]> files) {
        byte[] raw = files.get("manifest.json");
        if (raw == null) {
            throw invalid("manifest.json is missing at the extension's root");
        }
        JsonNode m = parse(raw, "manifest.json");
        if (!m.isObject()) {
            throw invalid("manifest.json must be a JSON object");
        }
        JsonNode mv = m.get("manifest_version");
        if (mv == null || !mv.isIntegralNumber() || mv.asInt() != 3) {
            throw invalid("manifest_version must be 3");
        }
        String name = text(m, "name", true);
        if (name.isBlank() || name.length() > 128) {
            throw invalid("name must be 1-128 characters");
        }
        String version = text(m, "version", true);
        if (!VERSION.matcher(version).matches()) {
            throw invalid("version must be 1-4 dot-separated integers, got \"" + clip(version) + "\"");
        }
        for (String key : REFUSED_KEYS.keySet()) {
            if (m.has(key)) {
                throw invalid("manifest key \"" + key + "\" is refused: " + REFUSED_KEYS.get(key));
            }
        }
        List<String> permissions = new ArrayList<>();
        permissions.addAll(strings(m, "permissions"));
        permissions.addAll(strings(m, "optional_permissions"));
        for (String p : permissions) {
            String why = REFUSED_PERMISSIONS.get(p);
            if (why != null) {
                throw invalid("permission \"" + p + "\" is refused: " + why);
            }
        }
        List<String> hosts = new ArrayList<>(strings(m, "host_permissions"));
        // Manifest V3 ignores host patterns under "permissions", but a pattern there is still judged like one.
        permissions.stream().filter(p -> p.contains("://") || p.equals("<all_urls>")).forEach(hosts::add);
        hosts.addAll(strings(m, "optional_host_permissions"));
        List<String> patterns = new ArrayList<>(hosts);
        JsonNode background = m.get("background");
        if (background != null) {
            if (!background.isObject()) {
                throw invalid("background must be an object");
            }
            if (background.has("scripts") || background.has("page")) {
                throw invalid("background scripts and pages are Manifest V2; use background.service_worker");
            }
            if (background.has("service_worker")) {
                requireFile(files, text(background, "service_worker", true), "background.service_worker");
            }
        }
        JsonNode scripts = m.get("content_scripts");
        if (scripts != null) {
            if (!scripts.isArray()) {
                throw invalid("content_scripts must be an array");
            }
            for (JsonNode cs : scripts) {
                if (!cs.isObject()) {
                    throw invalid("content_scripts entries must be objects");
                }
                patterns.addAll(strings(cs, "matches"));
                for (String f : strings(cs, "js")) {
                    requireFile(files, f, "content_scripts.js");
                }
                for (String f : strings(cs, "css")) {
                    requireFile(files, f, "content_scripts.css");
                }
            }
        }
        for (String p : patterns) {
            String lower = p.toLowerCase(Locale.ROOT);
            if (lower.startsWith("file:") || lower.startsWith("chrome:") || lower.startsWith("chrome-extension:")) {
                throw invalid("host pattern \"" + clip(p) + "\" is refused: extensions reach web origins only, never host files or browser pages");
            }
        }
        checkDeclarativeNetRequest(m, files);
        return new Validated(name, version, List.copyOf(permissions), List.copyOf(hosts), m);
    }

    /** Static redirect rules may only send a request to http(s) (or one of the extension's own files). */
    private static void checkDeclarativeNetRequest(JsonNode m, Map<String, byte[]> files) {
        JsonNode dnr = m.get("declarative_net_request");
        if (dnr == null) {
            return;
        }
        for (JsonNode res : dnr.path("rule_resources")) {
            String path = text(res, "path", true);
            String file = path.startsWith("/") ? path.substring(1) : path;
            requireFile(files, file, "declarative_net_request.rule_resources.path");
            JsonNode rules = parse(files.get(file), file);
            for (JsonNode rule : rules) {
                JsonNode action = rule.path("action");
                if (!"redirect".equals(action.path("type").asText())) {
                    continue;
                }
                JsonNode redirect = action.path("redirect");
                for (String url : List.of(redirect.path("url").asText(""), redirect.path("regexSubstitution").asText(""))) {
                    String u = url.toLowerCase(Locale.ROOT);
                    if (!url.isEmpty() && !u.startsWith("http://") && !u.startsWith("https://")) {
                        throw invalid("declarativeNetRequest rule in " + clip(file) + " redirects to \"" + clip(url)
                                + "\": redirects must go to http(s) URLs");
                    }
                }
                String scheme = redirect.path("transform").path("scheme").asText("");
                if (!scheme.isEmpty() && !scheme.equals("http") && !scheme.equals("https")) {
                    throw invalid("declarativeNetRequest rule in " + clip(file) + " redirects to scheme \"" + clip(scheme) + "\"");
                }
            }
        }
    }

    private static JsonNode parse(byte[] raw, String file) {
        if (raw == null) {
            throw invalid(file + " is missing");
        }
        byte[] body = raw;
        if (body.length >= 3 && (body[0] & 0xff) == 0xef && (body[1] & 0xff) == 0xbb && (body[2] & 0xff) == 0xbf) {
            body = java.util.Arrays.copyOfRange(body, 3, body.length); // a UTF-8 byte-order mark, as editors write
        }
        if (!StrictUtf8.isValid(body)) {
            throw invalid(file + " is not valid UTF-8");
        }
        try {
            JsonNode n = STRICT.readTree(body);
            if (n == null || n.isMissingNode()) {
                throw invalid(file + " is empty");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw invalid(file + " is not strict JSON (" + clip(e.getOriginalMessage()) + ")");
        } catch (IOException e) {
            throw invalid(file + " is not strict JSON");
        }
    }

    private static void requireFile(Map<String, byte[]> files, String path, String field) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (!files.containsKey(p)) {
            throw invalid(field + " names \"" + clip(path) + "\", which is not in the package");
        }
    }

    private static String text(JsonNode m, String field, boolean required) {
        JsonNode v = m.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw invalid(field + " is required");
            }
            return null;
        }
        if (!v.isTextual()) {
            throw invalid(field + " must be a string");
        }
        return v.asText();
    }

    private static List<String> strings(JsonNode m, String field) {
        JsonNode v = m.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw invalid(field + " must be an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) {
                throw invalid(field + " must be an array of strings");
            }
            out.add(e.asText());
        }
        return out;
    }

    private static String clip(String s) {
        if (s == null) {
            return "";
        }
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 120 ? t.substring(0, 120) + "…" : t;
    }

    static ApiException invalid(String message) {
        return new ApiException(400, ErrorCode.EXTENSION_INVALID, message);
    }
}
