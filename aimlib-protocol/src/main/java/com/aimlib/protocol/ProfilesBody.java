package com.aimlib.protocol;

import com.aimlib.protocol.identity.CatalogueDevice;
import com.aimlib.protocol.identity.DeviceCatalogue;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;

/** The 200 answer of {@code GET /v1/profiles}: the catalogue's names with their main traits, then {@code random}. */
public record ProfilesBody(@JsonProperty("version") String version, @JsonProperty("profiles") List<Profile> profiles) {

    /** One catalogue entry; {@code random} has only a name, no aliases and a description. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Profile(@JsonProperty("name") String name, @JsonProperty("aliases") List<String> aliases,
                          @JsonProperty("model") String model, @JsonProperty("brand") String brand,
                          @JsonProperty("manufacturer") String manufacturer,
                          @JsonProperty("android_version") String androidVersion,
                          @JsonProperty("screen") List<Integer> screen, @JsonProperty("dpr") Double dpr,
                          @JsonProperty("viewport") List<Integer> viewport, @JsonProperty("cores") Integer cores,
                          @JsonProperty("ram_gb") Integer ramGb, @JsonProperty("gpu") String gpu,
                          @JsonProperty("description") String description) {
    }

    public static ProfilesBody of(DeviceCatalogue catalogue) {
        List<Profile> out = new ArrayList<>();
        for (CatalogueDevice d : catalogue.devices()) {
            out.add(new Profile(d.name(), d.aliases(), d.model(), d.brand(), d.manufacturer(), d.androidVersion(), d.screen(),
                    d.dpr(), d.viewport(), d.cores(), d.ramGb(), d.gpu().renderer(), null));
        }
        out.add(new Profile(DeviceCatalogue.RANDOM, List.of(), null, null, null, null, null, null, null, null, null, null,
                "one of the entries above, drawn uniformly when the session is created and fixed for its life"));
        return new ProfilesBody(catalogue.version(), List.copyOf(out));
    }
}
