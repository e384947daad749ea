package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Attribute;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.pkilab.directory.model.CertificateMappingSettings;
import org.pkilab.directory.model.LogonToken.TokenGroup;
import org.pkilab.directory.model.SecurityIdentifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A certificate logon at the domain controller, what a SASL EXTERNAL bind over LDAPS or StartTLS asks for: the
 * client certificate of the TLS handshake is checked ({@link CertificateTrust}: NTAuth, validity, purpose,
 * revocation), mapped to an account under the DC's {@link CertificateMappingSettings} ({@link CertificateMapping},
 * KB5014754), the account must be enabled, and the certificate's issuance policies add the groups their OID objects
 * link to ({@code msDS-OIDToGroupLink}, ESC13) when the group is universal and has no members, as the KDC requires.
 *
 * <p>A refusal is AD's bind error and a second line that names the rule:
 * <pre>
 * 80090308: LdapErr: DSID-0C0906B5, comment: AcceptSecurityContext error, data 52e, v4563
 * certificate logon refused by the KDC's mapping rules: event 39: the implicit UPN mapping of 'administrator@contoso.com'
 * finds Administrator, a weak mapping, and the certificate carries no SID ...; DC01: StrongCertificateBindingEnforcement = 2 ...
 * </pre>
 * and the DC's log says the same, with the certificate and where the connection came from.
 */
