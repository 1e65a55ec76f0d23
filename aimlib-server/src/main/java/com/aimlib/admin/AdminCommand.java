package com.aimlib.admin;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code aimlib admin}: the operator's command line over {@code /admin/v1}. Every command takes
 * {@code --url} (env AIMLIB_ADMIN_URL), {@code --key} (env AIMLIB_OPERATOR_KEY) and {@code --json}.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Manage customers, keys, devices, leases, hosts and tickets through the operator API.",
        subcommands = {CustomersCommand.class, KeysCommand.class, DevicesCommand.class, LeasesCommand.class,
                HostsCommand.class, TicketsCommand.class})
public final class AdminCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing command: customers, keys, devices, leases, hosts or tickets");
    }

    /** The body of a command group invoked without a subcommand. */
    static void missingSubcommand(CommandSpec spec) {
        throw new ParameterException(spec.commandLine(), "missing subcommand of " + spec.qualifiedName());
    }
}
