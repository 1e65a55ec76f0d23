package com.aimlib.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Gateway replicas started together on one database each make sure of the operator key at the same moment (found by
 * the topology test: one of two {@code aimlib gateway} processes with the same AIMLIB_OPERATOR_KEY exited on the
 * key's unique index). Every one starts, and one key exists.
 */
class OperatorKeyRaceTest {

    static void together(Database db, int replicas, String preset) throws Exception {
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        CountDownLatch go = new CountDownLatch(1);
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> all = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                StandaloneSetup setup = new StandaloneSetup(db, box, new PrintStream(OutputStream.nullOutputStream()));
                all.add(pool.submit(() -> {
                    go.await();
                    setup.ensureOperatorKey(preset, false);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : all) {
                f.get(60, TimeUnit.SECONDS); // throws what a replica's start threw
            }
        }
    }

    static int operatorKeys(Database db) {
        return db.jdbi().withHandle(h -> h.createQuery("SELECT count(*) FROM api_keys WHERE kind = 'operator'").mapTo(Integer.class).one());
    }

    @Test
    void replicasWithTheSamePresetKeyAllStartAndRegisterItOnce() throws Exception {
        try (Database db = TestDatabases.fresh()) {
            for (int round = 0; round < 5; round++) {
                together(db, 6, "ak_op_" + Secrets.randomAlphanumeric(40));
            }
            assertThat(operatorKeys(db)).isEqualTo(5);
        }
    }

    @Test
    void replicasWithoutAPresetKeyMintOneBetweenThem() throws Exception {
        try (Database db = TestDatabases.fresh()) {
            together(db, 6, null);
            assertThat(operatorKeys(db)).isEqualTo(1);
        }
    }
}
