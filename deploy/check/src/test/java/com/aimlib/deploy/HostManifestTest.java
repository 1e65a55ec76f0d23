package com.aimlib.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The browser host workload starts the remote host role as {@code aimlib host} defines it (issue 12): every flag it
 * passes is an option of {@code HostCommand} (or its warm-pool mixin), it holds its own credential from a Secret
 * (a file, never a flag value) and nothing that reaches the database or the server key.
 */
class HostManifestTest {
    static Manifests.Doc one(String kind, String name) {
        return Manifests.all().stream().filter(d -> kind.equals(d.kind()) && name.equals(d.name())).findFirst().orElseThrow();
    }

    static List<String> options(String source) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("names = \\{?\"(--[a-z-]+)\"").matcher(source);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void theHostStartsWithItsCredentialOnlyAndEveryFlagIsOneOfAimlibHost() throws Exception {
        StatefulSet sts = Manifests.parse(one("StatefulSet", "aimlib-host"), StatefulSet.class);
        PodSpec pod = sts.getSpec().getTemplate().getSpec();
        Container host = pod.getContainers().getFirst();
        List<String> args = host.getArgs();
        assertThat(args.getFirst()).isEqualTo("host");

        String command = Files.readString(Manifests.REPO.resolve("aimlib-server/src/main/java/com/aimlib/host/HostCommand.java"))
                + Files.readString(Manifests.REPO.resolve("aimlib-server/src/main/java/com/aimlib/host/WarmPoolOptions.java"));
        List<String> known = options(command);
        assertThat(known).contains("--gateway", "--token-file", "--upstream", "--listen", "--advertise").doesNotContain("--db-url", "--key-file");
        Map<String, String> flags = new HashMap<>();
        for (String a : args.subList(1, args.size())) {
            assertThat(a).as("flags are --name=value").startsWith("--").contains("=");
            String flag = a.substring(0, a.indexOf('='));
            assertThat(known).as("%s is an option of aimlib host", flag).contains(flag);
            flags.put(flag, a.substring(a.indexOf('=') + 1));
        }
        assertThat(flags).containsKeys("--gateway", "--token-file", "--upstream", "--listen", "--advertise");
        assertThat(flags.get("--gateway")).startsWith("http://aimlib-gateway:");
        assertThat(flags.get("--advertise")).matches("http://\\$\\(POD_NAME\\)\\.aimlib-host\\.aimlib\\.svc:\\d+");
        // the advertised and listened port is the container's host-api port
        int port = host.getPorts().stream().filter(p -> "host-api".equals(p.getName())).findFirst().orElseThrow().getContainerPort();
        assertThat(flags.get("--listen")).endsWith(":" + port);
        assertThat(flags.get("--advertise")).endsWith(":" + port);

        // The credential is a file from the host credentials Secret, one key per pod name.
        String tokenFile = flags.get("--token-file");
        VolumeMount mount = host.getVolumeMounts().stream().filter(m -> tokenFile.startsWith(m.getMountPath() + "/")).findFirst().orElseThrow();
        assertThat(mount.getReadOnly()).isTrue();
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("aimlib-host-credentials");
        assertThat(tokenFile).endsWith("/$(POD_NAME)");
        Secret credentials = Manifests.parse(one("Secret", "aimlib-host-credentials"), Secret.class);
        for (int i = 0; i < sts.getSpec().getReplicas(); i++) {
            assertThat(credentials.getStringData()).containsKey("aimlib-host-" + i);
        }

        // Nothing that opens the database or unseals secrets: no DB or key variables, no other Secret mounted or referenced.
        for (EnvVar e : host.getEnv()) {
            assertThat(e.getName()).doesNotContain("DB").doesNotContain("KEY").doesNotContain("PASSWORD");
            if (e.getValueFrom() != null) {
                assertThat(e.getValueFrom().getSecretKeyRef()).as("%s comes from no Secret", e.getName()).isNull();
            }
        }
        assertThat(host.getEnvFrom() == null ? List.of() : host.getEnvFrom()).isEmpty();
        for (Volume v : pod.getVolumes()) {
            if (v.getSecret() != null) {
                assertThat(v.getSecret().getSecretName()).isEqualTo("aimlib-host-credentials");
            }
        }
    }
}
