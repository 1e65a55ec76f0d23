package com.aimlib.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.aimlib.Main;
import com.aimlib.gateway.Gateway;
import com.aimlib.gateway.GatewayConfig;
import com.aimlib.gateway.http.Json;
import com.aimlib.store.Accounts;
import com.aimlib.store.Database;
import com.aimlib.store.SecretBox;
import com.aimlib.store.Secrets;
import com.aimlib.testing.TestDatabases;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code aimlib admin} run in-process against a real gateway. */
class AdminCliTest {
    static Database db;
    static Gateway gateway;
    static String op;

    record Run(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(out);
        }
    }

    @BeforeAll
    static void start() throws Exception {
        db = TestDatabases.fresh();
        SecretBox box = new SecretBox(Secrets.randomBytes(32));
        gateway = Gateway.start(GatewayConfig.builder().ephemeralPorts().build(), db, box);
        op = new Accounts(db, box).mintKey(null, "cli", Set.of(), null).plaintext();
    }

    @AfterAll
    static void stop() {
        gateway.close();
        db.close();
    }

    static Run admin(String... args) {
        List<String> all = new ArrayList<>(List.of("admin"));
        all.addAll(List.of(args));
        all.add("--url=" + gateway.baseUrl());
        if (all.stream().noneMatch(a -> a.startsWith("--key"))) {
            all.add("--key=" + op);
        }
        return raw(all.toArray(String[]::new));
    }

    static Run raw(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = new CommandLine(new Main()).setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void wholeOnboardingThroughTheCli() throws Exception {
        Run created = admin("customers", "create", "cli-acme", "--max-sessions", "3", "--json");
        assertThat(created.exit()).as(created.err()).isZero();
        String customer = created.json().get("id").asText();
        assertThat(created.json().get("max_browser_sessions").asInt()).isEqualTo(3);

        Run table = admin("customers", "list");
        assertThat(table.exit()).isZero();
        String[] lines = table.out().split("\n");
        assertThat(lines[0]).matches("ID\\s+NAME\\s+STATUS\\s+MAX BROWSER SESSIONS\\s+CREATED AT");
        assertThat(table.out()).contains(customer).contains("cli-acme").contains("active");

        Run device = admin("devices", "register", "cli-phone", "--region", "local", "--carrier", "local", "--json");
        assertThat(device.exit()).as(device.err()).isZero();
        String deviceId = device.json().get("id").asText();

        Run lease = admin("leases", "create", "--customer", customer, "--device", deviceId, "--protocol", "http");
        assertThat(lease.exit()).as(lease.err()).isZero();
        assertThat(lease.out()).contains("PROXY URL").contains("http://").contains(":" + gateway.httpProxyPort());

        Run key = admin("keys", "mint", "--customer", customer, "--name", "cli", "--scope", "proxies.read,tickets.write");
        assertThat(key.exit()).as(key.err()).isZero();
        String plaintext = key.out().lines().filter(l -> l.startsWith("key: ")).findFirst().orElseThrow().substring(5);
        assertThat(plaintext).startsWith("ak_live_");
        assertThat(key.out()).contains("only time the key is shown");

        Run keys = admin("keys", "list", "--customer", customer, "--json");
        assertThat(keys.json()).hasSize(1);
        assertThat(keys.json().get(0).get("scopes").toString()).isEqualTo("[\"proxies.read\",\"tickets.write\"]");
        assertThat(keys.out()).doesNotContain(plaintext);
        Run byPrefix = admin("keys", "list", "--prefix", plaintext.substring(0, 14), "--json");
        assertThat(byPrefix.json().findValuesAsText("customer_id")).containsExactly(customer);

        assertThat(admin("customers", "suspend", customer).out()).contains("suspended");
        assertThat(admin("customers", "reactivate", customer).out()).contains("active");
        assertThat(admin("customers", "set-sessions", customer, "9", "--json").json().get("max_browser_sessions").asInt()).isEqualTo(9);
        assertThat(admin("devices", "set", deviceId, "--carrier", "t-mobile", "--json").json().get("carrier").asText()).isEqualTo("t-mobile");
        assertThat(admin("leases", "list", "--customer", customer, "--status", "active", "--json").json()).hasSize(1);
        assertThat(admin("hosts", "list").out()).contains("(none)");

        Run revoke = admin("keys", "revoke", keys.json().get(0).get("id").asText(), "--json");
        assertThat(revoke.json().get("revoked_at").isNull()).isFalse();
        Run end = admin("leases", "end", lease.out().lines().skip(1).findFirst().orElseThrow().split("\\s+")[0], "--json");
        assertThat(end.exit()).as(end.err()).isZero();
        assertThat(end.json().get("status").asText()).isEqualTo("ended");
    }

    @Test
    void ticketsAreAnsweredAndClosedFromTheCli() throws Exception {
        Accounts accounts = new Accounts(db, gateway.secrets());
        Accounts.Customer c = accounts.createCustomer("cli-ticketer", 5);
        String id = new com.aimlib.store.Tickets(db).create(c.id(), "proxy slow", "it is slow").id().toString();

        Run list = admin("tickets", "list", "--status", "open");
        assertThat(list.out()).contains(id).contains("proxy slow").contains("both");
        Run reply = admin("tickets", "reply", id, "try now");
        assertThat(reply.exit()).isZero();
        assertThat(reply.out()).contains("customer: it is slow").contains("operator: try now");
        Run close = admin("tickets", "close", id, "--json");
        assertThat(close.json().get("operator_closed").asBoolean()).isTrue();
        assertThat(close.json().get("awaiting_close_from").asText()).isEqualTo("customer");
        assertThat(admin("tickets", "show", id).out()).contains("customer").contains("try now");
    }

    @Test
    void errorsAreOneLineWithNonZeroExit() throws Exception {
        Run notFound = admin("customers", "get", "00000000-0000-0000-0000-000000000000");
        assertThat(notFound.exit()).isEqualTo(1);
        assertThat(notFound.err()).isEqualTo("error: HTTP 404 not_found: customer not found\n");
        assertThat(notFound.out()).isEmpty();

        Run badId = admin("devices", "get", "nope");
        assertThat(badId.exit()).isEqualTo(1);
        assertThat(badId.err()).isEqualTo("error: HTTP 400 bad id\n");

        Run wrongKey = admin("customers", "list", "--key=ak_op_wrong");
        assertThat(wrongKey.exit()).isEqualTo(1);
        assertThat(wrongKey.err()).isEqualTo("error: HTTP 401 unauthorized\n");

        Run noKey = raw("admin", "customers", "list", "--url=" + gateway.baseUrl(), "--key=");
        assertThat(noKey.exit()).isEqualTo(1);
        assertThat(noKey.err()).isEqualTo("error: no operator key: pass --key or set AIMLIB_OPERATOR_KEY\n");

        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Run down = raw("admin", "hosts", "list", "--url=http://127.0.0.1:" + closedPort, "--key=" + op);
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err()).startsWith("error: cannot reach http://127.0.0.1:" + closedPort).doesNotContain("\n\n");
        assertThat(down.err().lines().count()).isEqualTo(1);

        Run both = admin("keys", "mint");
        assertThat(both.exit()).isEqualTo(1);
        assertThat(both.err()).isEqualTo("error: give exactly one of --customer <id> or --operator\n");

        Run usage = raw("admin", "customers");
        assertThat(usage.exit()).isEqualTo(2);
        assertThat(usage.err()).contains("missing subcommand");
    }

    @Test
    void everyAdminCommandAnswersHelpWithExitZero() {
        CommandLine admin = new CommandLine(new Main()).getSubcommands().get("admin");
        List<List<String>> paths = new ArrayList<>();
        paths.add(List.of("admin"));
        admin.getSubcommands().forEach((group, groupCli) -> {
            paths.add(List.of("admin", group));
            groupCli.getSubcommands().keySet().forEach(leaf -> paths.add(List.of("admin", group, leaf)));
        });
        assertThat(paths).contains(List.of("admin", "devices", "agent-token"), List.of("admin", "leases", "create"));
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            Run help = raw(args.toArray(String[]::new));
            assertThat(help.exit()).as(String.join(" ", args) + ": " + help.err()).isZero();
            assertThat(help.out()).as(String.join(" ", args)).startsWith("Usage: aimlib " + String.join(" ", path));
        }
    }

    @Test
    void deviceVerbsCoverAgentTokenRotationHistoryAndTablesSayWhenALeaseEnded() throws Exception {
        String deviceId = admin("devices", "register", "cli-agent-phone", "--json").json().get("id").asText();
        Run token = admin("devices", "agent-token", deviceId);
        assertThat(token.exit()).as(token.err()).isZero();
        assertThat(token.out().lines().findFirst().orElseThrow()).matches("DEVICE ID\\s+AGENT TOKEN PREFIX\\s+AGENT TOKEN");
        String plaintext = token.out().lines().skip(1).findFirst().orElseThrow().split("\\s+")[2];
        assertThat(token.out()).contains("aimlib agent --device-id " + deviceId + " --token " + plaintext);
        var agents = new com.aimlib.gateway.tunnel.AgentStore(db);
        assertThat(agents.authenticate(java.util.UUID.fromString(deviceId), plaintext)).as("the gateway accepts the minted token").isTrue();
        Run again = admin("devices", "agent-token", deviceId, "--json");
        assertThat(again.json().get("agent_token").asText()).isNotEqualTo(plaintext);
        assertThat(agents.authenticate(java.util.UUID.fromString(deviceId), plaintext)).as("a new token replaces the old").isFalse();

        Run offline = admin("devices", "rotate", deviceId);
        assertThat(offline.exit()).isEqualTo(1);
        assertThat(offline.err()).startsWith("error: HTTP 409 device_offline");
        Run history = admin("devices", "egress-history", deviceId);
        assertThat(history.exit()).as(history.err()).isZero();
        assertThat(history.out()).startsWith("IP").contains("(none)");

        String customer = admin("customers", "create", "cli-lease-end", "--json").json().get("id").asText();
        String lease = admin("leases", "create", "--customer", customer, "--device", deviceId, "--json").json().get("id").asText();
        assertThat(admin("leases", "get", lease).out()).contains(lease).contains("open-ended");
        String endedAt = admin("leases", "end", lease, "--json").json().get("ended_at").asText();
        Run shown = admin("leases", "list", "--customer", customer);
        assertThat(shown.out()).contains(lease).contains("ended at " + endedAt).doesNotContain(" - ");
    }
}
