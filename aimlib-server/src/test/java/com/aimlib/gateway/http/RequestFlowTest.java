package com.aimlib.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link RequestFlow} alone, on an embedded channel with its own clock: objects in, objects out. */
class RequestFlowTest {
    static final HttpLimits LIMITS = new HttpLimits(Duration.ofSeconds(60), Duration.ofSeconds(10), Duration.ofSeconds(30), 10);

    static HttpRequest get(String uri) {
        return new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
    }

    static FullHttpResponse ok() {
        return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    }

    static void advance(EmbeddedChannel ch, Duration d) {
        ch.advanceTimeBy(d.toMillis(), TimeUnit.MILLISECONDS);
        ch.runScheduledPendingTasks();
    }

    @Test
    void aPipelinedRequestIsHeldUntilThePreviousOneIsAnswered() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestFlow(LIMITS));
        ch.writeInbound(get("/a"), LastHttpContent.EMPTY_LAST_CONTENT, get("/b"), LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(((HttpRequest) ch.readInbound()).uri()).isEqualTo("/a");
        assertThat((Object) ch.readInbound()).isInstanceOf(LastHttpContent.class);
        assertThat((Object) ch.readInbound()).as("/b waits for /a's answer").isNull();
        assertThat(ch.config().isAutoRead()).as("one request queued: the socket is still read").isTrue();

        ch.writeInbound(get("/c"), LastHttpContent.EMPTY_LAST_CONTENT, get("/d"), LastHttpContent.EMPTY_LAST_CONTENT);
        assertThat(ch.config().isAutoRead()).as("three queued: reading stops until the queue is worked off").isFalse();

        for (String next : new String[] {"/b", "/c", "/d"}) {
            ch.writeOutbound(ok());
            assertThat(((HttpRequest) ch.readInbound()).uri()).isEqualTo(next);
            assertThat((Object) ch.readInbound()).isInstanceOf(LastHttpContent.class);
        }
        ch.writeOutbound(ok());
        assertThat(ch.config().isAutoRead()).as("all answered").isTrue();
        ch.finishAndReleaseAll();
    }

    @Test
    void noDeadlineRunsWhileAHandlerHoldsTheRequest() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestFlow(LIMITS));
        ch.writeInbound(get("/slow"), LastHttpContent.EMPTY_LAST_CONTENT);
        advance(ch, Duration.ofMinutes(10));
        assertThat(ch.isOpen()).isTrue();
        ch.writeOutbound(ok());
        advance(ch, LIMITS.idleTimeout().minusSeconds(1));
        assertThat(ch.isOpen()).isTrue();
        advance(ch, Duration.ofSeconds(2));
        assertThat(ch.isOpen()).as("idle after its answer").isFalse();
        assertThat(ch.outboundMessages()).as("an idle close answers nothing").hasSize(1);
        ch.finishAndReleaseAll();
    }

    @Test
    void aBodyThatDoesNotArriveInTimeIs408() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestFlow(LIMITS));
        ch.writeInbound(get("/upload"));
        advance(ch, LIMITS.bodyTimeout().plusSeconds(1));
        FullHttpResponse r = ch.readOutbound();
        assertThat(r.status().code()).isEqualTo(408);
        assertThat(r.content().toString(java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("{\"error\":\"request_timeout\",\"message\":\"the request body did not arrive within 30 s\"}");
        r.release();
        ch.finishAndReleaseAll();
    }

    @Test
    void anUpgradeEndsTheFlowAndItsDeadlines() {
        EmbeddedChannel ch = new EmbeddedChannel(new RequestFlow(LIMITS));
        ch.writeInbound(get("/cdp/x"), LastHttpContent.EMPTY_LAST_CONTENT);
        ch.writeOutbound(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS));
        assertThat(ch.pipeline().get(RequestFlow.class)).isNull();
        advance(ch, Duration.ofHours(1));
        assertThat(ch.isOpen()).isTrue();
        ch.finishAndReleaseAll();
    }
}
