package org.pkilab.directory;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.ApproximateNode;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.SimpleNode;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.pkilab.directory.model.SecurityIdentifier;

import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * SIDs in a search filter as AD reads them. {@code objectSid} holds the binary SID ([MS-DTYP] 2.4.2.2), yet a
 * Windows DC also takes its string form wherever an attribute of String(Sid) syntax takes a value
 * ([MS-ADTS] 3.1.1.3.1.2.5), filters included, so tools ask for a group by its well-known RID:
 *
 * <pre>
 * (objectSid=S-1-5-21-1004336348-1177238915-682003330-512)            Domain Admins
 * (objectSid=\01\05\00\00\00\00\00\05\15\00\00\00...\00\02\00\00)    Domain Admins too, the binary form
 * </pre>
 *
 * <p>An equality (or approximate, which AD evaluates as equality) item on {@code objectSid} whose value is a
 * SID's string form is rewritten to the binary value before the search runs. A value that is not one is
 * compared as the octets it is, and matches nothing.
 */
final class StringSidFilter {

    /** objectSid; the lab's schema has no other attribute of AD's String(Sid) syntax. */
    static final Set<String> SID_OIDS = Set.of("1.2.840.113556.1.4.146");
    private static final Pattern STRING_SID = Pattern.compile("S-1-\\d+(-\\d+)+");

    private StringSidFilter() {
    }

    /** {@code filter} with every string-form SID on a SID attribute given in binary; the same tree, changed in place. */
    static ExprNode withBinarySids(ExprNode filter, SchemaManager schema) throws LdapException {
        return AdSearchFilters.rewriteItems(filter, leaf -> {
            if (!(leaf instanceof EqualityNode<?>) && !(leaf instanceof ApproximateNode<?>)) {
                return leaf;
            }
            SimpleNode<?> item = (SimpleNode<?>) leaf;
            AttributeType type = AttributeTypes.resolve(item.getAttributeType(), item.getAttribute(), schema);
            byte[] value = item.getValue() == null ? null : item.getValue().getBytes();
            if (type == null || !SID_OIDS.contains(type.getOid()) || value == null) {
                return leaf;
            }
            String text = new String(value, StandardCharsets.UTF_8);
            if (!STRING_SID.matcher(text).matches()) {
                return leaf;
            }
            try {
                String attribute = item.getAttribute() != null ? item.getAttribute() : type.getOid();
                return new EqualityNode<>(attribute, SecurityIdentifier.parse(text).toBytes());
            } catch (IllegalArgumentException notASid) {
                return leaf; // compared as octets, as any other value that is not a SID
            }
        });
    }
}
