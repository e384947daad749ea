package org.pkilab.directory;

import org.apache.directory.api.ldap.model.constants.SchemaConstants;
import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.AndNode;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.server.core.api.DirectoryService;
import org.pkilab.directory.LdapMessageShape.Element;
import org.pkilab.directory.model.SecurityIdentifier;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The alternative forms of a DN that AD takes wherever a request names an object ([MS-ADTS] 3.1.1.3.1.2.4): the
 * object's GUID or SID in angle brackets instead of its name, so a tool that kept an object's identity finds it
 * after a rename or a move.
 *
 * <pre>
 * &lt;GUID=7b1e9c3a2f4d4e8b9a0c1d2e3f405162&gt;          the objectGUID's 16 bytes in hex, as stored
 * &lt;GUID=3a9c1e7b-4d2f-8b4e-9a0c-1d2e3f405162&gt;      the GUID's string form (its first three fields little-endian)
 * &lt;SID=S-1-5-21-1004336348-1177238915-682003330-500&gt;  or the binary SID in hex: &lt;SID=010500000000000515000000...&gt;
 * </pre>
 *
 * <p>ApacheDS's decoder refuses these as DN syntax, so the request guard hands each message here before the decoder
 * sees it: the base of a search, the object of a modify, delete, compare or modify DN, given in one of these forms,
 * is replaced by the object's DN, and the request goes on as if it had named it. A GUID or SID no object holds is
 * answered as AD answers it, {@code noSuchObject} (32) with {@code 0000208D ... NO_OBJECT}.
 *
 * <p>On a connection that has not bound, nothing is looked up: the form is replaced by the domain's DN, which the
 * DC refuses to an anonymous caller as it refuses every request below the root DSE ({@code operationsError},
 * {@code 000004DC ... a successful bind must be completed}). The answer is then the same whether an object holds
 * the GUID or SID or not, so an anonymous caller cannot enumerate SIDs (RIDs) by asking for them.
 */
final class AlternativeDns {

    /** What AD answers for an alternative DN no object holds. */
    static final String NO_OBJECT = "0000208D: NameErr: DSID-03100241, problem 2001 (NO_OBJECT), data 0, best match of:\n\t''\n";
    private static final Pattern FORM = Pattern.compile("<(GUID|SID)=([^>]+)>", Pattern.CASE_INSENSITIVE);
    private static final Pattern DASHED = Pattern.compile("\\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})}?");

    /** A message whose DN was given in an alternative form: the message naming the object's DN, or why it names none. */
    record Resolved(byte[] pdu, String noSuchObject) {
    }

    private final DirectoryService service;
    private final String domain;

    AlternativeDns(DirectoryService service, String domain) {
        this.service = service;
        this.domain = domain;
    }

    /**
     * {@code pdu} with its alternative DN replaced; null when it names its object by DN (nothing to do).
     * {@code anonymous}: whether the connection has not bound, asked only of a message that names a form; then the
     * domain's DN stands in for whatever the form names.
     */
    Resolved resolve(byte[] pdu, int operation, BooleanSupplier anonymous) {
        if (operation != 0x63 && operation != 0x66 && operation != 0x4A && operation != 0x6E && operation != 0x6C) {
            return null;
        }
        Element message = Element.at(pdu, 0, pdu.length);
        Element id = Element.at(pdu, message.contentStart(), message.end());
        Element op = Element.at(pdu, id.end(), message.end());
        Element named = operation == 0x4A ? op : Element.at(pdu, op.contentStart(), op.end());
        if (named.end() == named.contentStart() || pdu[named.contentStart()] != '<') {
            return null;
        }
        String text = new String(pdu, named.contentStart(), named.end() - named.contentStart(), StandardCharsets.UTF_8).trim();
        if (!isAlternative(text)) {
            return null; // another form (an extended DN); the decoder answers it as DN syntax
        }
        String dn = anonymous.getAsBoolean() ? domain : dnOf(text);
        if (dn == null) {
            return new Resolved(null, NO_OBJECT);
        }
        byte[] name = dn.getBytes(StandardCharsets.UTF_8);
        byte[] newOp;
        if (operation == 0x4A) {
            newOp = LdapRequestGuard.Ber.tlv(0x4A, name);
        } else {
            newOp = LdapRequestGuard.Ber.tlv(op.tag(), LdapRequestGuard.Ber.tlv(named.tag(), name), slice(pdu, named.end(), op.end()));
        }
        return new Resolved(LdapRequestGuard.Ber.tlv(0x30, slice(pdu, id.start(), id.end()), newOp, slice(pdu, op.end(), message.end())), null);
    }

