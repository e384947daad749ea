package org.pkilab.directory;

import org.apache.directory.server.core.api.filtering.EntryFilter;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.exception.LdapUnwillingToPerformException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoPermissionException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.exception.LdapOperationErrorException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
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

import java.time.Instant;
import java.util.List;
import java.util.Set;
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
 * <p>Security descriptors are kept and returned in AD's binary form ({@link SecurityDescriptor#toBinary()}). A
 * write in SDDL text (the lab's stores before, a journal of an older lab) is taken and kept in binary, which AD
 * would refuse; a value that is neither is refused with invalidAttributeSyntax. The SD flags control
 * ({@link SdFlagsControl}) selects the parts a search returns and a modify replaces; a descriptor written by any
 * client governs the next check at once, since every check reads the stored value.
 *
 * <p>A new object gets its owner as AD gives it ([MS-ADTS] 6.1.3.7, 6.1.3.8): when the creator supplies no owner,
 * the "default administrators group" of the creator's token owns it (for the domain: Domain Admins, else
 * Enterprise Admins; for configuration: Enterprise Admins, else Domain Admins; for the schema: Schema Admins
 * first), and that group is the descriptor's group too; a creator in none of them owns what it creates.
 * So a template Administrator duplicates is owned by Enterprise Admins, a user it creates by Domain Admins.
 */
final class DirectoryAccessInterceptor extends BaseInterceptor {

    static final String NAME = "pkilabDirectoryAccess";
    private static final String AD_INSUFFICIENT_RIGHTS = "00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0";
    /** What a Windows Server 2016 DC answers an anonymous operation other than a read of the root DSE. */
    static final String AD_BIND_REQUIRED = "000004DC: LdapErr: DSID-0C090A5C, comment: In order to perform this "
            + "operation a successful bind must be completed on the connection., data 0, v4563";
    private static final Set<String> SECRET_ATTRIBUTES = SecretFilter.SECRET_NAMES;
    private static final String SECURITY_DESCRIPTOR_OID = "1.2.840.113556.1.2.281";
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
    private volatile SecurityDescriptor defaultDescriptor;
    private final RidPool rids = new RidPool();

    DirectoryAccessInterceptor() {
        super(NAME);
    }

    @Override
    public void init(org.apache.directory.server.core.api.DirectoryService directoryService) throws LdapException {
        super.init(directoryService);
        // before the LDAP server starts: it lists the codec's controls as the ones it takes marked critical
        directoryService.getLdapCodecService().registerRequestControl(new SdFlagsControl.Factory(directoryService.getLdapCodecService()));
    }

    /** Turns enforcement on once the forest exists (provisioning runs as the system). */
    void enforce(TokenBuilder tokens, Dn domain, SecurityIdentifier domainSid) throws LdapException {
        this.domain = domain;
        this.domainSid = domainSid;
        this.defaultDescriptor = SecurityDescriptor.parse("O:DAG:DAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)"
                + "(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;EA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)", domainSid);
        keepDescriptorsInBinary(directoryService.getAdminSession());
        this.tokens = tokens;
    }

