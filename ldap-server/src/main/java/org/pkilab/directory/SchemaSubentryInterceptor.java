package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.cursor.EmptyCursor;
import org.apache.directory.api.ldap.model.cursor.SingletonCursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultEntry;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.AndNode;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.NotNode;
import org.apache.directory.api.ldap.model.filter.ObjectClassNode;
import org.apache.directory.api.ldap.model.filter.OrNode;
import org.apache.directory.api.ldap.model.filter.PresenceNode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.ObjectClass;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.DirectoryService;
import org.apache.directory.server.core.api.entry.ClonedServerEntry;
import org.apache.directory.server.core.api.entry.ServerEntryUtils;
import org.apache.directory.server.core.api.filtering.EntryFilter;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursor;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursorImpl;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.LookupOperationContext;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;
import org.pkilab.directory.client.LogonRequest;

import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The schema as a Windows DC publishes it ([MS-ADTS] 3.1.1.3.1.1.4): the root DSE's {@code subschemaSubentry} names
 * {@code CN=Aggregate,CN=Schema,CN=Configuration,DC=contoso,DC=com}, an object of class {@code subSchema} whose
 * {@code attributeTypes} and {@code objectClasses} describe every attribute and class in RFC 4512 form, with the
 * LDAP syntax OID AD publishes for each of its attribute syntaxes ([MS-ADTS] 3.1.1.2.2.2), quoted as AD quotes it:
 *
 * <pre>
 * ( 1.2.840.113556.1.4.146 NAME 'objectSid' SYNTAX '1.3.6.1.4.1.1466.115.121.1.40' SINGLE-VALUE )
 * ( 1.2.840.113556.1.4.1432 NAME 'msPKI-Certificate-Name-Flag' SYNTAX '1.3.6.1.4.1.1466.115.121.1.27' SINGLE-VALUE )
 * ( 1.2.840.113556.1.5.177 NAME 'pKICertificateTemplate' SUP top STRUCTURAL MAY ( displayName $ flags $ ... ) )
 * </pre>
 *
 * <p>Tools read it to learn how to decode values: ldap3's {@code get_info=ALL} turns integers into numbers and
 * binary syntaxes into bytes by it, and checks the attribute names a search asks for against it. Like AD, the entry
 * holds no {@code ldapSyntaxes} or {@code matchingRules}, and it is read with a base search only.
 *
 * <p>It is made from ApacheDS's {@code SchemaManager}, what the DC enforces: the lab's {@code ad-schema.ldif} and the
 * X.500 schemas it builds on, without ApacheDS's and OpenLDAP's own types (AD has none of them) nor the lab's
 * ({@code entryUUID}, the root DSE's attributes). Where the lab stores an attribute under an RFC syntax standing in for
 * one of AD's own, because ApacheDS cannot check AD's, the published syntax is AD's (Large Integer, NT security
 * descriptor); the RFC syntaxes AD does not publish are given as the AD syntax that holds the same values.
 * ApacheDS's own {@code cn=schema} subentry and {@code ou=schema} stay where they are, named by nothing AD clients read.
 */
final class SchemaSubentryInterceptor extends BaseInterceptor {

