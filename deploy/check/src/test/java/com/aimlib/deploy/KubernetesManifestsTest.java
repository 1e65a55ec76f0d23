package com.aimlib.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.deploy.Manifests.Doc;
import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every manifest under {@code deploy/kubernetes/}: parsed strictly with the fabric8 Kubernetes model, listed by
 * a kustomization, and consistent with each other and with the code (Service selectors and ports, network
 * policy selectors, secret and config references, the Job's command, the gateway's ports and the autoscaler's
 * metric). Custom resources of the CloudNativePG operator have no schema here: they are listed as not
 * validated, and only their name and namespace are checked.
 */
class KubernetesManifestsTest {
    /** Custom resources no Kubernetes model here knows: checked for name and namespace only. */
    static final Set<String> NOT_VALIDATED = Set.of("postgresql.cnpg.io/v1 Cluster");

    static List<Doc> docs;
    static List<Doc> objects;
    static Map<String, Workload> workloads;

    /** A workload's pod template: its labels, containers, and the pods' labels of the CloudNativePG cluster. */
    record Workload(String kind, String name, Map<String, String> podLabels, List<Container> containers) {
        Set<String> portNames() {
            Set<String> names = new HashSet<>();
            containers.forEach(c -> c.getPorts().forEach(p -> names.add(p.getName())));
            return names;
        }

        Set<Integer> portNumbers() {
            Set<Integer> numbers = new HashSet<>();
            containers.forEach(c -> c.getPorts().forEach(p -> numbers.add(p.getContainerPort())));
            return numbers;
        }

        boolean matches(Map<String, String> selector) {
            return selector != null && podLabels.entrySet().containsAll(selector.entrySet());
        }
    }

    @BeforeAll
    static void load() {
        docs = Manifests.all();
        objects = docs.stream().filter(d -> !d.isKustomization()).toList();
        workloads = new LinkedHashMap<>();
        for (Doc d : objects) {
            PodTemplateSpec template = switch (d.kind()) {
                case "Deployment" -> Manifests.parse(d, Deployment.class).getSpec().getTemplate();
                case "StatefulSet" -> Manifests.parse(d, StatefulSet.class).getSpec().getTemplate();
                case "Job" -> Manifests.parse(d, Job.class).getSpec().getTemplate();
                default -> null;
            };
            if (template != null) {
                workloads.put(d.kind() + "/" + d.name(), new Workload(d.kind(), d.name(), template.getMetadata().getLabels(),
                        template.getSpec().getContainers()));
            } else if (d.kind().equals("Cluster") && d.apiVersion().startsWith("postgresql.cnpg.io/")) {
                // CloudNativePG labels the instance pods of a Cluster with cnpg.io/cluster=<name>; they serve
                // PostgreSQL on 5432 and the instance manager's status endpoint (polled by the operator) on 8000.
                workloads.put("Cluster/" + d.name(), new Workload("Cluster", d.name(), Map.of("cnpg.io/cluster", d.name()),
                        List.of(new io.fabric8.kubernetes.api.model.ContainerBuilder().withName("postgres")
                                .addNewPort().withName("postgresql").withContainerPort(5432).endPort()
                                .addNewPort().withName("status").withContainerPort(8000).endPort().build())));
            }
        }
    }

    static List<Doc> ofKind(String kind) {
        return objects.stream().filter(d -> d.kind().equals(kind)).toList();
    }

