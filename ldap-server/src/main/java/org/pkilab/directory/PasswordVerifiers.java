package org.pkilab.directory;

import org.apache.directory.api.ldap.model.constants.LdapSecurityConstants;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.password.PasswordUtil;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.constants.ServerDNConstants;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;

import java.util.ArrayList;
import java.util.List;

/**
 * The DC keeps a password verifier, never the password. Active Directory keeps an account's NT hash
 * (and Kerberos keys) in {@code unicodePwd}, which no one can read; the lab's DC turns every
 * {@code userPassword} written into a salted SHA-256 verifier, in the {@code {SSHA256}} scheme of
 * RFC 2307 that ApacheDS's {@link PasswordUtil} makes and checks, before the entry reaches memory, the
 * journal or a snapshot. A simple bind is checked against it by ApacheDS's own authenticator.
 *
 * <pre>
 * ldapmodify: replace: userPassword  /  userPassword: Lab-Passw0rd!
 * kept:       userPassword: {SSHA256}c2FsdGVkIGhhc2ggb2YgdGhlIHBhc3N3b3Jk...
 * </pre>
 *
 * <p>Why not PBKDF2 ({@code {PKCS5S2}}, which ApacheDS also offers): its 10,000 iterations cost about 5 ms
 * of CPU at every bind against about 10 &micro;s, and a lab of 10,000 computers binds at every boot; the
 * files that hold the verifiers are readable by their owner only. AD's NT hash is no slower, and unsalted.
 *
 * <p>A value that is already a verifier is kept as it is only when the DC itself writes it (a restore of a
 * snapshot, the load of its kept directory); from a client every value is a password, hashed.
 */
final class PasswordVerifiers extends BaseInterceptor {

    static final String NAME = "pkilabPasswordVerifiers";
    static final LdapSecurityConstants SCHEME = LdapSecurityConstants.HASH_METHOD_SSHA256;

    PasswordVerifiers() {
        super(NAME);
    }

    @Override
    public void add(AddOperationContext ctx) throws LdapException {
        Entry entry = ctx.getEntry();
        for (Attribute attribute : new ArrayList<>(entry.getAttributes())) {
            if (SecretFilter.isSecret(attribute, ctx.getSession().getDirectoryService().getSchemaManager())) {
                entry.removeAttributes(attribute.getUpId());
                entry.put(verifiers(attribute, isSystem(ctx.getSession()), ctx.getSession().getDirectoryService().getSchemaManager()));
            }
        }
        next(ctx);
    }

    @Override
    public void modify(ModifyOperationContext ctx) throws LdapException {
        boolean system = isSystem(ctx.getSession());
        for (Modification mod : ctx.getModItems()) {
            if (mod.getOperation() != ModificationOperation.REMOVE_ATTRIBUTE
                    && SecretFilter.isSecret(mod.getAttribute(), ctx.getSession().getDirectoryService().getSchemaManager())) {
                mod.setAttribute(verifiers(mod.getAttribute(), system, ctx.getSession().getDirectoryService().getSchemaManager()));
            }
        }
        next(ctx);
    }

    private static Attribute verifiers(Attribute passwords, boolean fromTheDc, SchemaManager schema) throws LdapException {
        List<byte[]> kept = new ArrayList<>();
        for (Value value : passwords) {
            byte[] password = value.getBytes();
            kept.add(fromTheDc && PasswordUtil.findAlgorithm(password) != null ? password : PasswordUtil.createStoragePassword(password, SCHEME));
        }
        AttributeType type = passwords.getAttributeType() != null ? passwords.getAttributeType() : schema.getAttributeType("userPassword");
        return new DefaultAttribute(type, kept.toArray(new byte[0][]));
    }

    private static boolean isSystem(CoreSession session) {
        return session.getEffectivePrincipal() != null
                && ServerDNConstants.ADMIN_SYSTEM_DN_NORMALIZED.equals(session.getEffectivePrincipal().getDn().getNormName());
    }
}
