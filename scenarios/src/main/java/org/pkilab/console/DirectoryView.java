package org.pkilab.console;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnection;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.host.DomainComputer;
import org.pkilab.lab.Lab;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Active Directory Users and Computers: the domain's containers and OUs with the users, computers and groups in them;
 * a group's members and what it is a member of, with the nesting drawn as a tree both ways; an account's logon token.
 * For a computer that is running, the token it logged on with at its last restart stands beside what the directory
 * says now: when they differ, the page says what the computer would hold after a restart (the guide's "restart the
 * computer after adding it to the group" made visible).
 *
 * <p>Everything is read over the signed-in account's own LDAP connection: the DC decides what it may see.
 */
final class DirectoryView implements ConsoleView {

    private static final String[] LISTED = {"objectClass", "cn", "ou", "name", "sAMAccountName", "description", "groupType"};
    /** How deep the nesting trees go: AD allows cycles, the page must end. */
    private static final int DEPTH = 8;

    @Override
    public String prefix() {
        return "/ad";
    }

    @Override
    public String title() {
        return "Active Directory";
    }

    @Override
    public ConsoleAnswer answer(ConsoleRequest request) throws LDAPException {
        if (request.post()) {
            throw new ConsoleAnswer.Refused(405, "Not allowed", "Active Directory Users and Computers is read-only in the console; change the "
                    + "directory with 'pkilab group|user|computer ...' or a scenario step.");
        }
        LDAPConnection ldap = request.session().ldap();
        String domain = request.context().lab().dc().names().domain();
        if (request.path().equals("/ad/object")) {
            return object(request, ldap, dn(request.required("dn"), domain));
        }
        String container = request.parameter("dn") == null ? domain : dn(request.parameter("dn"), domain);
        return container(request, ldap, domain, container);
    }

    /** A DN inside the domain, or 400: the console reads nothing outside the domain partition by a typed DN. */
    private static String dn(String typed, String domain) {
        try {
            DN dn = new DN(typed);
            if (!dn.isDescendantOf(new DN(domain), true)) {
                throw new ConsoleAnswer.Refused(400, "Not in the domain", "'" + typed + "' is not in " + domain + ".");
            }
            return dn.toString();
        } catch (LDAPException e) {
            throw new ConsoleAnswer.Refused(400, "Not a distinguished name", "'" + typed + "' is not a distinguished name: " + e.getMessage());
        }
    }

    private ConsoleAnswer container(ConsoleRequest request, LDAPConnection ldap, String domain, String container) throws LDAPException {
        List<SearchResultEntry> children = children(ldap, container);
        StringBuilder body = new StringBuilder("<div class=\"split\"><nav aria-label=\"Domain tree\" class=\"tree-pane\">")
                .append(tree(ldap, domain, container)).append("</nav><section aria-labelledby=\"details\" class=\"details-pane\">")
                .append("<h2 id=\"details\">").append(Html.text(name(container))).append("</h2>")
                .append("<p class=\"kind\">").append(Html.text(container)).append("</p>");
        body.append(Html.table(children.size() + " objects", List.of("Name", "Type", "Description"), children, e -> List.of(
                Html.link(isContainer(e) ? "/ad?dn=" + Html.query(e.getDN()) : "/ad/object?dn=" + Html.query(e.getDN()), displayName(e)),
                Html.text(kind(e)), Html.text(e.getAttributeValue("description")))));
        body.append("</section></div>");
        return ConsoleAnswer.Page.of("Active Directory Users and Computers", prefix(), body.toString(), "directory");
    }

    /** The domain's top-level containers, with the one open now and its parents expanded. */
    private String tree(LDAPConnection ldap, String domain, String open) throws LDAPException {
        StringBuilder out = new StringBuilder("<ul class=\"tree\"><li>").append(Html.link("/ad", name(domain)));
        branch(ldap, domain, open, out, 0);
        return out.append("</li></ul>").toString();
    }

    private void branch(LDAPConnection ldap, String parent, String open, StringBuilder out, int depth) throws LDAPException {
        List<SearchResultEntry> containers = children(ldap, parent).stream().filter(DirectoryView::isContainer).toList();
        if (containers.isEmpty() || depth > DEPTH) {
            return;
        }
        out.append("<ul>");
        for (SearchResultEntry c : containers) {
            boolean here = sameDn(c.getDN(), open);
            out.append("<li>").append("<a href=\"/ad?dn=").append(Html.text(Html.query(c.getDN()))).append('"')
                    .append(here ? " aria-current=\"page\"" : "").append('>').append(Html.text(displayName(c))).append("</a>");
            if (isAncestorOrSelf(c.getDN(), open)) {
                branch(ldap, c.getDN(), open, out, depth + 1);
            }
            out.append("</li>");
        }
        out.append("</ul>");
    }

    private ConsoleAnswer object(ConsoleRequest request, LDAPConnection ldap, String dn) throws LDAPException {
        SearchResultEntry e = ldap.getEntry(dn, "*", "memberOf", "objectSid", "whenCreated");
        if (e == null) {
            throw new ConsoleAnswer.Refused(404, "No such object", "There is no object " + dn + " in the directory, or "
                    + request.session().account + " may not read it.");
        }
        StringBuilder body = new StringBuilder("<p class=\"kind\">").append(Html.text(kind(e))).append(" &middot; ").append(Html.text(dn)).append("</p>");
        List<String[]> fields = new ArrayList<>();
        for (String attribute : List.of("sAMAccountName", "userPrincipalName", "dNSHostName", "description", "mail", "whenCreated")) {
            if (e.hasAttribute(attribute)) {
                fields.add(new String[] {attribute, Html.text(e.getAttributeValue(attribute))});
            }
        }
        if (e.hasAttribute("objectSid")) {
            fields.add(new String[] {"objectSid", Html.text(SecurityIdentifier.fromBytes(e.getAttributeValueBytes("objectSid")))});
        }
        if (e.hasAttribute("groupType")) {
            fields.add(new String[] {"groupType", Html.text(groupType(e.getAttributeValueAsInteger("groupType")))});
        }
        body.append(Html.fields(fields));
        if (e.hasObjectClass("group")) {
            body.append("<h2>Members</h2>").append(membersTree(ldap, e, new HashSet<>(), 0));
        }
        body.append("<h2>Member Of</h2>").append(memberOfTree(ldap, e, new HashSet<>(), 0));
        if (e.hasObjectClass("user") || e.hasObjectClass("computer")) {
            body.append(token(request, ldap, e));
        }
        String up = parentOf(dn);
        body.append("<p>").append(Html.link("/ad?dn=" + Html.query(up), "Back to " + name(up))).append("</p>");
        return ConsoleAnswer.Page.of(displayName(e), prefix(), body.toString(), "directory", "hosts");
    }

    /** The group's members, and each member group's members below it: who holds this group, however deep. */
    private String membersTree(LDAPConnection ldap, SearchResultEntry group, Set<String> seen, int depth) throws LDAPException {
        String[] members = group.getAttributeValues("member");
        if (members == null || members.length == 0) {
            return depth == 0 ? "<p>This group has no members.</p>" : "";
        }
        seen.add(group.getDN().toLowerCase(Locale.ROOT));
        StringBuilder out = new StringBuilder("<ul class=\"tree\"").append(depth == 0 ? " aria-label=\"Members of " + Html.text(displayName(group)) + "\"" : "")
                .append('>');
        for (String m : sorted(members)) {
            SearchResultEntry member = ldap.getEntry(m, "objectClass", "cn", "sAMAccountName", "member", "groupType");
            out.append("<li>");
            if (member == null) {
                out.append(Html.text(m));
            } else {
                out.append(Html.link("/ad/object?dn=" + Html.query(m), displayName(member))).append(" <span class=\"kind\">").append(Html.text(kind(member)))
                        .append("</span>");
                if (member.hasObjectClass("group")) {
                    if (seen.contains(m.toLowerCase(Locale.ROOT)) || depth >= DEPTH) {
                        out.append(" <span class=\"warn\">(nesting loop: already shown above)</span>");
                    } else {
                        out.append(membersTree(ldap, member, seen, depth + 1));
                    }
                }
            }
            out.append("</li>");
        }
        return out.append("</ul>").toString();
    }

    /** The groups the object is a member of, and theirs above them: every group its token gets from nesting. */
    private String memberOfTree(LDAPConnection ldap, SearchResultEntry object, Set<String> seen, int depth) throws LDAPException {
        String[] groups = object.getAttributeValues("memberOf");
        if (groups == null || groups.length == 0) {
            return depth == 0 ? "<p>Not a member of any group (besides its primary group, which memberOf does not list).</p>" : "";
        }
        seen.add(object.getDN().toLowerCase(Locale.ROOT));
        StringBuilder out = new StringBuilder("<ul class=\"tree\">");
        for (String g : sorted(groups)) {
            SearchResultEntry group = ldap.getEntry(g, "objectClass", "cn", "sAMAccountName", "memberOf", "groupType");
            out.append("<li>");
            if (group == null) {
                out.append(Html.text(g));
            } else {
                out.append(Html.link("/ad/object?dn=" + Html.query(g), displayName(group)));
                if (seen.contains(g.toLowerCase(Locale.ROOT)) || depth >= DEPTH) {
                    out.append(" <span class=\"warn\">(nesting loop: already shown)</span>");
                } else {
                    out.append(memberOfTree(ldap, group, seen, depth + 1));
                }
            }
            out.append("</li>");
        }
        return out.append("</ul>").toString();
    }

    /**
     * The account's token as the DC would issue it now ({@code tokenGroups}: nesting and the primary group resolved), and
     * for a running computer the token it holds since its last restart, with what a restart would change.
     */
    private String token(ConsoleRequest request, LDAPConnection ldap, SearchResultEntry account) throws LDAPException {
        var names = request.session().directory().usersAndComputers();
        SecurityIdentifier domainSid = request.session().directory().domainSid();
        Set<String> now = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        TokenChange.tokenGroups(ldap, account.getDN()).forEach(sid -> now.add(names.nameOf(sid)));
        StringBuilder out = new StringBuilder("<h2>Logon token</h2>");
        Lab lab = request.context().lab();
        String sam = account.getAttributeValue("sAMAccountName");
        String computerName = account.hasObjectClass("computer") && sam != null ? sam.replaceFirst("\\$$", "").toUpperCase(Locale.ROOT) : null;
        if (computerName != null && lab.computerNames().contains(computerName) && lab.booted(computerName)) {
            DomainComputer computer = lab.computer(computerName);
            LogonToken held = computer.token();
            Set<String> since = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
            held.groups().forEach(g -> since.add(g.name().contains("\\") || !g.sid().isInDomain(domainSid) ? g.name() : names.nameOf(g.sid())));
            TokenChange change = TokenChange.of(ldap, account.getDN(), held);
            Set<String> gained = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
            change.gained().forEach(sid -> gained.add(names.nameOf(sid)));
            Set<String> lost = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
            change.lost().forEach(sid -> lost.add(names.nameOf(sid)));
            out.append("<p>").append(Html.text(computerName)).append(" logged on at its last restart (")
                    .append(Html.text(ConsolePage.CLOCK.format(held.issuedAt()))).append(" UTC) with this token; the CA judges its requests by it.</p>");
            out.append(groupList("Groups in " + computerName + "'s token since its last restart", since));
            if (gained.isEmpty() && lost.isEmpty()) {
                out.append(Html.message("info", "The directory says the same now: a restart would not change this token."));
            } else {
                out.append(Html.message("info", "The directory says otherwise now. After a restart " + computerName + " would hold"
                        + (gained.isEmpty() ? "" : " also " + String.join(", ", gained))
                        + (gained.isEmpty() || lost.isEmpty() ? "" : ", and")
                        + (lost.isEmpty() ? "" : " no longer " + String.join(", ", lost))
                        + ". Until it restarts, autoenrollment and the CA see the token above."));
                out.append(groupList("Groups a restart would give " + computerName + " (tokenGroups now)", now));
            }
        } else {
            out.append("<p>What the domain controller puts in this account's token at its next logon (<code>tokenGroups</code>: every group, "
                    + "nesting resolved).</p>").append(groupList("Groups in the token at the next logon", now));
        }
        return out.toString();
    }

    private static String groupList(String label, Set<String> groups) {
        StringBuilder out = new StringBuilder("<ul class=\"groups\" aria-label=\"").append(Html.text(label)).append("\">");
        groups.forEach(g -> out.append("<li>").append(Html.text(g)).append("</li>"));
        if (groups.isEmpty()) {
            out.append("<li>(no groups)</li>");
        }
        return out.append("</ul>").toString();
    }

    private static List<SearchResultEntry> children(LDAPConnection ldap, String parent) throws LDAPException {
        try {
            List<SearchResultEntry> found = new ArrayList<>(ldap.search(parent, SearchScope.ONE, Filter.createPresenceFilter("objectClass"), LISTED)
                    .getSearchEntries());
            found.sort(Comparator.comparing((SearchResultEntry e) -> !isContainer(e)).thenComparing(DirectoryView::displayName, String.CASE_INSENSITIVE_ORDER));
            return found;
        } catch (LDAPSearchException e) {
            if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
                throw new ConsoleAnswer.Refused(404, "No such container", "There is no container " + parent + " in the directory.");
            }
            throw e;
        }
    }

    static boolean isContainer(SearchResultEntry e) {
        return e.hasObjectClass("container") || e.hasObjectClass("organizationalUnit") || e.hasObjectClass("builtinDomain")
                || e.hasObjectClass("domainDNS");
    }

    static String kind(SearchResultEntry e) {
        if (e.hasObjectClass("computer")) {
            return "Computer";
        }
        if (e.hasObjectClass("user")) {
            return "User";
        }
        if (e.hasObjectClass("group")) {
            Integer type = e.getAttributeValueAsInteger("groupType");
            return type == null ? "Group" : ((type & 0x80000000) != 0 ? "Security" : "Distribution") + " Group - " + scope(type);
        }
        if (e.hasObjectClass("organizationalUnit")) {
            return "Organizational Unit";
        }
        if (e.hasObjectClass("builtinDomain")) {
            return "builtinDomain";
        }
        if (e.hasObjectClass("container")) {
            return "Container";
        }
        String[] classes = e.getObjectClassValues();
        return classes == null || classes.length == 0 ? "" : classes[classes.length - 1];
    }

    /** The scope ADUC shows: a builtin group (0x1 with 0x4) is Domain Local there too. */
    private static String scope(int groupType) {
        if ((groupType & 0x4) != 0) {
            return "Domain Local";
        }
        if ((groupType & 0x8) != 0) {
            return "Universal";
        }
        return "Global";
    }

    private static String groupType(int groupType) {
        return String.format(Locale.ROOT, "0x%08X (%s, %s%s)", groupType, scope(groupType), (groupType & 0x80000000) != 0 ? "Security" : "Distribution",
                (groupType & 0x1) != 0 ? ", created by the system" : "");
    }

    static String displayName(SearchResultEntry e) {
        for (String a : List.of("name", "cn", "ou")) {
            if (e.hasAttribute(a)) {
                return e.getAttributeValue(a);
            }
        }
        return name(e.getDN());
    }

    private static String name(String dn) {
        try {
            return new DN(dn).getRDN().getAttributeValues()[0];
        } catch (LDAPException e) {
            return dn;
        }
    }

    private static String parentOf(String dn) {
        try {
            DN parent = new DN(dn).getParent();
            return parent == null ? dn : parent.toString();
        } catch (LDAPException e) {
            return dn;
        }
    }

    private static boolean sameDn(String a, String b) {
        try {
            return new DN(a).equals(new DN(b));
        } catch (LDAPException e) {
            return a.equalsIgnoreCase(b);
        }
    }

    private static boolean isAncestorOrSelf(String ancestor, String dn) {
        try {
            return new DN(dn).isDescendantOf(new DN(ancestor), true);
        } catch (LDAPException e) {
            return false;
        }
    }

    private static List<String> sorted(String[] values) {
        List<String> out = new ArrayList<>(new LinkedHashSet<>(List.of(values)));
        out.sort(String.CASE_INSENSITIVE_ORDER);
        return out;
    }
}
