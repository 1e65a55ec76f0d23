package com.aimlib.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DeviceBudgetTest {
    static final LocalDate MONTH = LocalDate.of(2026, 11, 1);

    @Test
    void racingConnectionsNeverForwardMoreThanTheCap() throws Exception {
        long cap = 10_000_000;
        DeviceBudget budget = new DeviceBudget(UUID.randomUUID(), cap, 1_234, MONTH);
        AtomicLong granted = new AtomicLong();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            boolean up = t % 2 == 0;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 1_000; i++) {
                    granted.addAndGet(budget.charge(16_384 + i % 7, up));
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(granted.get()).isEqualTo(cap - 1_234);
        assertThat(budget.pendingUp.sum() + budget.pendingDown.sum()).isEqualTo(cap - 1_234);
        assertThat(budget.spent()).isTrue();
        assertThat(budget.charge(1, true)).isZero();
    }

    @Test
    void bytesRefusedAtTheCapAreNotCounted() {
        DeviceBudget budget = new DeviceBudget(UUID.randomUUID(), 1_000L, 900, MONTH);
        assertThat(budget.charge(1_048_576, false)).isEqualTo(100);
        for (int i = 0; i < 50; i++) {
            assertThat(budget.charge(1_048_576, i % 2 == 0)).isZero();
        }
        // Usage equals what was granted: the in-memory figure cannot run ahead of what the flush writes.
        assertThat(budget.used()).isEqualTo(1_000);
        assertThat(budget.pendingUp.sum() + budget.pendingDown.sum()).isEqualTo(100);
        budget.refresh(1_000_000L, 1_000, MONTH);
        assertThat(budget.spent()).isFalse();
        assertThat(budget.charge(10, true)).isEqualTo(10);
    }

    @Test
    void aRefundGivesBackBytesThatWereNeverDelivered() {
        DeviceBudget budget = new DeviceBudget(UUID.randomUUID(), 1_000L, 0, MONTH);
        assertThat(budget.charge(1_000, false)).isEqualTo(1_000);
        assertThat(budget.spent()).isTrue();
        budget.refund(300, false);
        assertThat(budget.used()).isEqualTo(700);
        assertThat(budget.pendingDown.sum()).isEqualTo(700);
        assertThat(budget.spent()).isFalse();
    }

    @Test
    void unlimitedDevicesCountButNeverRefuse() {
        DeviceBudget budget = new DeviceBudget(UUID.randomUUID(), null, 0, MONTH);
        assertThat(budget.charge(Integer.MAX_VALUE, false)).isEqualTo(Integer.MAX_VALUE);
        assertThat(budget.spent()).isFalse();
        assertThat(budget.pendingDown.sum()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void refreshAppliesOtherReplicasUsageRaisedCapsAndANewMonth() {
        DeviceBudget budget = new DeviceBudget(UUID.randomUUID(), 1_000L, 900, MONTH);
        assertThat(budget.charge(200, true)).isEqualTo(100);
        assertThat(budget.spent()).isTrue();
        budget.refresh(5_000L, 1_000, MONTH);
        assertThat(budget.spent()).isFalse();
        budget.refresh(5_000L, 4_999, MONTH);
        assertThat(budget.charge(10, true)).isEqualTo(1);
        budget.refresh(5_000L, 0, MONTH.plusMonths(1));
        assertThat(budget.spent()).isFalse();
        assertThat(budget.charge(10, true)).isEqualTo(10);
    }
}
