package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapInvalidAttributeValueException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.exception.LdapOperationErrorException;
import org.apache.directory.api.ldap.model.filter.PresenceNode;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.ObjectClass;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.filtering.EntryFilter;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;
import org.apache.directory.server.core.api.interceptor.context.OperationContext;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;
import org.pkilab.directory.model.AccessControlEntry;
import org.pkilab.directory.model.LogonToken;
import org.pkilab.directory.model.RelativeIds;
import org.pkilab.directory.model.SecurityDescriptor;
import org.pkilab.directory.model.SecurityIdentifier;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.StreamSupport;

/**
 * The {@code nTSecurityDescriptor} attribute (1.2.840.113556.1.2.281) as a domain controller keeps, returns and
 * takes it; {@link DirectoryAccessInterceptor} checks every write against what this class reads.
 *
 * <p>Security descriptors are kept and returned in AD's binary form ({@link SecurityDescriptor#toBinary()}). A
 * write in SDDL text (the lab's stores before, a journal of an older lab) is taken and kept in binary, which AD
 * would refuse; a value that is neither is refused with invalidAttributeSyntax. The SD flags control
 * ({@link SdFlagsControl}) selects the parts a search returns and a modify replaces; a descriptor written by any
 * client governs the next check at once, since every check reads the stored value.
 *
 * <p>A modify of the descriptor needs the rights of the parts it changes, never Write Property: Write DAC
 * ({@code WD}) for the DACL, Write Owner ({@code WO}) for the owner or group. So impacket's {@code dacledit}, which
 * reads the DACL alone under SD flags 0x4 and writes it back under the same flags, succeeds for a principal holding
 * Write DAC on the object and nothing else, and leaves the owner as it was; {@code owneredit} needs Write Owner.
 *
 * <p>A new object gets its owner as AD gives it ([MS-ADTS] 6.1.3.7, 6.1.3.8): when the creator supplies no owner,
 * the "default administrators group" of the creator's token owns it (for the domain: Domain Admins, else
 * Enterprise Admins; for configuration: Enterprise Admins, else Domain Admins; for the schema: Schema Admins
 * first), and that group is the descriptor's group too; a creator in none of them owns what it creates.
 * So a template Administrator duplicates is owned by Enterprise Admins, a user it creates by Domain Admins.
 *
 * <p>An object without its own descriptor is governed by the domain default: Domain Admins and Enterprise Admins
 * have Full Control, Authenticated Users read; a read that names {@code nTSecurityDescriptor} gets that default, as
 * every object in AD has a descriptor, so a client can change it with the Security tab's usual read-modify-write.
 */
final class NtSecurityDescriptorAttribute {

    static final String OID = "1.2.840.113556.1.2.281";

    private final SchemaManager schema;
    private final Dn domain;
    private final SecurityIdentifier domainSid;
    private final SecurityDescriptor defaultDescriptor;

    /** The attribute in {@code domain}, whose SID the descriptors' SDDL aliases (DA, EA) resolve against. */
    NtSecurityDescriptorAttribute(SchemaManager schema, Dn domain, SecurityIdentifier domainSid) {
        this.schema = schema;
        this.domain = domain;
        this.domainSid = domainSid;
        this.defaultDescriptor = SecurityDescriptor.parse("O:DAG:DAD:(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;DA)"
                + "(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;EA)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;SY)(A;;LCRPLORC;;;AU)", domainSid);
    }

    /**
     * Rewrites in binary the descriptors a store from before the binary form holds as SDDL text (they resolve
     * only now that the domain's SID is known), so every client reads what AD would send.
     */
    void keepInBinary(CoreSession system) throws LdapException {
        AttributeType type = schema.getAttributeType(OID);
        List<Dn> text = new ArrayList<>();
        try (Cursor<Entry> found = system.search(domain, SearchScope.SUBTREE, new PresenceNode(type),
                AliasDerefMode.NEVER_DEREF_ALIASES, OID)) {
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
            byte[] value = system.lookup(dn, OID).get(type).getBytes();
            try {
                system.modify(dn, new DefaultModification(
                        ModificationOperation.REPLACE_ATTRIBUTE, type, SecurityDescriptor.decode(value, domainSid).toBinary()));
            } catch (IllegalArgumentException e) {
                LoggerFactory.getLogger(NtSecurityDescriptorAttribute.class).warn(
                        "security descriptor of {} is neither binary nor SDDL, left as it is ({}): its checks use the domain default",
                        dn.getName(), e.getMessage());
            }
        }
    }

