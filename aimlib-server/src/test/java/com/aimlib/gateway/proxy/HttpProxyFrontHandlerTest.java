package com.aimlib.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HttpProxyFrontHandlerTest {

    @Test
    void connectTargetsAreHostPortOrBracketedIpv6() {
        assertThat(HttpProxyFrontHandler.authority("example.test:443")).isEqualTo(new HttpProxyFrontHandler.Target("example.test", 443));
        assertThat(HttpProxyFrontHandler.authority("[::1]:8443")).isEqualTo(new HttpProxyFrontHandler.Target("::1", 8443));
        for (String bad : new String[] {"example.test", ":80", "host:", "host:0", "host:65536", "host:8o", "a b:80", "[zz]:80", "[]:80"}) {
            assertThatThrownBy(() -> HttpProxyFrontHandler.authority(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void onlyAbsoluteHttpUrisAreForwarded() {
        assertThat(HttpProxyFrontHandler.absolute("http://example.test/x?y")).isEqualTo(new HttpProxyFrontHandler.Target("example.test", 80));
        assertThat(HttpProxyFrontHandler.absolute("http://[::1]:81/")).isEqualTo(new HttpProxyFrontHandler.Target("::1", 81));
        for (String bad : new String[] {"/relative", "https://example.test/", "ftp://x/", "http://u:p@x/", "http:///nohost", "http://x:99999/"}) {
            assertThatThrownBy(() -> HttpProxyFrontHandler.absolute(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void basicCredentialsAreParsedOrRejected() {
        String ok = "Basic " + java.util.Base64.getEncoder().encodeToString("user:pa:ss".getBytes(StandardCharsets.UTF_8));
        assertThat(HttpProxyFrontHandler.basicCredentials(ok)).containsExactly("user", "pa:ss");
        assertThat(HttpProxyFrontHandler.basicCredentials(null)).isNull();
        assertThat(HttpProxyFrontHandler.basicCredentials("Bearer abc")).isNull();
        assertThat(HttpProxyFrontHandler.basicCredentials("Basic !!!")).isNull();
        assertThat(HttpProxyFrontHandler.basicCredentials("Basic " + java.util.Base64.getEncoder().encodeToString("nocolon".getBytes()))).isNull();
    }

    @Test
    void forwardedHeadIsOriginFormWithoutProxyHeaders() {
        EmbeddedChannel ch = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ChannelHandlerContext ctx = ch.pipeline().firstContext();
        DefaultHttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "http://example.test:8080/a/b?c=d");
        req.headers().add("Proxy-Authorization", "Basic eDp5").add("Proxy-Connection", "keep-alive").add("Accept", "*/*");
        ByteBuf head = HttpProxyFrontHandler.originHead(ctx, req, new HttpProxyFrontHandler.Target("example.test", 8080));
        assertThat(head.toString(StandardCharsets.US_ASCII)).isEqualTo(
                "GET /a/b?c=d HTTP/1.1\r\nAccept: */*\r\nHost: example.test:8080\r\nConnection: close\r\n\r\n");
        head.release();
        ch.finishAndReleaseAll();
    }
}
