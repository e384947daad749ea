package org.pkilab.directory;

import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;

/**
 * The attribute type a request means, whatever it calls it. ApacheDS leaves some attributes and filter items
 * without their type (one named with an option such as {@code ;binary}, a substring item on an attribute with
 * no substring rule); the type is then looked up by the description's name or OID, options dropped. Checks of
 * rights and secrets go by the type, so {@code 1.2.840.113556.1.2.281} is {@code nTSecurityDescriptor}.
 */
final class AttributeTypes {

    private AttributeTypes() {
    }

    /** {@code known} when ApacheDS resolved it; otherwise the type {@code description} names, or null. */
    static AttributeType resolve(AttributeType known, String description, SchemaManager schema) {
        if (known != null || description == null) {
            return known;
        }
        int options = description.indexOf(';');
        return schema.getAttributeType(options < 0 ? description : description.substring(0, options));
    }
}