    static Doc one(String kind, String name) {
        return objects.stream().filter(d -> d.kind().equals(kind) && d.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + "/" + name + " under deploy/kubernetes"));
    }

    @Test
    void everyObjectParsesStrictlyWithTheFabric8Model() {
        assertThat(objects).hasSizeGreaterThanOrEqualTo(15);
        Map<String, List<String>> problems = new LinkedHashMap<>();
        List<String> notValidated = new ArrayList<>();
        for (Doc d : objects) {
            if (NOT_VALIDATED.contains(d.apiVersion() + " " + d.kind())) {
                notValidated.add(d.toString());
                continue;
            }
            var type = Manifests.modelClass(d);
            if (type == null || type == io.fabric8.kubernetes.api.model.GenericKubernetesResource.class) {
                problems.put(d.toString(), List.of("apiVersion/kind " + d.apiVersion() + " " + d.kind() + " is no Kubernetes type"));
                continue;
            }
            List<String> p = Manifests.strictProblems(d.node(), type);
            if (!p.isEmpty()) {
                problems.put(d.toString(), p);
            }
        }
        assertThat(problems).as("strict parse").isEmpty();
        assertThat(notValidated).as("custom resources listed as not validated")
                .containsExactly("postgres/cluster.yaml#0 Cluster/aimlib-db");
        for (Doc d : objects) {
            assertThat(d.node().path("metadata").path("namespace").asText()).as("%s namespace", d)
                    .isIn("aimlib", d.kind().equals("Namespace") ? "" : "aimlib");
        }
    }

    @Test
    void theStrictParseCatchesATypoAndAWrongType() throws Exception {
        JsonNode typo = Manifests.YAML.readTree("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: c
                          image: i:1
                          ports: [{name: http, contianerPort: 80}]
                """);
        assertThat(Manifests.strictProblems(typo, Deployment.class)).singleElement().asString()
                .contains("spec.template.spec.containers[0].ports[0]").contains("contianerPort");
        JsonNode wrongType = Manifests.YAML.readTree("""
                apiVersion: v1
                kind: Service
                metadata: {name: x}
                spec:
                  selector: {a: b}
                  ports: [{name: http, port: {number: 80}}]
                """);
        assertThat(Manifests.strictProblems(wrongType, Service.class)).isNotEmpty();
    }

    @Test
    void everyManifestIsListedByAKustomizationAndEveryListedFileExists() {
        Set<Path> listed = new HashSet<>();
        for (Doc k : docs.stream().filter(Doc::isKustomization).toList()) {
            Path dir = k.file().getParent();
            for (JsonNode r : k.node().path("resources")) {
                Path p = dir.resolve(r.asText()).normalize();
                assertThat(p).as("%s lists %s", k, r.asText()).exists();
                if (Files.isDirectory(p)) {
                    assertThat(p.resolve("kustomization.yaml")).as("%s lists a directory without a kustomization", k).exists();
                } else {
                    listed.add(p);
                }
            }
        }
        Set<String> orphans = new TreeSet<>();
        for (Path f : Manifests.files()) {
            if (!f.getFileName().toString().equals("kustomization.yaml") && !listed.contains(f.normalize())) {
                orphans.add(Manifests.KUBERNETES.relativize(f).toString());
            }
        }
        assertThat(orphans).as("manifests no kustomization includes").isEmpty();
        // The external-db overlay is the base without the CloudNativePG cluster.
        JsonNode overlay = docs.stream().filter(d -> d.isKustomization() && d.file().toString().contains("external-db"))
                .findFirst().orElseThrow().node();
        assertThat(overlay.path("resources").toString()).contains("../../base").doesNotContain("postgres");
        assertThat(overlay.path("patches").toString()).contains("AIMLIB_DB_URL");
    }

    /** {@code kubectl kustomize dir}: what {@code kubectl apply -k} would send, as YAML documents. */
    static List<JsonNode> kustomize(Path dir) throws Exception {
        Process p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize %s: %s", dir, out).isZero();
        List<JsonNode> rendered = new ArrayList<>();
        try (var it = Manifests.YAML.readerFor(JsonNode.class).<JsonNode>readValues(out)) {
            while (it.hasNext()) {
                rendered.add(it.next());
            }
        }
        return rendered;
    }

    @Test
    void bothKustomizationsRenderAndTheirOutputParsesStrictly() throws Exception {
        boolean kubectl = java.util.stream.Stream.of(System.getenv("PATH").split(":"))
                .anyMatch(d -> Files.isExecutable(Path.of(d, "kubectl")));
        org.junit.jupiter.api.Assumptions.assumeTrue(kubectl, "kubectl (its built-in kustomize) is not installed");
        Map<String, List<JsonNode>> renders = Map.of(
                "cnpg", kustomize(Manifests.KUBERNETES),
                "external-db", kustomize(Manifests.KUBERNETES.resolve("overlays/external-db")));
        for (var e : renders.entrySet()) {
            for (JsonNode n : e.getValue()) {
                String api = n.path("apiVersion").asText();
                String kind = n.path("kind").asText();
                if (NOT_VALIDATED.contains(api + " " + kind)) {
                    continue;
                }
                var type = Manifests.SERIALIZATION.getRegisteredKubernetesResource(api, kind);
                assertThat(type).as("%s %s", api, kind).isNotNull();
                assertThat(Manifests.strictProblems(n, type)).as("%s: %s %s", e.getKey(), kind, n.path("metadata").path("name")).isEmpty();
                assertThat(n.path("metadata").path("labels").path("app.kubernetes.io/part-of").asText())
                        .as("common label on %s", kind).isEqualTo("aimlib");
            }
        }
        List<String> cnpgKinds = renders.get("cnpg").stream().map(n -> n.path("kind").asText()).toList();
        List<String> externalKinds = renders.get("external-db").stream().map(n -> n.path("kind").asText()).toList();
        assertThat(cnpgKinds).contains("Cluster", "Deployment", "StatefulSet", "Job", "HorizontalPodAutoscaler");
        assertThat(externalKinds).doesNotContain("Cluster").contains("Deployment", "Job");
        assertThat(renders.get("external-db").stream().filter(n -> n.path("kind").asText().equals("ConfigMap")).findFirst()
                .orElseThrow().path("data").path("AIMLIB_DB_URL").asText()).startsWith("jdbc:postgresql://db.internal.example.com:5432/");
        // Selectors are untouched by the common label: the Services still select the pods.
        assertThat(renders.get("cnpg").stream().filter(n -> n.path("kind").asText().equals("Service")).toList())
                .allSatisfy(svc -> assertThat(svc.path("spec").path("selector").has("app.kubernetes.io/part-of")).isFalse());
    }

    @Test
    void everyServiceSelectsAWorkloadAndItsNamedPortsExist() {
        assertThat(ofKind("Service")).hasSizeGreaterThanOrEqualTo(3);
        for (Doc d : ofKind("Service")) {
            Service s = Manifests.parse(d, Service.class);
            List<Workload> selected = workloads.values().stream().filter(w -> w.matches(s.getSpec().getSelector())).toList();
            assertThat(selected).as("%s selects a workload's pods", d).isNotEmpty();
            for (ServicePort port : s.getSpec().getPorts()) {
                IntOrString target = port.getTargetPort();
                for (Workload w : selected) {
                    if (target.getStrVal() != null) {
                        assertThat(w.portNames()).as("%s port %s targets a named container port of %s", d, port.getName(), w.name())
                                .contains(target.getStrVal());
                    } else {
                        assertThat(w.portNumbers()).as("%s port %s", d, port.getName()).contains(target.getIntVal());
                    }
                }
            }
        }
        Service proxy = Manifests.parse(one("Service", "aimlib-gateway-proxy"), Service.class);
        assertThat(proxy.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(proxy.getSpec().getPorts()).extracting(ServicePort::getName).containsExactlyInAnyOrder("socks5", "http-proxy", "tunnel");
        Service http = Manifests.parse(one("Service", "aimlib-gateway"), Service.class);
        assertThat(http.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(http.getSpec().getPorts()).extracting(ServicePort::getName).contains("http");
    }

    @Test
    void workloadSelectorsMatchTheirPodTemplates() {
        for (Doc d : ofKind("Deployment")) {
            Deployment dep = Manifests.parse(d, Deployment.class);
            assertThat(dep.getSpec().getTemplate().getMetadata().getLabels()).as("%s", d)
                    .containsAllEntriesOf(dep.getSpec().getSelector().getMatchLabels());
        }
        for (Doc d : ofKind("StatefulSet")) {
            StatefulSet st = Manifests.parse(d, StatefulSet.class);
            assertThat(st.getSpec().getTemplate().getMetadata().getLabels()).as("%s", d)
                    .containsAllEntriesOf(st.getSpec().getSelector().getMatchLabels());
            // Its serviceName is a headless Service selecting it.
            Service headless = Manifests.parse(one("Service", st.getSpec().getServiceName()), Service.class);
            assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
            assertThat(st.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(headless.getSpec().getSelector());
        }
    }

    static Map<String, String> labels(LabelSelector s) {
        return s == null || s.getMatchLabels() == null ? Map.of() : s.getMatchLabels();
    }

    /** The workloads in this namespace a peer admits (a peer with a namespaceSelector names other namespaces). */
    static List<Workload> peers(NetworkPolicyPeer peer) {
        if (peer.getNamespaceSelector() != null || peer.getIpBlock() != null) {
            return List.of();
        }
        return workloads.values().stream().filter(w -> w.matches(labels(peer.getPodSelector()))).toList();
    }

    @Test
    void networkPoliciesSelectRealPodsAndIsolateHostsAndTheDatabase() {
        Map<String, NetworkPolicy> policies = new HashMap<>();
        for (Doc d : ofKind("NetworkPolicy")) {
            NetworkPolicy np = Manifests.parse(d, NetworkPolicy.class);
            policies.put(d.name(), np);
            Map<String, String> selector = labels(np.getSpec().getPodSelector());
            List<Workload> selected = workloads.values().stream().filter(w -> w.matches(selector)).toList();
            assertThat(selected).as("%s selects pods", d).isNotEmpty();
            for (var rule : np.getSpec().getIngress()) {
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    if (peer.getNamespaceSelector() == null && peer.getIpBlock() == null) {
                        assertThat(peers(peer)).as("%s ingress peer %s matches pods", d, labels(peer.getPodSelector())).isNotEmpty();
                    }
                }
                checkPorts(d + " ingress", rule.getPorts(), selected);
            }
            for (var rule : np.getSpec().getEgress()) {
                List<Workload> targets = new ArrayList<>();
                for (NetworkPolicyPeer peer : rule.getTo()) {
                    if (peer.getNamespaceSelector() == null && peer.getIpBlock() == null) {
                        assertThat(peers(peer)).as("%s egress peer matches pods", d).isNotEmpty();
                        targets.addAll(peers(peer));
                    }
                }
                checkPorts(d + " egress", rule.getPorts(), targets);
            }
        }
        assertThat(policies).containsKey("default-deny-ingress");
        assertThat(policies.get("default-deny-ingress").getSpec().getIngress()).isEmpty();

        Workload gateway = workloads.get("Deployment/aimlib-gateway");
        Workload host = workloads.get("StatefulSet/aimlib-host");
        Workload migrate = workloads.get("Job/aimlib-migrate");
        Workload db = workloads.get("Cluster/aimlib-db");
        assertThat(List.of(gateway, host, migrate, db)).doesNotContainNull();

        // Hosts: every ingress rule of every policy selecting them admits gateway pods only.
        for (NetworkPolicy np : policies.values()) {
            if (!host.matches(labels(np.getSpec().getPodSelector())) || labels(np.getSpec().getPodSelector()).isEmpty()) {
                continue;
            }
            for (var rule : np.getSpec().getIngress()) {
                assertThat(rule.getFrom()).as("%s: a host ingress rule names its peers", np.getMetadata().getName()).isNotEmpty();
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    assertThat(peer.getNamespaceSelector()).isNull();
                    assertThat(peer.getIpBlock()).isNull();
                    assertThat(peers(peer)).extracting(Workload::name).containsExactly("aimlib-gateway");
                }
            }
        }
        // Hosts' egress reaches the gateways and DNS only: never the database, never an address block.
        List<NetworkPolicy> hostEgress = policies.values().stream()
                .filter(np -> np.getSpec().getPolicyTypes().contains("Egress") && host.matches(labels(np.getSpec().getPodSelector()))).toList();
        assertThat(hostEgress).isNotEmpty();
        for (NetworkPolicy np : hostEgress) {
            for (var rule : np.getSpec().getEgress()) {
                assertThat(rule.getTo()).as("an egress rule without peers allows everything").isNotEmpty();
                for (NetworkPolicyPeer peer : rule.getTo()) {
                    assertThat(peer.getIpBlock()).isNull();
                    assertThat(peers(peer)).doesNotContain(db);
                    if (peer.getNamespaceSelector() != null) {
                        assertThat(peer.getNamespaceSelector().getMatchLabels()).containsEntry("kubernetes.io/metadata.name", "kube-system");
                        assertThat(rule.getPorts()).extracting(p -> p.getPort().getIntVal()).containsOnly(53);
                    }
                }
            }
        }
        // The database: from this namespace, gateways, the migrate Job and its own instances only.
        Set<String> dbPeers = new TreeSet<>();
        for (NetworkPolicy np : policies.values()) {
            if (!db.matches(labels(np.getSpec().getPodSelector())) || labels(np.getSpec().getPodSelector()).isEmpty()) {
                continue;
            }
            for (var rule : np.getSpec().getIngress()) {
                assertThat(rule.getFrom()).isNotEmpty();
                for (NetworkPolicyPeer peer : rule.getFrom()) {
                    assertThat(peer.getIpBlock()).isNull();
                    if (peer.getNamespaceSelector() != null) {
                        assertThat(peer.getNamespaceSelector().getMatchLabels()).containsEntry("kubernetes.io/metadata.name", "cnpg-system");
                    }
                    peers(peer).forEach(w -> dbPeers.add(w.name()));
                }
            }
        }
        assertThat(dbPeers).containsExactly("aimlib-db", "aimlib-gateway", "aimlib-migrate");
    }

    private static void checkPorts(String what, List<NetworkPolicyPort> ports, List<Workload> pods) {
        if (pods.isEmpty()) {
            return;
        }
        for (NetworkPolicyPort p : ports) {
            if (p.getPort() == null) {
                continue;
            }
            boolean exists = pods.stream().anyMatch(w -> p.getPort().getStrVal() != null
                    ? w.portNames().contains(p.getPort().getStrVal())
                    : w.portNumbers().contains(p.getPort().getIntVal()));
            assertThat(exists).as("%s port %s exists on the selected pods", what, p.getPort()).isTrue();
        }
    }

    @Test
    void theJobMigratesAndTheGatewayOnlyChecksTheSchema() {
        Job job = Manifests.parse(one("Job", "aimlib-migrate"), Job.class);
        Container migrate = job.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(migrate.getArgs()).first().isEqualTo("migrate");
        assertThat(migrate.getEnv()).extracting(EnvVar::getName).contains("AIMLIB_DB_URL", "AIMLIB_DB_USER", "AIMLIB_DB_PASSWORD");

        Deployment gw = Manifests.parse(one("Deployment", "aimlib-gateway"), Deployment.class);
        assertThat(gw.getSpec().getReplicas()).isEqualTo(3);
        Container c = gw.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(c.getArgs()).first().isEqualTo("gateway");
        ConfigMap config = Manifests.parse(one("ConfigMap", "aimlib-config"), ConfigMap.class);
        assertThat(c.getEnvFrom()).extracting(e -> e.getConfigMapRef().getName()).contains("aimlib-config");
        assertThat(config.getData()).containsEntry("AIMLIB_MIGRATE", "false").containsKey("AIMLIB_DB_POOL_SIZE");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKey("memory");
    }

    /** The default port of a picocli option in GatewayOptions.java, e.g. 7780 for --port. */
    static int defaultPort(String source, String flag) {
        Matcher m = Pattern.compile("names = \"" + Pattern.quote(flag) + "\"[^;]*?defaultValue = \"(\\d+)\"", Pattern.DOTALL).matcher(source);
        assertThat(m.find()).as("%s in GatewayOptions", flag).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void theGatewaysPortsAreThoseOfGatewayOptions() throws Exception {
        String options = Files.readString(Manifests.REPO.resolve("aimlib-server/src/main/java/com/aimlib/gateway/GatewayOptions.java"));
        Map<String, Integer> expected = Map.of("http", defaultPort(options, "--port"), "socks5", defaultPort(options, "--socks-port"),
                "http-proxy", defaultPort(options, "--http-proxy-port"), "tunnel", defaultPort(options, "--tunnel-port"));
        Workload gw = workloads.get("Deployment/aimlib-gateway");
        Map<String, Integer> actual = new HashMap<>();
        for (ContainerPort p : gw.containers().getFirst().getPorts()) {
            actual.put(p.getName(), p.getContainerPort());
        }
        assertThat(actual).containsAllEntriesOf(expected);
        ConfigMap config = Manifests.parse(one("ConfigMap", "aimlib-config"), ConfigMap.class);
        assertThat(actual.get("metrics")).isEqualTo(Integer.parseInt(config.getData().get("AIMLIB_METRICS_PORT")));
        // Every AIMLIB_ variable of the config map is one the server reads.
        String server = readServerSources();
        for (String key : config.getData().keySet()) {
            if (key.startsWith("AIMLIB_") && !key.equals("AIMLIB_REGION") && !key.equals("AIMLIB_PUBLIC_HOST")) {
                assertThat(server).as("%s is read by the server", key).contains("env:" + key);
            }
        }
        // AIMLIB_REGION and AIMLIB_PUBLIC_HOST are handed to flags in the args.
        assertThat(gw.containers().getFirst().getArgs()).contains("--region=$(AIMLIB_REGION)", "--public-host=$(AIMLIB_PUBLIC_HOST)");
    }

    static String readServerSources() throws Exception {
        StringBuilder all = new StringBuilder();
        try (var s = Files.walk(Manifests.REPO.resolve("aimlib-server/src/main/java"))) {
            for (Path p : s.filter(p -> p.toString().endsWith(".java")).toList()) {
                all.append(Files.readString(p));
            }
        }
        all.append(Files.readString(Manifests.REPO.resolve("aimlib-server/src/main/resources/logback.xml")));
        return all.toString().replace("${AIMLIB_LOG_LEVEL", "env:AIMLIB_LOG_LEVEL");
    }

    @Test
    void secretAndConfigReferencesResolveAndTheSecretsAreTemplates() {
        Map<String, Set<String>> secretKeys = new HashMap<>();
        for (Doc d : ofKind("Secret")) {
            Secret s = Manifests.parse(d, Secret.class);
            assertThat(s.getData()).as("%s: templates use stringData with placeholders", d).isNullOrEmpty();
            s.getStringData().forEach((k, v) -> {
                if (!k.equals("username")) {
                    assertThat(v).as("%s %s is a placeholder, not a secret", d, k).startsWith("REPLACE-ME");
                }
            });
            secretKeys.put(d.name(), s.getStringData().keySet());
        }
        Map<String, Set<String>> configKeys = new HashMap<>();
        for (Doc d : ofKind("ConfigMap")) {
            configKeys.put(d.name(), Manifests.parse(d, ConfigMap.class).getData().keySet());
        }
        for (Doc d : objects) {
            PodTemplateSpec t = switch (d.kind()) {
                case "Deployment" -> Manifests.parse(d, Deployment.class).getSpec().getTemplate();
                case "StatefulSet" -> Manifests.parse(d, StatefulSet.class).getSpec().getTemplate();
                case "Job" -> Manifests.parse(d, Job.class).getSpec().getTemplate();
                default -> null;
            };
            if (t == null) {
                continue;
            }
            for (Container c : t.getSpec().getContainers()) {
                assertThat(c.getImage()).as("%s image", d).isEqualTo("registry.example.com/aimlib/aimlib:0.1.0");
                for (EnvVar e : c.getEnv()) {
                    if (e.getValueFrom() == null) {
                        continue;
                    }
                    var sk = e.getValueFrom().getSecretKeyRef();
                    if (sk != null) {
                        assertThat(secretKeys.get(sk.getName())).as("%s %s: secret %s", d, e.getName(), sk.getName()).contains(sk.getKey());
                    }
                    var ck = e.getValueFrom().getConfigMapKeyRef();
                    if (ck != null) {
                        assertThat(configKeys.get(ck.getName())).as("%s %s: config %s", d, e.getName(), ck.getName()).contains(ck.getKey());
                    }
                }
                for (EnvFromSource f : c.getEnvFrom()) {
                    assertThat(configKeys).containsKey(f.getConfigMapRef().getName());
                }
                assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).as("%s", d).isFalse();
            }
            assertThat(t.getSpec().getSecurityContext().getRunAsNonRoot()).as("%s runs as non-root", d).isTrue();
            assertThat(t.getSpec().getSecurityContext().getRunAsUser()).isEqualTo(10001L);
            t.getSpec().getVolumes().stream().filter(v -> v.getSecret() != null)
                    .forEach(v -> assertThat(secretKeys).as("%s volume %s", d, v.getName()).containsKey(v.getSecret().getSecretName()));
        }
        // The CloudNativePG cluster bootstraps its owner from the same secret the roles log in with.
        JsonNode cluster = one("Cluster", "aimlib-db").node();
        assertThat(cluster.path("spec").path("bootstrap").path("initdb").path("secret").path("name").asText()).isEqualTo("aimlib-db");
        assertThat(configKeys.get("aimlib-config")).contains("AIMLIB_DB_URL");
        assertThat(Manifests.parse(one("ConfigMap", "aimlib-config"), ConfigMap.class).getData().get("AIMLIB_DB_URL"))
                .isEqualTo("jdbc:postgresql://aimlib-db-rw:5432/aimlib");
    }

    @Test
    void theAutoscalerScalesTheHostsOnTheGatewaysSlotGauge() throws Exception {
        HorizontalPodAutoscaler hpa = Manifests.parse(one("HorizontalPodAutoscaler", "aimlib-host"), HorizontalPodAutoscaler.class);
        assertThat(hpa.getSpec().getScaleTargetRef().getKind()).isEqualTo("StatefulSet");
        assertThat(workloads).containsKey("StatefulSet/" + hpa.getSpec().getScaleTargetRef().getName());
        var metric = hpa.getSpec().getMetrics().getFirst().getExternal().getMetric();
        assertThat(metric.getName()).isEqualTo("aimlib_browser_slots");
        assertThat(metric.getSelector().getMatchLabels()).containsKeys("region", "state");
        // The gauge the gateway exports under that name (Micrometer's aimlib.browser.slots) with that state.
        String gauge = Files.readString(Manifests.REPO.resolve("aimlib-server/src/main/java/com/aimlib/gateway/ops/BrowserSlots.java"));
        assertThat(gauge).contains("\"aimlib.browser.slots\"").contains("\"state\", \"" + metric.getSelector().getMatchLabels().get("state") + "\"");
        ConfigMap config = Manifests.parse(one("ConfigMap", "aimlib-config"), ConfigMap.class);
        assertThat(metric.getSelector().getMatchLabels().get("region")).isEqualTo(config.getData().get("AIMLIB_REGION"));
    }
}
