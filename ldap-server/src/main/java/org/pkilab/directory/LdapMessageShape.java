package org.pkilab.directory;

/**
 * One complete LDAP message, walked once without recursion, checked against the {@link LdapQueryPolicy}
 * before ApacheDS's decoder sees it: filter depth and terms, BER depth and element count, the length and
 * components of the DNs it names. It knows where RFC 4511 puts the DNs and the filter: the message is
 * {@code SEQUENCE { messageID, protocolOp, [0] controls OPTIONAL }}, a search's filter its seventh element.
 *
 * <pre>{@code
 * LdapMessageShape shape = new LdapMessageShape(pdu, policy);
 * Refusal refusal = shape.check();  // null: pass it on; else answer refusal.resultCode() for refusal.messageId()
 * shape.costly();                  // a search the guard answers on a thread of its own
 * }</pre>
 */
final class LdapMessageShape {

    /**
     * Searches whose filter holds more terms than this are costly, answered on threads of their own. The DC answers
     * other requests on the I/O thread that read them (two thread switches an operation cost a tenth of its CPU),
     * where a search evaluating thousands of terms against every entry would hold up every connection of that thread.
     */
    static final int CHEAP_FILTER_TERMS = 32;
    /**
     * AD's matching rules the DC evaluates by reading the directory first: the in-chain rule (links of the whole
     * naming context) and the bitwise ones (the attribute's values in the search's scope). Each item becomes an OR
     * of as many terms as objects or values it selects, so one item costs as much as a long filter.
     */
    private static final java.util.Set<String> EXPANDING_RULES = java.util.Set.of(InChainFilter.IN_CHAIN,
            BitwiseFilter.BIT_AND, BitwiseFilter.BIT_OR);
    static final int PROTOCOL_ERROR = 2;
    static final int ADMIN_LIMIT_EXCEEDED = 11;

    /** Why a message is not passed on, with what is needed to answer it (message id -1: it cannot be answered). */
    record Refusal(int messageId, int operation, int resultCode, String message) {
    }

    private final byte[] pdu;
    private final LdapQueryPolicy policy;
    private int messageId = -1;
    private int operation = -1;
    private int filterTerms;
    private boolean expanding;

    LdapMessageShape(byte[] pdu, LdapQueryPolicy policy) {
        this.pdu = pdu;
        this.policy = policy;
        try {
            Element message = Element.at(pdu, 0, pdu.length);
            Element id = Element.at(pdu, message.contentStart(), message.end());
            if (id.tag() == 0x02 && id.length() >= 1 && id.length() <= 4) {
                int value = 0;
                for (int i = id.contentStart(); i < id.end(); i++) {
                    value = (value << 8) | (pdu[i] & 0xFF);
                }
                messageId = value;
                if (id.end() < message.end()) {
                    operation = Element.at(pdu, id.end(), message.end()).tag();
                }
            }
        } catch (IllegalArgumentException e) {
            messageId = -1;
        }
    }

    int messageId() {
        return Math.max(messageId, 0);
    }

    int operation() {
        return operation;
    }

    /** The terms of a search's filter, once {@link #check()} has walked it; 0 for other operations. */
    int filterTerms() {
        return filterTerms;
    }

    /**
     * Whether a search, once {@link #check()} has walked it, costs enough to be answered off the I/O thread: its
     * filter holds over {@link #CHEAP_FILTER_TERMS} terms, or an item of an in-chain or bitwise matching rule.
     */
    boolean costly() {
        return filterTerms > CHEAP_FILTER_TERMS || expanding;
    }

    Refusal check() {
        if (messageId < 0 || operation < 0) {
            return new Refusal(-1, -1, PROTOCOL_ERROR, "not an LDAP message: no message ID and operation");
        }
        try {
            Element message = Element.at(pdu, 0, pdu.length);
            Element op = Element.at(pdu, Element.at(pdu, message.contentStart(), message.end()).end(), message.end());
            String limit = switch (operation) {
                case 0x60, 0x63, 0x66, 0x68, 0x6C, 0x6E -> firstChildDn(op);
                case 0x4A -> dn("the DN to delete", op.contentStart(), op.end());
                default -> null;
            };
            if (limit == null && operation == 0x6C) {
                limit = newName(op);
            }
            if (limit == null && operation == 0x63) {
                limit = filter(op);
            }
            if (limit == null) {
                limit = berShape();
            }
            return limit == null ? null : new Refusal(messageId, operation, ADMIN_LIMIT_EXCEEDED, limit);
        } catch (IllegalArgumentException e) {
            return new Refusal(messageId, operation, PROTOCOL_ERROR, "malformed LDAP message: " + e.getMessage());
        }
    }

    /** The whole message's BER: lengths inside their parents, depth and element count within the policy. */
    private String berShape() {
        int[] ends = new int[policy.maxBerDepth() + 1];
        int depth = 0;
        int elements = 0;
        int position = 0;
        ends[0] = pdu.length;
        while (true) {
            while (depth > 0 && position == ends[depth]) {
                depth--;
            }
            if (position == pdu.length && depth == 0) {
                return null;
            }
            Element element = Element.at(pdu, position, ends[depth]);
            if (++elements > policy.maxBerElements()) {
                return "the message holds over " + policy.maxBerElements() + " BER elements, the DC's limit";
            }
            if (element.constructed()) {
                if (depth + 1 > policy.maxBerDepth()) {
                    return "the message nests deeper than " + policy.maxBerDepth() + " BER levels, the DC's limit";
                }
                ends[++depth] = element.end();
                position = element.contentStart();
            } else {
                position = element.end();
            }
        }
    }

