package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapEntryAlreadyExistsException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.apache.directory.api.ldap.model.exception.LdapOperationErrorException;
import org.apache.directory.api.ldap.model.exception.LdapUnwillingToPerformException;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.filtering.EntryFilter;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursor;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.CompareOperationContext;
import org.apache.directory.server.core.api.interceptor.context.DeleteOperationContext;
import org.apache.directory.server.core.api.interceptor.context.LookupOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveAndRenameOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveOperationContext;
import org.apache.directory.server.core.api.interceptor.context.OperationContext;
import org.apache.directory.server.core.api.interceptor.context.RenameOperationContext;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;

/**
 * The directory's access control, applied the way Active Directory applies it: every write is checked
 * against the {@code nTSecurityDescriptor} of the object it touches (or of the parent it creates under),
 * with the caller's groups computed as a logon token would hold them, nested groups included. An
 * object without its own descriptor gets the domain default: Domain Admins and Enterprise Admins have
 * Full Control, Authenticated Users read.
 *
 * <p>So a machine account can read a template but gets LDAP result 50 (insufficientAccessRights) when it
 * modifies one, unless the template's Security tab grants it Write. Anonymous callers may read only the
 * root DSE, as on a Windows DC. Passwords are never returned, nor matched by a search filter ({@link SecretFilter});
 * rights are checked on the attribute type a write names, however it spells it.
 *
 * <p>What a write does to the descriptor itself (binary form, SDDL text, the SD flags control, the Write DAC and
 * Write Owner a modify of it needs, the owner of a new object) is {@link NtSecurityDescriptorAttribute}'s; a
 * descriptor written by any client governs the next check at once, since every check reads the stored value.
 */
final class DirectoryAccessInterceptor extends BaseInterceptor {

    static final String NAME = "pkilabDirectoryAccess";
    private static final String AD_INSUFFICIENT_RIGHTS = "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0";
    /** What a Windows Server 2016 DC answers an anonymous operation other than a read of the root DSE. */
    static final String AD_BIND_REQUIRED = "000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this "
            + "operation a successful bind must be completed on the connection., data 0, v4563";
    private static final Set<String> SECRET_ATTRIBUTES = SecretFilter.SECRET_NAMES;
    private static final String NEXT_RID_OID = "1.2.840.113556.1.4.88";
    private static final String SAM_ACCOUNT_NAME_OID = "1.2.840.113556.1.4.221";
    /** member, primaryGroupID, objectSid, sAMAccountName, objectClass, by name and by AD's OID. */
    private static final Set<String> MEMBERSHIP_ATTRIBUTES = Set.of("member", "2.5.4.31", "primarygroupid", "1.2.840.113556.1.4.98",
            "objectsid", "1.2.840.113556.1.4.146", "samaccountname", "1.2.840.113556.1.4.221", "objectclass", "2.5.4.0");

    private static final EntryFilter HIDE_SECRETS = new EntryFilter() {
        @Override
        public boolean accept(SearchOperationContext operation, Entry result) {
            stripSecrets(result);
            return true;
        }

        @Override
        public String toString(String tabs) {
            return tabs + "hide passwords";
        }
    };

    private volatile TokenBuilder tokens;
    private volatile SecurityIdentifier domainSid;
    private volatile Dn domain;
    /** Null until {@link #enforce}: provisioning, or a store read before the domain's SID is known. */
    private volatile NtSecurityDescriptorAttribute descriptors;
    private final RidPool rids = new RidPool();

    DirectoryAccessInterceptor() {
        super(NAME);
    }

    @Override
    public void init(DirectoryService directoryService) throws LdapException {
        super.init(directoryService);
        // before the LDAP server starts: it lists the codec's controls as the ones it takes marked critical
        directoryService.getLdapCodecService().registerRequestControl(new SdFlagsControl.Factory(directoryService.getLdapCodecService()));
    }

    /** Turns enforcement on once the forest exists (provisioning runs as the system). */
    void enforce(TokenBuilder tokens, Dn domain, SecurityIdentifier domainSid) throws LdapException {
        this.domain = domain;
        this.domainSid = domainSid;
        NtSecurityDescriptorAttribute sd = new NtSecurityDescriptorAttribute(directoryService.getSchemaManager(), domain, domainSid);
        // before the tokens: the rewrite passes through modify(), which decodes the text with the domain's SID, unchecked
        this.descriptors = sd;
        sd.keepInBinary(directoryService.getAdminSession());
        this.tokens = tokens;
    }

    /** Held from the check that an account name is free until the write that takes it is made. */
    private final ReentrantLock accountNames = new ReentrantLock();