    static final String NAME = "pkilabSchemaSubentry";
    private static final String OCTET_STRING = "1.3.6.1.4.1.1466.115.121.1.40";
    private static final String UNICODE_STRING = "1.3.6.1.4.1.1466.115.121.1.15";
    private static final String INTEGER = "1.3.6.1.4.1.1466.115.121.1.27";
    private static final String LARGE_INTEGER = "1.2.840.113556.1.4.906";
    private static final String SECURITY_DESCRIPTOR = "1.2.840.113556.1.4.907";
    /** The syntax OIDs AD publishes (String(Unicode), Integer, Boolean, DS-DN, ...): published as they are. */
    private static final Set<String> AD_SYNTAXES = Set.of(UNICODE_STRING, INTEGER, OCTET_STRING,
            "1.3.6.1.4.1.1466.115.121.1.7", "1.3.6.1.4.1.1466.115.121.1.12", "1.3.6.1.4.1.1466.115.121.1.24",
            "1.3.6.1.4.1.1466.115.121.1.26", "1.3.6.1.4.1.1466.115.121.1.36", "1.3.6.1.4.1.1466.115.121.1.38",
            "1.3.6.1.4.1.1466.115.121.1.43", "1.3.6.1.4.1.1466.115.121.1.44", "1.3.6.1.4.1.1466.115.121.1.53",
            "1.3.6.1.4.1.1466.115.121.1.2", LARGE_INTEGER, SECURITY_DESCRIPTOR, "1.2.840.113556.1.4.903",
            "1.2.840.113556.1.4.904", "1.2.840.113556.1.4.905", "1.2.840.113556.1.4.1221", "1.2.840.113556.1.4.1362");
    /** RFC syntaxes AD has no counterpart of, as the AD syntax of the same attributes in AD's schema. */
    private static final Map<String, String> AS_AD_SYNTAX = Map.of(
            "1.3.6.1.4.1.1466.115.121.1.8", OCTET_STRING,       // Certificate: userCertificate, cACertificate
            "1.3.6.1.4.1.1466.115.121.1.9", OCTET_STRING,       // Certificate List: certificateRevocationList
            "1.3.6.1.4.1.1466.115.121.1.10", OCTET_STRING,      // Certificate Pair: crossCertificatePair
            "1.3.6.1.4.1.1466.115.121.1.28", OCTET_STRING,      // JPEG: jpegPhoto
            "1.3.6.1.4.1.1466.115.121.1.14", INTEGER,           // Delivery Method: preferredDeliveryMethod, an Enumeration
            "1.3.6.1.4.1.1466.115.121.1.34", "1.3.6.1.4.1.1466.115.121.1.12"); // Name and Optional UID: uniqueMember
    /** Attributes AD keeps in a syntax of its own that the lab stores under an RFC stand-in, by attributeID. */
    private static final Map<String, String> AD_OWN_SYNTAX = Map.of(
            "1.2.840.113556.1.2.281", SECURITY_DESCRIPTOR,       // nTSecurityDescriptor: String(NT-Sec-Desc)
            "1.2.840.113556.1.2.19", LARGE_INTEGER,              // uSNCreated
            "1.2.840.113556.1.2.120", LARGE_INTEGER,             // uSNChanged
            "1.2.840.113556.1.4.96", LARGE_INTEGER,              // pwdLastSet
            "1.2.840.113556.1.4.159", LARGE_INTEGER,             // accountExpires
            "1.2.840.113556.1.4.52", LARGE_INTEGER,              // lastLogon
            "1.2.840.113556.1.4.1696", LARGE_INTEGER,            // lastLogonTimestamp
            "1.2.840.113556.1.4.49", LARGE_INTEGER,              // badPasswordTime
            "1.2.840.113556.1.4.662", LARGE_INTEGER);            // lockoutTime
    /** The schemas AD's own covers: the X.500 and RFC types AD defines too, and the lab's AD schema. */
    private static final Set<String> PUBLISHED_SCHEMAS = Set.of("system", "core", "cosine", "inetorgperson",
            AdSchemaLoader.SCHEMA_NAME);
    /** Arcs of types no Windows DC has: ApacheDS's, OpenLDAP's, RFC 4512's root DSE attributes, the lab's. */
    private static final List<String> NOT_AD_ARCS = List.of("1.3.6.1.4.1.18060.", "1.3.6.1.4.1.4203.",
            "1.3.6.1.4.1.1466.101.120.", "1.3.6.1.4.1.1466.101.119.", LogonRequest.LAB_ARC + ".");
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'.0Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final DomainControllerConfig config;
    private Dn aggregate;
    private Entry published;

    /** The subentry of the DC {@code config} describes, last changed when it starts. */
    SchemaSubentryInterceptor(DomainControllerConfig config) {
        super(NAME);
        this.config = config;
    }

