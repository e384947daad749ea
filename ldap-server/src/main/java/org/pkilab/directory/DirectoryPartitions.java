package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.exception.LdapSchemaException;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.AttributeType;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.schema.manager.impl.DefaultSchemaManager;
import org.apache.directory.server.core.DefaultDirectoryService;
import org.apache.directory.server.core.api.DnFactory;
import org.apache.directory.server.core.api.InstanceLayout;
import org.apache.directory.server.core.api.interceptor.Interceptor;
import org.apache.directory.server.core.api.partition.Partition;
import org.apache.directory.server.core.api.schema.SchemaPartition;
import org.apache.directory.server.core.partition.impl.avl.AvlPartition;
import org.apache.directory.server.core.partition.impl.btree.jdbm.JdbmIndex;
import org.apache.directory.server.core.partition.impl.btree.jdbm.JdbmPartition;
import org.apache.directory.server.core.shared.DefaultDnFactory;
import org.apache.directory.server.xdbm.impl.avl.AvlIndex;
import org.pkilab.directory.model.DomainNames;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * How a domain controller's directory is put together before it answers anyone: the AD schema, the
 * directory partitions (ApacheDS's system partition and the domain's, held in memory with the indexes AD
 * queries need), the operation chain with AD's access control in place of ApacheDS's, and the
 * {@link DirectoryStore} a lasting lab keeps the domain in (reading once, from ApacheDS's JDBM files, a data
 * folder made before the store). {@link DomainController} runs this at start-up and then serves.
 *
 * <pre>{@code
 * DirectoryPartitions partitions = new DirectoryPartitions(config, dataDirectory);
 * DefaultDirectoryService service = partitions.directoryService(schema, dnFactory,
 *         DirectoryPartitions.avl(schema, dnFactory, "system", "ou=system"), domainPartition);
 * DirectoryPartitions.wireOperationChain(service, access, store, names);  // AD's access control, password verifiers, the journal
 * service.startup();
 * }</pre>
 */
final class DirectoryPartitions {

    /** The ApacheDS partition id of the domain (its naming context, configuration included). */
    static final String DOMAIN_PARTITION = "domain";
    /**
     * The attributes AD queries by, indexed in the domain partition; objectSid and objectGUID, binary, by their bytes
     * ({@link InMemoryPartition#indexBytes}), as a {@code <SID=...>} or {@code <GUID=...>} names an object by them.
     */
    static final String[] INDEXED = {"objectClass", "cn", "sAMAccountName", "member", "dNSHostName", "userPrincipalName",
            "objectSid", "objectGUID"};
    private static final String STORE = "store";
    /**
     * ApacheDS interceptors for what an AD DC does not have: X.500 access-control items and the administrative
     * areas and subentries they live in, collective attributes, stored triggers, and ApacheDS's change log and
     * journal (both off). The lab's DC enforces AD's own security descriptors ({@link DirectoryAccessInterceptor})
     * and keeps its writes in its {@link DirectoryStore}; each of these was one more step, passing everything
     * on, in every operation's call chain.
     */
    private static final Set<String> NOT_IN_AD = Set.of("aciAuthorizationInterceptor",
            "administrativePointInterceptor", "collectiveAttributeInterceptor", "subentryInterceptor", "triggerInterceptor",
            "changeLogInterceptor", "journalInterceptor");

    private final DomainControllerConfig config;
    private final Path dataDirectory;

    DirectoryPartitions(DomainControllerConfig config, Path dataDirectory) {
        this.config = config;
        this.dataDirectory = dataDirectory;
    }

    static SchemaManager adSchema() throws Exception {
        SchemaManager schemaManager = new DefaultSchemaManager(new AdSchemaLoader());
        if (!schemaManager.loadAllEnabled() || !schemaManager.getErrors().isEmpty()) {
            StringBuilder errors = new StringBuilder();
            for (Throwable error : schemaManager.getErrors()) {
                errors.append("\n  ").append(error.getMessage());
                if (error instanceof LdapSchemaException schemaError) {
                    errors.append(' ').append(schemaError.getCode()).append(" on ").append(schemaError.getSourceObject())
                            .append(" related ").append(schemaError.getRelatedId());
                }
            }
            throw new IllegalStateException("AD schema does not load:" + errors);
        }
        return schemaManager;
    }

    /** A directory service on the DC's instance folder, with the AD schema and the domain's partition, not started. */
    DefaultDirectoryService directoryService(SchemaManager schemaManager, DnFactory dnFactory, Partition system,
                                                    Partition domain) throws Exception {
        DefaultDirectoryService directory = new DefaultDirectoryService();
        directory.setInstanceId(config.hostName());
        directory.setInstanceLayout(new InstanceLayout(dataDirectory.resolve("directory").toFile()));
        directory.setSchemaManager(schemaManager);
        directory.setDnFactory(dnFactory);
        directory.setShutdownHookEnabled(false);
        directory.setExitVmOnShutdown(false);
        directory.setAccessControlEnabled(false);
        directory.setAllowAnonymousAccess(true);
        directory.getChangeLog().setEnabled(false);
        directory.setDenormalizeOpAttrsEnabled(true);
        // ApacheDS reads LDAP requests of any size by default (its LdapServer setting is not the one the decoder reads)
        directory.setMaxPDUSize(config.queryPolicy().maxReceiveBuffer());
        // the schema lives in the SchemaManager loaded from the class path; its partition needs no disk
        SchemaPartition schemaPartition = new SchemaPartition(schemaManager);
        schemaPartition.setWrappedPartition(new AvlPartition(schemaManager, dnFactory));
        directory.setSchemaPartition(schemaPartition);
        directory.setSystemPartition(system);
        directory.addPartition(domain);
        for (Partition partition : List.of(system, domain)) {
            if (partition instanceof InMemoryPartition memory) {
                memory.readUnder(directory.getOperationManager().getRWLock().readLock());
            }
        }
        return directory;
    }

