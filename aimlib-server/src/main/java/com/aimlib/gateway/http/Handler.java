package com.aimlib.gateway.http;

/** Answers one route. Runs on a virtual thread, so it may block on the database. */
@FunctionalInterface
public interface Handler {
    Response handle(Request request) throws Exception;
}
