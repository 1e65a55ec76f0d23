package com.aimlib.gateway.replicas;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One elected replica runs the periodic reaper moves: the one holding a session-level PostgreSQL advisory lock.
 * The holder keeps the connection that took the lock (one connection of its pool for as long as it leads);
 * when its process dies or its connection breaks, PostgreSQL releases the lock and the next replica to ask
 * (every reaper tick) takes over. Before each pass the holder checks its connection still answers, so a holder
 * cut off from the database stops acting as leader. Blocking (JDBC): call on a virtual thread.
 */
public final class ReaperElection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReaperElection.class);
    /** The advisory lock key: "aimlib reaper" folded into a bigint, fixed so every release agrees. */
    public static final long LOCK_KEY = 0x61696d6c69625270L;

    private final DataSource pool;
    private final ReentrantLock lock = new ReentrantLock();
    private Connection held;
    private volatile boolean leading;
    private volatile boolean closed;

    public ReaperElection(DataSource pool) {
        this.pool = pool;
    }

    /** Whether this replica leads now: keeps the lock when it holds it, else tries to take it. Never throws. */
    public boolean lead() {
        lock.lock();
        try {
            if (closed) {
                return false;
            }
            if (held != null) {
                if (alive(held)) {
                    return true;
                }
                log.warn("event=reaper_leadership_lost cause=connection_broken");
                drop();
            }
            Connection c = null;
            try {
                c = pool.getConnection();
                c.setAutoCommit(true);
                if (tryLock(c)) {
                    held = c;
                    leading = true;
                    log.info("event=reaper_leadership_taken");
                    return true;
                }
                c.close();
            } catch (SQLException e) {
                log.warn("event=reaper_election_failed cause={}", e.toString());
                if (c != null) {
                    try {
                        c.close();
                    } catch (SQLException ignored) {
                        // the pool discards it
                    }
                }
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Whether this replica held the lock at its last {@link #lead} (cheap; for metrics and tests). */
    public boolean leading() {
        return leading;
    }

    private static boolean tryLock(Connection c) throws SQLException {
        try (PreparedStatement st = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            st.setLong(1, LOCK_KEY);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private static boolean alive(Connection c) {
        try {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private void drop() {
        leading = false;
        Connection c = held;
        held = null;
        if (c == null) {
            return;
        }
        try {
            // Unlock before the connection goes back to the pool: the pool keeps it open, and the lock with it.
            try (PreparedStatement st = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
                st.setLong(1, LOCK_KEY);
                st.execute();
            }
        } catch (SQLException ignored) {
            // a broken connection: PostgreSQL released the lock with its session
        }
        try {
            c.close();
        } catch (SQLException ignored) {
            // already gone
        }
    }

    /** Gives up leadership (another replica takes over at its next tick). */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            if (held != null) {
                drop();
                log.info("event=reaper_leadership_released");
            }
        } finally {
            lock.unlock();
        }
    }
}
