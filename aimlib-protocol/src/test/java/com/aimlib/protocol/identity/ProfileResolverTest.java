package com.aimlib.protocol.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ProfileResolverTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final List<String> KEYS = List.of("device", "model", "brand", "manufacturer", "android_version",
            "build_fingerprint", "security_patch", "chrome_version", "timezone", "locale", "languages", "cores", "ram_gb",
            "device_memory", "screen", "dpi", "dpr", "css_screen", "viewport", "touch_points", "webgl", "fonts",
            "audio_sample_rate", "storage_quota", "battery", "webrtc_block", "ipv6_block", "dns_leak_block",
            "tls_randomize", "user_agent", "ua_ch");
    private final DeviceCatalogue catalogue = DeviceCatalogue.bundled();
    private final ProfileResolver resolver = new ProfileResolver(catalogue);

    private ObjectNode resolve(String json) throws Exception {
        ObjectNode valid = ProfileOverrides.validate((ObjectNode) M.readTree(json), catalogue);
        return resolver.resolve(valid, new ProfileResolver.Context("Europe/Berlin", "de-DE", "156.0.8078.108", new Random(1)));
    }

    @Test
    void anEmptyProfileIsTheDefaultDeviceWithEveryKey() throws Exception {
        ObjectNode p = resolve("{}");
        assertThat(p.fieldNames()).toIterable().containsAll(KEYS);
        assertThat(p.get("device").asText()).isEqualTo("pixel-8");
        assertThat(p.get("timezone").asText()).isEqualTo("Europe/Berlin");
        assertThat(M.convertValue(p.get("languages"), List.class)).containsExactly("de-DE", "de", "en-US", "en");
        assertThat(p.get("user_agent").asText()).isEqualTo(
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36");
        assertThat(p.get("ua_ch").toString()).isEqualTo("""
                {"brands":[{"brand":"Not:A-Brand","version":"8"},{"brand":"Chromium","version":"156"},\
                {"brand":"Google Chrome","version":"156"}],"full_version_list":[{"brand":"Not:A-Brand","version":"8.0.0.0"},\
                {"brand":"Chromium","version":"156.0.8078.108"},{"brand":"Google Chrome","version":"156.0.8078.108"}],\
                "full_version":"156.0.8078.108","platform":"Android","platform_version":"16.0.0","architecture":"",\
                "bitness":"","model":"Pixel 8","mobile":true,"wow64":false,"form_factors":["Mobile"]}""");
        assertThat(p.get("webgl").get("renderer").asText()).isEqualTo("Mali-G715");
        assertThat(p.get("webrtc_block").asBoolean()).isTrue();
        assertThat(p.get("tls_randomize").asBoolean()).isFalse();
        assertThat(p.has("unsupported")).isFalse();
    }

    @Test
    void greaseMatchesWhatRealChromeSent() {
        // Known headers: 120 "Not_A Brand";v="8", 124 "Not-A.Brand";v="99", 131 "Not_A Brand";v="24".
        assertThat(ChromeClientHints.greaseBrand(120)).isEqualTo("Not_A Brand");
        assertThat(ChromeClientHints.greaseVersion(120)).isEqualTo("8");
        assertThat(ChromeClientHints.greaseBrand(124)).isEqualTo("Not-A.Brand");
        assertThat(ChromeClientHints.greaseVersion(124)).isEqualTo("99");
        assertThat(ChromeClientHints.greaseBrand(131)).isEqualTo("Not_A Brand");
        assertThat(ChromeClientHints.greaseVersion(131)).isEqualTo("24");
        assertThat(ChromeClientHints.uaCh("131.0.6778.85", "x", "14").get("brands").get(0).get("brand").asText()).isEqualTo("Google Chrome");
        assertThat(ChromeClientHints.uaCh("124.0.6367.82", "x", "14").get("brands").get(0).get("brand").asText()).isEqualTo("Chromium");
    }

    /**
     * The brands (GREASE brand, its version, the order) Android Chrome 108–149 really sent, as recorded in the
     * fingerprint data set of npm fingerprint-generator 2.1.88 (tools/catalogue/devices.py names it): the first
     * sample of each major, except 125 where one sample of five has " Not;A Brand" and four "Not.A/Brand".
     */
    @ParameterizedTest(name = "Chrome {0}")
    @CsvSource(delimiter = '|', value = {
            "108|Not?A_Brand=8;;Chromium=108;;Google Chrome=108",
            "109|Not_A Brand=99;;Google Chrome=109;;Chromium=109",
            "113|Google Chrome=113;;Chromium=113;;Not-A.Brand=24",
            "115|Not/A)Brand=99;;Google Chrome=115;;Chromium=115",
            "116|Chromium=116;;Not)A;Brand=24;;Google Chrome=116",
            "119|Google Chrome=119;;Chromium=119;;Not?A_Brand=24",
            "120|Not_A Brand=8;;Chromium=120;;Google Chrome=120",
            "121|Not A(Brand=99;;Google Chrome=121;;Chromium=121",
            "122|Chromium=122;;Not(A:Brand=24;;Google Chrome=122",
            "124|Chromium=124;;Google Chrome=124;;Not-A.Brand=99",
            "125|Google Chrome=125;;Chromium=125;;Not.A/Brand=24",
            "126|Not/A)Brand=8;;Chromium=126;;Google Chrome=126",
            "127|Not)A;Brand=99;;Google Chrome=127;;Chromium=127",
            "128|Chromium=128;;Not;A=Brand=24;;Google Chrome=128",
            "130|Chromium=130;;Google Chrome=130;;Not?A_Brand=99",
            "131|Google Chrome=131;;Chromium=131;;Not_A Brand=24",
            "132|Not A(Brand=8;;Chromium=132;;Google Chrome=132",
            "133|Not(A:Brand=99;;Google Chrome=133;;Chromium=133",
            "134|Chromium=134;;Not:A-Brand=24;;Google Chrome=134",
            "135|Google Chrome=135;;Not-A.Brand=8;;Chromium=135",
            "136|Chromium=136;;Google Chrome=136;;Not.A/Brand=99",
            "137|Google Chrome=137;;Chromium=137;;Not/A)Brand=24",
            "138|Not)A;Brand=8;;Chromium=138;;Google Chrome=138",
            "139|Not;A=Brand=99;;Google Chrome=139;;Chromium=139",
            "140|Chromium=140;;Not=A?Brand=24;;Google Chrome=140",
            "141|Google Chrome=141;;Not?A_Brand=8;;Chromium=141",
            "142|Chromium=142;;Google Chrome=142;;Not_A Brand=99",
            "143|Google Chrome=143;;Chromium=143;;Not A(Brand=24",
            "144|Not(A:Brand=8;;Chromium=144;;Google Chrome=144",
            "145|Not:A-Brand=99;;Google Chrome=145;;Chromium=145",
            "146|Chromium=146;;Not-A.Brand=24;;Google Chrome=146",
            "147|Google Chrome=147;;Not.A/Brand=8;;Chromium=147",
            "148|Chromium=148;;Google Chrome=148;;Not/A)Brand=99",
            "149|Google Chrome=149;;Chromium=149;;Not)A;Brand=24"})
    void brandsMatchWhatRealChromeSent(int major, String brands) {
        StringBuilder got = new StringBuilder();
        ChromeClientHints.uaCh(major + ".0.1.2", "x", "14").get("brands").forEach(b ->
                got.append(got.isEmpty() ? "" : ";;").append(b.get("brand").asText()).append('=').append(b.get("version").asText()));
        assertThat(got.toString()).isEqualTo(brands);
    }

    @Test
    void screenAndDpiOverridesReDeriveTheDisplay() throws Exception {
        ObjectNode p = resolve("""
                {"device":"pixel-8-pro","timezone":"America/Los_Angeles","locale":"en-US","cores":4,"ram_gb":6,
                 "screen":[1440,3120],"dpi":512}""");
        assertThat(p.get("screen").toString()).isEqualTo("[1440,3120]");
        assertThat(p.get("dpr").asDouble()).isEqualTo(3.2);
        assertThat(p.get("css_screen").toString()).isEqualTo("[450,975]");
        assertThat(p.get("viewport").get(0).asInt()).isEqualTo(450);
        assertThat(p.get("viewport").get(1).asInt()).isLessThan(975);
        assertThat(p.get("cores").asInt()).isEqualTo(4);
        assertThat(p.get("device_memory").asDouble()).isEqualTo(4.0);
        assertThat(M.convertValue(p.get("languages"), List.class)).containsExactly("en-US", "en");
    }

    @Test
    void androidVersionReDerivesBuildAndPlatformVersion() throws Exception {
        ObjectNode p = resolve("{\"device\":\"Pixel 8\",\"android_version\":\"14\",\"chrome_version\":\"126\"}");
        assertThat(p.get("device").asText()).isEqualTo("pixel-8");
        assertThat(p.get("build_fingerprint").asText()).contains(":14/");
        assertThat(p.get("security_patch").asText()).startsWith("2024-");
        assertThat(p.get("ua_ch").get("platform_version").asText()).isEqualTo("14.0.0");
        assertThat(p.get("chrome_version").asText()).isEqualTo("156");
        assertThat(p.get("chrome_version_requested").asText()).isEqualTo("126");
    }

    @Test
    void rawDictExampleIsAppliedAndTlsRandomizeIsReportedUnsupported() throws Exception {
        ObjectNode p = resolve("""
                {"device":"pixel-8-pro","model":"Pixel 8 Pro","brand":"Google","android_version":"15","chrome_version":"132",
                 "webgl":true,"webrtc_block":true,"battery":85,"tls_randomize":true,"audio_48khz":false}""");
        assertThat(p.get("brand").asText()).isEqualTo("Google");
        assertThat(p.get("battery").toString()).isEqualTo("{\"level\":0.85,\"charging\":false}");
        assertThat(p.get("tls_randomize").asBoolean()).isFalse();
        assertThat(p.get("unsupported").toString()).isEqualTo("[\"tls_randomize\"]");
        assertThat(p.get("audio_sample_rate").asInt()).isEqualTo(44100);
        assertThat(p.get("webgl").get("renderer").asText()).isEqualTo("Mali-G715");
    }

    @ParameterizedTest(name = "{0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "device|\"iphone-15\"", "device|42", "cores|0", "cores|65", "cores|\"8\"", "cores|2.5", "ram_gb|0",
            "screen|\"big\"", "screen|[1080]", "screen|[-1,2400]", "screen|[2400,1080]", "screen|[1080,\"x\"]",
            "dpi|99", "dpi|1001", "android_version|\"7\"", "android_version|\"seventeen\"", "android_version|17",
            "locale|\"german\"", "locale|5", "timezone|\"Mars/Olympus\"", "timezone|\"+02:00\"", "battery|101",
            "battery|-1", "battery|\"full\"", "battery|{\"level\":0.5,\"charging\":\"yes\"}", "touch_points|0",
            "webgl|false", "webgl|{\"vendor\":1}", "webgl|{\"shader\":\"x\"}", "fonts|[]", "fonts|\"Roboto\"",
            "storage_quota|0", "storage_quota|\"lots\"", "model|\"\"", "model|\"a\\\"b\"", "security_patch|\"soon\"",
            "chrome_version|\"latest\"", "webrtc_block|\"yes\"", "tls_randomize|1", "audio_48khz|\"no\""})
    void badValuesNameTheirKey(String key, String value) {
        assertThatThrownBy(() -> resolve("{\"" + key + "\":" + value + "}"))
                .isInstanceOf(ProfileInvalidException.class)
                .hasMessageStartingWith(key + ": ")
                .extracting(e -> ((ProfileInvalidException) e).key()).isEqualTo(key);
    }

    @Test
    void regionsGiveTheirZoneAndLocaleAndOnlyUnknownOnesUtc() {
        assertThat(RegionDefaults.of("us-east-1")).containsExactly("America/New_York", "en-US");
        assertThat(RegionDefaults.of("eu-central")).containsExactly("Europe/Berlin", "de-DE");
        assertThat(RegionDefaults.of("Asia/Tokyo")).containsExactly("Asia/Tokyo", "en-US");
        assertThat(RegionDefaults.of("local")).containsExactly("UTC", "en-US");
        assertThat(RegionDefaults.of(null)).containsExactly("UTC", "en-US");
    }

    @Test
    void randomIsDrawnFromTheCatalogue() throws Exception {
        ObjectNode p = resolve("{\"device\":\"random\"}");
        assertThat(catalogue.find(p.get("device").asText())).isPresent();
    }
}
