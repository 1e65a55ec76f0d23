package com.aimlib.gateway.admin;

import com.aimlib.store.Accounts;
import java.util.LinkedHashMap;
import java.util.Map;

/** The JSON shapes of the operator API: snake_case fields, nulls kept so every object has one shape. */
final class AdminViews {
    private AdminViews() {
    }

    static Map<String, Object> customer(Accounts.Customer c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id());
        m.put("name", c.name());
        m.put("status", c.status());
        m.put("max_browser_sessions", c.maxBrowserSessions());
        m.put("created_at", c.createdAt());
        return m;
    }

    static Map<String, Object> key(Accounts.ApiKey k) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", k.id());
        m.put("kind", k.kind());
        m.put("customer_id", k.customerId());
        m.put("name", k.name());
        m.put("scopes", k.scopes().stream().sorted().toList());
        m.put("prefix", k.prefix());
        m.put("created_at", k.createdAt());
        m.put("expires_at", k.expiresAt());
        m.put("revoked_at", k.revokedAt());
        m.put("last_used_at", k.lastUsedAt());
        return m;
    }

    static Map<String, Object> device(Accounts.Device d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", d.id());
        m.put("name", d.name());
        m.put("region", d.region());
        m.put("carrier", d.carrier());
        m.put("current_egress_ip", d.currentEgressIp());
        m.put("max_browser_sessions", d.maxBrowserSessions());
        m.put("monthly_cap_bytes", d.monthlyCapBytes());
        m.put("timezone", d.timezone());
        m.put("locale", d.locale());
        m.put("reported_timezone", d.reportedTimezone());
        m.put("reported_locale", d.reportedLocale());
        m.put("status", d.status());
        m.put("last_seen_at", d.lastSeenAt());
        m.put("created_at", d.createdAt());
        return m;
    }

    static Map<String, Object> lease(Accounts.Lease l, Map<String, Object> proxy) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", l.id());
        m.put("customer_id", l.customerId());
        m.put("device_id", l.deviceId());
        m.put("starts_at", l.startsAt());
        m.put("ends_at", l.endsAt());
        m.put("status", l.status());
        m.put("created_at", l.createdAt());
        m.put("ended_at", l.endedAt());
        m.put("proxy", proxy);
        return m;
    }
}
