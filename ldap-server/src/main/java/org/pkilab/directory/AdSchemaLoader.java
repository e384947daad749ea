package org.pkilab.directory;

import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.ldif.LdifEntry;
import org.apache.directory.api.ldap.model.ldif.LdifReader;
import org.apache.directory.api.ldap.model.schema.registries.DefaultSchema;
import org.apache.directory.api.ldap.model.schema.registries.Schema;
import org.apache.directory.api.ldap.schema.loader.JarLdifSchemaLoader;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * ApacheDS's bundled schemas plus the Active Directory classes and attributes the lab needs, loaded
 * from {@code ad-schema.ldif} (generated from Microsoft's published AD schema, AD's own names and
 * OIDs). Entries of that file that sit under another schema ({@code cn=core}) replace the RFC
 * definition of the same OID: AD's {@code person} needs only {@code cn}, its {@code certificationAuthority}
 * is structural, its {@code organizationalUnit} may carry {@code gPLink}.
 */
final class AdSchemaLoader extends JarLdifSchemaLoader {

    static final String SCHEMA_NAME = "microsoft";
    private static final Pattern SCHEMA_OF = Pattern.compile("ou=(attributeTypes|objectClasses),cn=([^,]+),ou=schema$",
            Pattern.CASE_INSENSITIVE);

    private static final String OBJECT_IDENTIFIER_MATCH = "2.5.13.0";
    /** Attribute Type Description and Object Class Description, the syntaxes of attributeTypes and objectClasses. */
    private static final Set<String> SCHEMA_DESCRIPTIONS = Set.of("1.3.6.1.4.1.1466.115.121.1.3",
            "1.3.6.1.4.1.1466.115.121.1.37");

    private final Map<String, List<Entry>> attributeTypes = new HashMap<>();
    private final Map<String, List<Entry>> objectClasses = new HashMap<>();

    AdSchemaLoader() throws IOException, LdapException {
        super();
        addSchema(new DefaultSchema(this, SCHEMA_NAME, "uid=admin,ou=system",
                new String[]{"system", "core", "cosine", "inetorgperson"}, false));
        try (InputStream in = AdSchemaLoader.class.getResourceAsStream("ad-schema.ldif")) {
            if (in == null) {
                throw new IOException("ad-schema.ldif missing from the class path");
            }
            try (LdifReader reader = new LdifReader(in)) {
                for (LdifEntry ldif : reader) {
                    Matcher m = SCHEMA_OF.matcher(ldif.getDn().getName().replace(", ", ","));
                    if (!m.find()) {
                        throw new IOException("unexpected schema entry " + ldif.getDn());
                    }
                    Map<String, List<Entry>> target = m.group(1).equalsIgnoreCase("attributeTypes") ? attributeTypes : objectClasses;
                    target.computeIfAbsent(m.group(2).toLowerCase(), k -> new ArrayList<>()).add(ldif.getEntry());
                }
            }
        }
    }

    @Override
    public List<Entry> loadAttributeTypes(Schema... schemas) throws LdapException, IOException {
        return merge(super.loadAttributeTypes(schemas), attributeTypes, schemas);
    }

    @Override
    public List<Entry> loadObjectClasses(Schema... schemas) throws LdapException, IOException {
        return merge(super.loadObjectClasses(schemas), objectClasses, schemas);
    }

    /** ApacheDS's normalizers, with {@link QuietObjectIdentifierNormalizer} for objectIdentifierMatch. */
    @Override
    public List<Entry> loadNormalizers(Schema... schemas) throws LdapException, IOException {
        List<Entry> normalizers = super.loadNormalizers(schemas);
        for (Entry normalizer : normalizers) {
            if (OBJECT_IDENTIFIER_MATCH.equals(oidOf(normalizer))) {
                normalizer.put("m-fqcn", QuietObjectIdentifierNormalizer.class.getName());
            }
        }
        return normalizers;
    }

    /** ApacheDS's syntax checkers, with {@link SchemaDescriptionSyntaxChecker} for descriptions as AD writes them. */
    @Override
    public List<Entry> loadSyntaxCheckers(Schema... schemas) throws LdapException, IOException {
        List<Entry> checkers = super.loadSyntaxCheckers(schemas);
        for (Entry checker : checkers) {
            if (SCHEMA_DESCRIPTIONS.contains(oidOf(checker))) {
                checker.put("m-fqcn", SchemaDescriptionSyntaxChecker.class.getName());
            }
        }
        return checkers;
    }

    private static List<Entry> merge(List<Entry> loaded, Map<String, List<Entry>> ours, Schema... schemas) throws LdapException {
        List<Entry> result = new ArrayList<>(loaded);
        for (Schema schema : schemas) {
            for (Entry replacement : ours.getOrDefault(schema.getSchemaName().toLowerCase(), List.of())) {
                String oid = replacement.get("m-oid").getString();
                result.removeIf(e -> oid.equals(oidOf(e)));
                result.add(replacement);
            }
        }
        return result;
    }

    private static String oidOf(Entry entry) {
        try {
            return entry.get("m-oid").getString();
        } catch (Exception e) {
            return null;
        }
    }
}
