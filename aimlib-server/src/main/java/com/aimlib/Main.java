package com.aimlib;

import com.aimlib.admin.AdminCommand;
import com.aimlib.agent.AgentCommand;
import com.aimlib.gateway.GatewayCommand;
import com.aimlib.host.HostCommand;
import com.aimlib.migrate.MigrateCommand;
import com.aimlib.standalone.StandaloneCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one entry point: {@code aimlib <role> [options]}. */
@Command(name = "aimlib", mixinStandardHelpOptions = true, version = "aimlib 0.1.0",
        description = "Mobile proxies and managed stealth browsers on real devices.",
        subcommands = {StandaloneCommand.class, GatewayCommand.class, AgentCommand.class, HostCommand.class, AdminCommand.class, MigrateCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("admin")) {
            // The lean path: an operator's CLI call builds only the admin commands, not the server roles' models.
            CommandLine admin = new CommandLine(new AdminCommand()).setCommandName("aimlib admin");
            System.exit(admin.execute(java.util.Arrays.copyOfRange(args, 1, args.length)));
        }
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            String line = StartupFailure.describe(e);
            if (line == null) {
                throw e;
            }
            System.err.println("aimlib " + cmd.getCommandName() + ": " + line);
            return 1;
        });
        System.exit(cli.execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
