package com.aimlib.gateway.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.gateway.http.Json;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CdpGuardTest {
    @TempDir
    Path downloads;

    private CdpGuard.Verdict judge(String json) {
        ByteBuf b = Unpooled.copiedBuffer(json, StandardCharsets.UTF_8);
        try {
            return new CdpGuard(downloads.toString()).judge(b);
        } finally {
            b.release();
        }
    }

    private JsonNode refused(String json) throws Exception {
        CdpGuard.Verdict v = judge(json);
        assertThat(v).as(json).isInstanceOf(CdpGuard.Refuse.class);
        return Json.MAPPER.readTree(((CdpGuard.Refuse) v).reply());
    }

    private void forwarded(String json) {
        assertThat(judge(json)).as(json).isInstanceOf(CdpGuard.Forward.class);
    }

    private static String navigate(String url) {
        return "{\"id\":7,\"method\":\"Page.navigate\",\"params\":{\"url\":" + Json.MAPPER.valueToTree(url) + "},\"sessionId\":\"S1\"}";
    }

    @Test
    void refusedCallIsAnsweredWithItsIdSessionAndACdpError() throws Exception {
        JsonNode r = refused(navigate("file:///etc/passwd"));
        assertThat(r.get("id").asLong()).isEqualTo(7);
        assertThat(r.get("sessionId").asText()).isEqualTo("S1");
        assertThat(r.at("/error/code").asInt()).isEqualTo(-32000);
        assertThat(r.at("/error/message").asText()).startsWith("aimlib: ");
        assertThat(Json.MAPPER.writeValueAsString(r)).startsWith("{\"id\":7");
    }

    @Test
    void hostAndBrowserSchemesAreRefusedHoweverSpelled() throws Exception {
        for (String url : new String[] {"file:///etc/passwd", " FILE:///etc/passwd", "File:/etc/passwd", "\tfile:///etc/passwd",
                "\u0000\u001ffile:///x", "fi\tle:///etc/passwd", "f\r\nile:///x", "chrome://version", "CHROME://settings",
                "chrome-untrusted://x", "chrome-extension://abc/x", "devtools://devtools/bundled/inspector.html",
                "view-source:file:///etc/hostname", "filesystem:http://a/x", "javascript:alert(1)", "about:version",
                "about:blank/../version", "/etc/passwd", "etc/passwd", "", ":x", "ｆile:///x"}) {
            refused(navigate(url));
            refused("{\"id\":1,\"method\":\"Target.createTarget\",\"params\":{\"url\":" + Json.MAPPER.valueToTree(url) + "}}");
        }
    }

    @Test
    void webUrlsAndBlankPagesPass() {
        for (String url : new String[] {"http://example.com/", "HTTPS://example.com", " https://x", "ws://a", "wss://a",
                "data:text/html,hi", "blob:https://a/uuid", "about:blank", "ABOUT:BLANK#x", "about:srcdoc"}) {
            forwarded(navigate(url));
        }
    }

    @Test
    void unguardedCallsPassWithoutReadingTheirParams() {
        forwarded("{\"id\":1,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"1+1\"}}");
        forwarded("{\"params\":{\"x\":[1,{\"url\":\"file:///\"}]},\"method\":\"Runtime.enable\",\"id\":2}");
        forwarded("{\"id\":3}");
        String big = "{\"id\":4,\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":\"" + "x".repeat(50 * 1024 * 1024) + "\"}}";
        forwarded(big);
    }

    @Test
    void malformedMessagesAreRefusedNotForwarded() throws Exception {
        refused("not json");
        refused("[1,2]");
        refused("{\"id\":1,\"method\":\"Runtime.enable\"} trailing");
        refused("{\"id\":1,\"method\":\"Runtime.enable\",\"method\":\"Page.navigate\",\"params\":{\"url\":\"file:///\"}}");
        refused("{\"id\":1,\"method\":{\"x\":1}}");
        JsonNode r = refused("{\"id\":9,\"method\":\"Page.navigate\",\"params\":{\"url\":\"file:///\",\"url\":\"http://a\"}}");
        assertThat(r.get("id").asInt()).isEqualTo(9);
    }

    @Test
    void aMessageWrappedForAnUnflattenedTargetCannotSmuggleAGuardedCall() throws Exception {
        String inner = navigate("file:///etc/passwd");
        refused("{\"id\":1,\"method\":\"Target.sendMessageToTarget\",\"params\":{\"sessionId\":\"S1\",\"message\":"
                + Json.MAPPER.valueToTree(inner) + "}}");
        refused("{\"id\":2,\"method\":\"Page.handleFileChooser\",\"params\":{\"action\":\"accept\",\"files\":[\"/etc/passwd\"]}}");
    }

    @Test
    void escapedMethodNamesAreReadAsTheBrowserReadsThem() throws Exception {
        refused("{\"id\":1,\"me\\u0074hod\":\"Page.navig\\u0061te\",\"params\":{\"url\":\"file:///etc/passwd\"}}");
    }

    @Test
    void fileInputsOnlyFromTheSessionsDownloads() throws Exception {
        Path own = Files.writeString(downloads.resolve("report.pdf"), "x");
        forwarded("{\"id\":1,\"method\":\"DOM.setFileInputFiles\",\"params\":{\"files\":[\"" + own + "\"],\"nodeId\":3}}");
        for (String p : new String[] {"/etc/passwd", downloads + "/../x", downloads + "/a/../../x", downloads.toString(), "report.pdf",
                downloads + "x/y"}) {
            refused("{\"id\":1,\"method\":\"DOM.setFileInputFiles\",\"params\":{\"files\":[\"" + own + "\",\"" + p + "\"],\"nodeId\":3}}");
        }
        Files.createSymbolicLink(downloads.resolve("link"), Path.of("/etc/passwd"));
        refused("{\"id\":1,\"method\":\"DOM.setFileInputFiles\",\"params\":{\"files\":[\"" + downloads.resolve("link") + "\"]}}");
        refused("{\"id\":1,\"method\":\"Input.dispatchDragEvent\",\"params\":{\"type\":\"drop\",\"x\":1,\"y\":1,"
                + "\"data\":{\"items\":[],\"files\":[\"/etc/passwd\"],\"dragOperationsMask\":1}}}");
        forwarded("{\"id\":1,\"method\":\"Input.dispatchDragEvent\",\"params\":{\"type\":\"drop\",\"x\":1,\"y\":1,"
                + "\"data\":{\"items\":[],\"dragOperationsMask\":1}}}");
        assertThat(new CdpGuard(null).isOwnFile(own.toString())).isFalse();
    }

    @Test
    void downloadPathsAreRewrittenToTheSessionsDirectory() throws Exception {
        CdpGuard.Verdict v = judge("{\"id\":5,\"method\":\"Browser.setDownloadBehavior\",\"params\":{\"behavior\":\"allowAndName\","
                + "\"downloadPath\":\"/tmp/playwright-artifacts\",\"eventsEnabled\":true},\"sessionId\":\"S\"}");
        assertThat(v).isInstanceOf(CdpGuard.Rewrite.class);
        JsonNode m = Json.MAPPER.readTree(((CdpGuard.Rewrite) v).message());
        assertThat(m.get("id").asInt()).isEqualTo(5);
        assertThat(m.get("sessionId").asText()).isEqualTo("S");
        assertThat(m.at("/params/downloadPath").asText()).isEqualTo(downloads.toString());
        assertThat(m.at("/params/behavior").asText()).isEqualTo("allowAndName");
        assertThat(m.at("/params/eventsEnabled").asBoolean()).isTrue();
        assertThat(judge("{\"id\":5,\"method\":\"Page.setDownloadBehavior\",\"params\":{\"behavior\":\"allow\",\"downloadPath\":\"/\"}}"))
                .isInstanceOf(CdpGuard.Rewrite.class);
        forwarded("{\"id\":5,\"method\":\"Browser.setDownloadBehavior\",\"params\":{\"behavior\":\"deny\"}}");
        ByteBuf b = Unpooled.copiedBuffer("{\"id\":5,\"method\":\"Browser.setDownloadBehavior\",\"params\":{\"behavior\":\"allow\",\"downloadPath\":\"/tmp\"}}",
                StandardCharsets.UTF_8);
        JsonNode none = Json.MAPPER.readTree(((CdpGuard.Rewrite) new CdpGuard(null).judge(b)).message());
        b.release();
        assertThat(none.at("/params/behavior").asText()).isEqualTo("deny");
        assertThat(none.at("/params").has("downloadPath")).isFalse();
    }

    @Test
    void callsThatLeaveTheSessionAreRefused() throws Exception {
        refused("{\"id\":1,\"method\":\"Target.createBrowserContext\",\"params\":{\"proxyServer\":\"direct://\"}}");
        refused("{\"id\":1,\"method\":\"Target.createBrowserContext\",\"params\":{\"proxyBypassList\":\"*\"}}");
        forwarded("{\"id\":1,\"method\":\"Target.createBrowserContext\",\"params\":{\"disposeOnDetach\":true}}");
        forwarded("{\"id\":1,\"method\":\"Target.createBrowserContext\"}");
        for (String m : new String[] {"Target.setRemoteLocations", "Extensions.loadUnpacked", "Extensions.getStorageItems", "PWA.install",
                "Browser.crash", "Browser.crashGpuProcess", "SystemInfo.getProcessInfo", "Target.exposeDevToolsProtocol",
                "Browser.getBrowserCommandLine"}) {
            refused("{\"id\":1,\"method\":\"" + m + "\",\"params\":{\"path\":\"/etc\",\"locations\":[{\"host\":\"127.0.0.1\",\"port\":5432}]}}");
        }
        refused("{\"id\":1,\"method\":\"Tracing.start\",\"params\":{\"perfettoConfig\":\"AAAA\"}}");
        forwarded("{\"id\":1,\"method\":\"Tracing.start\",\"params\":{\"transferMode\":\"ReturnAsStream\"}}");
        refused("{\"id\":1,\"method\":\"Fetch.continueRequest\",\"params\":{\"requestId\":\"r\",\"url\":\"file:///etc/passwd\"}}");
        forwarded("{\"id\":1,\"method\":\"Fetch.continueRequest\",\"params\":{\"requestId\":\"r\"}}");
        refused("{\"id\":1,\"method\":\"Network.loadNetworkResource\",\"params\":{\"url\":\"file:///etc/passwd\",\"options\":{}}}");
    }

    @Test
    void onlyABlankNewTabWithNothingElseMayBeServedByASpareTab() {
        CdpGuard spares = new CdpGuard(null).withSpares();
        assertThat(spares.judge(Unpooled.copiedBuffer("{\"id\":4,\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}",
                StandardCharsets.UTF_8))).isEqualTo(new CdpGuard.NewTab(Json.MAPPER.getNodeFactory().numberNode(4L), null));
        assertThat(spares.judge(Unpooled.copiedBuffer("{\"id\":5,\"sessionId\":\"S\",\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}",
                StandardCharsets.UTF_8))).isEqualTo(new CdpGuard.NewTab(Json.MAPPER.getNodeFactory().numberNode(5L), "S"));
        for (String params : List.of("{\"url\":\"about:blank\",\"background\":true}", "{\"url\":\"about:blank\",\"browserContextId\":\"C\"}",
                "{\"url\":\"data:text/html,x\"}", "{\"url\":\"about:blank#x\"}", "{\"url\":\"ABOUT:BLANK\"}")) {
            assertThat(spares.judge(Unpooled.copiedBuffer("{\"id\":6,\"method\":\"Target.createTarget\",\"params\":" + params + "}",
                    StandardCharsets.UTF_8))).as(params).isInstanceOf(CdpGuard.Forward.class);
        }
        // Without spare tabs the same create is forwarded as sent.
        assertThat(new CdpGuard(null).judge(Unpooled.copiedBuffer("{\"id\":4,\"method\":\"Target.createTarget\",\"params\":{\"url\":\"about:blank\"}}",
                StandardCharsets.UTF_8))).isInstanceOf(CdpGuard.Forward.class);
        // A file: URL is still refused first.
        assertThat(spares.judge(Unpooled.copiedBuffer("{\"id\":7,\"method\":\"Target.createTarget\",\"params\":{\"url\":\"file:///etc/passwd\"}}",
                StandardCharsets.UTF_8))).isInstanceOf(CdpGuard.Refuse.class);
    }
}
