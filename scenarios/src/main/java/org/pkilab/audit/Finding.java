package org.pkilab.audit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One exploitable misconfiguration: its class, the object it is on, who can exploit it, the attribute values that
 * make it so, what an attacker gains, and the fix.
 *
 * <pre>{@code
 * Finding[ESC1 template 'ESC1 User' (ESC1User)
 *         exploitable by groups [CONTOSO\Domain Users], accounts [CONTOSO\alice, CONTOSO\bob]
 *         values {msPKI-Certificate-Name-Flag=0x1 (CT_FLAG_ENROLLEE_SUPPLIES_SUBJECT), pKIExtendedKeyUsage=[1.3.6.1.5.5.7.3.2 Client Authentication], ...}
 *         fix "Certificate Templates console > ESC1 User > Subject Name tab: select 'Build from this Active Directory information'"
 *         command "pkilab template set ESC1User --subject-name build"]
 * }</pre>
 *
 * @param escClass   the class
 * @param kind       what the object is
 * @param object     the object's name as the consoles show it: the template name ({@code cn}), the CA name, a container
 *                   DN, an account, or the DC's host name
 * @param groups     the low-privileged groups (and well-known principals) whose every member can exploit it, as
 *                   {@code DOMAIN\name}
 * @param accounts   the low-privileged users and computers that can, each through its own token (nesting and Deny applied)
 * @param values     the attribute or registry values that make it so, by name, in the order they were checked
 * @param impact     what an attacker gains, one sentence
 * @param fix        where to fix it in the Windows consoles (tab and checkbox) or registry
 * @param command    the {@code pkilab} command that fixes it, or empty where none does
 * @param severity   how bad it is
 */
public record Finding(EscClass escClass, ObjectKind kind, String object, List<String> groups, List<String> accounts,
                      Map<String, String> values, String impact, String fix, String command, Severity severity) {

    /** What a finding is on. */
    public enum ObjectKind {
        TEMPLATE, CA, CONTAINER, ACCOUNT, DOMAIN_CONTROLLER, ENDPOINT
    }

    public Finding {
        groups = List.copyOf(groups);
        accounts = List.copyOf(accounts);
        values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        command = command == null ? "" : command;
    }

    /** Every principal that can exploit it: the groups, then the accounts. */
    public List<String> principals() {
        List<String> all = new ArrayList<>(groups);
        all.addAll(accounts);
        return List.copyOf(all);
    }
}
