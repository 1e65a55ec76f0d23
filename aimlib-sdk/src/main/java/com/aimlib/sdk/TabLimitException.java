package com.aimlib.sdk;

/**
 * Raised client-side by {@link BrowserSession#newPage()} when another tab would exceed the session's
 * {@code max_tabs}. Close a page to free a slot, or start a separate session.
 */
public class TabLimitException extends AimlibException {
    public TabLimitException(String message) {
        super(message);
    }
}