    /**
     * Puts AD's parts into ApacheDS's operation chain: the system-account guard before authentication, access
     * control and the password verifiers right after it, and the journal (when the lab lasts) last before the
     * partition.
     */
    static void wireOperationChain(DefaultDirectoryService service, DirectoryAccessInterceptor access, DirectoryStore store,
            DomainNames names) {
        List<Interceptor> chain = new ArrayList<>(service.getInterceptors());
        chain.removeIf(interceptor -> NOT_IN_AD.contains(interceptor.getName()));
        int authentication = 0;
        for (int i = 0; i < chain.size(); i++) {
            if (chain.get(i).getName().equals("authenticationInterceptor")) {
                authentication = i;
            }
        }
        // access control needs the caller authenticated; the guard must see binds, which authentication does not pass on
        chain.add(authentication + 1, access);
        // before anything keeps the entry: memory, the journal, a snapshot hold the verifier, never the password
        chain.add(authentication + 2, new PasswordVerifiers());
        chain.add(authentication, new SystemAccountGuard());
        if (store != null) {
            // last before the partition: it records each write as it was made, before anyone is told it was
            chain.add(store.recorder());
        }
        chain.add(0, new AdSearchFilters(names)); // before normalization, which drops or fails what AD reads otherwise
        service.setInterceptors(chain);
    }

    static InMemoryPartition avl(SchemaManager schema, DnFactory dnFactory, String id, String suffix, String... indexed)
            throws LdapException {
        InMemoryPartition partition = new InMemoryPartition(schema, dnFactory);
        partition.setId(id);
        partition.setSuffixDn(new Dn(schema, suffix));
        for (String attribute : indexed) {
            AttributeType type = schema.lookupAttributeTypeRegistry(attribute);
            if (type.getSyntax().isHumanReadable()) {
                partition.addIndex(new AvlIndex<>(attribute));
            } else {
                partition.indexBytes(type); // ApacheDS's index keys a value by its normalized string, which binary values lack
            }
        }
        return partition;
    }

    /**
     * The lab's kept directory; a data folder from before it, whose directory is in ApacheDS's JDBM files, is read
     * through JDBM once and kept from then on (the JDBM files stay, renamed, beside it).
     */
    DirectoryStore keptDirectory(SchemaManager schemaManager, Dn domainDn) throws Exception {
        Path folder = dataDirectory.resolve(STORE);
        DirectoryStore kept = DirectoryStore.open(folder, schemaManager, domainDn);
        Path jdbm = dataDirectory.resolve("directory").resolve("partitions");
        if (!kept.isEmpty() || !Files.isDirectory(jdbm.resolve(DOMAIN_PARTITION))) {
            return kept;
        }
        kept.checkpoint(readJdbm(jdbm));
        kept.close();
        Files.move(jdbm, jdbm.resolveSibling("partitions.replaced-by-store"), StandardCopyOption.REPLACE_EXISTING);
        return DirectoryStore.open(folder, schemaManager, domainDn);
    }

    private List<Entry> readJdbm(Path partitions) throws Exception {
        SchemaManager schema = adSchema();
        DnFactory dnFactory = new DefaultDnFactory(schema, 10_000);
        DefaultDirectoryService jdbm = directoryService(schema, dnFactory, jdbm(schema, dnFactory, "system", "ou=system", partitions),
                jdbm(schema, dnFactory, DOMAIN_PARTITION, config.names().domain(), partitions, INDEXED));
        jdbm.startup();
        try {
            return entries(jdbm, DirectoryStore.attributes());
        } finally {
            jdbm.shutdown();
        }
    }

    private static JdbmPartition jdbm(SchemaManager schema, DnFactory dnFactory, String id, String suffix, Path folder,
                                      String... indexed) throws LdapException {
        JdbmPartition partition = new JdbmPartition(schema, dnFactory);
        partition.setId(id);
        partition.setSuffixDn(new Dn(schema, suffix));
        partition.setPartitionPath(folder.resolve(id).toUri());
        for (String attribute : indexed) {
            if (schema.lookupAttributeTypeRegistry(attribute).getSyntax().isHumanReadable()) {
                partition.addIndex(new JdbmIndex<>(attribute, false)); // read once, whole: binary ones are not needed
            }
        }
        return partition;
    }

    List<Entry> entries(DefaultDirectoryService directory, String... attributes) throws Exception {
        List<Entry> entries = new ArrayList<>();
        SchemaManager schema = directory.getSchemaManager();
        Dn domain = new Dn(schema, config.names().domain());
        if (!directory.getAdminSession().exists(domain)) {
            return entries;
        }
        try (Cursor<Entry> cursor = directory.getAdminSession().search(domain, SearchScope.SUBTREE,
                FilterParser.parse(schema, "(objectClass=*)"), AliasDerefMode.NEVER_DEREF_ALIASES, attributes)) {
            while (cursor.next()) {
                entries.add(cursor.get());
            }
        }
        return entries;
    }
}
