package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidDnException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.exception.LdapOtherException;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.ExtensibleNode;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.filter.OrNode;
import org.apache.directory.api.ldap.model.filter.PresenceNode;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code LDAP_MATCHING_RULE_IN_CHAIN} (1.2.840.113556.1.4.1941, [MS-ADTS] 3.1.1.3.4.4.1): an extensible match on
 * {@code member} or {@code memberOf} that follows the links through nested groups, so one search answers "who
 * is in this group, however deep" and "which groups is this account in". With IIS01$ in Web Servers, Web
 * Servers in Tier1 Servers, and Tier1 Servers in Web Servers (a loop, which AD allows):
 *
 * <pre>
 * (memberOf:1.2.840.113556.1.4.1941:=CN=Tier1 Servers,OU=Groups,DC=contoso,DC=com)   IIS01$, Web Servers, Tier1 Servers
 * (member:1.2.840.113556.1.4.1941:=CN=IIS01,CN=Computers,DC=contoso,DC=com)          Web Servers, Tier1 Servers
 * </pre>
 *
 * <p>The item is rewritten, before ApacheDS evaluates the filter, into equality items on the {@code entryUUID}
 * of the objects it selects: the members reached from the group down its {@code member} values, or the groups
 * reached from the object up the same links. Both directions follow {@code member}, the forward link AD keeps
 * (its back-link {@code memberOf} is derived from it), so the rule works whether or not the directory also
 * keeps {@code memberOf}; each object is visited once, so a loop ends. The links are read with the caller's
 * own session, so a search can follow no link its caller could not read. As on AD, membership by
 * {@code primaryGroupID} is not a link and is not followed. A value that is not a DN makes the item Undefined.
 */
final class InChainFilter {

    static final String IN_CHAIN = "1.2.840.113556.1.4.1941";
    private static final String MEMBER = "2.5.4.31";
    private static final String MEMBER_OF = "1.2.840.113556.1.2.102";
    private static final String ENTRY_UUID = "entryUUID";

    private InChainFilter() {
    }

    /** {@code filter} with each in-chain item on {@code member} or {@code memberOf} replaced by the objects it selects. */
    static ExprNode withChainsFollowed(ExprNode filter, CoreSession session, SchemaManager schema) throws LdapException {
        if (!ThreeValuedFilter.mentions(filter, leaf -> followsLinks(leaf, schema))) {
            return filter;
        }
        Set<LeafNode> undefined = Collections.newSetFromMap(new IdentityHashMap<>());
        Map<Dn, Links> linksBySuffix = new HashMap<>();
        ExprNode rewritten = AdSearchFilters.rewriteItems(filter, leaf -> {
            String link = link(leaf, schema);
            if (link == null) {
                return leaf;
            }
            Dn start;
            try {
                start = new Dn(schema, new String(((ExtensibleNode) leaf).getValue().getBytes(), StandardCharsets.UTF_8));
            } catch (LdapInvalidDnException notADn) {
                undefined.add(leaf);
                return leaf;
            }
            Dn suffix;
            try {
                suffix = session.getDirectoryService().getPartitionNexus().getSuffixDn(start);
            } catch (LdapException noPartition) {
                return ThreeValuedFilter.never(schema);
            }
            Links links = linksBySuffix.get(suffix);
            if (links == null) {
                links = Links.read(session, suffix, schema);
                linksBySuffix.put(suffix, links);
            }
            Set<String> selected = link.equals(MEMBER_OF) ? links.membersOf(start.getNormName())
                    : links.groupsOf(start.getNormName());
            return byEntryUuid(links.entryUuids(selected, session, schema), schema);
        });
        return undefined.isEmpty() ? rewritten : ThreeValuedFilter.whereTrue(rewritten, undefined::contains, schema);
    }

    /** Whether {@code leaf} is an in-chain item on {@code member} or {@code memberOf}, which follows links. */
    static boolean followsLinks(LeafNode leaf, SchemaManager schema) {
        return link(leaf, schema) != null;
    }

