package org.pkilab.cli.admin;

import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.client.UsersAndComputers;
import org.pkilab.directory.model.DomainNames;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/**
 * Accounts and groups, as {@code samba-tool group|user|computer} manage them in a Samba AD domain:
 *
 * <pre>
 * pkilab group create "ConfigMgr IIS Servers"          samba-tool group add "ConfigMgr IIS Servers"
 * pkilab group add-member "ConfigMgr IIS Servers" IIS01$  samba-tool group addmembers ... IIS01$
 * pkilab group members "ConfigMgr IIS Servers"         samba-tool group listmembers ...
 * pkilab computer create IIS01 iis01.contoso.com       samba-tool computer create IIS01
 * pkilab user create alice                             samba-tool user create alice
 * </pre>
 *
 * <p>Names go to the directory escaped: {@code a,b} becomes {@code CN=a\,b}, a search for {@code x*}
 * looks for that name, not a wildcard.
 */
public final class DirectoryCommands {

    private DirectoryCommands() {
    }

    static void listPrincipals(PrintWriter out, List<UsersAndComputers.Principal> principals) {
        for (UsersAndComputers.Principal p : principals) {
            out.println(p.samAccountName() == null || p.samAccountName().equals(p.name()) ? p.name()
                    : p.name() + "  (" + p.samAccountName() + ")");
        }
    }

    @Command(name = "group", mixinStandardHelpOptions = true,
            description = "Security groups: list, create, add-member, remove-member, members (as samba-tool group).")
    public static final class GroupCommand implements Runnable {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List the domain's groups (samba-tool group list).")
        int list(@Mixin Connection connection) {
            try (DirectoryAdmin admin = connection.directory()) {
                listPrincipals(spec.commandLine().getOut(), admin.usersAndComputers().groups());
            }
            return 0;
        }

        @Command(name = "create", mixinStandardHelpOptions = true,
                description = "Create a security group in CN=Users (samba-tool group add).")
        int create(@Mixin Connection connection,
                   @Parameters(paramLabel = "NAME", description = "Group name, e.g. \"ConfigMgr IIS Servers\".") String name,
                   @Option(names = "--scope", defaultValue = "GLOBAL", paramLabel = "SCOPE",
                           description = "DOMAIN_LOCAL, GLOBAL or UNIVERSAL (default: ${DEFAULT-VALUE}).") UsersAndComputers.GroupScope scope,
                   @Option(names = "--description", paramLabel = "TEXT") String description) {
            try (DirectoryAdmin admin = connection.directory()) {
                String dn = admin.usersAndComputers().createGroup(name, scope, description);
                spec.commandLine().getOut().println("Created group " + dn);
            }
            return 0;
        }

        @Command(name = "add-member", mixinStandardHelpOptions = true,
                description = "Add accounts or groups to a group (samba-tool group addmembers). Members log on again "
                        + "(restart, klist purge) before their token has the group.")
        int addMember(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "GROUP") String group,
                      @Parameters(index = "1..*", arity = "1..*", paramLabel = "MEMBER",
                              description = "sAMAccountName (IIS01$), name or DN.") List<String> members) {
            try (DirectoryAdmin admin = connection.directory()) {
                // resolve every name first: one unknown member and nothing is added
                members.forEach(admin.usersAndComputers()::dnOf);
                admin.usersAndComputers().dnOf(group);
                for (String member : members) {
                    admin.usersAndComputers().addMember(group, member);
                    spec.commandLine().getOut().println("Added " + member + " to " + group);
                }
            }
            return 0;
        }

