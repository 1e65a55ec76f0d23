package com.aimlib;

/**
 * A start-up failure the operator can fix: its message is the whole report, one line naming the cause and
 * the fix, printed by {@link Main} without a stack trace.
 */
public final class StartupFailure extends RuntimeException {

    public StartupFailure(String message) {
        super(message, null, false, false);
    }

    /** The one-line report for {@code e}, or null when it is not a known start-up failure. */
    public static String describe(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof StartupFailure f) {
                return f.getMessage();
            }
        }
        return null;
    }

    /** True when {@code e} or a cause says an address is already bound. */
    public static boolean isAddressInUse(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.BindException
                    || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                return true;
            }
        }
        return false;
    }
}