    private String firstChildDn(Element op) {
        Element first = Element.at(pdu, op.contentStart(), op.end());
        if (operation == 0x60) { // bind: version, then name
            first = Element.at(pdu, first.end(), op.end());
        }
        String what = switch (operation) {
            case 0x60 -> "the bind DN";
            case 0x63 -> "the search base";
            default -> "the entry DN";
        };
        return dn(what, first.contentStart(), first.end());
    }

    /** A modify DN's new RDN and, when it moves the entry, its new superior: ApacheDS parses both before any check. */
    private String newName(Element modifyDn) {
        Element entry = Element.at(pdu, modifyDn.contentStart(), modifyDn.end());
        Element newRdn = Element.at(pdu, entry.end(), modifyDn.end());
        String limit = dn("the new RDN", newRdn.contentStart(), newRdn.end());
        Element deleteOld = Element.at(pdu, newRdn.end(), modifyDn.end());
        if (limit == null && deleteOld.end() < modifyDn.end()) {
            Element newSuperior = Element.at(pdu, deleteOld.end(), modifyDn.end());
            limit = dn("the new superior", newSuperior.contentStart(), newSuperior.end());
        }
        return limit;
    }

    /** A DN's length and its attribute-value pairs (RDN separators and multi-valued RDNs' '+'), escapes skipped. */
    private String dn(String what, int from, int to) {
        if (to - from > policy.maxDnLength()) {
            return what + " is " + (to - from) + " bytes long, over the DC's limit of " + policy.maxDnLength();
        }
        int components = to > from ? 1 : 0;
        for (int i = from; i < to; i++) {
            byte b = pdu[i];
            if (b == '\\') {
                i++;
            } else if (b == ',' || b == ';' || b == '+') {
                components++;
            }
        }
        if (components > policy.maxDnComponents()) {
            return what + " names " + components + " attribute-value pairs, over the DC's limit of " + policy.maxDnComponents();
        }
        return null;
    }

    /** The search filter's nesting (AND, OR, NOT) and terms; the filter is the search request's seventh element. */
    private String filter(Element search) {
        int position = search.contentStart();
        for (int i = 0; i < 6; i++) {
            position = Element.at(pdu, position, search.end()).end();
        }
        Element root = Element.at(pdu, position, search.end());
        int[] ends = new int[policy.maxFilterDepth() + 1];
        int depth = 0;
        int terms = 0;
        ends[0] = root.end();
        position = root.start();
        while (position < root.end()) {
            while (depth > 0 && position == ends[depth]) {
                depth--;
            }
            if (position >= root.end()) {
                break;
            }
            Element item = Element.at(pdu, position, ends[depth]);
            int tag = item.tag();
            if (tag == 0xA0 || tag == 0xA1 || tag == 0xA2) {
                if (depth + 1 > policy.maxFilterDepth()) {
                    return "the search filter nests AND, OR and NOT deeper than " + policy.maxFilterDepth()
                            + " levels, the DC's limit; flatten it";
                }
                ends[++depth] = item.end();
                position = item.contentStart();
            } else {
                expanding |= tag == 0xA9 && expandingRule(item);
                filterTerms = ++terms;
                if (terms > policy.maxFilterTerms()) {
                    return "the search filter holds over " + policy.maxFilterTerms() + " terms, the DC's limit; "
                            + "split the search";
                }
                position = item.end();
            }
        }
        return null;
    }

    /** Whether an extensible match ({@code [9] MatchingRuleAssertion}) names one of {@link #EXPANDING_RULES}. */
    private boolean expandingRule(Element extensible) {
        if (extensible.length() == 0) {
            return false;
        }
        Element first = Element.at(pdu, extensible.contentStart(), extensible.end());
        return first.tag() == 0x81 && EXPANDING_RULES.contains(
                new String(pdu, first.contentStart(), first.length(), java.nio.charset.StandardCharsets.US_ASCII).trim());
    }

    /** A BER element's tag and where its content lies; single-byte tags and definite lengths, as LDAP has them. */
    record Element(int start, int tag, int contentStart, int end) {

        static Element at(byte[] data, int position, int limit) {
            if (position + 2 > limit) {
                throw new IllegalArgumentException("an element is cut short at byte " + position);
            }
            int tag = data[position] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                throw new IllegalArgumentException("a multi-byte BER tag at byte " + position + ", which LDAP does not use");
            }
            int first = data[position + 1] & 0xFF;
            int lengthBytes = first < 0x80 ? 0 : first & 0x7F;
            if (first == 0x80 || lengthBytes > 4 || position + 2 + lengthBytes > limit) {
                throw new IllegalArgumentException("a BER length that LDAP does not allow at byte " + (position + 1));
            }
            long length = first < 0x80 ? first : 0;
            for (int i = 0; i < lengthBytes; i++) {
                length = (length << 8) | (data[position + 2 + i] & 0xFF);
            }
            int contentStart = position + 2 + lengthBytes;
            if (contentStart + length > limit) {
                throw new IllegalArgumentException("an element of " + length + " bytes at byte " + position
                        + " runs past its enclosing element");
            }
            return new Element(position, tag, contentStart, (int) (contentStart + length));
        }

        boolean constructed() {
            return (tag & 0x20) != 0;
        }

        int length() {
            return end - contentStart;
        }
    }
}