    @Override
    public void add(AddOperationContext ctx) throws LdapException {
        authorize(ctx, ctx.getDn().getParent(), AccessControlEntry.CREATE_CHILD, "create " + ctx.getDn().getName() + " under");
        Entry entry = ctx.getEntry();
        NtSecurityDescriptorAttribute sd = descriptors;
        if (sd != null) {
            sd.assign(ctx, entry, tokens);
        }
        boolean named = tokens != null && !SystemAccountGuard.isSystem(ctx.getSession()) && entry.get("sAMAccountName") != null;
        if (named) {
            // the check and the write under one lock: two adds of one name at the same moment would both pass the check
            accountNames.lock();
        }
        try {
            if (named) {
                requireUnusedAccountName(ctx, entry.get("sAMAccountName").getString(), ctx.getDn());
            }
            addChecked(ctx, entry);
        } finally {
            if (named) {
                accountNames.unlock();
            }
        }
    }

    private void addChecked(AddOperationContext ctx, Entry entry) throws LdapException {
        boolean principal = entry.hasObjectClass("user") || entry.hasObjectClass("group");
        if (principal && tokens != null && !SystemAccountGuard.isSystem(ctx.getSession())) {
            if (entry.get("objectSid") != null) {
                throw new LdapUnwillingToPerformException(ResultCodeEnum.UNWILLING_TO_PERFORM,
                        "00002077: SvcErr: DSID-03152B50, problem 5003 (WILL_NOT_PERFORM)\n"
                        + "objectSid is assigned by the domain controller; leave it out of " + ctx.getDn().getName());
            }
            entry.add("objectSid", allocateSid(ctx).toBytes());
        }
        next(ctx);
        TokenBuilder tokenBuilder = tokens;
        if (tokenBuilder != null) {
            if (entry.hasObjectClass("group")) {
                tokenBuilder.membershipChanged();
            } else {
                tokenBuilder.objectAdded();
            }
        }
    }

