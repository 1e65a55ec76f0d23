package com.aimlib.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code deploy/container/Containerfile}, checked statically (no container engine or base-image registry is
 * reachable here): base images pinned by a version tag, a Maven Wrapper build on a JDK 25, a Debian bookworm
 * slim runtime with a JRE 25, Chromium and the fonts, a non-root user matching the manifests, a health check,
 * and the jar and library paths the Maven build actually produces.
 */
class ContainerfileTest {
    static final Path FILE = Manifests.REPO.resolve("deploy/container/Containerfile");

    /** One instruction, continuation lines joined, comments dropped. */
    record Instruction(String keyword, String args, int stage) {
    }

    static List<Instruction> instructions;

    @BeforeAll
    static void parse() throws Exception {
        instructions = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int stage = -1;
        for (String raw : Files.readAllLines(FILE)) {
            String line = raw.strip();
            if (current.isEmpty() && (line.isEmpty() || line.startsWith("#"))) {
                continue;
            }
            if (line.startsWith("#")) {
                continue; // a comment inside a continued instruction
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            current.append(line);
            String text = current.toString().strip();
            current.setLength(0);
            int sp = text.indexOf(' ');
            String keyword = text.substring(0, sp).toUpperCase();
            if (keyword.equals("FROM")) {
                stage++;
            }
            instructions.add(new Instruction(keyword, text.substring(sp + 1).strip().replaceAll("\\s+", " "), stage));
        }
        assertThat(current).as("no dangling continuation").isEmpty();
    }

    static List<Instruction> all(String keyword) {
        return instructions.stream().filter(i -> i.keyword().equals(keyword)).toList();
    }

    static int finalStage() {
        return all("FROM").size() - 1;
    }

    static List<Instruction> inFinalStage(String keyword) {
        return all(keyword).stream().filter(i -> i.stage() == finalStage()).toList();
    }

    static String pomValue(Path pom, String tag) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
        NodeList nodes = doc.getElementsByTagName(tag);
        assertThat(nodes.getLength()).as("%s in %s", tag, pom).isPositive();
        return nodes.item(0).getTextContent().strip();
    }

    @Test
    void baseImagesArePinnedByVersionTag() {
        List<Instruction> froms = all("FROM");
        assertThat(froms).hasSizeGreaterThanOrEqualTo(2);
        Pattern image = Pattern.compile("^(\\S+?):(\\S+?)(?: AS (\\S+))?$", Pattern.CASE_INSENSITIVE);
        for (Instruction from : froms) {
            Matcher m = image.matcher(from.args());
            assertThat(m.matches()).as("FROM %s names image:tag", from.args()).isTrue();
            String tag = m.group(2);
            assertThat(tag).as("%s pinned by a version tag", from.args()).doesNotStartWith("latest").matches("\\d+(\\.\\d+)+.*");
            assertThat(m.group(1)).as("fully qualified registry").startsWith("docker.io/");
        }
        // Build on a JDK 25, run on Debian bookworm slim with a JRE 25 copied from a Temurin 25 JRE image.
        assertThat(froms.getFirst().args()).contains("-jdk").containsPattern(":25[.\\d_]*-jdk");
        assertThat(froms.getLast().args()).matches("docker\\.io/library/debian:12\\.\\d+-slim");
        String jreStage = froms.stream().filter(f -> f.args().contains("-jre")).findFirst().orElseThrow().args();
        assertThat(jreStage).containsPattern(":25[.\\d_]*-jre");
        String jreAlias = jreStage.substring(jreStage.toUpperCase().lastIndexOf(" AS ") + 4);
        assertThat(inFinalStage("COPY")).extracting(Instruction::args).anySatisfy(a ->
                assertThat(a).startsWith("--from=" + jreAlias + " /opt/java/openjdk "));
        assertThat(inFinalStage("ENV")).extracting(Instruction::args).anySatisfy(a ->
                assertThat(a).contains("JAVA_HOME=/opt/java/openjdk").contains("PATH=/opt/java/openjdk/bin:"));
    }