    /** Whether {@code text} is a {@code <GUID=...>} or {@code <SID=...>} form. */
    static boolean isAlternative(String text) {
        return FORM.matcher(text.trim()).matches();
    }

    /** The DN of the object a {@code <GUID=...>} or {@code <SID=...>} form names; null when no object holds it. */
    String dnOf(String text) {
        Matcher form = FORM.matcher(text.trim());
        if (!form.matches()) {
            return null;
        }
        try {
            boolean guid = form.group(1).equalsIgnoreCase("GUID");
            byte[] value = guid ? guidBytes(form.group(2).trim()) : sidBytes(form.group(2).trim());
            return holder(guid ? "objectGUID" : "objectSid", value);
        } catch (IllegalArgumentException | LdapException e) {
            return null;
        }
    }

    private static byte[] slice(byte[] data, int from, int to) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(to - from);
        out.write(data, from, to - from);
        return out.toByteArray();
    }

    /** The 16 bytes of a GUID given as its string form (first three fields little-endian on the wire) or as hex. */
    static byte[] guidBytes(String text) {
        Matcher dashed = DASHED.matcher(text);
        if (dashed.matches()) {
            byte[] bytes = new byte[16];
            byte[] first = HexFormat.of().parseHex(dashed.group(1));
            byte[] second = HexFormat.of().parseHex(dashed.group(2));
            byte[] third = HexFormat.of().parseHex(dashed.group(3));
            for (int i = 0; i < 4; i++) {
                bytes[i] = first[3 - i];
            }
            bytes[4] = second[1];
            bytes[5] = second[0];
            bytes[6] = third[1];
            bytes[7] = third[0];
            System.arraycopy(HexFormat.of().parseHex(dashed.group(4) + dashed.group(5)), 0, bytes, 8, 8);
            return bytes;
        }
        byte[] bytes = HexFormat.of().parseHex(text.toLowerCase(Locale.ROOT));
        if (bytes.length != 16) {
            throw new IllegalArgumentException("a GUID is 16 bytes: " + text);
        }
        return bytes;
    }

    private static byte[] sidBytes(String text) {
        return text.toUpperCase(Locale.ROOT).startsWith("S-") ? SecurityIdentifier.parse(text.toUpperCase(Locale.ROOT)).toBytes()
                : SecurityIdentifier.fromBytes(HexFormat.of().parseHex(text.toLowerCase(Locale.ROOT))).toBytes();
    }

    /**
     * The DN of the object of the domain whose {@code attribute} is {@code value}; null when none is. The domain's
     * partition indexes objectSid and objectGUID by their bytes: the search then reads the one entry that holds it.
     */
    private String holder(String attribute, byte[] value) throws LdapException {
        AttributeType type = service.getSchemaManager().lookupAttributeTypeRegistry(attribute);
        Dn base = new Dn(service.getSchemaManager(), domain);
        ExprNode filter = new EqualityNode<>(type, new Value(type, value));
        if (service.getPartitionNexus().getPartition(base) instanceof InMemoryPartition partition && partition.indexesBytesOf(type)) {
            String id = partition.holderOf(type, value);
            if (id == null) {
                return null;
            }
            AttributeType uuid = service.getSchemaManager().lookupAttributeTypeRegistry(SchemaConstants.ENTRY_UUID_AT);
            filter = new AndNode(new EqualityNode<>(uuid, new Value(uuid, id)), filter);
        }
        try (Cursor<Entry> found = service.getAdminSession().search(base, SearchScope.SUBTREE, filter,
                AliasDerefMode.NEVER_DEREF_ALIASES, "1.1")) {
            return found.next() ? found.get().getDn().getName() : null;
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapException("cannot look for the object of " + attribute + ": " + e.getMessage(), e);
        }
    }
}
