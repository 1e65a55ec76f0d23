package com.aimlib.protocol.identity;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The versioned device catalogue ({@code com/aimlib/protocol/devices.json}): lookup by name or alias, ignoring
 * case, spaces, underscores and hyphens, and a uniform random draw for {@code "random"}.
 */
public final class DeviceCatalogue {
    public static final String RANDOM = "random";
    public static final String DEFAULT_DEVICE = "pixel-8";
    private static final String RESOURCE = "/com/aimlib/protocol/devices.json";
    private static final DeviceCatalogue BUNDLED = load();

    private final String version;
    private final List<CatalogueDevice> devices;
    private final Map<String, CatalogueDevice> byKey = new LinkedHashMap<>();

    private record File(String version, List<CatalogueDevice> devices) {
    }

    DeviceCatalogue(String version, List<CatalogueDevice> devices) {
        this.version = version;
        this.devices = List.copyOf(devices);
        for (CatalogueDevice d : devices) {
            index(key(d.name()), d);
            d.aliases().forEach(a -> index(key(a), d));
        }
    }

    private void index(String key, CatalogueDevice d) {
        CatalogueDevice other = byKey.putIfAbsent(key, d);
        if (other != null && other != d) {
            throw new IllegalStateException("catalogue key " + key + " names both " + other.name() + " and " + d.name());
        }
    }

    /** The catalogue shipped in this jar. */
    public static DeviceCatalogue bundled() {
        return BUNDLED;
    }

    private static DeviceCatalogue load() {
        ObjectMapper mapper = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try (InputStream in = DeviceCatalogue.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " missing from the class path");
            }
            File f = mapper.readValue(in, File.class);
            return new DeviceCatalogue(f.version(), f.devices());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    public String version() {
        return version;
    }

    public List<CatalogueDevice> devices() {
        return devices;
    }

    /** The entry a name or alias ("Pixel 8", "pixel_8", "SM-S928B") names; empty for "random" and unknown names. */
    public Optional<CatalogueDevice> find(String nameOrAlias) {
        return Optional.ofNullable(byKey.get(key(nameOrAlias)));
    }

    public CatalogueDevice defaultDevice() {
        return find(DEFAULT_DEVICE).orElseThrow();
    }

    /** One entry drawn uniformly. */
    public CatalogueDevice random(RandomGenerator random) {
        return devices.get(random.nextInt(devices.size()));
    }

    static String key(String s) {
        return s.trim().toLowerCase(Locale.ROOT).replaceAll("[\\s_-]+", "");
    }
}
