package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapNoSuchObjectException;
import org.apache.directory.api.ldap.model.exception.LdapOtherException;
import org.apache.directory.api.ldap.model.exception.LdapUnwillingToPerformException;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.ObjectClass;
import org.apache.directory.api.ldap.model.schema.UsageEnum;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.DeleteOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveAndRenameOperationContext;
import org.apache.directory.server.core.api.interceptor.context.MoveOperationContext;
import org.apache.directory.server.core.api.interceptor.context.OperationContext;
import org.apache.directory.server.core.api.interceptor.context.RenameOperationContext;
import org.pkilab.directory.model.DomainNames;
import org.pkilab.directory.model.RelativeIds;

import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The attributes every Active Directory object carries that no one writes: the DC gives them when an object is
 * added and keeps them as it changes ([MS-ADTS] 3.1.1.1, 3.1.1.4). A user added to a new forest reads back as:
 *
 * <pre>
 * objectGUID: 7b1e9c3a-...            16 random bytes, given once, kept in the store: the object's identity for life
 * whenCreated: 20310504102030.0Z      whenChanged moves with every write (both from the DC's clock)
 * uSNCreated: 4711                    uSNChanged too: the DC's one update sequence, highestCommittedUSN in the root DSE
 * instanceType: 4                     5 on the domain head, 13 on the configuration and schema heads
 * objectCategory: CN=Person,CN=Schema,CN=Configuration,DC=contoso,DC=com   (a computer: CN=Computer,...)
 * primaryGroupID: 513                 Domain Users when added without one (computers 515, DCs 516)
 * </pre>
 *
 * <p>Every change to the domain takes the next number of the DC's update sequence, deletions, renames and moves
 * included; a modification that leaves the object as it was takes none (the CA putting its certificate back at
 * every start), nor do the DC's own {@linkplain #upkeep upkeep} writes, such as the {@code memberOf} back-links
 * {@link MemberOfBackLinks} keeps: adding Alice to a group changes the group, not Alice.
 *
 * <p>The GUID, the times, the USNs and {@code instanceType} are the DC's alone: a client writing one, or
 * {@code memberOf}, is refused as AD refuses it ({@code 00002077 ... WILL_NOT_PERFORM}), before the write takes a
 * number; a client may set {@code objectCategory} and {@code primaryGroupID} itself. What is computed on each read
 * ({@code distinguishedName}, {@code tokenGroups}, ...) is {@link ConstructedAttributes}'.
 *
 * <p>Entries kept by a lab from before these attributes get them at the next start ({@link #adopt}), objectGUID
 * included, and keep them from then on.
 */
final class AdObjectAttributes extends BaseInterceptor {

    static final String NAME = "pkilabAdObjectAttributes";
    /** {@code instanceType} of an object in a writable naming context ({@code IT_WRITE}). */
    static final int IT_WRITE = 4;
    /** The domain head: {@code IT_NC_HEAD | IT_WRITE}. */
    static final int IT_DOMAIN_HEAD = 5;
    /** A naming context under another the DC holds (configuration, schema): {@code IT_NC_HEAD | IT_WRITE | IT_NC_ABOVE}. */
    static final int IT_CHILD_NC_HEAD = 13;
    /** What AD answers a write of a back-link or a system-only attribute ({@code ERROR_DS_CANT_MOD_SYSTEM_ONLY} class). */
    static final String WILL_NOT_PERFORM = "00002077: SvcErr: DSID-03152B50, problem 5003 (WILL_NOT_PERFORM), data 0\n";
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'.0Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final int UF_SERVER_TRUST_ACCOUNT = 0x2000;
    /**
     * What the DC writes itself; a client may not write these. {@code memberOf} is among them although
     * {@link MemberOfBackLinks} keeps it: refused here, a write of it takes no number of the update sequence.
     */
    private static final Set<String> SYSTEM_ONLY = Set.of("memberOf", "objectGUID", "whenCreated", "whenChanged", "uSNCreated",
            "uSNChanged", "instanceType");

    /** Writes the DC makes to keep its own data in step: a back-link, the attributes an adopted entry lacked. */
    @FunctionalInterface
    interface Upkeep {
        void run() throws LdapException;
    }

    private final DomainControllerConfig config;
    private final SecureRandom random = new SecureRandom();
    /** The DC's one update sequence: each write takes the next number; the highest is the root DSE's highestCommittedUSN. */
    private final AtomicLong usn;
    /** True while the DC makes {@link Upkeep} writes: those change no USN. */
    private final ThreadLocal<Boolean> maintaining = ThreadLocal.withInitial(() -> false);
    private Dn domain;
    private Set<String> namingContextHeads;

    /** @param highestKept the update sequence the lab reached before this start (0 for a new or temporary lab) */
    AdObjectAttributes(DomainControllerConfig config, long highestKept) {
        super(NAME);
        this.config = config;
        this.usn = new AtomicLong(highestKept);
    }

    @Override
    public void init(DirectoryService directoryService) throws LdapException {
        super.init(directoryService);
        DomainNames names = config.names();
        domain = new Dn(schemaManager, names.domain());
        namingContextHeads = Set.of(new Dn(schemaManager, names.configuration()).getNormName(),
                new Dn(schemaManager, "CN=Schema," + names.configuration()).getNormName());
    }

    /** The highest update sequence number given so far: the root DSE's {@code highestCommittedUSN}. */
    long highestCommittedUsn() {
        return usn.get();
    }

    /** Makes {@code writes} as the DC's upkeep: they move no object's whenChanged and take no USN. */
    void upkeep(Upkeep writes) throws LdapException {
        boolean was = maintaining.get();
        maintaining.set(true);
        try {
            writes.run();
        } finally {
            maintaining.set(was);
        }
    }

    /** Whether the write going through the operation chain on this thread is the DC's {@link #upkeep}. */
    boolean inUpkeep() {
        return maintaining.get();
    }

    /**
     * Gives every entry of the domain that lacks them (kept by a lab from before) its GUID, times, USNs, category
     * and primary group. Runs once at start, after the store is loaded and before it is checkpointed, so what it
     * gives is kept.
     *
     * @return the domain's entries as read before they were given anything (none when there is no domain yet), whose
     *         {@code member} and {@code memberOf} {@link MemberOfBackLinks#adopt} rebuilds the back-links from
     */
    List<Entry> adopt(CoreSession admin) throws LdapException {
        List<Entry> entries = new ArrayList<>();
        upkeep(() -> {
            if (!admin.exists(domain)) {
                return;
            }
            entries.addAll(all(admin));
            long highest = usn.get();
            for (Entry entry : entries) {
                Attribute changed = entry.get("uSNChanged");
                if (changed != null) {
                    highest = Math.max(highest, Long.parseLong(changed.getString().trim()));
                }
            }
            usn.set(highest);
            for (Entry entry : entries) {
                List<Modification> changes = new ArrayList<>();
                Entry given = entry.clone();
                stamp(given, createdAt(entry));
                for (Attribute attribute : given) {
                    if (!entry.containsAttribute(attribute.getAttributeType())) {
                        changes.add(new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, attribute));
                    }
                }
                if (!changes.isEmpty()) {
                    admin.modify(entry.getDn(), changes);
                }
            }
        });
        return entries;
    }

    private List<Entry> all(CoreSession admin) throws LdapException {
        List<Entry> entries = new ArrayList<>();
        try (Cursor<Entry> cursor = admin.search(domain, SearchScope.SUBTREE, FilterParser.parse(schemaManager, "(objectClass=*)"),
                AliasDerefMode.NEVER_DEREF_ALIASES, "*", "createTimestamp")) {
            while (cursor.next()) {
                entries.add(cursor.get());
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapOtherException("cannot read the domain to give its entries AD's attributes: " + e.getMessage(), e);
        }
        return entries;
    }

    /** When a kept entry was made, from ApacheDS's createTimestamp; now when it has none. */
    private Instant createdAt(Entry entry) {
        Attribute created = entry.get("createTimestamp");
        if (created != null) {
            try {
                String text = created.getString();
                return DateTimeFormatter.ofPattern("yyyyMMddHHmmss", Locale.ROOT).withZone(ZoneOffset.UTC)
                        .parse(text.substring(0, 14), Instant::from);
            } catch (DateTimeParseException | IndexOutOfBoundsException | LdapException e) {
                // a time that does not read is no time: the entry is dated now
            }
        }
        return config.clock().instant();
    }

    /**
     * Gives {@code entry} what AD gives a new object, keeping what it already holds. An object of a class the lab's
     * schema does not give these attributes (one from ApacheDS's own schemas, made by a client) is left as it is:
     * the schema was checked before this point, and an attribute its classes do not allow would fail its next write.
     */
    private void stamp(Entry entry, Instant when) throws LdapException {
        if (!inDomain(entry.getDn()) || !mayHold(entry, "objectGUID")) {
            return;
        }
        if (entry.get("objectGUID") == null) {
            byte[] guid = new byte[16];
            random.nextBytes(guid);
            entry.add("objectGUID", guid);
        }
        String time = GENERALIZED_TIME.format(when);
        if (entry.get("whenCreated") == null) {
            entry.add("whenCreated", time);
        }
        if (entry.get("whenChanged") == null) {
            entry.add("whenChanged", time);
        }
        if (entry.get("uSNCreated") == null) {
            long number = usn.incrementAndGet();
            entry.add("uSNCreated", String.valueOf(number));
            if (entry.get("uSNChanged") == null) {
                entry.add("uSNChanged", String.valueOf(number));
            }
        }
        if (entry.get("instanceType") == null) {
            entry.add("instanceType", String.valueOf(instanceType(entry.getDn())));
        }
        if (entry.get("objectCategory") == null) {
            String category = ObjectCategories.categoryOf(entry.get("objectClass"), config.names());
            if (category != null) {
                entry.add("objectCategory", category);
            }
        }
        if (entry.get("primaryGroupID") == null && entry.hasObjectClass("user")) {
            entry.add("primaryGroupID", String.valueOf(primaryGroup(entry)));
        }
    }

    /** Whether one of the entry's object classes (or their superiors) allows {@code attribute}. */
    private boolean mayHold(Entry entry, String attribute) {
        AttributeType type = schemaManager.getAttributeType(attribute);
        Attribute classes = entry.get("objectClass");
        if (classes == null || type == null) {
            return false;
        }
        for (Value name : classes) {
            Deque<ObjectClass> pending = new ArrayDeque<>();
            try {
                pending.add(schemaManager.lookupObjectClassRegistry(name.getString()));
            } catch (LdapException unknown) {
                continue; // the schema check refuses a class it does not know before this point
            }
            while (!pending.isEmpty()) {
                ObjectClass next = pending.poll();
                if (next.getMayAttributeTypes().contains(type) || next.getMustAttributeTypes().contains(type)) {
                    return true;
                }
                pending.addAll(next.getSuperiors());
            }
        }
        return false;
    }

    private int instanceType(Dn dn) {
        if (dn.equals(domain)) {
            return IT_DOMAIN_HEAD;
        }
        return namingContextHeads.contains(dn.getNormName()) ? IT_CHILD_NC_HEAD : IT_WRITE;
    }

    /** Domain Users for a user, Domain Computers for a computer, Domain Controllers for a DC's account, as AD sets them. */
    private static int primaryGroup(Entry entry) {
        if (!entry.hasObjectClass("computer")) {
            return RelativeIds.DOMAIN_USERS;
        }
        Attribute control = entry.get("userAccountControl");
        boolean dc = false;
        if (control != null) {
            try {
                dc = (Integer.parseInt(control.getString().trim()) & UF_SERVER_TRUST_ACCOUNT) != 0;
            } catch (NumberFormatException | LdapException e) {
                // the schema's integer syntax refuses such a value before it gets here
            }
        }
        return dc ? RelativeIds.DOMAIN_CONTROLLERS : RelativeIds.DOMAIN_COMPUTERS;
    }

    @Override
    public void add(AddOperationContext ctx) throws LdapException {
        Entry entry = ctx.getEntry();
        if (!SystemAccountGuard.isSystem(ctx.getSession())) {
            refuseSystemOnly(ctx.getDn(), entry.getAttributes().stream().map(Attribute::getAttributeType).toList());
        }
        stamp(entry, config.clock().instant());
        next(ctx);
    }

    @Override
    public void modify(ModifyOperationContext ctx) throws LdapException {
        boolean system = SystemAccountGuard.isSystem(ctx.getSession());
        if (!system) {
            refuseSystemOnly(ctx.getDn(), ctx.getModItems().stream().map(m -> m.getAttribute().getAttributeType()).toList());
        }
        if (maintaining.get() || !inDomain(ctx.getDn())) {
            next(ctx);
            return;
        }
        boolean restating = system && ctx.getModItems().stream().anyMatch(m -> is(m.getAttribute().getAttributeType(), "whenChanged"));
        if (!restating && changesSomething(ctx)) {
            // a snapshot restore puts its own times back; every other write that changes a value moves them on
            List<Modification> items = new ArrayList<>(ctx.getModItems());
            // after normalization: the modifications added here must carry their attribute types
            items.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, schemaManager.getAttributeType("whenChanged"),
                    GENERALIZED_TIME.format(config.clock().instant())));
            items.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, schemaManager.getAttributeType("uSNChanged"),
                    String.valueOf(usn.incrementAndGet())));
            ctx.setModItems(items);
        }
        next(ctx);
    }

    @Override
    public void delete(DeleteOperationContext ctx) throws LdapException {
        next(ctx);
        if (inDomain(ctx.getDn())) {
            usn.incrementAndGet(); // a deletion is a change the DC commits, as AD's tombstone takes a USN
        }
    }

    @Override
    public void rename(RenameOperationContext ctx) throws LdapException {
        next(ctx);
        usn.incrementAndGet();
    }

    @Override
    public void move(MoveOperationContext ctx) throws LdapException {
        next(ctx);
        usn.incrementAndGet();
    }

    @Override
    public void moveAndRename(MoveAndRenameOperationContext ctx) throws LdapException {
        next(ctx);
        usn.incrementAndGet();
    }

    /**
     * Whether the modification changes a value: AD gives no USN to a write that leaves the object as it was (the CA
     * putting its certificate back at every start), so neither does the DC.
     */
    private boolean changesSomething(ModifyOperationContext ctx) throws LdapException {
        Entry before = existing(ctx, ctx.getDn(), "*");
        if (before == null) {
            return true; // the write fails on its own, with its own answer
        }
        Entry after = before.clone();
        for (Modification mod : ctx.getModItems()) {
            Attribute attribute = mod.getAttribute();
            AttributeType type = attribute.getAttributeType();
            if (type == null) {
                return true;
            }
            if (type.getUsage() != UsageEnum.USER_APPLICATIONS) {
                continue; // ApacheDS's own bookkeeping (modifyTimestamp, modifiersName), added to every write
            }
            switch (mod.getOperation()) {
                case ADD_ATTRIBUTE -> {
                    for (Value value : attribute) {
                        if (!after.contains(type, value)) {
                            after.add(type, value);
                        }
                    }
                }
                case REMOVE_ATTRIBUTE -> {
                    if (attribute.size() == 0) {
                        after.removeAttributes(type);
                    } else {
                        for (Value value : attribute) {
                            after.remove(type, value);
                        }
                    }
                }
                default -> {
                    if (attribute.size() == 0) {
                        after.removeAttributes(type);
                    } else {
                        after.put(attribute.clone());
                    }
                }
            }
            if (!sameValues(before.get(type), after.get(type))) {
                return true;
            }
        }
        return false;
    }

    private static boolean sameValues(Attribute a, Attribute b) {
        if (a == null || a.size() == 0 || b == null || b.size() == 0) {
            return (a == null || a.size() == 0) && (b == null || b.size() == 0);
        }
        if (a.size() != b.size()) {
            return false;
        }
        for (Value value : a) {
            if (!b.contains(value)) {
                return false;
            }
        }
        return true;
    }

    /** The entry at {@code dn} with {@code attributes}; null when there is none. */
    private static Entry existing(OperationContext ctx, Dn dn, String... attributes) throws LdapException {
        try {
            return ctx.getSession().getDirectoryService().getAdminSession().lookup(dn, attributes);
        } catch (LdapNoSuchObjectException gone) {
            return null;
        }
    }

    private void refuseSystemOnly(Dn dn, List<AttributeType> types) throws LdapException {
        for (AttributeType type : types) {
            for (String name : SYSTEM_ONLY) {
                if (is(type, name)) {
                    String why = name.equals("memberOf")
                            ? "memberOf is a back-link the domain controller keeps: add " + dn.getName()
                              + " to a group (or remove it) by writing the group's member attribute"
                            : name + " is given and kept by the domain controller; leave it out of the write to " + dn.getName();
                    throw new LdapUnwillingToPerformException(ResultCodeEnum.UNWILLING_TO_PERFORM, WILL_NOT_PERFORM + why);
                }
            }
        }
    }

    private boolean is(AttributeType type, String name) {
        return type != null && type.equals(schemaManager.getAttributeType(name));
    }

    private boolean inDomain(Dn dn) {
        return domain != null && (dn.equals(domain) || dn.isDescendantOf(domain));
    }

}
