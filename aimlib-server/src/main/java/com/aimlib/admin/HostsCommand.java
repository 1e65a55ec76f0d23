package com.aimlib.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "hosts", mixinStandardHelpOptions = true, description = "Browser hosts, their load and their credentials.",
        subcommands = {HostsCommand.ListHosts.class, HostsCommand.Create.class, HostsCommand.Revoke.class})
final class HostsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        AdminCommand.missingSubcommand(spec);
    }

    @Command(name = "list", description = "List browser hosts.")
    static final class ListHosts extends AdminCall {
        @Override
        JsonNode call(AdminClient c) {
            return c.get("/hosts");
        }

        @Override
        List<String> columns() {
            return List.of("id", "name", "region", "address", "status", "sessions", "capacity", "last_heartbeat_at");
        }
    }

    @Command(name = "create", description = "Mint the credential of a new browser host (aimlib host --token-file). The token is shown once.")
    static final class Create extends AdminCall {
        @Option(names = "--name", required = true, description = "The host's unique name")
        String name;
        @Option(names = "--region", required = true, description = "The region whose devices it serves")
        String region;
        @Option(names = "--token-file", description = "Write the token to this file (mode 600) instead of printing it")
        Path tokenFile;

        @Override
        JsonNode call(AdminClient c) {
            JsonNode out = c.post("/hosts", AdminClient.body("name", name, "region", region));
            if (tokenFile != null) {
                try {
                    Files.deleteIfExists(tokenFile);
                    Files.createFile(tokenFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    Files.writeString(tokenFile, out.path("token").asText() + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                ((com.fasterxml.jackson.databind.node.ObjectNode) out).remove("token");
            }
            return out;
        }

        @Override
        List<String> columns() {
            return List.of("id", "name", "region", "token_prefix", "created_at");
        }

        @Override
        void printTable(PrintWriter out, JsonNode result) {
            super.printTable(out, result);
            out.println();
            if (result.has("token")) {
                out.println("token: " + result.path("token").asText());
                out.println("This is the only time the token is shown; store it now (aimlib host --token-file, or AIMLIB_HOST_TOKEN).");
            } else {
                out.println("token written to " + tokenFile);
            }
            out.flush();
        }
    }

    @Command(name = "revoke", description = "Revoke a browser host's credential: it can no longer report, its sessions fail.")
    static final class Revoke extends AdminCall {
        @Parameters(index = "0", description = "Host id")
        String id;

        @Override
        JsonNode call(AdminClient c) {
            return c.delete("/hosts/" + id);
        }

        @Override
        List<String> columns() {
            return List.of("id", "status", "sessions_failed");
        }
    }
}
