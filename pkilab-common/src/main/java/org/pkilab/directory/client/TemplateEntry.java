package org.pkilab.directory.client;

import com.unboundid.ldap.sdk.Attribute;
import com.unboundid.ldap.sdk.SearchResultEntry;
import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.SecurityIdentifier;
import org.pkilab.directory.model.TemplateAttributes;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A {@code pKICertificateTemplate} entry as the UnboundID SDK reads and writes it, mapped through
 * {@link TemplateAttributes}: what the Certificate Templates console and the CA both read a template with.
 */
public final class TemplateEntry {

    private TemplateEntry() {
    }

    /** The template an entry read with all its attributes ({@code "*"}) holds; its Security tab relative to {@code domainSid}. */
    public static CertificateTemplate toTemplate(SearchResultEntry entry, SecurityIdentifier domainSid) {
        Map<String, List<byte[]>> attributes = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (Attribute attribute : entry.getAttributes()) {
            attributes.put(attribute.getName(), List.of(attribute.getValueByteArrays()));
        }
        return TemplateAttributes.fromAttributes(attributes, domainSid);
    }

    /** The attributes of a new template entry, {@code objectClass} first. */
    static List<Attribute> toAttributes(CertificateTemplate template, SecurityIdentifier domainSid) {
        List<Attribute> attributes = new ArrayList<>();
        attributes.add(new Attribute("objectClass", "top", "pKICertificateTemplate"));
        TemplateAttributes.toAttributes(template, domainSid).forEach((attribute, values) ->
                attributes.add(new Attribute(attribute, values.toArray(new byte[0][]))));
        return attributes;
    }
}
