package org.pkilab.directory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Hand-made BER for LDAP requests that no well-behaved client library would send. */
final class Ber {

    private Ber() {
    }

    static byte[] tlv(int tag, byte[]... parts) {
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            content.writeBytes(part);
        }
        byte[] value = content.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        out.writeBytes(length(value.length));
        out.writeBytes(value);
        return out.toByteArray();
    }

    static byte[] length(int length) {
        if (length < 0x80) {
            return new byte[]{(byte) length};
        }
        int bytes = length < 0x100 ? 1 : length < 0x10000 ? 2 : length < 0x1000000 ? 3 : 4;
        byte[] encoded = new byte[bytes + 1];
        encoded[0] = (byte) (0x80 | bytes);
        for (int i = 0; i < bytes; i++) {
            encoded[bytes - i] = (byte) (length >>> (8 * i));
        }
        return encoded;
    }

    static byte[] integer(int value) {
        return tlv(0x02, value < 0x80 ? new byte[]{(byte) value} : new byte[]{(byte) (value >>> 8), (byte) value});
    }

    static byte[] octets(String text) {
        return tlv(0x04, text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] enumerated(int value) {
        return tlv(0x0A, new byte[]{(byte) value});
    }

    /** {@code (objectClass=*)} wrapped in {@code depth} NOT filters. */
    static byte[] nestedNotFilter(int depth) {
        byte[] filter = tlv(0x87, "objectClass".getBytes(StandardCharsets.US_ASCII));
        // built inside out without recursion: each level is A2 <len> <inner>
        for (int i = 0; i < depth; i++) {
            filter = tlv(0xA2, filter);
        }
        return filter;
    }

    /**
     * A request of {@code operation} (its BER tag) on the object {@code dn}: a delete (0x4A), a modify replacing its
     * description (0x66), a modify DN to {@code CN=x} (0x6C) or a compare of its cn (0x6E).
     */
    static byte[] naming(int messageId, int operation, String dn) {
        byte[] request = switch (operation) {
            case 0x4A -> tlv(0x4A, dn.getBytes(StandardCharsets.UTF_8));
            case 0x66 -> tlv(0x66, octets(dn), tlv(0x30, tlv(0x30, enumerated(2),
                    tlv(0x30, octets("description"), tlv(0x31, octets("x"))))));
            case 0x6C -> tlv(0x6C, octets(dn), octets("CN=x"), tlv(0x01, new byte[]{(byte) 0xFF}));
            case 0x6E -> tlv(0x6E, octets(dn), tlv(0x30, octets("cn"), octets("x")));
            default -> throw new IllegalArgumentException("not an operation naming one object: 0x" + Integer.toHexString(operation));
        };
        return tlv(0x30, integer(messageId), request);
    }

    /** A search request message: base, subtree scope, the given filter, no attributes asked. */
    static byte[] search(int messageId, String base, byte[] filter) {
        return tlv(0x30, integer(messageId), tlv(0x63, octets(base), enumerated(2), enumerated(0), integer(0), integer(0),
                tlv(0x01, new byte[]{0}), filter, tlv(0x30)));
    }
}
