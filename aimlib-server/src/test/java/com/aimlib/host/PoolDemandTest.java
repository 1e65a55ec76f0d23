package com.aimlib.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The warm pool's sizing rule: rate × (launch time + headroom) per launch setting, floor, ceiling, memory budget. */
class PoolDemandTest {
    static final long S = 1_000_000_000L;
    static final ObjectNode DEFAULT = JsonNodeFactory.instance.objectNode().put("device", "pixel-8");
    static final ObjectNode GALAXY = JsonNodeFactory.instance.objectNode().put("device", "galaxy-s24");

    static Map<String, Integer> counts(List<PoolDemand.Target> plan) {
        return plan.stream().collect(Collectors.toMap(PoolDemand.Target::key, PoolDemand.Target::count));
    }

    @Test
    void aSteadyRateOfOnePerSecondKeepsRateTimesLaunchPlusHeadroomWarmBesideTheFloor() {
        PoolDemand d = new PoolDemand(WarmPoolSettings.demand(1, 6, 64L << 30).withHeadroom(Duration.ofSeconds(1)), "D", DEFAULT);
        long t0 = 1_000 * S;
        assertThat(counts(d.plan(t0, 0))).containsExactly(Map.entry("D", 1));
        for (int i = 0; i < 10; i++) {
            d.created("K", GALAXY, t0 + i * S);
        }
        // 10 creates over 9 s (rate 1.11/s; 1.2/s over the last 5 s) x (1.5 s launch prior + 1 s headroom) = 3.0 -> 3
        List<PoolDemand.Target> plan = d.plan(t0 + 9 * S, 0);
        assertThat(counts(plan)).containsEntry("K", 3).containsEntry("D", 1);
        assertThat(plan.stream().filter(t -> t.key().equals("K")).findFirst().orElseThrow().profile()).isEqualTo(GALAXY);
        // a slower launch measured on this host asks for more
        for (int i = 0; i < 20; i++) {
            d.launched(4.0);
        }
        assertThat(counts(d.plan(t0 + 9 * S, 0))).containsEntry("K", 6 - 1);
        // nobody asked for K for a whole window: its warm browsers are no longer wanted; the floor stays
        assertThat(counts(d.plan(t0 + 9 * S + Duration.ofSeconds(31).toNanos(), 0))).containsExactly(Map.entry("D", 1));
    }

    @Test
    void aOneOffSettingGetsOneAndTheCeilingAndMemoryBudgetBoundTheWhole() {
        PoolDemand d = new PoolDemand(WarmPoolSettings.demand(2, 4, 64L << 30), "D", DEFAULT);
        long t0 = 1_000 * S;
        d.created("once", GALAXY, t0);
        assertThat(counts(d.plan(t0, 0))).containsEntry("once", 1).containsEntry("D", 2);
        for (int i = 0; i < 50; i++) {
            d.created("busy", GALAXY, t0 + i * S / 10);
        }
        Map<String, Integer> c = counts(d.plan(t0 + 5 * S, 0));
        assertThat(c.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(4);
        assertThat(c).containsEntry("D", 2).containsEntry("busy", 2); // the floor first, then the busiest setting

        // 3 browsers' worth of memory (200 MiB each until measured), one live session: room for 2 warm ones
        PoolDemand small = new PoolDemand(WarmPoolSettings.demand(1, 6, 600L << 20).withHeadroom(Duration.ofSeconds(1)), "D", DEFAULT);
        for (int i = 0; i < 10; i++) {
            small.created("K", GALAXY, t0 + i * S);
        }
        assertThat(counts(small.plan(t0 + 9 * S, 1)).values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(2);
        // a measured browser size replaces the prior
        for (int i = 0; i < 30; i++) {
            small.measured(100L << 20);
        }
        assertThat(counts(small.plan(t0 + 9 * S, 1)).values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(4);
    }

    @Test
    void aLaunchThatLosesTheCoresNowAndThenIsSizedForItsTailNotItsAverage() {
        PoolDemand d = new PoolDemand(WarmPoolSettings.demand(0, 6, 64L << 30).withHeadroom(Duration.ofSeconds(1)), "D", DEFAULT);
        long t0 = 1_000 * S;
        for (int i = 0; i < 10; i++) {
            d.created("K", GALAXY, t0 + i * S);
        }
        // 17 quick launches and 3 slow ones (a refill starved by other work): the smoothed time forgets the slow ones
        for (int i = 0; i < 20; i++) {
            d.launched(i % 7 == 3 ? 3.0 : 0.5);
        }
        assertThat(d.launchSeconds()).isEqualTo(3.0);
        // 1.2/s (the last 5 s) x (3.0 + 1 s headroom) = 4.8 -> 5
        assertThat(counts(d.plan(t0 + 9 * S, 0))).containsEntry("K", 5);
        assertThat(d.knows("K")).isTrue();
        assertThat(d.knows("never")).isFalse();
        // the window's 10 over 9 s, or the last 5 s (6 creates: 4 s … 9 s) when higher
        assertThat(d.rate("K", t0 + 9 * S)).isCloseTo(6 / 5.0, org.assertj.core.data.Offset.offset(1e-9));
        // a rate that just went up: 10 creates in the last 2 s after a slow minute count as 2/s, not the window's average
        PoolDemand up = new PoolDemand(WarmPoolSettings.demand(0, 6, 64L << 30).withHeadroom(Duration.ofSeconds(1)), "D", DEFAULT);
        for (int i = 0; i < 5; i++) {
            up.created("K", GALAXY, t0 + i * 6 * S);
        }
        for (int i = 0; i < 10; i++) {
            up.created("K", GALAXY, t0 + 30 * S + i * S / 5);
        }
        assertThat(up.rate("K", t0 + 32 * S)).isCloseTo(2.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(d.rate("K", t0 + 9 * S + Duration.ofSeconds(31).toNanos())).isZero();
    }

    @Test
    void aFixedPoolIsTheFloorOfDefaultBrowsersWhateverTheDemand() {
        PoolDemand d = new PoolDemand(WarmPoolSettings.fixed(2), "D", DEFAULT);
        long t0 = 1_000 * S;
        for (int i = 0; i < 10; i++) {
            d.created("K", GALAXY, t0 + i * S);
        }
        assertThat(counts(d.plan(t0 + 9 * S, 0))).containsEntry("D", 2).containsEntry("K", 0);
    }
}
