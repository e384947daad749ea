package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapOtherException;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.AttributeTypeOptions;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.filtering.EntryFilter;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursor;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The attributes an Active Directory object answers on read that are stored nowhere. AD computes its constructed
 * attributes ([MS-ADTS] 3.1.1.4.5) from the object and the rest of the directory each time they are asked for; so
 * does the lab, for these and for {@code distinguishedName} and {@code name}, which it takes from the DN. A
 * base-scope read of Alice that names them:
 *
 * <pre>
 * distinguishedName: CN=Alice,CN=Users,DC=contoso,DC=com   the DN, on every read
 * name: Alice                                              the RDN's value, on every read
 * tokenGroups: S-1-5-21-...-513, S-1-5-21-...-512          (base-scope reads that name it) the SIDs of the groups in
 *                                                          Alice's logon token, nested and primary ones included,
 *                                                          but Everyone and Authenticated Users ([MS-ADTS] 3.1.1.4.5.19)
 * tokenGroupsGlobalAndUniversal: S-1-5-21-...-513, ...     (likewise) those of them that are global or universal
 *                                                          groups, not domain-local ones (3.1.1.4.5.20)
 * </pre>
 *
 * and a read of Domain Users that names {@code primaryGroupToken}:
 *
 * <pre>
 * primaryGroupToken: 513                                   (reads that name it, on a group) the group's RID: what
 *                                                          primaryGroupID holds on the accounts it is primary for
 * </pre>
 *
 * <p>The token is the one a logon would get now ({@link TokenBuilder}); a connection bound by certificate that reads its
 * own account sees the groups its certificate's issuance policies linked to as well ({@link CertificateLogonSession},
 * ESC13), as {@code whoami /groups} shows them after such a logon. The DC's own reads (the store, snapshots,
 * tokens) see what is stored, nothing computed. What the DC stores on every object is {@link AdObjectAttributes}'.
 */
final class ConstructedAttributes extends BaseInterceptor {

    static final String NAME = "pkilabConstructedAttributes";
    /** The SIDs a logon token has by being a logon, which AD leaves out of {@code tokenGroups}. */
    private static final Set<SecurityIdentifier> LOGON_SIDS = Set.of(SecurityIdentifier.EVERYONE, SecurityIdentifier.AUTHENTICATED_USERS);

    private final DomainControllerConfig config;
    private volatile TokenBuilder tokens;
    private Dn domain;

    ConstructedAttributes(DomainControllerConfig config) {
        super(NAME);
        this.config = config;
    }

    @Override
    public void init(DirectoryService directoryService) throws LdapException {
        super.init(directoryService);
        domain = new Dn(schemaManager, config.names().domain());
    }

    /** The tokens {@code tokenGroups} is read from, once the DC has them. */
    void tokens(TokenBuilder tokens) {
        this.tokens = tokens;
    }

    @Override
    public EntryFilteringCursor search(SearchOperationContext ctx) throws LdapException {
        EntryFilteringCursor cursor = next(ctx);
        if (SystemAccountGuard.isSystem(ctx.getSession())) {
            return cursor; // the DC's own reads (the store, snapshots, tokens) see what is stored, nothing computed
        }
        boolean base = ctx.getScope() == SearchScope.OBJECT;
        boolean tokenGroups = base && requested(ctx, "tokenGroups");
        boolean globalAndUniversal = base && requested(ctx, "tokenGroupsGlobalAndUniversal");
        boolean primaryGroupToken = requested(ctx, "primaryGroupToken");
        cursor.addEntryFilter(new EntryFilter() {
            @Override
            public boolean accept(SearchOperationContext search, Entry entry) throws LdapException {
                constructed(entry, search.getSession(), tokenGroups, globalAndUniversal, primaryGroupToken);
                return true;
            }

            @Override
            public String toString(String tabs) {
                return tabs + "AD's constructed attributes";
            }
        });
        return cursor;
    }

    /** Puts AD's attributes computed on read into an entry about to be returned (ApacheDS then keeps those asked for). */
    private void constructed(Entry entry, org.apache.directory.server.core.api.CoreSession reader, boolean tokenGroups,
                             boolean globalAndUniversal, boolean primaryGroupToken)
            throws LdapException {
        if (!inDomain(entry.getDn())) {
            return;
        }
        entry.put("distinguishedName", entry.getDn().getName());
        entry.put("name", entry.getDn().getRdn().getValue());
        Attribute sid = entry.get("objectSid");
        if (primaryGroupToken && sid != null && entry.hasObjectClass("group")) {
            entry.put("primaryGroupToken", String.valueOf(SecurityIdentifier.fromBytes(sid.getBytes()).rid()));
        }
        TokenBuilder builder = tokens;
        if ((tokenGroups || globalAndUniversal) && builder != null && sid != null && entry.get("sAMAccountName") != null) {
            LogonToken token = builder.tokenFor(entry.getDn(), config.clock().instant(), "");
            if (reader instanceof CertificateLogonSession logon && logon.getEffectivePrincipal().getDn().equals(entry.getDn())) {
                token = logon.withLinkedGroups(token); // the reader's own certificate logon: its issuance-policy groups too
            }
            Set<SecurityIdentifier> globalOrUniversal = globalAndUniversal ? globalAndUniversalGroups() : Set.of();
            List<byte[]> all = new ArrayList<>();
            List<byte[]> notLocal = new ArrayList<>();
            for (LogonToken.TokenGroup group : token.groups()) {
                if (!LOGON_SIDS.contains(group.sid())) {
                    all.add(group.sid().toBytes());
                    if (globalOrUniversal.contains(group.sid())) {
                        notLocal.add(group.sid().toBytes());
                    }
                }
            }
            if (tokenGroups && !all.isEmpty()) {
                entry.put("tokenGroups", all.toArray(byte[][]::new));
            }
            if (globalAndUniversal && !notLocal.isEmpty()) {
                entry.put("tokenGroupsGlobalAndUniversal", notLocal.toArray(byte[][]::new));
            }
        }
    }

    /** The SIDs of the domain's global and universal groups ({@code groupType} 0x2 or 0x8): not domain-local nor built-in. */
    private Set<SecurityIdentifier> globalAndUniversalGroups() throws LdapException {
        Set<SecurityIdentifier> sids = new HashSet<>();
        try (Cursor<Entry> cursor = directoryService.getAdminSession().search(domain, SearchScope.SUBTREE,
                FilterParser.parse(schemaManager, "(objectClass=group)"), AliasDerefMode.NEVER_DEREF_ALIASES, "objectSid", "groupType")) {
            while (cursor.next()) {
                Entry group = cursor.get();
                Attribute type = group.get("groupType");
                if (group.get("objectSid") != null && type != null && (Integer.parseInt(type.getString().trim()) & (0x2 | 0x8)) != 0) {
                    sids.add(SecurityIdentifier.fromBytes(group.get("objectSid").getBytes()));
                }
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapOtherException("cannot read the domain's groups for tokenGroupsGlobalAndUniversal: " + e.getMessage(), e);
        }
        return sids;
    }

    private boolean requested(SearchOperationContext ctx, String name) {
        if (ctx.getReturningAttributes() == null) {
            return false;
        }
        for (AttributeTypeOptions option : ctx.getReturningAttributes()) {
            if (is(option.getAttributeType(), name)) {
                return true;
            }
        }
        return false;
    }

    private boolean is(AttributeType type, String name) {
        return type != null && type.equals(schemaManager.getAttributeType(name));
    }

    private boolean inDomain(Dn dn) {
        return domain != null && (dn.equals(domain) || dn.isDescendantOf(domain));
    }

}
