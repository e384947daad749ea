package org.pkilab.directory;

import org.apache.directory.api.ldap.model.constants.LdapSecurityConstants;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.DefaultAttribute;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.Modification;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.entry.Value;
import org.apache.directory.api.ldap.model.exception.LdapAttributeInUseException;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapUnwillingToPerformException;
import org.apache.directory.api.ldap.model.message.ResultCodeEnum;
import org.apache.directory.api.ldap.model.password.PasswordUtil;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.AddOperationContext;
import org.apache.directory.server.core.api.interceptor.context.ModifyOperationContext;
import org.apache.directory.server.core.shared.DefaultCoreSession;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.ssl.SslFilter;
import org.bouncycastle.crypto.digests.MD4Digest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The DC keeps password verifiers, never the password. Active Directory keeps an account's NT hash (the MD4 of
 * the UTF-16LE password, which NTLM checks) and Kerberos keys in {@code unicodePwd}, which no one can read. The
 * lab's DC keeps two verifiers, both made here before the entry reaches memory, the journal or a snapshot:
 * {@code userPassword} as a salted SHA-256 verifier in the {@code {SSHA256}} scheme of RFC 2307 that ApacheDS's
 * {@link PasswordUtil} makes and checks (a simple bind is checked against it by ApacheDS's own authenticator),
 * and {@code unicodePwd} as AD keeps it, the 16-byte NT hash ({@link NtlmAuthenticator} checks NTLM against it).
 *
 * <pre>
 * ldapmodify: replace: userPassword  /  userPassword: Lab-Passw0rd!
 * kept:       userPassword: {SSHA256}c2FsdGVkIGhhc2ggb2YgdGhlIHBhc3N3b3Jk...
 *             unicodePwd:   (16 bytes) MD4(UTF-16LE "Lab-Passw0rd!")
 * </pre>
 *
 * <p>A password is set by writing either attribute: {@code userPassword} with the password as it is, or
 * {@code unicodePwd} as AD takes it (MS-ADTS 3.1.1.3.1.5.1), the password in double quotes encoded UTF-16LE, and
 * then only over an encrypted connection (LDAPS or after StartTLS); on a plain one the write is refused with AD's
 * 53 (unwillingToPerform) {@code 0000001F: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM)}.
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
    static final String UNICODE_PWD = "1.2.840.113556.1.4.90";
    private static final String USER_PASSWORD = "2.5.4.35";
    static final String WILL_NOT_PERFORM = "0000001F: SvcErr: DSID-031A12D2, problem 5003 (WILL_NOT_PERFORM), data 0";

    PasswordVerifiers() {
        super(NAME);
    }

    @Override
    public void add(AddOperationContext ctx) throws LdapException {
        Entry entry = ctx.getEntry();
        SchemaManager schema = ctx.getSession().getDirectoryService().getSchemaManager();
        boolean system = SystemAccountGuard.isSystem(ctx.getSession());
        List<Attribute> kept = new ArrayList<>();
        for (Attribute attribute : new ArrayList<>(entry.getAttributes())) {
            if (SecretFilter.isSecret(attribute, schema)) {
                entry.removeAttributes(attribute.getUpId());
                kept.addAll(verifiers(attribute, system, ctx.getSession(), schema));
            }
        }
        for (Attribute attribute : kept) {
            entry.removeAttributes(attribute.getAttributeType());
            entry.put(attribute);
        }
        next(ctx);
    }

    /**
     * Keeps both verifiers in step whatever the kind of modification: a delete of either attribute (with or without
     * values: AD's change "delete the old, add the new" does not check the old one here) removes both, a replace with
     * no value too; a replace, or an add after such a delete, sets both from the one new password. An add beside a
     * password the account has is refused as AD refuses a second value of its single-valued {@code unicodePwd}, 20
     * (attributeOrValueExists); more than one password at once, 53 (unwillingToPerform). Neither changes anything.
     */
    @Override
    public void modify(ModifyOperationContext ctx) throws LdapException {
        boolean system = SystemAccountGuard.isSystem(ctx.getSession());
        SchemaManager schema = ctx.getSession().getDirectoryService().getSchemaManager();
        AttributeType userPassword = schema.getAttributeType(USER_PASSWORD);
        AttributeType unicodePwd = schema.getAttributeType(UNICODE_PWD);
        Entry before = ctx.getEntry();
        boolean hasPassword = before != null && (before.get(userPassword) != null || before.get(unicodePwd) != null);
        List<Modification> mods = new ArrayList<>();
        for (Modification mod : ctx.getModItems()) {
            Attribute written = mod.getAttribute();
            if (!SecretFilter.isSecret(written, schema)) {
                mods.add(mod);
                continue;
            }
            if (mod.getOperation() == ModificationOperation.REMOVE_ATTRIBUTE
                    || (mod.getOperation() == ModificationOperation.REPLACE_ATTRIBUTE && written.size() == 0)) {
                mods.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, new DefaultAttribute(userPassword)));
                mods.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, new DefaultAttribute(unicodePwd)));
                hasPassword = false;
                continue;
            }
            if (!system && mod.getOperation() == ModificationOperation.ADD_ATTRIBUTE && hasPassword) {
                throw new LdapAttributeInUseException(attributeOrValueExists(written.getUpId())
                        + "\n" + ctx.getDn().getName() + " has a password already: replace it, or delete the old value and add"
                        + " the new in one modify request, as AD's password change does");
            }
            for (Attribute verifier : verifiers(written, system, ctx.getSession(), schema)) {
                mods.add(new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, verifier));
            }
            hasPassword = true;
        }
        ctx.setModItems(mods);
        next(ctx);
    }

    /** AD's text for a second value of a single-valued attribute (its attribute IDs: unicodePwd 9005a, userPassword 23). */
    private static String attributeOrValueExists(String attribute) {
        String id = attribute.equalsIgnoreCase("unicodePwd") || attribute.equals(UNICODE_PWD) ? "9005a" : "23";
        return "00002083: AtrErr: DSID-03151904, #1:\n\t0: 00002083: DSID-03151904, problem 1006 (ATT_OR_VALUE_EXISTS), data 0,"
                + " Att " + id + " (" + attribute + ")";
    }

    /**
     * The verifiers to keep for the values written to one secret attribute: for a password, both the
     * {@code userPassword} verifier and the NT hash; for values the DC itself restores, the values as they are.
     */
    private static List<Attribute> verifiers(Attribute written, boolean fromTheDc, CoreSession session, SchemaManager schema)
            throws LdapException {
        AttributeType userPassword = schema.getAttributeType(USER_PASSWORD);
        AttributeType unicodePwd = schema.getAttributeType(UNICODE_PWD);
        if (!fromTheDc && written.size() != 1) {
            throw new LdapUnwillingToPerformException(ResultCodeEnum.UNWILLING_TO_PERFORM, WILL_NOT_PERFORM
                    + "\n" + written.getUpId() + " takes exactly one value, the new password; " + written.size() + " were written");
        }
        if (isType(written, UNICODE_PWD, schema)) {
            if (fromTheDc && written.size() == 1 && written.get().getBytes().length == 16) {
                return List.of(new DefaultAttribute(unicodePwd, written.get().getBytes()));
            }
            if (!confidential(session)) {
                throw new LdapUnwillingToPerformException(ResultCodeEnum.UNWILLING_TO_PERFORM, WILL_NOT_PERFORM
                        + "\nunicodePwd is written only over an encrypted connection: use LDAPS (port 636) or StartTLS");
            }
            String password = quotedPassword(written.get().getBytes());
            return List.of(new DefaultAttribute(userPassword, PasswordUtil.createStoragePassword(
                    password.getBytes(StandardCharsets.UTF_8), SCHEME)), new DefaultAttribute(unicodePwd, ntHash(password)));
        }
        List<byte[]> kept = new ArrayList<>();
        byte[] hash = null;
        for (Value value : written) {
            byte[] password = value.getBytes();
            if (fromTheDc && PasswordUtil.findAlgorithm(password) != null) {
                kept.add(password);
            } else {
                kept.add(PasswordUtil.createStoragePassword(password, SCHEME));
                hash = ntHash(new String(password, StandardCharsets.UTF_8)); // a client's one value, checked above
            }
        }
        Attribute verifiers = new DefaultAttribute(userPassword, kept.toArray(new byte[0][]));
        return hash == null ? List.of(verifiers) : List.of(verifiers, new DefaultAttribute(unicodePwd, hash));
    }

    /** The password in a unicodePwd value as AD takes it: UTF-16LE, in double quotes. */
    private static String quotedPassword(byte[] value) throws LdapException {
        String quoted = new String(value, StandardCharsets.UTF_16LE);
        if (value.length % 2 != 0 || quoted.length() < 2 || quoted.charAt(0) != '"' || quoted.charAt(quoted.length() - 1) != '"') {
            throw new LdapUnwillingToPerformException(ResultCodeEnum.UNWILLING_TO_PERFORM,
                    WILL_NOT_PERFORM + "\nunicodePwd must be the new password in double quotes,"
                            + " encoded UTF-16LE (in Python: '\"Pa$$w0rd\"'.encode('utf-16-le'))");
        }
        return quoted.substring(1, quoted.length() - 1);
    }

    /** The NT hash (NTOWFv1, MS-NLMP 3.3.1): MD4 of the password in UTF-16LE. */
    static byte[] ntHash(String password) {
        byte[] unicode = password.getBytes(StandardCharsets.UTF_16LE);
        MD4Digest md4 = new MD4Digest();
        md4.update(unicode, 0, unicode.length);
        byte[] hash = new byte[16];
        md4.doFinal(hash, 0);
        return hash;
    }

    private static boolean isType(Attribute attribute, String oid, SchemaManager schema) {
        AttributeType type = AttributeTypes.resolve(attribute.getAttributeType(), attribute.getUpId(), schema);
        return type != null && type.getOid().equals(oid);
    }

    /** Whether the request came over TLS (LDAPS, or after StartTLS); a session of the DC's own, not from the network, is. */
    private static boolean confidential(CoreSession session) {
        IoSession io = session instanceof DefaultCoreSession own ? own.getIoSession() : null;
        return io == null ? !(session instanceof DefaultCoreSession) || SystemAccountGuard.isSystem(session)
                : io.getFilterChain().get(SslFilter.class) != null;
    }

}
