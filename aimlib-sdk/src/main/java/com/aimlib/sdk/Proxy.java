package com.aimlib.sdk;

import com.aimlib.protocol.ProxyBody;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * A device's raw mobile proxy, usable at once with any client: {@code socks5h://user:pass@host:port} (DNS on
 * the device) or {@code http://user:pass@host:port}. {@link #toString()} masks the password.
 */
public final class Proxy {
    private final ProxyBody body;
    private final URI uri;

    Proxy(ProxyBody body) {
        this.body = body;
        this.uri = URI.create(body.url());
    }

    /** The proxy id. */
    public String id() {
        return String.valueOf(body.id());
    }

    /** The full proxy URL, credentials included. */
    public String url() {
        return body.url();
    }

    /**
     * {@code http://user:pass@host:port} on the gateway's single proxy port, which tells HTTP from SOCKS5 by the
     * first byte: for clients without SOCKS support (extension; null from an older gateway).
     */
    public String httpUrl() {
        return body.httpUrl();
    }

    /** {@code socks5h://user:pass@host:port} on the same single port (extension; null from an older gateway). */
    public String socks5hUrl() {
        return body.socks5hUrl();
    }

    /** {@code "socks5"} or {@code "http"}. */
    public String protocol() {
        return body.protocol();
    }

    /** For example {@code "active"}. */
    public String status() {
        return body.status();
    }

    /** The proxy host. */
    public String host() {
        return uri.getHost();
    }

    /** The proxy port. */
    public int port() {
        return uri.getPort();
    }

    /** The proxy user name. */
    public String username() {
        return part(0);
    }

    /** The proxy password (secret: never log it). */
    public String password() {
        return part(1);
    }

    private String part(int i) {
        String info = uri.getRawUserInfo();
        if (info == null) {
            return null;
        }
        String[] p = info.split(":", 2);
        return i < p.length ? URLDecoder.decode(p[i], StandardCharsets.UTF_8) : null;
    }

    @Override
    public String toString() {
        return "Proxy[id=" + id() + ", protocol=" + protocol() + ", url=" + ProxyBody.maskUrl(url()) + ", status=" + status()
                + ", http_url=" + ProxyBody.maskUrl(httpUrl()) + ", socks5h_url=" + ProxyBody.maskUrl(socks5hUrl()) + "]";
    }
}
