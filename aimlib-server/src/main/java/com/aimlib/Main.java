package com.aimlib;

import com.aimlib.admin.AdminCommand;
import com.aimlib.agent.AgentCommand;
import com.aimlib.gateway.GatewayCommand;
import com.aimlib.host.HostCommand;
import com.aimlib.standalone.StandaloneCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one entry point: {@code aimlib <role> [options]}. */
@Command(name = "aimlib", mixinStandardHelpOptions = true, version = "aimlib 0.1.0",
        description = "Mobile proxies and managed stealth browsers on real devices.",
        subcommands = {StandaloneCommand.class, GatewayCommand.class, AgentCommand.class, HostCommand.class, AdminCommand.class})
public final class Main implements Runnable {

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
