package org.pkilab.directory;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.ApproximateNode;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.filter.SimpleNode;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;

import java.nio.charset.StandardCharsets;

/**
 * {@code <GUID=...>} and {@code <SID=...>} as the value of a DN-valued filter item, as AD takes them wherever a DN
 * is ([MS-ADTS] 3.1.1.3.1.2.4). Samba asks for a group's members by the group's SID, so it finds them whatever the
 * group is called:
 *
 * <pre>
 * samba-tool group listmembers "Domain Admins" sends
 *   (|(primaryGroupID=512)(memberOf=&lt;SID=S-1-5-21-1004336348-1177238915-682003330-512&gt;))
 * which is searched as
 *   (|(primaryGroupID=512)(memberOf=CN=Domain Admins,CN=Users,DC=contoso,DC=com))
 * </pre>
 *
 * <p>An equality item whose attribute holds DNs ({@code member}, {@code memberOf}, {@code manager}, ...) and whose
 * value is one of these forms is rewritten to the DN of the object that holds the GUID or SID, before ApacheDS
 * normalizes the value (which it cannot, as a DN). A form no object holds matches nothing.
 */
final class AlternativeDnValues {

    /** LDAP's DN syntax (RFC 4517 3.3.9), AD's Object(DS-DN). */
    private static final String DN_SYNTAX = "1.3.6.1.4.1.1466.115.121.1.12";

    private AlternativeDnValues() {
    }

    /** {@code filter} with every alternative-form value of a DN-valued item replaced by the DN it names. */
    static ExprNode withDnsNamed(ExprNode filter, AlternativeDns names, SchemaManager schema) throws LdapException {
        return AdSearchFilters.rewriteItems(filter, item -> {
            if (!namesAnObject(item, schema)) {
                return item;
            }
            SimpleNode<?> simple = (SimpleNode<?>) item;
            String dn = names.dnOf(new String(simple.getValue().getBytes(), StandardCharsets.UTF_8));
            String attribute = simple.getAttribute() != null ? simple.getAttribute() : simple.getAttributeType().getName();
            return dn == null ? ThreeValuedFilter.never(schema) : new EqualityNode<>(attribute, dn);
        });
    }

    /** Whether {@code item} is an equality item on a DN-valued attribute whose value is a GUID or SID form. */
    static boolean namesAnObject(LeafNode item, SchemaManager schema) {
        if (!(item instanceof EqualityNode<?>) && !(item instanceof ApproximateNode<?>)) {
            return false;
        }
        SimpleNode<?> simple = (SimpleNode<?>) item;
        AttributeType type = AttributeTypes.resolve(simple.getAttributeType(), simple.getAttribute(), schema);
        byte[] value = simple.getValue() == null ? null : simple.getValue().getBytes();
        return type != null && value != null && type.getSyntax() != null && DN_SYNTAX.equals(type.getSyntax().getOid())
                && AlternativeDns.isAlternative(new String(value, StandardCharsets.UTF_8));
    }
}
