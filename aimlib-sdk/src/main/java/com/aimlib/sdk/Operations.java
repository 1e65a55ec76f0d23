package com.aimlib.sdk;

import com.aimlib.protocol.OperationBody;
import com.fasterxml.jackson.core.type.TypeReference;
import java.time.Duration;

/** The caller's device operations ({@code GET /v1/operations/{id}}): IP rotations and their outcome. */
public final class Operations {
    private static final TypeReference<OperationBody> OPERATION = new TypeReference<>() {
    };
    private static final Duration POLL = Duration.ofMillis(500);
    private final Transport transport;

    Operations(Transport transport) {
        this.transport = transport;
    }

    /** One operation; {@link AimlibException} 404 for an unknown one or another customer's. */
    public OperationBody get(String id) {
        return transport.call("GET", "/v1/operations/" + id.strip(), null, OPERATION);
    }

    /**
     * Polls until the operation is {@code succeeded}, {@code failed} or {@code timeout} and returns it, whatever
     * the outcome; {@link OperationTimeoutException} when {@code timeout} passes first.
     */
    public OperationBody await(String id, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            OperationBody op = get(id);
            long left = deadline - System.nanoTime();
            if (op.finished()) {
                return op;
            }
            if (left <= 0) {
                throw new OperationTimeoutException(op);
            }
            Transport.sleep(Duration.ofNanos(Math.min(left, POLL.toNanos())));
        }
    }
}
