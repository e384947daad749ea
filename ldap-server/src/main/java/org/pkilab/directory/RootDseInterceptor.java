package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.CursorException;
import org.apache.directory.api.ldap.model.cursor.EmptyCursor;
import org.apache.directory.api.ldap.model.cursor.SingletonCursor;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapOtherException;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.server.core.api.entry.ClonedServerEntry;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursor;
import org.apache.directory.server.core.api.filtering.EntryFilteringCursorImpl;
import org.apache.directory.server.core.api.interceptor.BaseInterceptor;
import org.apache.directory.server.core.api.interceptor.context.FilteringOperationContext;
import org.apache.directory.server.core.api.interceptor.context.LookupOperationContext;
import org.apache.directory.server.core.api.interceptor.context.SearchOperationContext;
import org.pkilab.directory.model.DomainNames;

import java.io.IOException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * The root DSE as a Windows Server 2016 DC answers it ([MS-ADTS] 3.1.1.3.2): the entry with the empty DN that
 * every AD tool reads first, anonymously, to learn where the domain is and what the DC can do. ApacheDS builds
 * its own root DSE in its partition nexus (its partitions as {@code namingContexts}, {@code ou=system} and
 * {@code ou=schema} among them, its vendor, the controls its codec knows); this interceptor takes that entry
 * and makes it AD's. For {@code contoso.com} and DC01:
 *
 * <pre>
 * defaultNamingContext: DC=contoso,DC=com              rootDomainNamingContext: DC=contoso,DC=com
 * configurationNamingContext: CN=Configuration,DC=contoso,DC=com
 * schemaNamingContext: CN=Schema,CN=Configuration,DC=contoso,DC=com
 * subschemaSubentry: CN=Aggregate,CN=Schema,CN=Configuration,DC=contoso,DC=com   (the schema, {@link SchemaSubentryInterceptor})
 * namingContexts: the three above, and nothing of ApacheDS's
 * dnsHostName: dc01.contoso.com                        ldapServiceName: contoso.com:dc01$@CONTOSO.COM
 * serverName: CN=DC01,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,DC=contoso,DC=com
 * dsServiceName: CN=NTDS Settings,&lt;serverName&gt;
 * domainFunctionality, forestFunctionality, domainControllerFunctionality: 7 (Windows Server 2016)
 * currentTime: 20310504102030.0Z (the lab's clock)     highestCommittedUSN: grows with every write, never goes back
 * isSynchronized: TRUE                                 isGlobalCatalogReady: FALSE (the lab has no GC port)
 * </pre>
 *
 * <p>It says only what the DC does: {@code supportedControl} lists the controls ApacheDS honours that AD
 * has too (paged results, server-side sort) and persistent search, the lab's stand-in for AD's change
 * notifications; {@code supportedCapabilities} names Active Directory and the Windows versions its
 * functional level claims, and the SASL signing and sealing (1.2.840.113556.1.4.1791) of its NTLM binds;
 * {@code supportedSASLMechanisms} is GSS-SPNEGO (NTLM inside) and EXTERNAL (certificate logon, {@link ExternalBinds}), the
 * two of AD's four it implements (no GSSAPI: the lab has no Kerberos; no DIGEST-MD5); {@code supportedLDAPPolicies}
 * names the limits {@link LdapQueryPolicy} enforces. AD returns every root DSE attribute when none is asked for,
 * so this does too, for {@code *} and {@code +} alike. The attributes AD defines in no schema are the lab's
 * own operational types in {@code ad-schema.ldif}.
 */
final class RootDseInterceptor extends BaseInterceptor {

    static final String NAME = "pkilabRootDse";
    /** {@code DS_BEHAVIOR_WIN2016}, for the domain, the forest and this DC. */
    static final int WINDOWS_SERVER_2016 = 7;
    /** The site a new forest's first DC is in. */
    static final String SITE = "Default-First-Site-Name";
    /** Paged results, server-side sort request and response (ApacheDS honours them, as AD), persistent search, SD flags. */
    static final List<String> HONOURED_CONTROLS = List.of("1.2.840.113556.1.4.319", "1.2.840.113556.1.4.473",
            "1.2.840.113556.1.4.474", "2.16.840.1.113730.3.4.3",
            SdFlagsControl.OID);
    /**
     * Active Directory; Windows Server 2003, 2008, 2008 R2 and 2012 or later (what functional level 7 implies); signing
     * and sealing of SASL binds (NTLM's, {@link NtlmSaslLayer}).
     */
    static final List<String> CAPABILITIES = List.of("1.2.840.113556.1.4.800", "1.2.840.113556.1.4.1670",
            "1.2.840.113556.1.4.1791", "1.2.840.113556.1.4.1935", "1.2.840.113556.1.4.2080", "1.2.840.113556.1.4.2237");
    /** AD's names of the limits {@link LdapQueryPolicy} enforces. */
    static final List<String> POLICIES = List.of("MaxReceiveBuffer", "MaxQueryDuration", "MaxConnIdleTime");
    /** ApacheDS's root DSE attributes a Windows DC does not have. */
    private static final List<String> NOT_IN_AD = List.of("namingContexts", "supportedControl", "vendorName",
            "vendorVersion", "entryUUID");
    private static final DateTimeFormatter GENERALIZED_TIME = DateTimeFormatter.ofPattern("yyyyMMddHHmmss'.0Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final DomainControllerConfig config;
    /** The DC's update sequence ({@link AdObjectAttributes}): the USN its latest write was given. */
    private final LongSupplier highestCommittedUsn;

    RootDseInterceptor(DomainControllerConfig config, LongSupplier highestCommittedUsn) {
        super(NAME);
        this.config = config;
        this.highestCommittedUsn = highestCommittedUsn;
    }

    @Override
    public Entry lookup(LookupOperationContext ctx) throws LdapException {
        Entry entry = next(ctx);
        if (!ctx.getDn().isRootDse() || entry == null) {
            return entry;
        }
        everyAttributeUnlessNamed(ctx);
        return new ClonedServerEntry(adRootDse());
    }

    @Override
    public EntryFilteringCursor search(SearchOperationContext ctx) throws LdapException {
        if (!ctx.getDn().isRootDse() || ctx.getScope() != SearchScope.OBJECT) {
            return next(ctx);
        }
        // ApacheDS decides whether the filter matches the root DSE; the lab only changes what it holds
        boolean matched;
        try (EntryFilteringCursor apacheDs = next(ctx)) {
            matched = apacheDs.next();
        } catch (CursorException | IOException e) {
            throw new LdapOtherException("reading ApacheDS's root DSE: " + e.getMessage(), e);
        }
        if (!matched) {
            return new EntryFilteringCursorImpl(new EmptyCursor<>(), ctx, schemaManager);
        }
        everyAttributeUnlessNamed(ctx);
        return new EntryFilteringCursorImpl(new SingletonCursor<>(adRootDse()), ctx, schemaManager);
    }

    private static void everyAttributeUnlessNamed(FilteringOperationContext ctx) {
        if (ctx.isAllUserAttributes() || ctx.isAllOperationalAttributes()) {
            ctx.setAllUserAttributes(true);
            ctx.setAllOperationalAttributes(true);
        }
    }

    /** ApacheDS's root DSE made AD's, with this moment's time and update sequence number. */
    Entry adRootDse() throws LdapException {
        Entry entry = directoryService.getPartitionNexus().getRootDse(null);
        for (String attribute : NOT_IN_AD) {
            entry.removeAttributes(attribute);
        }
        DomainNames names = config.names();
        String domain = names.domain();
        String configuration = names.configuration();
        String schema = "CN=Schema," + configuration;
        String server = "CN=" + config.hostName() + ",CN=Servers,CN=" + SITE + ",CN=Sites," + configuration;
        String dnsDomain = names.dnsName();
        entry.put("namingContexts", domain, configuration, schema);
        entry.put("defaultNamingContext", domain);
        entry.put("rootDomainNamingContext", domain);
        entry.put("configurationNamingContext", configuration);
        entry.put("schemaNamingContext", schema);
        entry.put("subschemaSubentry", SchemaSubentryInterceptor.aggregateDn(config));
        entry.put("dnsHostName", config.hostName().toLowerCase(Locale.ROOT) + "." + dnsDomain);
        entry.put("ldapServiceName", dnsDomain + ":" + config.hostName().toLowerCase(Locale.ROOT) + "$@"
                + dnsDomain.toUpperCase(Locale.ROOT));
        entry.put("serverName", server);
        entry.put("dsServiceName", "CN=NTDS Settings," + server);
        for (String level : List.of("domainFunctionality", "forestFunctionality", "domainControllerFunctionality")) {
            entry.put(level, String.valueOf(WINDOWS_SERVER_2016));
        }
        entry.put("highestCommittedUSN", String.valueOf(highestCommittedUsn.getAsLong()));
        entry.put("currentTime", GENERALIZED_TIME.format(config.clock().instant()));
        entry.put("isSynchronized", "TRUE");
        entry.put("isGlobalCatalogReady", "FALSE");
        entry.put("supportedControl", HONOURED_CONTROLS.toArray(String[]::new));
        entry.put("supportedSASLMechanisms", new String[]{NtlmBinds.GSS_SPNEGO, ExternalBinds.EXTERNAL});
        entry.put("supportedCapabilities", CAPABILITIES.toArray(String[]::new));
        entry.put("supportedLDAPPolicies", POLICIES.toArray(String[]::new));
        return entry;
    }
}