        @Command(name = "remove-member", mixinStandardHelpOptions = true,
                description = "Remove accounts or groups from a group (samba-tool group removemembers).")
        int removeMember(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "GROUP") String group,
                         @Parameters(index = "1..*", arity = "1..*", paramLabel = "MEMBER") List<String> members) {
            try (DirectoryAdmin admin = connection.directory()) {
                members.forEach(admin.usersAndComputers()::dnOf);
                admin.usersAndComputers().dnOf(group);
                for (String member : members) {
                    admin.usersAndComputers().removeMember(group, member);
                    spec.commandLine().getOut().println("Removed " + member + " from " + group);
                }
            }
            return 0;
        }

        @Command(name = "members", mixinStandardHelpOptions = true,
                description = "List a group's members, by DN (samba-tool group listmembers; primary-group members not shown).")
        int members(@Mixin Connection connection, @Parameters(paramLabel = "GROUP") String group) {
            try (DirectoryAdmin admin = connection.directory()) {
                admin.usersAndComputers().members(group).forEach(spec.commandLine().getOut()::println);
            }
            return 0;
        }
    }

    @Command(name = "computer", mixinStandardHelpOptions = true,
            description = "Computer accounts: list, create (as samba-tool computer).")
    public static final class ComputerCommand implements Runnable {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List computer accounts (samba-tool computer list).")
        int list(@Mixin Connection connection) {
            try (DirectoryAdmin admin = connection.directory()) {
                listPrincipals(spec.commandLine().getOut(), admin.usersAndComputers().computers());
            }
            return 0;
        }

        @Command(name = "create", mixinStandardHelpOptions = true,
                description = "Pre-create a computer account in CN=Computers, as joining the domain does (samba-tool computer create).")
        int create(@Mixin Connection connection, @Parameters(index = "0", paramLabel = "NAME", description = "NetBIOS name, e.g. IIS01.") String name,
                   @Parameters(index = "1", arity = "0..1", paramLabel = "FQDN",
                           description = "dNSHostName (default: NAME.<domain>).") String fqdn,
                   @Option(names = "--machine-password", paramLabel = "PW", required = true,
                           description = "The machine account's password (the host joins with it).") String machinePassword) {
            try (DirectoryAdmin admin = connection.directory()) {
                DomainNames names = admin.names();
                String dn = admin.usersAndComputers().createComputer(name, fqdn != null ? fqdn : name.toLowerCase(Locale.ROOT) + "." + names.dnsName(), machinePassword);
                spec.commandLine().getOut().println("Created computer " + dn);
            }
            return 0;
        }
    }

    @Command(name = "user", mixinStandardHelpOptions = true, description = "User accounts: list, create, set --email (as samba-tool user).")
    public static final class UserCommand implements Runnable {
        @Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "list", mixinStandardHelpOptions = true, description = "List user accounts (samba-tool user list).")
        int list(@Mixin Connection connection) {
            try (DirectoryAdmin admin = connection.directory()) {
                listPrincipals(spec.commandLine().getOut(), admin.usersAndComputers().users());
            }
            return 0;
        }

        @Command(name = "create", mixinStandardHelpOptions = true,
                description = "Create a user in CN=Users with a UPN in the domain (samba-tool user create).")
        int create(@Mixin Connection connection, @Parameters(paramLabel = "NAME") String name,
                   @Option(names = "--new-password", paramLabel = "PW", required = true,
                           description = "The new user's password (complexity rules apply).") String newPassword) {
            try (DirectoryAdmin admin = connection.directory()) {
                spec.commandLine().getOut().println("Created user " + admin.usersAndComputers().createUser(name, newPassword));
            }
            return 0;
        }

        @Command(name = "set", mixinStandardHelpOptions = true,
                description = "Change a user's properties, as the General tab in Active Directory Users and Computers does "
                        + "(samba-tool user edit): --email, which a template's 'Include e-mail name' needs.")
        int set(@Mixin Connection connection, @Parameters(paramLabel = "NAME", description = "The user: name, sAMAccountName or DN.") String name,
                @Option(names = "--email", paramLabel = "ADDRESS", required = true,
                        description = "E-mail (the mail attribute); \"\" clears it.") String email) {
            try (DirectoryAdmin admin = connection.directory()) {
                try {
                    admin.usersAndComputers().setMail(name, email);
                } catch (IllegalArgumentException e) {
                    throw new CommandLine.ParameterException(spec.commandLine().getSubcommands().get("set"), "--email: " + e.getMessage());
                }
                spec.commandLine().getOut().println(email.isBlank() ? "Cleared the e-mail of " + name : "E-mail of " + name + " is now " + email);
            }
            return 0;
        }
    }
}