    /**
     * Refuses an account name another object of the domain holds, as AD does ({@code ERROR_USER_EXISTS},
     * LDAP 68 entryAlreadyExists), in any case: {@code sAMAccountName} is the name an account logs on with
     * and the name a token shows, so two objects holding one (a second "Enterprise Admins" in another OU)
     * would pass for each other wherever a name is read.
     */
    private void requireUnusedAccountName(OperationContext ctx, String name, Dn self) throws LdapException {
        CoreSession system = ctx.getSession().getDirectoryService().getAdminSession();
        AttributeType type = ctx.getSession().getDirectoryService().getSchemaManager()
                .getAttributeType(SAM_ACCOUNT_NAME_OID);
        ExprNode filter = new EqualityNode<>(type,
                new Value(type, name));
        try (Cursor<Entry> found = system.search(domain, SearchScope.SUBTREE, filter,
                AliasDerefMode.NEVER_DEREF_ALIASES, "1.1")) {
            while (found.next()) {
                Dn holder = found.get().getDn();
                if (!holder.equals(self)) {
                    throw new LdapEntryAlreadyExistsException(
                            "00000524: UpdErr: DSID-031A11E0, problem 6005 (ENTRY_EXISTS), data 0\n" + self.getName()
                            + " may not take the account name '" + name + "': " + holder.getName() + " holds it, and account names "
                            + "(sAMAccountName) are unique in the domain (ERROR_USER_EXISTS, 0x524)");
                }
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapOperationErrorException("cannot check whether the account name '" + name + "' is in use: " + e.getMessage(), e);
        }
    }

    private SecurityIdentifier allocateSid(OperationContext ctx) throws LdapException {
        return rids.allocate(ctx.getSession().getDirectoryService().getAdminSession(), domain, domainSid);
    }

    /**
     * Gives the unused RIDs of the pool back to the RID master ({@code nextRid} becomes the next RID this
     * DC would have handed out), so a snapshot or a restart continues exactly where it stopped.
     */
    void returnUnusedRids(CoreSession system) throws LdapException {
        rids.returnUnused(system, domain);
    }

    @Override
    public void delete(DeleteOperationContext ctx) throws LdapException {
        authorize(ctx, ctx.getDn(), AccessControlEntry.DELETE, "delete");
        next(ctx);
        membershipChanged();
    }

    /** After a write that may change any account's groups: logon tokens are computed afresh. */
    private void membershipChanged() {
        TokenBuilder tokenBuilder = tokens;
        if (tokenBuilder != null) {
            tokenBuilder.membershipChanged();
        }
    }

    /** The attributes a logon token is computed from. */
    private static boolean changesMembership(Modification mod) {
        AttributeType type = mod.getAttribute().getAttributeType();
        Set<String> names = new HashSet<>();
        names.add(mod.getAttribute().getUpId().toLowerCase(Locale.ROOT));
        if (type != null) {
            names.add(type.getOid());
            type.getNames().forEach(n -> names.add(n.toLowerCase(Locale.ROOT)));
        }
        return names.stream().anyMatch(MEMBERSHIP_ATTRIBUTES::contains);
    }

    @Override
    public void modify(ModifyOperationContext ctx) throws LdapException {
        NtSecurityDescriptorAttribute descriptorsNow = descriptors;
        if (tokens != null && ctx.getSession().isAnonymous() && !SystemAccountGuard.isSystem(ctx.getSession())) {
            // before anything reads the object, so that whether it exists is not told to an anonymous caller
            throw new LdapOperationErrorException(AD_BIND_REQUIRED);
        }
        if (descriptorsNow != null) {
            descriptorsNow.withDefaultStored(ctx);
        }
        int mask = 0;
        for (Modification mod : ctx.getModItems()) {
            // by the attribute type, never by its spelling: 1.2.840.113556.1.2.281 or ntsecuritydescriptor;binary is the same descriptor
            if (isType(ctx, mod.getAttribute(), NtSecurityDescriptorAttribute.OID)) {
                NtSecurityDescriptorAttribute sd = descriptors;
                mask |= sd == null ? AccessControlEntry.WRITE_DAC : sd.write(ctx, mod);
            } else {
                mask |= AccessControlEntry.WRITE_PROPERTY;
            }
        }
        // a write of the descriptor alone needs only Write DAC / Write Owner, as on AD: what dacledit and owneredit rely on
        authorize(ctx, ctx.getDn(), mask == 0 ? AccessControlEntry.WRITE_PROPERTY : mask, "modify");
        boolean renames = tokens != null && !SystemAccountGuard.isSystem(ctx.getSession()) && ctx.getModItems().stream().anyMatch(mod ->
                mod.getOperation() != ModificationOperation.REMOVE_ATTRIBUTE && isType(ctx, mod.getAttribute(), SAM_ACCOUNT_NAME_OID));
        if (renames) {
            accountNames.lock();
        }
        try {
            if (renames) {
                for (Modification mod : ctx.getModItems()) {
                    if (mod.getOperation() != ModificationOperation.REMOVE_ATTRIBUTE && isType(ctx, mod.getAttribute(), SAM_ACCOUNT_NAME_OID)) {
                        for (Value value : mod.getAttribute()) {
                            requireUnusedAccountName(ctx, value.getString(), ctx.getDn());
                        }
                    }
                }
            }
            next(ctx);
        } finally {
            if (renames) {
                accountNames.unlock();
            }
        }
        if (ctx.getModItems().stream().anyMatch(DirectoryAccessInterceptor::changesMembership)) {
            membershipChanged();
        }
        if (!RidPool.writingNextRid() && domain != null && ctx.getDn().equals(domain)
                && ctx.getModItems().stream().anyMatch(m -> isType(ctx, m.getAttribute(), NEXT_RID_OID))) {
            rids.forget(); // someone else set the RID master's counter (a restore): take the next pool from it
        }
    }

    @Override
    public void rename(RenameOperationContext ctx) throws LdapException {
        authorize(ctx, ctx.getDn(), AccessControlEntry.WRITE_PROPERTY, "rename");
        next(ctx);
        membershipChanged();
    }

    @Override
    public void move(MoveOperationContext ctx) throws LdapException {
        authorize(ctx, ctx.getDn(), AccessControlEntry.DELETE, "move");
        authorize(ctx, ctx.getNewSuperior(), AccessControlEntry.CREATE_CHILD, "move an object under");
        next(ctx);
        membershipChanged();
    }

    @Override
    public void moveAndRename(MoveAndRenameOperationContext ctx) throws LdapException {
        authorize(ctx, ctx.getDn(), AccessControlEntry.DELETE, "move");
        authorize(ctx, ctx.getNewSuperiorDn(), AccessControlEntry.CREATE_CHILD, "move an object under");
        next(ctx);
        membershipChanged();
    }

    /** Whether {@code attribute} is of the type {@code oid}, however the request spelled it (name, OID, options, case). */
    private static boolean isType(OperationContext ctx, Attribute attribute, String oid) {
        AttributeType type = AttributeTypes.resolve(attribute.getAttributeType(),
                attribute.getUpId(), ctx.getSession().getDirectoryService().getSchemaManager());
        return type != null && type.getOid().equals(oid);
    }

    @Override
    public EntryFilteringCursor search(SearchOperationContext ctx) throws LdapException {
        if (ctx.getSession().isAnonymous() && !(ctx.getDn().isEmpty() && ctx.getScope() == SearchScope.OBJECT)) {
            throw new LdapOperationErrorException(AD_BIND_REQUIRED);
        }
        if (!SystemAccountGuard.isSystem(ctx.getSession())
                && SecretFilter.mentionsSecret(ctx.getFilter(), ctx.getSession().getDirectoryService().getSchemaManager())) {
            ctx.setFilter(SecretFilter.withoutSecrets(ctx.getFilter(), ctx.getSession().getDirectoryService().getSchemaManager()));
        }
        EntryFilteringCursor cursor = next(ctx);
        if (!SystemAccountGuard.isSystem(ctx.getSession())) {
            cursor.addEntryFilter(HIDE_SECRETS);
            NtSecurityDescriptorAttribute sd = descriptors;
            if (sd != null) {
                cursor.addEntryFilter(sd.partsSelected(SdFlagsControl.of(ctx)));
            }
        }
        return cursor;
    }

    @Override
    public Entry lookup(LookupOperationContext ctx) throws LdapException {
        if (ctx.getSession().isAnonymous() && !ctx.getDn().isEmpty()) {
            throw new LdapOperationErrorException(AD_BIND_REQUIRED);
        }
        Entry entry = next(ctx);
        if (entry != null && !SystemAccountGuard.isSystem(ctx.getSession())) {
            entry = entry.clone();
            stripSecrets(entry);
        }
        return entry;
    }

    @Override
    public boolean compare(CompareOperationContext ctx) throws LdapException {
        if (ctx.getSession().isAnonymous()) {
            throw new LdapOperationErrorException(AD_BIND_REQUIRED);
        }
        if (!SystemAccountGuard.isSystem(ctx.getSession()) && SECRET_ATTRIBUTES.contains(ctx.getOid() == null ? "" : ctx.getOid().toLowerCase())) {
            throw new LdapNoPermissionException(AD_INSUFFICIENT_RIGHTS + "\npasswords cannot be compared");
        }
        return next(ctx);
    }

    private static void stripSecrets(Entry entry) {
        List<Attribute> secrets = entry.getAttributes().stream()
                .filter(a -> SECRET_ATTRIBUTES.contains(a.getId().toLowerCase()) || SECRET_ATTRIBUTES.contains(a.getUpId().toLowerCase()))
                .toList();
        for (Attribute secret : secrets) {
            entry.removeAttributes(secret.getAttributeType());
        }
    }


    private void authorize(OperationContext ctx, Dn object, int mask, String action) throws LdapException {
        TokenBuilder tokenBuilder = tokens;
        CoreSession session = ctx.getSession();
        if (tokenBuilder == null || SystemAccountGuard.isSystem(session)) {
            return;
        }
        if (session.isAnonymous()) {
            throw new LdapOperationErrorException(AD_BIND_REQUIRED);
        }
        LogonToken token = tokenBuilder.tokenOf(session);
        SecurityDescriptor descriptor = descriptors.of(ctx, object);
        if (!descriptor.grants(token.sids(), mask)) {
            Set<SecurityIdentifier> writers = descriptor.entries().stream()
                    .filter(e -> e.allow() && e.objectType() == null && e.appliesToObject() && (e.mask() & mask) == mask)
                    .map(AccessControlEntry::trustee).collect(Collectors.toCollection(LinkedHashSet::new));
            throw new LdapNoPermissionException(AD_INSUFFICIENT_RIGHTS + "\n" + token.account() + " may not " + action + " "
                    + object.getName() + ": that needs " + rightNames(mask) + ", which its security grants "
                    + (writers.isEmpty() ? "no one in one entry" : "only to "
                    + writers.stream().map(tokenBuilder::nameOf).collect(Collectors.joining(", ")))
                    + "; groups in the caller's token: " + String.join(", ", token.groupNames())
                    + ". Bind as a member of Domain Admins, or grant the account " + rightNames(mask) + " on the object's "
                    + "Security tab (Advanced).");
        }
    }

    /** The rights of {@code mask} as the Advanced Security Settings name them, with their SDDL letters. */
    private static String rightNames(int mask) {
        List<String> names = new ArrayList<>();
        if ((mask & AccessControlEntry.CREATE_CHILD) != 0) {
            names.add("Create all child objects (CC)");
        }
        if ((mask & AccessControlEntry.WRITE_PROPERTY) != 0) {
            names.add("Write all properties (WP)");
        }
        if ((mask & AccessControlEntry.DELETE) != 0) {
            names.add("Delete (SD)");
        }
        if ((mask & AccessControlEntry.WRITE_DAC) != 0) {
            names.add("Modify permissions (WD)");
        }
        if ((mask & AccessControlEntry.WRITE_OWNER) != 0) {
            names.add("Modify owner (WO)");
        }
        return String.join(" and ", names);
    }
}
