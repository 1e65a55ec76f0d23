package com.aimlib.sdk;

import com.aimlib.protocol.OperationBody;

/** Thrown when {@link Operations#await} (or a waiting rotation) ran out of time before the operation ended. */
public class OperationTimeoutException extends AimlibException {
    private final OperationBody operation;

    public OperationTimeoutException(OperationBody operation) {
        super("operation " + operation.operationId() + " still " + operation.status());
        this.operation = operation;
    }

    /** The operation as last seen. */
    public OperationBody operation() {
        return operation;
    }
}