    @Test
    void theBuildUsesTheMavenWrapperAndCopiesEveryReactorModule() throws Exception {
        List<Instruction> buildRuns = all("RUN").stream().filter(i -> i.stage() == 0).toList();
        assertThat(buildRuns).extracting(Instruction::args).anySatisfy(a ->
                assertThat(a).contains("./mvnw").contains("-pl aimlib-server -am").contains("package"));
        // Maven loads every <module> of the root POM even with -pl: each one's pom.xml must be in the context.
        Document root = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Manifests.REPO.resolve("pom.xml").toFile());
        NodeList modules = root.getElementsByTagName("module");
        List<String> copies = all("COPY").stream().filter(i -> i.stage() == 0).map(Instruction::args).toList();
        assertThat(modules.getLength()).isGreaterThanOrEqualTo(4);
        for (int i = 0; i < modules.getLength(); i++) {
            String module = ((Element) modules.item(i)).getTextContent().strip();
            assertThat(copies).as("module %s is in the build context", module)
                    .anyMatch(c -> c.startsWith(module + "/pom.xml ") || c.startsWith(module + "/ "));
        }
        // Every source the build copies exists in the repository.
        for (String c : copies) {
            String src = c.split(" ")[0];
            assertThat(Manifests.REPO.resolve(src)).as("COPY %s", src).exists();
        }
        assertThat(Files.readString(Manifests.REPO.resolve(".containerignore"))).contains("**/target/");
    }

    @Test
    void theRuntimeCopiesTheJarAndLibrariesTheBuildProduces() throws Exception {
        Path serverPom = Manifests.REPO.resolve("aimlib-server/pom.xml");
        String finalName = pomValue(serverPom, "finalName");
        String prefix = pomValue(serverPom, "classpathPrefix");
        String libOut = pomValue(serverPom, "outputDirectory").replace("${project.build.directory}", "target");
        assertThat(pomValue(serverPom, "mainClass")).isEqualTo("com.aimlib.Main");

        String jarSrc = "/src/aimlib-server/target/" + finalName + ".jar";
        String libSrc = "/src/aimlib-server/" + libOut + "/";
        List<String> copies = inFinalStage("COPY").stream().map(Instruction::args).toList();
        String jarCopy = copies.stream().filter(c -> c.startsWith("--from=build " + jarSrc + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no COPY of " + jarSrc + " in " + copies));
        String jarDest = jarCopy.substring(jarCopy.lastIndexOf(' ') + 1);
        String libCopy = copies.stream().filter(c -> c.startsWith("--from=build " + libSrc + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no COPY of " + libSrc + " in " + copies));
        String libDest = libCopy.substring(libCopy.lastIndexOf(' ') + 1);
        // The jar's manifest Class-Path is relative (lib/...): the libraries sit beside the jar.
        String jarDir = jarDest.substring(0, jarDest.lastIndexOf('/') + 1);
        assertThat(libDest).isEqualTo(jarDir + prefix);

        String entrypoint = inFinalStage("ENTRYPOINT").getLast().args();
        assertThat(entrypoint).startsWith("[").contains("\"-jar\", \"" + jarDest + "\"").contains("\"java\"");
    }

    @Test
    void chromiumFontsNonRootUserAndAHealthCheck() throws Exception {
        String apt = inFinalStage("RUN").stream().map(Instruction::args).filter(a -> a.contains("apt-get install")).findFirst().orElseThrow();
        assertThat(apt.split(" ")).contains("chromium", "fonts-roboto", "fonts-noto-core", "fonts-noto-color-emoji", "fonts-noto-mono");
        assertThat(apt).contains("--no-install-recommends").contains("rm -rf /var/lib/apt/lists/*");

        List<Instruction> users = inFinalStage("USER");
        assertThat(users).as("a USER in the final stage").isNotEmpty();
        String user = users.getLast().args();
        String uid = user.split(":")[0];
        assertThat(uid).isNotIn("0", "root").matches("\\d+");
        // The manifests run every pod as that uid.
        String manifests = Files.readString(Manifests.KUBERNETES.resolve("base/gateway.yaml"))
                + Files.readString(Manifests.KUBERNETES.resolve("base/host.yaml"))
                + Files.readString(Manifests.KUBERNETES.resolve("base/migrate-job.yaml"));
        assertThat(manifests.split("runAsUser: " + uid, -1)).hasSize(4);
        // Nothing after the USER switches back to root.
        int userIndex = instructions.indexOf(users.getLast());
        assertThat(instructions.subList(userIndex + 1, instructions.size())).extracting(Instruction::keyword).doesNotContain("USER");

        List<Instruction> health = inFinalStage("HEALTHCHECK");
        assertThat(health).singleElement().extracting(Instruction::args).asString().contains("/healthz").contains(":7780/");
        assertThat(inFinalStage("EXPOSE").getFirst().args().split(" ")).contains("7780", "7781", "7782", "7783");
    }
}