    /** {@code CN=Aggregate,CN=Schema,CN=Configuration,...}, where AD keeps its subschema subentry. */
    static String aggregateDn(DomainControllerConfig config) {
        return "CN=Aggregate,CN=Schema," + config.names().configuration();
    }

    @Override
    public void init(DirectoryService directoryService) throws LdapException {
        super.init(directoryService);
        aggregate = new Dn(schemaManager, aggregateDn(config));
        published = subentry(schemaManager, aggregate, GENERALIZED_TIME.format(config.clock().instant()));
    }

    @Override
    public EntryFilteringCursor search(SearchOperationContext ctx) throws LdapException {
        if (!aggregate.equals(ctx.getDn())) {
            return next(ctx);
        }
        boolean found = ctx.getScope() != SearchScope.ONELEVEL && matches(ctx.getFilter(), published);
        return new CompleteEntryCursor(found ? new SingletonCursor<>(new ClonedServerEntry(published.clone()))
                : new EmptyCursor<>(), ctx, schemaManager);
    }

    /**
     * The subentry as made, cut only to the attributes asked for. The interceptors it passes on its way back add
     * filters for entries of a partition (ApacheDS counts subordinates by the entry's place in its partition's
     * index, and fails on an entry that has none); the subentry is in no partition and has no subordinates.
     */
    private static final class CompleteEntryCursor extends EntryFilteringCursorImpl {

        CompleteEntryCursor(Cursor<Entry> entry, SearchOperationContext ctx, SchemaManager schema) {
            super(entry, ctx, schema);
        }

        @Override
        public boolean addEntryFilter(EntryFilter filter) {
            return false;
        }
    }

    @Override
    public Entry lookup(LookupOperationContext ctx) throws LdapException {
        if (!aggregate.equals(ctx.getDn())) {
            return next(ctx);
        }
        Entry entry = new ClonedServerEntry(published.clone());
        ServerEntryUtils.filterContents(schemaManager, ctx, entry);
        return entry;
    }

    /** The subschema subentry describing what {@code schema} holds of AD's. */
    static Entry subentry(SchemaManager schema, Dn dn, String modified) throws LdapException {
        Entry entry = new DefaultEntry(schema, dn);
        entry.add("objectClass", "top", "subSchema");
        entry.add("cn", "Aggregate");
        List<AttributeType> types = new ArrayList<>();
        schema.getAttributeTypeRegistry().forEach(type -> {
            if (published(type.getOid(), type.getSchemaName())) {
                types.add(type);
            }
        });
        types.sort(Comparator.comparing(AttributeType::getOid));
        entry.add(descriptions(schema, "attributeTypes", types.stream().map(SchemaSubentryInterceptor::description).toList()));
        List<ObjectClass> classes = new ArrayList<>();
        schema.getObjectClassRegistry().forEach(objectClass -> {
            if (published(objectClass.getOid(), objectClass.getSchemaName())) {
                classes.add(objectClass);
            }
        });
        classes.sort(Comparator.comparing(ObjectClass::getOid));
        entry.add(descriptions(schema, "objectClasses", classes.stream().map(SchemaSubentryInterceptor::description).toList()));
        entry.add("modifyTimeStamp", modified);
        return entry;
    }

    /**
     * The values as AD writes them, kept as they are: ApacheDS would normalize each by parsing it as RFC 4512 strictly
     * does, and refuses AD's quoted syntax and NO-USER-MODIFICATION without a USAGE.
     */
    private static Attribute descriptions(SchemaManager schema, String name, List<String> texts) throws LdapException {
        AttributeType type = schema.lookupAttributeTypeRegistry(name);
        Attribute attribute = new DefaultAttribute(type);
        for (String text : texts) {
            attribute.add(new Value(type, text, text));
        }
        return attribute;
    }

    private static boolean published(String oid, String schemaName) {
        return schemaName != null && PUBLISHED_SCHEMAS.contains(schemaName.toLowerCase(Locale.ROOT))
                && NOT_AD_ARCS.stream().noneMatch(oid::startsWith);
    }

