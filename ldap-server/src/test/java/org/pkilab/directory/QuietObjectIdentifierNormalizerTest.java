package org.pkilab.directory;

import org.apache.directory.api.ldap.model.exception.LdapException;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.api.ldap.model.schema.normalizers.ObjectIdentifierNormalizer;
import org.apache.directory.api.ldap.schema.manager.impl.DefaultSchemaManager;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class QuietObjectIdentifierNormalizerTest {

    private static SchemaManager schema;
    private static ObjectIdentifierNormalizer apacheDs;

    @BeforeAll
    static void loadTheAdSchema() throws Exception {
        schema = new DefaultSchemaManager(new AdSchemaLoader());
        assertTrue(schema.loadAllEnabled(), () -> "AD schema does not load: " + schema.getErrors());
        apacheDs = new ObjectIdentifierNormalizer();
        apacheDs.setSchemaManager(schema);
    }

    @Test
    void objectClassValuesAreNormalizedByTheQuietNormalizer() throws LdapException {
        assertInstanceOf(QuietObjectIdentifierNormalizer.class,
                schema.lookupAttributeTypeRegistry("objectClass").getEquality().getNormalizer());
        assertEquals("1.2.840.113556.1.3.30", schema.lookupAttributeTypeRegistry("objectClass").getEquality().getNormalizer()
                .normalize("Computer"), "AD's computer class");
    }

    @Test
    void answersAsApacheDsDoesForNamesOidsAndUnknownDescriptors() throws LdapException {
        QuietObjectIdentifierNormalizer quiet = new QuietObjectIdentifierNormalizer();
        quiet.setSchemaManager(schema);
        for (String value : List.of("computer", "  pKICertificateTemplate ", "TOP", "cn", "sAMAccountName", "1.3.6.1.5.5.7.3.2",
                "2.5.4.3", "notInTheSchema", "not-in_the-schema2", "", "   ", "caseIgnoreMatch", "1.3.6.1.4.1.1466.115.121.1.15")) {
            assertEquals(apacheDs.normalize(value), quiet.normalize(value), "normalizing '" + value + "'");
        }
    }

    @Test
    void refusesWhatApacheDsRefuses() {
        QuietObjectIdentifierNormalizer quiet = new QuietObjectIdentifierNormalizer();
        quiet.setSchemaManager(schema);
        for (String value : List.of("1computer", "com puter", "comp*uter", "-x")) {
            assertThrows(LdapException.class, () -> apacheDs.normalize(value), "ApacheDS on '" + value + "'");
            LdapException e = assertThrows(LdapException.class, () -> quiet.normalize(value), "quiet on '" + value + "'");
            assertTrue(e.getMessage().contains(value), e.getMessage());
        }
    }
}
