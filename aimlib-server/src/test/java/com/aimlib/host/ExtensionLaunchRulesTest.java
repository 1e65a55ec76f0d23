package com.aimlib.host;

import com.aimlib.protocol.host.SafeZip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The small rules the host's extension launch depends on, each checked against what Chromium 156 did by hand. */
class ExtensionLaunchRulesTest {
    @Test
    void theExtensionIdIsChromiumsIdForItsPathOrKey() throws Exception {
        // Chromium 156 named /tmp/i14exp/ext2 (no key) "dlgjdpjinopkdojliejliocbdhmlceao" in Target.getTargets.
        assertThat(LoadedExtensions.chromeId(Path.of("/tmp/i14exp/ext2"), new ObjectMapper().readTree("{}")))
                .isEqualTo("dlgjdpjinopkdojliejliocbdhmlceao");
        String withKey = LoadedExtensions.chromeId(Path.of("/anywhere"), new ObjectMapper().readTree("{\"key\":\"AAAA\"}"));
        assertThat(withKey).hasSize(32).matches("[a-p]+").isNotEqualTo(LoadedExtensions.chromeId(Path.of("/anywhere"), null));
    }

    @Test
    void onlyWebAndExtensionTabsAreLeftOpen() {
        assertThat(BrowserPageWatch.allowed("https://example.com/")).isTrue();
        assertThat(BrowserPageWatch.allowed("about:blank")).isTrue();
        assertThat(BrowserPageWatch.allowed("chrome-extension://abc/page.html")).isTrue();
        assertThat(BrowserPageWatch.allowed("chrome-error://chromewebdata/")).isTrue();
        assertThat(BrowserPageWatch.allowed("")).isTrue();
        assertThat(BrowserPageWatch.allowed("chrome://extensions/")).isFalse();
        assertThat(BrowserPageWatch.allowed("CHROME://settings")).isFalse();
        assertThat(BrowserPageWatch.allowed("devtools://devtools/bundled/inspector.html")).isFalse();
        assertThat(BrowserPageWatch.allowed("file:///etc/hostname")).isFalse();
        assertThat(BrowserPageWatch.allowed("view-source:https://x")).isFalse();
    }

    @Test
    void zipNamesThatCouldLeaveTheirDirectoryAreRefused() {
        for (String bad : new String[] {"../x", "a/../../x", "/etc/passwd", "a//b", "./a", "a\\b", "c:x", "a\u0000b", "a/"}) {
            assertThatThrownBy(() -> SafeZip.checkName(bad)).as(bad).isInstanceOf(SafeZip.Refused.class);
        }
        for (String ok : new String[] {"manifest.json", "icons/16.png", "_locales/en/messages.json", "a..b/c"}) {
            org.assertj.core.api.Assertions.assertThatCode(() -> SafeZip.checkName(ok)).as(ok).doesNotThrowAnyException();
        }
    }
}
