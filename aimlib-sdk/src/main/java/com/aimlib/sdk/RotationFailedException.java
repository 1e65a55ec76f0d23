package com.aimlib.sdk;

import com.aimlib.protocol.OperationBody;

/**
 * Thrown by {@link Device#rotateIp()} when the rotation ended {@code failed} or {@code timeout}: the operation
 * carries the reason ({@code ip_unchanged}, {@code rotate_command_timeout}, …) and the IPs. The device keeps
 * serving with the IP it has.
 */
public class RotationFailedException extends AimlibException {
    private final OperationBody operation;

    public RotationFailedException(OperationBody operation) {
        super("rotation " + operation.operationId() + " ended " + operation.status() + ": " + operation.reason(), 0, operation.reason());
        this.operation = operation;
    }

    public OperationBody operation() {
        return operation;
    }
}
