package com.aimlib.host;

import com.aimlib.ProcessLifetime;
import com.aimlib.StartupFailure;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import com.aimlib.protocol.host.HostApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code aimlib host}: a browser host on its own machine (issue 12). It holds only its own credential (minted with
 * {@code aimlib admin hosts create}, read from {@code --token-file} or {@code AIMLIB_HOST_TOKEN}, never a flag value):
 * no database access and no server key. It registers with the gateway over HTTP (its name and region come with the
 * credential), reports there, and takes orders on its own API ({@code --listen}, reached by the gateway at
 * {@code --advertise}), which also serves the per-session CDP relay endpoint. Each session's bridge chains to the
 * gateway's proxy front ({@code --upstream}) with a credential the gateway minted for that session only.
 */
@Command(name = "host", mixinStandardHelpOptions = true, description = "Run a browser host for a gateway (host credential only).")
public final class HostCommand implements Callable<Integer> {

    @Option(names = "--gateway", required = true, description = "The gateway's HTTP base URL (a balancer in front of replicas is fine), e.g. http://gw:8080")
    URI gateway;

    @Option(names = "--token-file", description = "File holding this host's credential (aimh_…); else env AIMLIB_HOST_TOKEN")
    Path tokenFile;

    @Option(names = "--name", description = "This host's name; must be the credential's (default: the credential's)")
    String name;

    @Option(names = "--region", description = "Region whose devices this host serves; must be the credential's (default: the credential's)")
    String region;

    @Option(names = "--capacity", description = "Concurrent browsers (default ${DEFAULT-VALUE})", defaultValue = "8")
    int capacity;

    @Option(names = "--listen", description = "Where this host's API and CDP relay endpoint listen, host:port (default ${DEFAULT-VALUE})",
            defaultValue = "0.0.0.0:9230")
    String listen;

    @Option(names = "--advertise", description = "The base URL the gateway reaches this host's API at, http://host:port "
            + "(default: http://<listen host>:<bound port>; set it when listening on 0.0.0.0)")
    String advertise;

    @Option(names = "--chromium", description = "Chromium binary (default ${DEFAULT-VALUE})", defaultValue = "/usr/bin/chromium")
    Path chromium;

    @Option(names = "--work-dir", description = "Where user-data-dirs live (default: a directory under java.io.tmpdir)")
    Path workDir;

    @Option(names = "--upstream", description = "The gateway proxy front the bridges chain to, socks5://host:port or http://host:port",
            required = true)
    URI upstream;

    @picocli.CommandLine.Mixin
    WarmPoolOptions pool;

    @Option(names = "--egress-probe-url", description = "What-is-my-IP URL each new browser loads through its device")
    String probeUrl;

    @Override
    public Integer call() throws Exception {
        BrowserHost.requireChromium(chromium);
        String token = token();
        int colon = listen.lastIndexOf(':');
        if (colon <= 0) {
            throw new StartupFailure("--listen must be host:port, got " + listen);
        }
        String bindHost = listen.substring(0, colon).replace("[", "").replace("]", "");
        int bindPort = Integer.parseInt(listen.substring(colon + 1));
        ProcessLifetime lifetime = new ProcessLifetime("host");
        // The secret the gateway presents on this host's API: random per start, handed over at registration.
        byte[] raw = new byte[32];
        new SecureRandom().nextBytes(raw);
        String apiSecret = HexFormat.of().formatHex(raw);
        HostApiServer api = lifetime.own(HostApiServer.start(apiSecret, bindHost, bindPort));
        String apiUrl = advertise != null ? advertise.replaceAll("/+$", "")
                : "http://" + ("0.0.0.0".equals(bindHost) || "::".equals(bindHost) ? "127.0.0.1" : bindHost) + ":" + api.port();
        RemoteGatewayLink link = new RemoteGatewayLink(gateway, token, apiUrl, apiSecret);
        // Name and region come with the credential; flags that say otherwise are a mistake caught here.
        HostApi.Self self = link.self();
        if (name != null && !name.equals(self.name()) || region != null && !region.equals(self.region())) {
            throw new StartupFailure("this credential is for host " + self.name() + " in region " + self.region());
        }
        HostSettings settings = HostSettings.defaults(self.name(), self.region(), new InetSocketAddress(upstream.getHost(), upstream.getPort()))
                .withUpstream(upstream.getScheme(), new InetSocketAddress(upstream.getHost(), upstream.getPort()))
                .withCapacity(capacity).withChromium(chromium).withProbeUrl(probeUrl).withWarmPool(pool.floor());
        if (workDir != null) {
            settings = settings.withWorkDir(workDir);
        }
        BrowserHost host = lifetime.own(BrowserHost.start(settings, pool.settings(), link));
        api.attach(host);
        System.out.println("aimlib host is up: id=" + host.id() + " api=" + apiUrl + " gateway=" + gateway + " capacity=" + capacity);
        lifetime.awaitStop();
        return 0;
    }

    /** The credential: from the file, else the environment; never from a flag (flags show in process lists and logs). */
    private String token() throws IOException {
        String t;
        if (tokenFile != null) {
            t = Files.readString(tokenFile, StandardCharsets.UTF_8).trim();
        } else {
            t = System.getenv("AIMLIB_HOST_TOKEN");
            t = t == null ? null : t.trim();
        }
        if (t == null || t.isEmpty()) {
            throw new StartupFailure("no host credential: pass --token-file <file> or set AIMLIB_HOST_TOKEN "
                    + "(mint one with: aimlib admin hosts create --name <name> --region <region>)");
        }
        if (!t.startsWith(com.aimlib.protocol.host.HostApi.TOKEN_PREFIX)) {
            throw new StartupFailure("the host credential must start with " + com.aimlib.protocol.host.HostApi.TOKEN_PREFIX);
        }
        return t;
    }
}
