package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.DeleteOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;
import org.apache.directory.server.core.api.interceptor.context.OperationContext;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code memberOf}, the back-link of every group's {@code member}. AD keeps a membership once, as a forward link
 * on the group ({@code member}, linkID 2), and answers the other side from its link table: an object's
 * {@code memberOf} (linkID 3) names each group whose {@code member} names the object. Adding Alice to Domain
 * Admins writes the group alone, and Alice reads back in it:
 *
 * <pre>
 * dn: CN=Domain Admins,CN=Users,DC=contoso,DC=com      written:  member: CN=Alice,CN=Users,DC=contoso,DC=com
 * dn: CN=Alice,CN=Users,DC=contoso,DC=com              read:     memberOf: CN=Domain Admins,CN=Users,DC=contoso,DC=com
 * </pre>
 *
 * <p>Here {@code memberOf} is kept on the member in step with every add, modify and delete of a group's
 * {@code member}, so filters such as {@code (memberOf=CN=Domain Admins,CN=Users,DC=contoso,DC=com)} evaluate as on
 * any stored attribute. A deleted object leaves its groups, as AD removes the links of an object it deletes: one
 * made again under the same name is in no group until it is added to one. The primary group is not in
 * {@code memberOf}, as on AD. These writes are the DC's {@linkplain AdObjectAttributes#upkeep upkeep}: the member
 * gets no new whenChanged or USN. A client writing {@code memberOf} is refused as AD refuses it
 * ({@link AdObjectAttributes}).
 *
 * <p>Back-links are kept from {@link #adopt} on, which rebuilds every {@code memberOf} from the groups'
 * {@code member} once the store is loaded (a lab kept from before back-links gets them then).
 */
final class MemberOfBackLinks extends BaseInterceptor {

    static final String NAME = "pkilabMemberOfBackLinks";

    private final DomainControllerConfig config;
    private final AdObjectAttributes objects;
    /** Back-links are kept from {@link #adopt} on (entries loaded from the store bring their own). */
    private volatile boolean linking;
    private Dn domain;

    /** @param objects whose {@link AdObjectAttributes#upkeep upkeep} the back-link writes are, so that they take no USN */
    MemberOfBackLinks(DomainControllerConfig config, AdObjectAttributes objects) {
        super(NAME);
        this.config = config;
        this.objects = objects;
    }

    @Override
    public void init(DirectoryService directoryService) throws LdapException {
        super.init(directoryService);
        domain = new Dn(schemaManager, config.names().domain());
    }

    /**
     * Rebuilds {@code memberOf} from every group's {@code member} and keeps back-links from then on. Runs once at
     * start, after the store is loaded and before it is checkpointed, so what it gives is kept.
     *
     * @param entries every entry of the domain with its {@code objectClass}, {@code member} and {@code memberOf}: the
     *                ones {@link AdObjectAttributes#adopt} read, so that a start reads the domain once
     */
    void adopt(CoreSession admin, List<Entry> entries) throws LdapException {
        objects.upkeep(() -> {
            Map<String, Set<String>> groupsOf = new HashMap<>();
            for (Entry entry : entries) {
                Attribute members = entry.get("member");
                if (members != null && entry.hasObjectClass("group")) {
                    for (Value member : members) {
                        String key = normalized(member.getString());
                        if (key != null) {
                            groupsOf.computeIfAbsent(key, k -> new LinkedHashSet<>()).add(entry.getDn().getName());
                        }
                    }
                }
            }
            for (Entry entry : entries) {
                Set<String> expected = groupsOf.getOrDefault(entry.getDn().getNormName(), Set.of());
                if (!sameDns(entry.get("memberOf"), expected)) {
                    admin.modify(entry.getDn(), expected.isEmpty()
                            ? new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "memberOf")
                            : new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "memberOf", expected.toArray(String[]::new)));
                }
            }
        });
        linking = true;
    }

    /**
     * Runs {@code restore} with the back-links left alone: a {@linkplain DirectorySnapshot restore} puts every entry
     * back as it was, {@code memberOf} included, so upkeep of its own would undo part of what it writes.
     */
    <T> T restoring(Supplier<T> restore) {
        boolean was = linking;
        linking = false;
        try {
            return restore.get();
        } finally {
            linking = was;
        }
    }

    private boolean sameDns(Attribute have, Set<String> expected) {
        Set<String> want = new HashSet<>();
        expected.forEach(dn -> want.add(normalized(dn)));
        Set<String> got = new HashSet<>();
        if (have != null) {
            have.forEach(v -> got.add(normalized(v.getString())));
        }
        return want.equals(got);
    }

    @Override
    public void add(AddOperationContext ctx) throws LdapException {
        Entry entry = ctx.getEntry();
        next(ctx);
        Attribute members = entry.get("member");
        if (linking && members != null && entry.hasObjectClass("group")) {
            List<String> added = new ArrayList<>();
            members.forEach(v -> added.add(v.getString()));
            link(ctx, ctx.getDn(), added, List.of());
        }
    }

    @Override
    public void modify(ModifyOperationContext ctx) throws LdapException {
        boolean members = linking && !objects.inUpkeep() && inDomain(ctx.getDn())
                && ctx.getModItems().stream().anyMatch(m -> is(m.getAttribute().getAttributeType(), "member"));
        Set<String> before = members ? memberDns(ctx, ctx.getDn()) : null;
        next(ctx);
        if (before != null) {
            Set<String> after = memberDns(ctx, ctx.getDn());
            List<String> added = new ArrayList<>();
            List<String> removed = new ArrayList<>();
            Map<String, String> afterByKey = byKey(after);
            Map<String, String> beforeByKey = byKey(before);
            afterByKey.forEach((key, dn) -> {
                if (!beforeByKey.containsKey(key)) {
                    added.add(dn);
                }
            });
            beforeByKey.forEach((key, dn) -> {
                if (!afterByKey.containsKey(key)) {
                    removed.add(dn);
                }
            });
            link(ctx, ctx.getDn(), added, removed);
        }
    }

    @Override
    public void delete(DeleteOperationContext ctx) throws LdapException {
        boolean kept = linking && inDomain(ctx.getDn());
        Set<String> members = kept ? memberDns(ctx, ctx.getDn()) : Set.of();
        Entry deleted = kept ? existing(ctx, ctx.getDn(), "memberOf") : null;
        next(ctx);
        if (!members.isEmpty()) {
            link(ctx, ctx.getDn(), List.of(), List.copyOf(members));
        }
        if (deleted != null && deleted.get("memberOf") != null) {
            leaveGroups(ctx, ctx.getDn(), deleted.get("memberOf"));
        }
    }

    /**
     * Takes a deleted object out of the {@code member} of each group it was in, as AD removes the links of an object
     * it deletes: an object made again under the same name is in no group until it is added to one.
     */
    private void leaveGroups(OperationContext ctx, Dn gone, Attribute groups) throws LdapException {
        objects.upkeep(() -> {
            for (Value group : groups) {
                Dn dn;
                try {
                    dn = new Dn(schemaManager, group.getString());
                } catch (LdapInvalidDnException e) {
                    continue;
                }
                Entry entry = existing(ctx, dn, "member");
                if (entry == null || entry.get("member") == null) {
                    continue;
                }
                for (Value member : entry.get("member")) {
                    if (gone.getNormName().equals(normalized(member.getString()))) {
                        admin(ctx).modify(dn, new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "member", member.getString()));
                    }
                }
            }
        });
    }

    /** The group's members (empty when {@code dn} is no group or not there). */
    private Set<String> memberDns(OperationContext ctx, Dn dn) throws LdapException {
        Entry entry = existing(ctx, dn, "member", "objectClass");
        Set<String> dns = new LinkedHashSet<>();
        if (entry != null && entry.hasObjectClass("group") && entry.get("member") != null) {
            entry.get("member").forEach(v -> dns.add(v.getString()));
        }
        return dns;
    }

    private Map<String, String> byKey(Set<String> dns) {
        Map<String, String> keyed = new HashMap<>();
        for (String dn : dns) {
            String key = normalized(dn);
            if (key != null) {
                keyed.put(key, dn);
            }
        }
        return keyed;
    }

    /** Adds {@code group} to the memberOf of each added member and takes it from each removed one, where they exist. */
    private void link(OperationContext ctx, Dn group, List<String> added, List<String> removed) throws LdapException {
        objects.upkeep(() -> {
            for (String member : added) {
                backLink(ctx, member, group, true);
            }
            for (String member : removed) {
                backLink(ctx, member, group, false);
            }
        });
    }

    private void backLink(OperationContext ctx, String member, Dn group, boolean add) throws LdapException {
        Dn dn;
        try {
            dn = new Dn(schemaManager, member);
        } catch (LdapInvalidDnException e) {
            return; // the DN syntax check refuses such a value on write
        }
        if (!inDomain(dn)) {
            return;
        }
        Entry entry = existing(ctx, dn, "memberOf");
        if (entry == null) {
            return; // a member that is not (or no longer) there has no back-link to keep
        }
        Attribute memberOf = entry.get("memberOf");
        boolean holds = false;
        if (memberOf != null) {
            for (Value value : memberOf) {
                if (group.getNormName().equals(normalized(value.getString()))) {
                    holds = true;
                    if (!add) {
                        admin(ctx).modify(dn, new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "memberOf", value.getString()));
                    }
                }
            }
        }
        if (add && !holds) {
            admin(ctx).modify(dn, new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "memberOf", group.getName()));
        }
    }

    /** The entry at {@code dn} with {@code attributes}; null when there is none. */
    private static Entry existing(OperationContext ctx, Dn dn, String... attributes) throws LdapException {
        try {
            return admin(ctx).lookup(dn, attributes);
        } catch (LdapNoSuchObjectException gone) {
            return null;
        }
    }

    private boolean is(AttributeType type, String name) {
        return type != null && type.equals(schemaManager.getAttributeType(name));
    }

    private boolean inDomain(Dn dn) {
        return domain != null && (dn.equals(domain) || dn.isDescendantOf(domain));
    }

    private String normalized(String dn) {
        try {
            return new Dn(schemaManager, dn).getNormName();
        } catch (LdapInvalidDnException e) {
            return null;
        }
    }

    private static CoreSession admin(OperationContext ctx) {
        return ctx.getSession().getDirectoryService().getAdminSession();
    }
}
