package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.ApproximateNode;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.SimpleNode;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.pkilab.directory.model.DomainNames;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code objectCategory} as AD gives and reads it. Every object holds the DN of a {@code classSchema} object, its
 * class's {@code defaultObjectCategory} ([MS-ADTS] 3.1.1.2.4.8): users {@code CN=Person}, computers
 * {@code CN=Computer}, so the category tells users from computers though a computer's {@code objectClass} holds
 * {@code user} too. A filter may name the class instead of the DN ([MS-ADTS] 3.1.1.3.1.3.1): its value is
 * replaced by that class's default category before the search runs.
 *
 * <pre>
 * (objectCategory=person)     becomes (objectCategory=CN=Person,CN=Schema,CN=Configuration,DC=contoso,DC=com)
 * (objectCategory=computer)   becomes (objectCategory=CN=Computer,CN=Schema,CN=Configuration,DC=contoso,DC=com)
 * </pre>
 */
final class ObjectCategories {

    static final String OBJECT_CATEGORY_OID = "1.2.840.113556.1.4.782";
    /** lDAPDisplayName to the CN of its defaultObjectCategory, most specific class first. */
    private static final Map<String, String> DEFAULT_CATEGORY = new LinkedHashMap<>();

    static {
        DEFAULT_CATEGORY.put("computer", "Computer");
        DEFAULT_CATEGORY.put("group", "Group");
        DEFAULT_CATEGORY.put("foreignsecurityprincipal", "Foreign-Security-Principal");
        DEFAULT_CATEGORY.put("pkicertificatetemplate", "PKI-Certificate-Template");
        DEFAULT_CATEGORY.put("pkienrollmentservice", "PKI-Enrollment-Service");
        DEFAULT_CATEGORY.put("mspki-enterprise-oid", "ms-PKI-Enterprise-Oid");
        DEFAULT_CATEGORY.put("grouppolicycontainer", "Group-Policy-Container");
        DEFAULT_CATEGORY.put("certificationauthority", "Certification-Authority");
        DEFAULT_CATEGORY.put("crldistributionpoint", "CRL-Distribution-Point");
        DEFAULT_CATEGORY.put("domaindns", "Domain-DNS");
        DEFAULT_CATEGORY.put("trusteddomain", "Trusted-Domain");
        DEFAULT_CATEGORY.put("organizationalunit", "Organizational-Unit");
        DEFAULT_CATEGORY.put("inetorgperson", "Person");
        DEFAULT_CATEGORY.put("user", "Person");
        DEFAULT_CATEGORY.put("contact", "Person");
        DEFAULT_CATEGORY.put("organizationalperson", "Person");
        DEFAULT_CATEGORY.put("person", "Person");
        DEFAULT_CATEGORY.put("container", "Container");
    }

    private ObjectCategories() {
    }

    /** The DN of the classSchema object named {@code cn} in the forest's schema: {@code CN=Person,CN=Schema,CN=Configuration,...}. */
    static String schemaObject(String cn, DomainNames names) {
        return "CN=" + cn + ",CN=Schema," + names.configuration();
    }

    /** The category of an object of these classes; null when the lab knows none of them. */
    static String categoryOf(Attribute objectClass, DomainNames names) {
        if (objectClass == null) {
            return null;
        }
        List<String> classes = new ArrayList<>();
        for (Value value : objectClass) {
            classes.add(value.getString().toLowerCase(Locale.ROOT));
        }
        for (Map.Entry<String, String> category : DEFAULT_CATEGORY.entrySet()) {
            if (classes.contains(category.getKey())) {
                return schemaObject(category.getValue(), names);
            }
        }
        return null;
    }

    /** {@code filter} with each objectCategory item that names a class given the class's category DN; changed in place. */
    static ExprNode withCategoryDns(ExprNode filter, SchemaManager schema, DomainNames names) throws LdapException {
        return AdSearchFilters.rewriteItems(filter, leaf -> {
            if (!(leaf instanceof EqualityNode<?>) && !(leaf instanceof ApproximateNode<?>)) {
                return leaf;
            }
            SimpleNode<?> item = (SimpleNode<?>) leaf;
            AttributeType type = AttributeTypes.resolve(item.getAttributeType(), item.getAttribute(), schema);
            byte[] value = item.getValue() == null ? null : item.getValue().getBytes();
            if (type == null || !OBJECT_CATEGORY_OID.equals(type.getOid()) || value == null) {
                return leaf;
            }
            String text = new String(value, StandardCharsets.UTF_8).trim();
            if (text.contains("=")) {
                return leaf;
            }
            String cn = DEFAULT_CATEGORY.get(text.toLowerCase(Locale.ROOT));
            // a name that is no class the DC knows names no category object: it matches nothing, as on AD
            String dn = schemaObject(cn != null ? cn : text.replace(",", "\\,"), names);
            String attribute = item.getAttribute() != null ? item.getAttribute() : type.getOid();
            return new EqualityNode<String>(attribute, dn);
        });
    }
}
