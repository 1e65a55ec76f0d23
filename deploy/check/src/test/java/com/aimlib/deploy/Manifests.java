package com.aimlib.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads the manifests under {@code deploy/kubernetes/} and parses every Kubernetes object strictly with the
 * fabric8 model: its {@code apiVersion}/{@code kind} must be a registered type, and no field may land in an
 * {@code additionalProperties} map (fabric8 keeps unknown fields and values of the wrong type there instead
 * of failing, so a typo like {@code contianerPort} would otherwise pass).
 */
final class Manifests {
    static final Path MODULE = Path.of("").toAbsolutePath();
    static final Path REPO = MODULE.getParent().getParent();
    static final Path KUBERNETES = REPO.resolve("deploy/kubernetes");

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** One YAML document of a manifest file. */
    record Doc(Path file, int index, JsonNode node) {
        String apiVersion() {
            return node.path("apiVersion").asText();
        }

        String kind() {
            return node.path("kind").asText();
        }

        String name() {
            return node.path("metadata").path("name").asText();
        }

        boolean isKustomization() {
            return apiVersion().startsWith("kustomize.config.k8s.io/");
        }

        @Override
        public String toString() {
            return KUBERNETES.relativize(file) + "#" + index + " " + kind() + "/" + name();
        }
    }

    private Manifests() {
    }

    static List<Path> files() {
        try (Stream<Path> s = Files.walk(KUBERNETES)) {
            return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Doc> docs(Path file) {
        List<Doc> docs = new ArrayList<>();
        try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(Files.newBufferedReader(file))) {
            int i = 0;
            while (it.hasNext()) {
                JsonNode n = it.next();
                if (n != null && !n.isNull() && !n.isMissingNode()) {
                    docs.add(new Doc(file, i, n));
                }
                i++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        return docs;
    }

    static List<Doc> all() {
        return files().stream().flatMap(f -> docs(f).stream()).toList();
    }

    /** The class the fabric8 model registers for the document's apiVersion and kind, or null (a custom resource). */
    static Class<? extends KubernetesResource> modelClass(Doc d) {
        return SERIALIZATION.getRegisteredKubernetesResource(d.apiVersion(), d.kind());
    }

    /** Parses {@code node} as {@code type}; returns the problems: unknown fields or values of the wrong type. */
    static <T> List<String> strictProblems(JsonNode node, Class<T> type) {
        List<String> problems = new ArrayList<>();
        Object parsed;
        try {
            parsed = SERIALIZATION.unmarshal(YAML.writeValueAsString(node), type);
        } catch (RuntimeException | IOException e) {
            problems.add("does not parse as " + type.getSimpleName() + ": " + e.getMessage());
            return problems;
        }
        if (parsed instanceof HasMetadata h && (h.getMetadata() == null || h.getMetadata().getName() == null)) {
            problems.add("has no metadata.name");
        }
        walk(parsed, type.getSimpleName(), problems);
        return problems;
    }

    static <T> T parse(Doc d, Class<T> type) {
        return SERIALIZATION.unmarshal(d.node().toString(), type);
    }

    /** Every model object reachable from {@code o}: an extra property anywhere is a problem named by its path. */
    private static void walk(Object o, String path, List<String> problems) {
        if (o == null) {
            return;
        }
        if (o instanceof Collection<?> c) {
            int i = 0;
            for (Object e : c) {
                walk(e, path + "[" + i++ + "]", problems);
            }
            return;
        }
        if (o instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                walk(e.getValue(), path + "[" + e.getKey() + "]", problems);
            }
            return;
        }
        if (!o.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method method : o.getClass().getMethods()) {
            if (method.getParameterCount() != 0 || Modifier.isStatic(method.getModifiers())
                    || method.getDeclaringClass() == Object.class) {
                continue;
            }
            String name = method.getName();
            if (!name.startsWith("get") || name.length() < 4) {
                continue;
            }
            Object value;
            try {
                value = method.invoke(o);
            } catch (IllegalAccessException | InvocationTargetException e) {
                continue;
            }
            if (name.equals("getAdditionalProperties")) {
                if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    problems.add(path + ": unknown field(s) or value(s) of the wrong type " + extra.keySet());
                }
                continue;
            }
            String field = Character.toLowerCase(name.charAt(3)) + name.substring(4);
            walk(value, path + "." + field, problems);
        }
    }
}
