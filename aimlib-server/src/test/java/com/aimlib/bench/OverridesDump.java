package com.aimlib.bench;

import com.aimlib.protocol.identity.DeviceCatalogue;
import com.aimlib.protocol.identity.ProfileOverrides;
import com.aimlib.protocol.identity.ProfileResolver;
import com.aimlib.protocol.identity.TargetOverrides;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Writes the exact CDP commands the host sends to a new page ({@link TargetOverrides#forTarget}"page") for one
 * catalogue device to {@code target/bench-overrides-page.json}, for {@code bench/browser/newtab-commands.sh} to replay
 * on a bare Chromium one part at a time. Not a test: it only runs with {@code -Daimlib.bench=true}.
 */
@EnabledIfSystemProperty(named = "aimlib.bench", matches = "true")
class OverridesDump {
    @Test
    void dump() throws Exception {
        ObjectMapper m = new ObjectMapper();
        DeviceCatalogue catalogue = DeviceCatalogue.bundled();
        String device = System.getProperty("aimlib.bench.device", "pixel-8");
        ObjectNode asked = ProfileOverrides.validate((ObjectNode) m.readTree("{\"device\":\"" + device + "\"}"), catalogue);
        ObjectNode resolved = new ProfileResolver(catalogue).resolve(asked,
                new ProfileResolver.Context("Europe/Berlin", "de-DE", "156.0.8078.108", new Random(1)));
        ArrayNode out = m.createArrayNode();
        for (TargetOverrides.Command c : TargetOverrides.of(resolved, UUID.randomUUID()).forTarget("page")) {
            ArrayNode x = out.addArray();
            x.add(c.method());
            x.add(m.readTree(c.params()));
        }
        Files.writeString(Path.of("target", "bench-overrides-page.json"), out.toString());
    }
}