    /**
     * Rewrites in binary the descriptors a store from before the binary form holds as SDDL text (they resolve
     * only now that the domain's SID is known), so every client reads what AD would send.
     */
    private void keepDescriptorsInBinary(CoreSession system) throws LdapException {
        org.apache.directory.api.ldap.model.schema.AttributeType type = directoryService.getSchemaManager()
                .getAttributeType(SECURITY_DESCRIPTOR_OID);
        List<Dn> text = new java.util.ArrayList<>();
        try (org.apache.directory.api.ldap.model.cursor.Cursor<Entry> found = system.search(domain, SearchScope.SUBTREE,
                new org.apache.directory.api.ldap.model.filter.PresenceNode(type),
                org.apache.directory.api.ldap.model.message.AliasDerefMode.NEVER_DEREF_ALIASES, SECURITY_DESCRIPTOR_OID)) {
            while (found.next()) {
                Attribute sd = found.get().get(type);
                if (sd != null && !SecurityDescriptor.isBinary(sd.getBytes())) {
                    text.add(found.get().getDn());
                }
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapOperationErrorException("cannot read the directory's security descriptors: " + e.getMessage(), e);
        }
        for (Dn dn : text) {
            byte[] value = system.lookup(dn, SECURITY_DESCRIPTOR_OID).get(type).getBytes();
            try {
                system.modify(dn, new org.apache.directory.api.ldap.model.entry.DefaultModification(
                        ModificationOperation.REPLACE_ATTRIBUTE, type, SecurityDescriptor.decode(value, domainSid).toBinary()));
            } catch (IllegalArgumentException e) {
                org.slf4j.LoggerFactory.getLogger(DirectoryAccessInterceptor.class).warn(
                        "security descriptor of {} is neither binary nor SDDL, left as it is ({}): its checks use the domain default",
                        dn.getName(), e.getMessage());
            }
        }
    }

    /** Held from the check that an account name is free until the write that takes it is made. */
    private final java.util.concurrent.locks.ReentrantLock accountNames = new java.util.concurrent.locks.ReentrantLock();

    @Override
    public void add(AddOperationContext ctx) throws LdapException {
        authorize(ctx, ctx.getDn().getParent(), AccessControlEntry.CREATE_CHILD, "create " + ctx.getDn().getName() + " under");
        Entry entry = ctx.getEntry();
        assignDescriptor(ctx, entry);
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
     * Keeps the new object's descriptor in binary, and gives an object a caller creates AD's owner: the one it
     * supplied under the SD flags' OWNER bit, else the default administrators group of its token, else itself.
     */
    private void assignDescriptor(AddOperationContext ctx, Entry entry) throws LdapException {
        SecurityIdentifier sid = domainSid;
        if (sid == null) {
            return; // provisioning, or a store read before the domain is known: enforce() rewrites what is text
        }
        org.apache.directory.api.ldap.model.schema.AttributeType type = ctx.getSession().getDirectoryService().getSchemaManager()
                .getAttributeType(SECURITY_DESCRIPTOR_OID);
        Attribute supplied = entry.get(type);
        if (supplied != null && SystemAccountGuard.isSystem(ctx.getSession()) && !decodes(supplied.getBytes())) {
            return; // a restore or a store keeps what it held; its checks use the domain default
        }
        SecurityDescriptor descriptor = supplied == null ? null : decodeWritten(supplied.getBytes(), ctx.getDn());
        TokenBuilder tokenBuilder = tokens;
        if (tokenBuilder != null && !SystemAccountGuard.isSystem(ctx.getSession())) {
            int flags = SdFlagsControl.of(ctx);
            if (descriptor == null) {
                if (!mayHold(entry, type, ctx.getSession().getDirectoryService().getSchemaManager())) {
                    return; // AD's top must hold one; the lab's schema allows it on the classes AD CS and the guide use
                }
                descriptor = defaultDescriptor.selected(SecurityDescriptor.DACL);
            } else if ((flags & SecurityDescriptor.OWNER) == 0) {
                descriptor = descriptor.withOwner(null);
            }
            if (descriptor.owner() == null) {
                LogonToken token = tokenBuilder.tokenFor(ctx.getSession().getEffectivePrincipal().getDn(), Instant.EPOCH, "");
                SecurityIdentifier administrators = defaultAdministratorsGroup(token.sids(), ctx.getDn());
                descriptor = administrators != null
                        ? descriptor.replacing(SecurityDescriptor.parse("O:" + administrators + "G:" + administrators + "D:", sid),
                                SecurityDescriptor.OWNER | SecurityDescriptor.GROUP)
                        : descriptor.withOwner(token.sid());
            }
        }
        if (descriptor != null) {
            entry.removeAttributes(type);
            entry.add(type, descriptor.toBinary());
        }
    }

    /** Whether one of the entry's object classes (or their superiors) allows {@code type}. */
    private static boolean mayHold(Entry entry, org.apache.directory.api.ldap.model.schema.AttributeType type, SchemaManager schema) {
        java.util.Deque<org.apache.directory.api.ldap.model.schema.ObjectClass> classes = new java.util.ArrayDeque<>();
        Attribute objectClass = entry.get("objectClass");
        if (objectClass != null) {
            for (org.apache.directory.api.ldap.model.entry.Value value : objectClass) {
                try {
                    classes.add(schema.lookupObjectClassRegistry(value.getString()));
                } catch (LdapException unknown) {
                    // the schema interceptor refuses the entry for its class; nothing to decide here
                }
            }
        }
        while (!classes.isEmpty()) {
            org.apache.directory.api.ldap.model.schema.ObjectClass next = classes.pop();
            if (next.getMayAttributeTypes().contains(type) || next.getMustAttributeTypes().contains(type)) {
                return true;
            }
            classes.addAll(next.getSuperiors());
        }
        return false;
    }

    /** [MS-ADTS] 6.1.3.8: the group of the creator's token that owns what it creates, by where the object is. */
    private SecurityIdentifier defaultAdministratorsGroup(Set<SecurityIdentifier> token, Dn object) throws LdapException {
        SchemaManager schema = directoryService.getSchemaManager();
        Dn configuration = new Dn(schema, "CN=Configuration," + domain.getName());
        Dn schemaNc = new Dn(schema, "CN=Schema,CN=Configuration," + domain.getName());
        List<Integer> order = object.isDescendantOf(schemaNc) || object.equals(schemaNc)
                ? List.of(org.pkilab.directory.model.RelativeIds.SCHEMA_ADMINS, org.pkilab.directory.model.RelativeIds.ENTERPRISE_ADMINS,
                        org.pkilab.directory.model.RelativeIds.DOMAIN_ADMINS)
                : object.isDescendantOf(configuration) || object.equals(configuration)
                ? List.of(org.pkilab.directory.model.RelativeIds.ENTERPRISE_ADMINS, org.pkilab.directory.model.RelativeIds.DOMAIN_ADMINS)
                : List.of(org.pkilab.directory.model.RelativeIds.DOMAIN_ADMINS, org.pkilab.directory.model.RelativeIds.ENTERPRISE_ADMINS);
        for (int rid : order) {
            if (token.contains(domainSid.withRid(rid))) {
                return domainSid.withRid(rid);
            }
        }
        return null;
    }

    private boolean decodes(byte[] value) {
        try {
            SecurityDescriptor.decode(value, domainSid);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A written descriptor, binary or SDDL text; anything else is refused as AD refuses a value it cannot convert. */
    private SecurityDescriptor decodeWritten(byte[] value, Dn object) throws LdapException {
        try {
            return SecurityDescriptor.decode(value, domainSid);
        } catch (IllegalArgumentException e) {
            throw new org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX,
                    "00000057: LdapErr: DSID-0C090D8A, comment: Error in attribute conversion operation, data 0, v3839\n"
                    + "nTSecurityDescriptor of " + object.getName() + " is not a security descriptor: " + e.getMessage()
                    + ". Write it in the binary self-relative form ([MS-DTYP] 2.4.6), as ldap3, impacket and samba-tool do.");
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
        org.apache.directory.api.ldap.model.schema.AttributeType type = ctx.getSession().getDirectoryService().getSchemaManager()
                .getAttributeType(SAM_ACCOUNT_NAME_OID);
        org.apache.directory.api.ldap.model.filter.ExprNode filter = new org.apache.directory.api.ldap.model.filter.EqualityNode<>(type,
                new org.apache.directory.api.ldap.model.entry.Value(type, name));
        try (org.apache.directory.api.ldap.model.cursor.Cursor<Entry> found = system.search(domain, SearchScope.SUBTREE, filter,
                org.apache.directory.api.ldap.model.message.AliasDerefMode.NEVER_DEREF_ALIASES, "1.1")) {
            while (found.next()) {
                Dn holder = found.get().getDn();
                if (!holder.equals(self)) {
                    throw new org.apache.directory.api.ldap.model.exception.LdapEntryAlreadyExistsException(
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
        org.apache.directory.api.ldap.model.schema.AttributeType type = mod.getAttribute().getAttributeType();
        Set<String> names = new java.util.HashSet<>();
        names.add(mod.getAttribute().getUpId().toLowerCase(java.util.Locale.ROOT));
        if (type != null) {
            names.add(type.getOid());
            type.getNames().forEach(n -> names.add(n.toLowerCase(java.util.Locale.ROOT)));
        }
        return names.stream().anyMatch(MEMBERSHIP_ATTRIBUTES::contains);
    }

    @Override
    public void modify(ModifyOperationContext ctx) throws LdapException {
        int mask = 0;
        for (Modification mod : ctx.getModItems()) {
            // by the attribute type, never by its spelling: 1.2.840.113556.1.2.281 or ntsecuritydescriptor;binary is the same descriptor
            if (isType(ctx, mod.getAttribute(), SECURITY_DESCRIPTOR_OID)) {
                mask |= writeDescriptor(ctx, mod);
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
                        for (org.apache.directory.api.ldap.model.entry.Value value : mod.getAttribute()) {
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

    /**
     * Turns a write of the descriptor into the binary value AD would keep: the parts the SD flags control names
     * taken from the written value, the rest kept. Returns the rights the write needs: Write DAC for the DACL,
     * Write Owner when the owner or group changes (or is written unchanged with nothing else), never Write Property:
     * a principal holding Write DAC alone may replace the DACL, one holding Write Owner alone the owner.
     */
    private int writeDescriptor(ModifyOperationContext ctx, Modification mod) throws LdapException {
        if (domainSid == null || ctx.getSession().isAnonymous() || SystemAccountGuard.isSystem(ctx.getSession())
                && java.util.stream.StreamSupport.stream(mod.getAttribute().spliterator(), false).anyMatch(v -> !decodes(v.getBytes()))) {
            return AccessControlEntry.WRITE_DAC;
        }
        org.apache.directory.api.ldap.model.schema.AttributeType type = ctx.getSession().getDirectoryService().getSchemaManager()
                .getAttributeType(SECURITY_DESCRIPTOR_OID);
        List<byte[]> values = new java.util.ArrayList<>();
        int rights = 0;
        for (org.apache.directory.api.ldap.model.entry.Value value : mod.getAttribute()) {
            SecurityDescriptor written = decodeWritten(value.getBytes(), ctx.getDn());
            if (mod.getOperation() == ModificationOperation.REPLACE_ATTRIBUTE) {
                SecurityDescriptor stored = descriptorOf(ctx, ctx.getDn());
                SecurityDescriptor result = stored.replacing(written, SdFlagsControl.of(ctx));
                if (!result.entries().equals(stored.entries()) || written.hasDacl() && (SdFlagsControl.of(ctx) & SecurityDescriptor.DACL) != 0) {
                    rights |= AccessControlEntry.WRITE_DAC;
                }
                boolean ownerWritten = (SdFlagsControl.of(ctx) & (SecurityDescriptor.OWNER | SecurityDescriptor.GROUP)) != 0
                        && (written.owner() != null || written.group() != null);
                if (!java.util.Objects.equals(result.owner(), stored.owner()) || !java.util.Objects.equals(result.group(), stored.group())
                        || ownerWritten && rights == 0) {
                    rights |= AccessControlEntry.WRITE_OWNER;
                }
                written = result;
            } else {
                rights |= AccessControlEntry.WRITE_DAC;
            }
            values.add(written.toBinary());
        }
        if (rights == 0) {
            rights = AccessControlEntry.WRITE_DAC; // a removal, or a write that names no part: the descriptor is the DACL's
        }
        mod.setAttribute(new org.apache.directory.api.ldap.model.entry.DefaultAttribute(type, values.toArray(byte[][]::new)));
        return rights;
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
        org.apache.directory.api.ldap.model.schema.AttributeType type = AttributeTypes.resolve(attribute.getAttributeType(),
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
            cursor.addEntryFilter(sdFlagsFilter(SdFlagsControl.of(ctx)));
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

    /**
     * Returns each descriptor in binary with the parts {@code flags} selects: owner, group and DACL without the
     * control (AD adds the SACL only for a caller holding SeSecurityPrivilege; the lab keeps no SACL).
     */
    private EntryFilter sdFlagsFilter(int flags) {
        int parts = flags & (SecurityDescriptor.OWNER | SecurityDescriptor.GROUP | SecurityDescriptor.DACL);
        return new EntryFilter() {
            @Override
            public boolean accept(SearchOperationContext operation, Entry result) throws LdapException {
                org.apache.directory.api.ldap.model.schema.AttributeType type = operation.getSession().getDirectoryService()
                        .getSchemaManager().getAttributeType(SECURITY_DESCRIPTOR_OID);
                Attribute sd = result.get(type);
                SecurityIdentifier sid = domainSid;
                if (sd == null || sid == null || SecurityDescriptor.isBinary(sd.getBytes()) && parts == SdFlagsControl.ALL - SecurityDescriptor.SACL) {
                    return true;
                }
                try {
                    byte[] value = SecurityDescriptor.decode(sd.getBytes(), sid).selected(parts).toBinary();
                    result.removeAttributes(type);
                    result.add(type, value);
                } catch (IllegalArgumentException e) {
                    // a value that never decoded is returned as kept: its checks use the domain default
                }
                return true;
            }

            @Override
            public String toString(String tabs) {
                return tabs + "security descriptor parts 0x" + Integer.toHexString(parts);
            }
        };
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
        LogonToken token = tokenBuilder.tokenFor(session.getEffectivePrincipal().getDn(), Instant.EPOCH, "");
        SecurityDescriptor descriptor = descriptorOf(ctx, object);
        if (!descriptor.grants(token.sids(), mask)) {
            Set<SecurityIdentifier> writers = descriptor.entries().stream()
                    .filter(e -> e.allow() && e.objectType() == null && e.appliesToObject() && (e.mask() & mask) == mask)
                    .map(AccessControlEntry::trustee).collect(Collectors.toCollection(java.util.LinkedHashSet::new));
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
        List<String> names = new java.util.ArrayList<>();
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

    private SecurityDescriptor descriptorOf(OperationContext ctx, Dn object) throws LdapException {
        CoreSession system = ctx.getSession().getDirectoryService().getAdminSession();
        if (!system.exists(object)) {
            // AD resolves the name before it checks access: the caller learns the object is not there, with the nearest that is
            Dn nearest = object.getParent();
            while (!nearest.isEmpty() && !system.exists(nearest)) {
                nearest = nearest.getParent();
            }
            throw new LdapNoSuchObjectException("0000208D: NameErr: DSID-03100241, problem 2001 (NO_OBJECT), data 0, best match of:\n\t'"
                    + nearest.getName() + "'\n" + object.getName() + " does not exist");
        }
        Entry entry = system.lookup(object, "nTSecurityDescriptor");
        Attribute sd = entry == null ? null : entry.get("nTSecurityDescriptor");
        if (sd == null) {
            return defaultDescriptor;
        }
        try {
            return SecurityDescriptor.decode(sd.getBytes(), domainSid);
        } catch (IllegalArgumentException e) {
            // a descriptor that does not parse grants nothing but what the default grants administrators
            return defaultDescriptor;
        }
    }
}
