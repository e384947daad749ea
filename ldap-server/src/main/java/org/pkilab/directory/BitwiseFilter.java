package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapOtherException;
import org.apache.directory.api.ldap.model.filter.EqualityNode;
import org.apache.directory.api.ldap.model.filter.ExprNode;
import org.apache.directory.api.ldap.model.filter.ExtensibleNode;
import org.apache.directory.api.ldap.model.filter.LeafNode;
import org.apache.directory.api.ldap.model.filter.OrNode;
import org.apache.directory.api.ldap.model.filter.PresenceNode;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * AD's bitwise matching rules ([MS-ADTS] 3.1.1.3.4.4.2), how every AD tool asks about flags:
 * {@code LDAP_MATCHING_RULE_BIT_AND} (1.2.840.113556.1.4.803) holds where every bit of the assertion is set in
 * the value, {@code LDAP_MATCHING_RULE_BIT_OR} (1.2.840.113556.1.4.804) where any is. With
 * {@code userAccountControl} 0x202 (NORMAL_ACCOUNT | ACCOUNTDISABLE) on a disabled user:
 *
 * <pre>
 * (userAccountControl:1.2.840.113556.1.4.803:=2)          disabled accounts
 * (userAccountControl:1.2.840.113556.1.4.803:=4098)       disabled and WORKSTATION_TRUST_ACCOUNT (0x1002): not this user
 * (userAccountControl:1.2.840.113556.1.4.804:=4098)       this user, and every computer
 * (msPKI-Certificate-Name-Flag:1.2.840.113556.1.4.803:=1) templates whose subject the request supplies
 * </pre>
 *
 * <p>AD keeps Integer attributes as signed 32-bit numbers ({@code CT_FLAG_SUBJECT_ALT_REQUIRE_UPN},
 * 0x02000000, is fine, but 0x80000000 reads back as -2147483648) and tests bits on the two's complement, so the
 * assertion may name a high bit either way: 2147483648 and -2147483648 select the same values. Both are read as
 * 64-bit two's complement numbers, which also covers Large Integer attributes.
 *
 * <p>ApacheDS has no evaluator for either rule, so the item is rewritten, before ApacheDS evaluates the filter,
 * into equality items on the values that pass the test: the distinct values the attribute has within the
 * search's own base and scope, read with the caller's session. No value passing makes the item FALSE (so its
 * negation selects the entries without the flag, and those without the attribute, as on AD); an assertion that
 * is not a number makes it Undefined; an attribute the schema lacks is left to {@link UnknownAttributeFilter}.
 */
final class BitwiseFilter {

    static final String BIT_AND = "1.2.840.113556.1.4.803";
    static final String BIT_OR = "1.2.840.113556.1.4.804";

    private BitwiseFilter() {
    }

    /** {@code filter} with each bitwise item replaced by the values, among those in the search's scope, that pass it. */
    static ExprNode withBitsTested(ExprNode filter, SearchOperationContext ctx, SchemaManager schema) throws LdapException {
        if (!ThreeValuedFilter.mentions(filter, leaf -> rule(leaf) != null)) {
            return filter;
        }
        Set<LeafNode> undefined = Collections.newSetFromMap(new IdentityHashMap<>());
        ExprNode rewritten = AdSearchFilters.rewriteItems(filter, leaf -> {
            String rule = rule(leaf);
            AttributeType type = rule == null ? null : AttributeTypes.resolve(leaf.getAttributeType(), leaf.getAttribute(), schema);
            if (type == null) {
                return leaf;
            }
            Long assertion = number(new String(((ExtensibleNode) leaf).getValue().getBytes(), StandardCharsets.UTF_8));
            if (assertion == null) {
                undefined.add(leaf);
                return leaf;
            }
            List<ExprNode> passing = new ArrayList<>();
            for (String value : values(ctx, type)) {
                Long number = number(value);
                if (number != null && (rule.equals(BIT_AND) ? (number & assertion) == assertion : (number & assertion) != 0)) {
                    passing.add(new EqualityNode<>(leaf.getAttribute(), value));
                }
            }
            return passing.isEmpty() ? ThreeValuedFilter.never(schema) : passing.size() == 1 ? passing.get(0) : new OrNode(passing);
        });
        return undefined.isEmpty() ? rewritten : ThreeValuedFilter.whereTrue(rewritten, undefined::contains, schema);
    }

    /** BIT_AND or BIT_OR for a bitwise item on a named attribute; null for any other item. */
    private static String rule(LeafNode leaf) {
        if (!(leaf instanceof ExtensibleNode item) || item.getMatchingRuleId() == null || item.getValue() == null
                || item.getAttribute() == null) {
            return null;
        }
        String rule = item.getMatchingRuleId().trim();
        return rule.equals(BIT_AND) || rule.equals(BIT_OR) ? rule : null;
    }

    /** A decimal integer as 64-bit two's complement; null if it is not one or does not fit in 64 bits. */
    private static Long number(String text) {
        try {
            BigInteger value = new BigInteger(text.trim());
            return value.bitLength() <= 64 ? value.longValue() : null;
        } catch (NumberFormatException notANumber) {
            return null;
        }
    }

    /** The distinct values {@code type} has among the entries the search could return. */
    private static Set<String> values(SearchOperationContext ctx, AttributeType type) throws LdapException {
        Set<String> values = new LinkedHashSet<>();
        try (Cursor<Entry> cursor = ctx.getSession().search(ctx.getDn(), ctx.getScope(), new PresenceNode(type),
                AliasDerefMode.NEVER_DEREF_ALIASES, type.getOid())) {
            while (cursor.next()) {
                Attribute attribute = cursor.get().get(type);
                if (attribute != null) {
                    for (Value value : attribute) {
                        values.add(value.getString());
                    }
                }
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapOtherException("reading the values of " + type.getName() + " for a bitwise match: " + e.getMessage(), e);
        }
        return values;
    }
}
