package com.aimlib.sdk;

import com.aimlib.protocol.ProfilesBody;
import com.fasterxml.jackson.core.type.TypeReference;

/** The device catalogue ({@code GET /v1/profiles}): the names a profile's {@code device} may take. */
public final class Profiles {
    private static final TypeReference<ProfilesBody> BODY = new TypeReference<>() {
    };
    private final Transport transport;

    Profiles(Transport transport) {
        this.transport = transport;
    }

    /** The catalogue's version and its entries with their main traits, {@code random} last. */
    public ProfilesBody list() {
        return transport.call("GET", "/v1/profiles", null, BODY);
    }
}
