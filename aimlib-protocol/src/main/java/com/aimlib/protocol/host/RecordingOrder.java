package com.aimlib.protocol.host;

import java.nio.file.Path;

/**
 * What a session records (issue 14), where the files go and how many bytes they may take (the customer's storage
 * quota left when the session was created). {@code dir} is the session's own recordings directory, created by the host.
 */
public record RecordingOrder(boolean har, boolean screenshots, boolean video, Path dir, long budgetBytes) {
    public boolean any() {
        return har || screenshots || video;
    }
}