final class CertificateLogon {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateLogon.class);
    private static final String AD_FAILURE = "80090308: LdapErr: DSID-0C0906B5, comment: AcceptSecurityContext error, data %s, v4563";
    /** userAccountControl ACCOUNTDISABLE. */
    private static final int ACCOUNT_DISABLE = 0x2;
    /** groupType GROUP_TYPE_UNIVERSAL_GROUP. */
    private static final int UNIVERSAL_GROUP = 0x8;

    /** The account and session a certificate logged on as, or the refusal to send. */
    record Outcome(Dn account, String mapping, List<TokenGroup> linkedGroups, String refusal) {
        boolean accepted() {
            return refusal == null;
        }
    }

    private final CoreSession admin;
    private final SchemaManager schema;
    private final DomainControllerConfig config;
    private final Supplier<CertificateMappingSettings> settings;
    private final CertificateTrust trust;
    private final CertificateMapping mapping;

    CertificateLogon(CoreSession admin, DomainControllerConfig config, Supplier<CertificateMappingSettings> settings) throws LdapException {
        this.admin = admin;
        this.schema = admin.getDirectoryService().getSchemaManager();
        this.config = config;
        this.settings = settings;
        this.trust = new CertificateTrust(admin, schema, config.names());
        this.mapping = new CertificateMapping(admin, schema, new Dn(schema, config.names().domain()), config.domainName());
    }

    /** Checks and maps the client certificate {@code chain} (leaf first) of a connection from {@code peer}. */
    Outcome logOn(List<X509Certificate> chain, String peer) throws LdapException {
        if (chain.isEmpty()) {
            return refused("52e", "certificate logon refused: the TLS handshake brought no client certificate; give the client one "
                    + "(OpenLDAP: LDAPTLS_CERT and LDAPTLS_KEY)", peer);
        }
        X509Certificate leaf = chain.get(0);
        CertificateTrust.Refusal distrust = trust.check(leaf, config.clock().instant());
        if (distrust != null) {
            return refused(distrust.data(), "certificate logon refused by the " + distrust.check() + " check: " + distrust.why(), peer);
        }
        ClientCertificate client;
        try {
            client = new ClientCertificate(leaf);
        } catch (IllegalArgumentException e) {
            return refused("52e", "certificate logon refused: the certificate " + ClientCertificate.describe(leaf) + " cannot be read: "
                    + e.getMessage() + "; enroll for a new certificate from the CA", peer);
        }
        CertificateMappingSettings now = settings.get();
        CertificateMapping.Result mapped = mapping.map(client, now);
        if (!mapped.accepted()) {
            return refused("52e", "certificate logon refused by the KDC's mapping rules: " + mapped.refusal() + ". " + config.hostName()
                    + ": " + now.describe(), peer);
        }
        Entry account = mapped.account();
        String name = config.netbiosName() + "\\" + account.get("sAMAccountName").getString();
        Attribute control = account.get("userAccountControl");
        if (control != null && (Integer.parseInt(control.getString().trim()) & ACCOUNT_DISABLE) != 0) {
            return refused("533", "certificate logon refused: " + mapped.mapping() + " finds " + name + ", which is disabled "
                    + "(userAccountControl ACCOUNTDISABLE); enable the account in Active Directory Users and Computers", peer);
        }
        List<TokenGroup> linked = linkedGroups(client);
        if (mapped.warning() != null) {
            LOG.warn("{}: certificate {} from {}: {}", config.hostName(), client, peer, mapped.warning());
        }
        LOG.info("{}: certificate logon of {} from {} by {}{}", config.hostName(), name, peer, mapped.mapping(),
                linked.isEmpty() ? "" : "; issuance policies add " + linked.stream().map(TokenGroup::name).toList());
        return new Outcome(account.getDn(), mapped.mapping(), linked, null);
    }

    private Outcome refused(String data, String why, String peer) {
        LOG.warn("{}: SASL EXTERNAL bind from {} refused: {}", config.hostName(), peer, why);
        return new Outcome(null, null, List.of(), String.format(AD_FAILURE, data) + "\n" + why);
    }

    /**
     * Why the KDC ignores a group's {@code msDS-OIDToGroupLink}, or null: the group must be universal ({@code groupType}
     * 0x8) and have no members, so that only the certificate's policy puts anyone in it.
     */
    private static String unusableLink(Entry group) throws LdapException {
        Attribute type = group.get("groupType");
        if (type == null || (Integer.parseInt(type.getString().trim()) & UNIVERSAL_GROUP) == 0) {
            return "is not a universal group (groupType " + (type == null ? "absent" : type.getString()) + "; an issuance policy "
                    + "links only to an empty universal group: change its scope in Active Directory Users and Computers)";
        }
        Attribute members = group.get("member");
        if (members != null && members.size() > 0) {
            return "has " + members.size() + " member(s) (an issuance policy links only to a group with no members: remove them)";
        }
        return null;
    }

    /**
     * The groups the certificate's issuance policies link to: each {@code msPKI-Enterprise-Oid} object under
     * {@code CN=OID,CN=Public Key Services,...} whose {@code msPKI-Cert-Template-OID} is one of the certificate's
     * policy OIDs and that has {@code msDS-OIDToGroupLink}.
     */
    private List<TokenGroup> linkedGroups(ClientCertificate client) throws LdapException {
        List<String> policies = client.issuancePolicies();
        List<TokenGroup> groups = new ArrayList<>();
        Dn oids = new Dn(schema, config.names().oid());
        if (policies.isEmpty() || !admin.exists(oids)) {
            return groups;
        }
        try (Cursor<Entry> cursor = admin.search(oids, SearchScope.ONELEVEL, FilterParser.parse(schema, "(msDS-OIDToGroupLink=*)"),
                AliasDerefMode.NEVER_DEREF_ALIASES, "msPKI-Cert-Template-OID", "msDS-OIDToGroupLink")) {
            while (cursor.next()) {
                Entry policy = cursor.get();
                Attribute oid = policy.get("msPKI-Cert-Template-OID");
                if (oid == null || !policies.contains(oid.getString())) {
                    continue;
                }
                Dn groupDn = new Dn(schema, policy.get("msDS-OIDToGroupLink").getString());
                Entry group = admin.exists(groupDn) ? admin.lookup(groupDn, "objectSid", "sAMAccountName", "groupType", "member") : null;
                String unusable = group == null || group.get("objectSid") == null ? "is no security principal"
                        : unusableLink(group);
                if (unusable != null) {
                    LOG.warn("{}: certificate {}: issuance policy {} ({}) links to {}, which {}: the KDC ignores the link",
                            config.hostName(), client, oid.getString(), policy.getDn().getName(), groupDn.getName(), unusable);
                } else {
                    Attribute sam = group.get("sAMAccountName");
                    groups.add(new TokenGroup(SecurityIdentifier.fromBytes(group.get("objectSid").getBytes()),
                            config.netbiosName() + "\\" + (sam == null ? groupDn.getRdn().getValue() : sam.getString())));
                }
            }
        } catch (LdapException e) {
            throw e;
        } catch (Exception e) {
            throw new LdapException(e);
        }
        return groups;
    }
}