    /**
     * Keeps the new object's descriptor in binary, and gives an object a caller creates AD's owner: the one it
     * supplied under the SD flags' OWNER bit, else the default administrators group of its token, else itself.
     * {@code tokens} is null while the forest is provisioned.
     */
    void assign(AddOperationContext ctx, Entry entry, TokenBuilder tokens) throws LdapException {
        SecurityIdentifier sid = domainSid;
        AttributeType type = ctx.getSession().getDirectoryService().getSchemaManager().getAttributeType(OID);
        Attribute supplied = entry.get(type);
        if (supplied != null && SystemAccountGuard.isSystem(ctx.getSession()) && !decodes(supplied.getBytes())) {
            return; // a restore or a store keeps what it held; its checks use the domain default
        }
        SecurityDescriptor descriptor = supplied == null ? null : decodeWritten(supplied.getBytes(), ctx.getDn());
        if (tokens != null && !SystemAccountGuard.isSystem(ctx.getSession())) {
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
                LogonToken token = tokens.tokenOf(ctx.getSession());
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
    private static boolean mayHold(Entry entry, AttributeType type, SchemaManager schema) {
        Deque<ObjectClass> classes = new ArrayDeque<>();
        Attribute objectClass = entry.get("objectClass");
        if (objectClass != null) {
            for (Value value : objectClass) {
                try {
                    classes.add(schema.lookupObjectClassRegistry(value.getString()));
                } catch (LdapException unknown) {
                    // the schema interceptor refuses the entry for its class; nothing to decide here
                }
            }
        }
        while (!classes.isEmpty()) {
            ObjectClass next = classes.pop();
            if (next.getMayAttributeTypes().contains(type) || next.getMustAttributeTypes().contains(type)) {
                return true;
            }
            classes.addAll(next.getSuperiors());
        }
        return false;
    }

    /** [MS-ADTS] 6.1.3.8: the group of the creator's token that owns what it creates, by where the object is. */
    private SecurityIdentifier defaultAdministratorsGroup(Set<SecurityIdentifier> token, Dn object) throws LdapException {
        Dn configuration = new Dn(schema, "CN=Configuration," + domain.getName());
        Dn schemaNc = new Dn(schema, "CN=Schema,CN=Configuration," + domain.getName());
        List<Integer> order = object.isDescendantOf(schemaNc) || object.equals(schemaNc)
                ? List.of(RelativeIds.SCHEMA_ADMINS, RelativeIds.ENTERPRISE_ADMINS, RelativeIds.DOMAIN_ADMINS)
                : object.isDescendantOf(configuration) || object.equals(configuration)
                ? List.of(RelativeIds.ENTERPRISE_ADMINS, RelativeIds.DOMAIN_ADMINS)
                : List.of(RelativeIds.DOMAIN_ADMINS, RelativeIds.ENTERPRISE_ADMINS);
        for (int rid : order) {
            if (token.contains(domainSid.withRid(rid))) {
                return domainSid.withRid(rid);
            }
        }
        return null;
    }

    /**
     * Turns a write of the descriptor into the binary value AD would keep: the parts the SD flags control names
     * taken from the written value, the rest kept. Returns the rights the write needs: Write DAC for the DACL,
     * Write Owner when the owner or group changes (or is written unchanged with nothing else), never Write Property:
     * a principal holding Write DAC alone may replace the DACL, one holding Write Owner alone the owner.
     */
    int write(ModifyOperationContext ctx, Modification mod) throws LdapException {
        if (ctx.getSession().isAnonymous() || SystemAccountGuard.isSystem(ctx.getSession())
                && StreamSupport.stream(mod.getAttribute().spliterator(), false).anyMatch(v -> !decodes(v.getBytes()))) {
            return AccessControlEntry.WRITE_DAC;
        }
        AttributeType type = ctx.getSession().getDirectoryService().getSchemaManager().getAttributeType(OID);
        List<byte[]> values = new ArrayList<>();
        int rights = 0;
        for (Value value : mod.getAttribute()) {
            SecurityDescriptor written = decodeWritten(value.getBytes(), ctx.getDn());
            if (mod.getOperation() == ModificationOperation.REPLACE_ATTRIBUTE) {
                SecurityDescriptor stored = of(ctx, ctx.getDn());
                SecurityDescriptor result = stored.replacing(written, SdFlagsControl.of(ctx));
                if (!result.entries().equals(stored.entries()) || written.hasDacl() && (SdFlagsControl.of(ctx) & SecurityDescriptor.DACL) != 0) {
                    rights |= AccessControlEntry.WRITE_DAC;
                }
                boolean ownerWritten = (SdFlagsControl.of(ctx) & (SecurityDescriptor.OWNER | SecurityDescriptor.GROUP)) != 0
                        && (written.owner() != null || written.group() != null);
                if (!Objects.equals(result.owner(), stored.owner()) || !Objects.equals(result.group(), stored.group())
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
        mod.setAttribute(new DefaultAttribute(type, values.toArray(byte[][]::new)));
        return rights;
    }

    /**
     * Returns each descriptor in binary with the parts {@code flags} selects: owner, group and DACL without the
     * control (AD adds the SACL only for a caller holding SeSecurityPrivilege; the lab keeps no SACL).
     */
    EntryFilter partsSelected(int flags) {
        int parts = flags & (SecurityDescriptor.OWNER | SecurityDescriptor.GROUP | SecurityDescriptor.DACL);
        return new EntryFilter() {
            @Override
            public boolean accept(SearchOperationContext operation, Entry result) throws LdapException {
                AttributeType type = operation.getSession().getDirectoryService().getSchemaManager().getAttributeType(OID);
                Attribute sd = result.get(type);
                if (sd == null && named(operation) && !result.getDn().isEmpty()) {
                    // every object in AD has a descriptor, one without its own the default that governs it; the root DSE,
                    // which is no object of the domain, has none
                    result.add(type, defaultDescriptor.selected(parts).toBinary());
                    return true;
                }
                if (sd == null || SecurityDescriptor.isBinary(sd.getBytes()) && parts == SdFlagsControl.ALL - SecurityDescriptor.SACL) {
                    return true;
                }
                try {
                    byte[] value = SecurityDescriptor.decode(sd.getBytes(), domainSid).selected(parts).toBinary();
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

    /**
     * An object without its own descriptor reads as holding the default; a client's delete-old/add-new of the
     * descriptor (the Security tab's edit that fails rather than lose a concurrent change) deletes that default, so
     * the delete of exactly the default, on an object that stores none, is taken as done.
     */
    void withDefaultStored(ModifyOperationContext ctx) throws LdapException {
        AttributeType type = schema.getAttributeType(OID);
        List<Modification> mods = ctx.getModItems();
        Modification deleteDefault = null;
        for (Modification mod : mods) {
            if (mod.getOperation() == ModificationOperation.REMOVE_ATTRIBUTE && type.equals(mod.getAttribute().getAttributeType())
                    && mod.getAttribute().size() == 1) {
                byte[] value = mod.getAttribute().getBytes();
                // what the client read: the parts its SD flags control selects (dacledit asks for the DACL alone)
                SecurityDescriptor shown = defaultDescriptor.selected(SdFlagsControl.of(ctx)
                        & (SecurityDescriptor.OWNER | SecurityDescriptor.GROUP | SecurityDescriptor.DACL));
                if (decodes(value) && (SecurityDescriptor.decode(value, domainSid).equals(shown)
                        || SecurityDescriptor.decode(value, domainSid).equals(defaultDescriptor))) {
                    deleteDefault = mod;
                }
            }
        }
        if (deleteDefault == null) {
            return;
        }
        CoreSession system = ctx.getSession().getDirectoryService().getAdminSession();
        if (!system.exists(ctx.getDn())) {
            return; // the modify itself answers for a missing object, after the caller's rights are checked
        }
        Entry stored = system.lookup(ctx.getDn(), OID);
        if (stored != null && stored.get(type) == null) {
            List<Modification> rest = new ArrayList<>(mods);
            rest.remove(deleteDefault);
            ctx.setModItems(rest);
        }
    }

    /** Whether the search names nTSecurityDescriptor among the attributes to return, as a client must to get it. */
    private static boolean named(SearchOperationContext operation) {
        String[] asked = operation.getReturningAttributesString();
        if (asked == null) {
            return false;
        }
        for (String name : asked) {
            if ("nTSecurityDescriptor".equalsIgnoreCase(name) || OID.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The descriptor that governs {@code object}: its own, or the domain default when it holds none or one that
     * does not decode. A missing object is answered as AD answers it, with the nearest object that exists.
     */
    SecurityDescriptor of(OperationContext ctx, Dn object) throws LdapException {
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
            throw new LdapInvalidAttributeValueException(ResultCodeEnum.INVALID_ATTRIBUTE_SYNTAX,
                    "00000057: LdapErr: DSID-0C090D8A, comment: Error in attribute conversion operation, data 0, v3839\n"
                    + "nTSecurityDescriptor of " + object.getName() + " is not a security descriptor: " + e.getMessage()
                    + ". Write it in the binary self-relative form ([MS-DTYP] 2.4.6), as ldap3, impacket and samba-tool do.");
        }
    }
}
