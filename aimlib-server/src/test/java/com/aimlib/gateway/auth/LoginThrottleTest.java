package com.aimlib.gateway.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The back-off's decisions under an injected clock: no sleeping, no sockets. */
class LoginThrottleTest {
    static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final LoginThrottle throttle = new LoginThrottle(
            new LoginThrottle.Settings(10, Duration.ofMinutes(1), Duration.ofMillis(50), Duration.ofSeconds(2), 100), now::get);
    final InetAddress attacker = address("127.0.0.2");
    final InetAddress customer = address("127.0.0.3");

    static InetAddress address(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aFewMistakesAreNeverSlowed() {
        for (int i = 0; i < 10; i++) {
            assertThat(throttle.beforeCheck(attacker, "alice")).isEqualTo(LoginThrottle.Wait.NOW);
            assertThat(throttle.failed(attacker, "alice")).isZero();
        }
    }

    @Test
    void aGuessingSourceIsSpacedAndParallelAttemptsAreRefusedUnchecked() {
        for (int i = 0; i < 20; i++) {
            throttle.beforeCheck(attacker, "alice");
            throttle.failed(attacker, "alice");
            now.addAndGet(5_000 * MS);
        }
        // 20 failures: the step has reached the 2 s cap. The first attempt goes at once, the next waits for
        // its slot, and one more in parallel would wait longer than the cap: refused without a check.
        LoginThrottle.Wait first = throttle.beforeCheck(attacker, "bob");
        assertThat(first.check()).isTrue();
        LoginThrottle.Wait second = throttle.beforeCheck(attacker, "bob");
        assertThat(second).isEqualTo(new LoginThrottle.Wait(2_000 * MS, true));
        LoginThrottle.Wait third = throttle.beforeCheck(attacker, "bob");
        assertThat(third).isEqualTo(new LoginThrottle.Wait(2_000 * MS, false));
    }

    @Test
    void theStepGrowsFromFiftyMillisecondsToTwoSeconds() {
        for (int i = 0; i < 10; i++) {
            throttle.failed(attacker, null);
        }
        long previous = 0;
        for (int i = 0; i < 8; i++) {
            throttle.failed(attacker, null);
            now.addAndGet(10_000 * MS); // every slot has passed: only the step counts
            throttle.beforeCheck(attacker, null);
            LoginThrottle.Wait next = throttle.beforeCheck(attacker, null);
            assertThat(next.delayNanos()).isGreaterThanOrEqualTo(previous).isLessThanOrEqualTo(2_000 * MS);
            previous = next.delayNanos();
        }
        assertThat(previous).isEqualTo(2_000 * MS);
    }

    @Test
    void aCleanSourceIsNotHeldWhileItsUserIsUnderAttack() {
        for (int i = 0; i < 200; i++) {
            throttle.failed(address("10.0." + (i / 100) + "." + (i % 100)), "alice");
        }
        // Many sources, one user: the customer's own address has no failures and goes at once.
        assertThat(throttle.beforeCheck(customer, "alice")).isEqualTo(LoginThrottle.Wait.NOW);
        // A source that failed itself waits for the user's step (but is still checked).
        throttle.failed(attacker, "alice");
        LoginThrottle.Wait w = throttle.beforeCheck(attacker, "alice");
        assertThat(w.check()).isTrue();
        assertThat(w.delayNanos()).isEqualTo(2_000 * MS);
    }

    @Test
    void failuresAreForgottenAfterAQuietWindow() {
        for (int i = 0; i < 30; i++) {
            throttle.failed(attacker, "alice");
        }
        assertThat(throttle.beforeCheck(attacker, "alice").check()).isTrue();
        now.addAndGet(TimeUnit.SECONDS.toNanos(61));
        assertThat(throttle.beforeCheck(attacker, "alice")).isEqualTo(LoginThrottle.Wait.NOW);
    }

    @Test
    void memoryIsBoundedByTheMostRecentlyUsedEntries() {
        for (int i = 0; i < 20; i++) {
            throttle.failed(attacker, "alice");
        }
        for (int i = 0; i < 1_000; i++) {
            throttle.failed(address("10.1." + (i / 250) + "." + (i % 250)), "user" + i);
        }
        // 100 entries per map: the attacker's old entry was evicted by the flood (failing open, never growing).
        assertThat(throttle.beforeCheck(attacker, "alice")).isEqualTo(LoginThrottle.Wait.NOW);
    }

    @Test
    void ipv6SourcesCountPerSlash64() {
        for (int i = 0; i < 20; i++) {
            throttle.failed(address("2001:db8:1:2::" + Integer.toHexString(i + 1)), null);
        }
        throttle.beforeCheck(address("2001:db8:1:2::ffff"), null);
        assertThat(throttle.beforeCheck(address("2001:db8:1:2:abcd::1"), null).delayNanos()).isPositive();
        assertThat(throttle.beforeCheck(address("2001:db8:1:3::1"), null)).isEqualTo(LoginThrottle.Wait.NOW);
    }
}
