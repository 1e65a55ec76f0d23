package com.aimlib.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import java.time.Clock;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A wrong password for a known user takes the same path as an unknown user (database, decryption,
 * digest comparison); only the right password is answered from the cache.
 */
class ProxyCredentialCheckTest {
    static Database db;
    static Accounts.Proxy proxy;
    static ProxyAccess access;
    static final AtomicInteger lookups = new AtomicInteger();

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        Accounts accounts = new Accounts(db, box);
        var customer = accounts.createCustomer("timing", 1);
        var device = accounts.createDevice("timing-device", "local", null, 1, null);
        proxy = accounts.proxyForLease(accounts.createLease(customer.id(), device.id(), null, "socks5").id()).orElseThrow();
        Executor virtual = Executors.newVirtualThreadPerTaskExecutor();
        Executor counting = task -> {
            lookups.incrementAndGet();
            virtual.execute(task);
        };
        access = new ProxyAccess(new ProxyStore(db, box), Clock.systemUTC(), counting);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    static Refusal check(String user, String password) throws Exception {
        return access.authenticate(user, password).get(10, TimeUnit.SECONDS).refusal();
    }

    @Test
    void onlyTheRightPasswordIsAnsweredFromTheCache() throws Exception {
        assertThat(check(proxy.username(), proxy.password())).isNull();
        int before = lookups.get();
        assertThat(check(proxy.username(), proxy.password())).isNull();
        assertThat(lookups.get()).as("the right password: cache").isEqualTo(before);
        assertThat(check(proxy.username(), "wrong-password-1234567890")).isEqualTo(Refusal.BAD_CREDENTIALS);
        assertThat(lookups.get()).as("a wrong password: database, like an unknown user").isEqualTo(before + 1);
        assertThat(check("unknownuser12345", "wrong-password-1234567890")).isEqualTo(Refusal.BAD_CREDENTIALS);
        assertThat(lookups.get()).isEqualTo(before + 2);
        assertThat(check(proxy.username(), proxy.password())).isNull();
        assertThat(lookups.get()).as("a wrong attempt does not evict the right one").isEqualTo(before + 2);
    }
}