    /** An attribute type as AD describes it: its one name, its syntax quoted, single-valued and system-only flags. */
    static String description(AttributeType type) {
        StringBuilder text = new StringBuilder("( ").append(type.getOid()).append(" NAME '").append(type.getName())
                .append("' SYNTAX '").append(adSyntax(type)).append('\'');
        if (type.isSingleValued()) {
            text.append(" SINGLE-VALUE");
        }
        if (!type.isUserModifiable()) {
            text.append(" NO-USER-MODIFICATION");
        }
        return text.append(" )").toString();
    }

    /** The LDAP syntax AD publishes for {@code type}. */
    static String adSyntax(AttributeType type) {
        String own = AD_OWN_SYNTAX.get(type.getOid());
        if (own != null) {
            return own;
        }
        AttributeType declaring = type;
        while (declaring.getSyntax() == null && declaring.getSuperior() != null) {
            declaring = declaring.getSuperior();
        }
        if (declaring.getSyntax() == null) {
            return UNICODE_STRING;
        }
        String syntax = declaring.getSyntax().getOid();
        if (AD_SYNTAXES.contains(syntax)) {
            return syntax;
        }
        return AS_AD_SYNTAX.getOrDefault(syntax, declaring.getSyntax().isHumanReadable() ? UNICODE_STRING : OCTET_STRING);
    }

    /**
     * An object class as AD describes it: superior, kind, and the attributes it must and may hold, by name; the lab's
     * own attributes and ApacheDS's are left out of the lists as they are out of {@code attributeTypes}.
     */
    static String description(ObjectClass objectClass) {
        StringBuilder text = new StringBuilder("( ").append(objectClass.getOid()).append(" NAME '")
                .append(objectClass.getName()).append('\'');
        if (!objectClass.getSuperiors().isEmpty()) {
            text.append(" SUP ").append(list(objectClass.getSuperiors().stream().map(ObjectClass::getName).toList()));
        }
        text.append(' ').append(objectClass.getType().name());
        List<String> must = publishedNames(objectClass.getMustAttributeTypes());
        if (!must.isEmpty()) {
            text.append(" MUST ").append(list(must));
        }
        List<String> may = publishedNames(objectClass.getMayAttributeTypes());
        if (!may.isEmpty()) {
            text.append(" MAY ").append(list(may));
        }
        return text.append(" )").toString();
    }

    /** The names of those of {@code types} the subentry describes, so that no class names an attribute it does not. */
    private static List<String> publishedNames(List<AttributeType> types) {
        return types.stream().filter(type -> published(type.getOid(), type.getSchemaName())).map(AttributeType::getName).toList();
    }

    private static String list(List<String> names) {
        return names.size() == 1 ? names.get(0) : names.stream().collect(Collectors.joining(" $ ", "( ", " )"));
    }

    /** Whether the subentry satisfies a normalized filter's AND, OR, NOT, presence and equality items; no other item does. */
    private static boolean matches(ExprNode filter, Entry entry) throws LdapException {
        if (filter == null || filter instanceof ObjectClassNode) {
            return true;
        }
        if (filter instanceof AndNode and) {
            for (ExprNode child : and.getChildren()) {
                if (!matches(child, entry)) {
                    return false;
                }
            }
            return true;
        }
        if (filter instanceof OrNode or) {
            for (ExprNode child : or.getChildren()) {
                if (matches(child, entry)) {
                    return true;
                }
            }
            return false;
        }
        if (filter instanceof NotNode not) {
            return !matches(not.getFirstChild(), entry);
        }
        if (filter instanceof PresenceNode presence) {
            return presence.getAttributeType() != null && entry.containsAttribute(presence.getAttributeType());
        }
        if (filter instanceof EqualityNode<?> equality && equality.getAttributeType() != null) {
            return entry.get(equality.getAttributeType()) != null && entry.get(equality.getAttributeType()).contains(equality.getValue());
        }
        return false;
    }
}