    /** The OID of the link attribute an in-chain item is on, member or memberOf; null for any other item. */
    private static String link(LeafNode leaf, SchemaManager schema) {
        if (!(leaf instanceof ExtensibleNode item) || item.getMatchingRuleId() == null
                || !IN_CHAIN.equals(item.getMatchingRuleId().trim()) || item.getValue() == null || item.getAttribute() == null) {
            return null;
        }
        AttributeType type = AttributeTypes.resolve(leaf.getAttributeType(), leaf.getAttribute(), schema);
        String description = item.getAttribute().toLowerCase(Locale.ROOT);
        int options = description.indexOf(';');
        String name = options < 0 ? description : description.substring(0, options);
        // memberOf by name or OID even where the schema lacks it: its values are derived from member
        if (type != null ? type.getOid().equals(MEMBER_OF) : name.equals("memberof") || name.equals(MEMBER_OF)) {
            return MEMBER_OF;
        }
        return type != null && type.getOid().equals(MEMBER) ? MEMBER : null;
    }

    private static ExprNode byEntryUuid(List<String> uuids, SchemaManager schema) {
        if (uuids.isEmpty()) {
            return ThreeValuedFilter.never(schema);
        }
        List<ExprNode> items = new ArrayList<>();
        for (String uuid : uuids) {
            items.add(new EqualityNode<>(ENTRY_UUID, uuid));
        }
        return items.size() == 1 ? items.get(0) : new OrNode(items);
    }

    /** The {@code member} links of one naming context, by normalized DN, and the entryUUID of each group. */
    private record Links(Map<String, List<String>> members, Map<String, List<String>> groups, Map<String, String> uuids) {

        static Links read(CoreSession session, Dn suffix, SchemaManager schema) throws LdapException {
            Map<String, List<String>> members = new HashMap<>();
            Map<String, List<String>> groups = new HashMap<>();
            Map<String, String> uuids = new HashMap<>();
            AttributeType member = schema.getAttributeType(MEMBER);
            try (Cursor<Entry> cursor = session.search(suffix, SearchScope.SUBTREE, new PresenceNode(member),
                    AliasDerefMode.NEVER_DEREF_ALIASES, "member", ENTRY_UUID)) {
                while (cursor.next()) {
                    Entry entry = cursor.get();
                    String group = new Dn(schema, entry.getDn().getName()).getNormName();
                    Attribute uuid = entry.get(ENTRY_UUID);
                    if (uuid != null) {
                        uuids.put(group, uuid.getString());
                    }
                    Attribute values = entry.get(member);
                    if (values == null) {
                        continue;
                    }
                    for (Value value : values) {
                        String each;
                        try {
                            each = new Dn(schema, value.getString()).getNormName();
                        } catch (LdapInvalidDnException notADn) {
                            continue;
                        }
                        members.computeIfAbsent(group, g -> new ArrayList<>()).add(each);
                        groups.computeIfAbsent(each, m -> new ArrayList<>()).add(group);
                    }
                }
            } catch (LdapException e) {
                throw e;
            } catch (Exception e) {
                throw new LdapOtherException("reading the member links under " + suffix + " for an in-chain match: " + e.getMessage(), e);
            }
            return new Links(members, groups, uuids);
        }

        /** Every object {@code group} holds, directly or through nested groups. */
        Set<String> membersOf(String group) {
            return reach(group, members);
        }

        /** Every group that holds {@code object}, directly or through nested groups. */
        Set<String> groupsOf(String object) {
            return reach(object, groups);
        }

        private static Set<String> reach(String start, Map<String, List<String>> links) {
            Set<String> reached = new LinkedHashSet<>();
            Deque<String> next = new ArrayDeque<>(links.getOrDefault(start, List.of()));
            while (!next.isEmpty()) {
                String dn = next.poll();
                if (reached.add(dn)) {
                    next.addAll(links.getOrDefault(dn, List.of()));
                }
            }
            return reached;
        }

        /** The entryUUIDs of {@code dns}; a member that names no object, or one the caller cannot read, has none. */
        List<String> entryUuids(Set<String> dns, CoreSession session, SchemaManager schema) throws LdapException {
            List<String> found = new ArrayList<>();
            for (String dn : dns) {
                String uuid = uuids.get(dn);
                if (uuid == null) {
                    try {
                        Entry entry = session.lookup(new Dn(schema, dn), ENTRY_UUID);
                        uuid = entry == null || entry.get(ENTRY_UUID) == null ? null : entry.get(ENTRY_UUID).getString();
                    } catch (LdapNoSuchObjectException dangling) {
                        uuid = null;
                    }
                }
                if (uuid != null) {
                    found.add(uuid);
                }
            }
            return found;
        }
    }
}
