package com.aimlib.admin;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * One {@code aimlib admin} leaf command: calls the operator API, prints a table (or the JSON with
 * {@code --json}); any failure is one line on stderr and exit code 1.
 */
abstract class AdminCall implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--url", description = "Gateway base URL (env AIMLIB_ADMIN_URL, default http://127.0.0.1:7780)",
            defaultValue = "${env:AIMLIB_ADMIN_URL:-http://127.0.0.1:7780}")
    String url;

    @Option(names = "--key", description = "Operator key (env AIMLIB_OPERATOR_KEY)", defaultValue = "${env:AIMLIB_OPERATOR_KEY}")
    String key;

    @Option(names = "--json", description = "Print the API's JSON instead of a table")
    boolean json;

    // usageHelp: picocli prints the usage and skips validation, so --help works without the required options.
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    /** Performs the call. */
    abstract JsonNode call(AdminClient client);

    /** The table columns for this command's answer. */
    abstract List<String> columns();

    /** Prints the answer as a person reads it; commands with more to say override. */
    void printTable(PrintWriter out, JsonNode result) {
        Table.print(out, result, columns());
    }

    @Override
    public final Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            JsonNode result = call(new AdminClient(url, key));
            if (json) {
                out.println(AdminClient.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(result));
                out.flush();
            } else {
                printTable(out, result);
            }
            return 0;
        } catch (AdminClient.AdminException e) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 1;
        } catch (Exception e) {
            err.println("error: " + e);
            err.flush();
            return 1;
        }
    }
}
