package org.pkilab.directory.model;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * A Windows security identifier (SID): the name a token, an ACL and the directory agree on.
 *
 * <p>Every account and group of a domain gets a SID made of the domain's SID and a relative id (RID):
 * {@code S-1-5-21-1004336348-1177238915-682003330-512} is the "Domain Admins" group (RID 512) of that
 * domain. Well-known principals have fixed SIDs: {@code S-1-5-11} is Authenticated Users in every
 * forest. The directory stores SIDs in {@code objectSid} in their binary form ([MS-DTYP] 2.4.2.2).
 *
 * <pre>{@code
 * SecurityIdentifier domain = SecurityIdentifier.parse("S-1-5-21-1-2-3");
 * SecurityIdentifier domainAdmins = domain.withRid(RelativeIds.DOMAIN_ADMINS); // S-1-5-21-1-2-3-512
 * }</pre>
 */
public record SecurityIdentifier(int revision, long authority, int[] subAuthorities) {

    private static final Pattern SYNTAX = Pattern.compile("S-1-\\d{1,15}(-\\d{1,10}){0,15}");

    public static final SecurityIdentifier EVERYONE = parse("S-1-1-0");
    public static final SecurityIdentifier AUTHENTICATED_USERS = parse("S-1-5-11");
    public static final SecurityIdentifier LOCAL_SYSTEM = parse("S-1-5-18");
    public static final SecurityIdentifier ENTERPRISE_DOMAIN_CONTROLLERS = parse("S-1-5-9");
    public static final SecurityIdentifier BUILTIN_ADMINISTRATORS = parse("S-1-5-32-544");

    public SecurityIdentifier {
        if (subAuthorities.length > 15) {
            throw new IllegalArgumentException("a SID has at most 15 sub-authorities: " + subAuthorities.length);
        }
        subAuthorities = subAuthorities.clone();
    }

    /** Parses the string form, {@code S-1-5-21-...}; rejects anything else with the bad value named. */
    public static SecurityIdentifier parse(String text) {
        if (text == null || !SYNTAX.matcher(text).matches()) {
            throw new IllegalArgumentException("not a SID (expected S-1-<authority>-<sub>...): " + text);
        }
        String[] parts = text.split("-");
        int[] subs = new int[parts.length - 3];
        for (int i = 0; i < subs.length; i++) {
            long value = Long.parseLong(parts[i + 3]);
            if (value > 0xFFFFFFFFL) {
                throw new IllegalArgumentException("SID sub-authority above 2^32-1: " + text);
            }
            subs[i] = (int) value;
        }
        return new SecurityIdentifier(1, Long.parseLong(parts[2]), subs);
    }

    /** Reads the binary form stored in {@code objectSid}. */
    public static SecurityIdentifier fromBytes(byte[] bytes) {
        if (bytes == null || bytes.length < 8 || bytes.length != 8 + 4 * (bytes[1] & 0xFF)) {
            throw new IllegalArgumentException("not a binary SID: " + (bytes == null ? "null" : bytes.length + " bytes"));
        }
        long authority = 0;
        for (int i = 2; i < 8; i++) {
            authority = (authority << 8) | (bytes[i] & 0xFF);
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 8, bytes.length - 8).order(ByteOrder.LITTLE_ENDIAN);
        int[] subs = new int[bytes[1] & 0xFF];
        for (int i = 0; i < subs.length; i++) {
            subs[i] = buffer.getInt();
        }
        return new SecurityIdentifier(bytes[0], authority, subs);
    }

    public byte[] toBytes() {
        ByteBuffer buffer = ByteBuffer.allocate(8 + 4 * subAuthorities.length);
        buffer.put((byte) revision).put((byte) subAuthorities.length);
        for (int shift = 40; shift >= 0; shift -= 8) {
            buffer.put((byte) (authority >>> shift));
        }
        buffer.order(ByteOrder.LITTLE_ENDIAN);
        for (int sub : subAuthorities) {
            buffer.putInt(sub);
        }
        return buffer.array();
    }

    /** The SID of the account or group with this relative id in this domain. */
    public SecurityIdentifier withRid(int rid) {
        int[] subs = Arrays.copyOf(subAuthorities, subAuthorities.length + 1);
        subs[subs.length - 1] = rid;
        return new SecurityIdentifier(revision, authority, subs);
    }

    /** The last sub-authority: the RID of a domain account. */
    public int rid() {
        return subAuthorities[subAuthorities.length - 1];
    }

    /** True when this SID is {@code domain} followed by one RID. */
    public boolean isInDomain(SecurityIdentifier domain) {
        return authority == domain.authority && subAuthorities.length == domain.subAuthorities.length + 1
                && Arrays.equals(subAuthorities, 0, domain.subAuthorities.length,
                        domain.subAuthorities, 0, domain.subAuthorities.length);
    }

    @Override
    public int[] subAuthorities() {
        return subAuthorities.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SecurityIdentifier other && revision == other.revision && authority == other.authority
                && Arrays.equals(subAuthorities, other.subAuthorities);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(authority) * 31 + Arrays.hashCode(subAuthorities);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("S-").append(revision).append('-').append(authority);
        for (int sub : subAuthorities) {
            text.append('-').append(Integer.toUnsignedLong(sub));
        }
        return text.toString();
    }
}
