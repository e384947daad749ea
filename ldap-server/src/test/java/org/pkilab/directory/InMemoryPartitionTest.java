package org.pkilab.directory;

import org.apache.directory.api.ldap.model.cursor.Cursor;
import org.apache.directory.api.ldap.model.entry.DefaultModification;
import org.apache.directory.api.ldap.model.entry.Entry;
import org.apache.directory.api.ldap.model.entry.ModificationOperation;
import org.apache.directory.api.ldap.model.filter.FilterParser;
import org.apache.directory.api.ldap.model.message.AliasDerefMode;
import org.apache.directory.api.ldap.model.message.SearchScope;
import org.apache.directory.api.ldap.model.name.Dn;
import org.apache.directory.api.ldap.model.schema.SchemaManager;
import org.apache.directory.server.core.api.CoreSession;
import org.junit.jupiter.api.Test;
import org.pkilab.directory.client.DirectoryAdmin;
import org.pkilab.directory.model.TemplateCompatibility;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reads of the in-memory directory while a template is rewritten again and again: every search must
 * succeed and see the template whole, before or after each write. Before {@link InMemoryPartition},
 * this failed 10 to 19 searches in 5 seconds with {@code ConcurrentModificationException} (LDAP 80 on
 * the wire), the failure that once cost an enrollment in the CA's concurrency test.
 */
class InMemoryPartitionTest {

    private static final String PASSWORD = "Lab-Passw0rd!";
    private static final long RUN_MILLIS = 4_000;

    @Test
    void searchesDuringTemplateEditsNeverFailAndNeverSeeAHalfWrittenTemplate() throws Exception {
        try (DomainController dc = DomainController.start(DomainControllerConfig.builder().administratorPassword(PASSWORD).build());
             DirectoryAdmin admin = DirectoryAdmin.connect("127.0.0.1", dc.ldapPort(), dc.names(), dc.administratorDn(), PASSWORD)) {
            String name = admin.templates().duplicate("WebServer", "Edited Often", TemplateCompatibility.WINDOWS_2003_SERVER_ENTERPRISE).name();
            CoreSession session = dc.systemSession();
            SchemaManager schema = session.getDirectoryService().getSchemaManager();
            Dn template = new Dn(schema, dc.names().template(name));
            Dn templates = new Dn(schema, dc.names().certificateTemplates());

            // a duplicate starts at revision 100, minor 0: made consistent (odd, so without a description) before anyone reads it
            session.modify(template, new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "revision", "1"),
                    new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "msPKI-Template-Minor-Revision", "1"));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger edits = new AtomicInteger();
            AtomicInteger searches = new AtomicInteger();
            List<String> failures = new ArrayList<>();
            ExecutorService threads = Executors.newFixedThreadPool(3);
            List<Future<?>> running = new ArrayList<>();
            running.add(threads.submit(() -> {
                for (int version = 2; !stop.get(); version++) {
                    // the two revision numbers change in one write, and the description comes and goes with it
                    session.modify(template,
                            new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "revision", Integer.toString(version)),
                            new DefaultModification(ModificationOperation.REPLACE_ATTRIBUTE, "msPKI-Template-Minor-Revision", Integer.toString(version)),
                            version % 2 == 0
                                    ? new DefaultModification(ModificationOperation.ADD_ATTRIBUTE, "description", "v" + version)
                                    : new DefaultModification(ModificationOperation.REMOVE_ATTRIBUTE, "description"));
                    edits.incrementAndGet();
                }
                return null;
            }));
            for (int reader = 0; reader < 2; reader++) {
                running.add(threads.submit(() -> {
                    while (!stop.get()) {
                        try (Cursor<Entry> found = session.search(templates, SearchScope.SUBTREE, FilterParser.parse(schema, "(displayName=Edited Often)"),
                                AliasDerefMode.NEVER_DEREF_ALIASES, "*")) {
                            int seen = 0;
                            while (found.next()) {
                                Entry entry = found.get();
                                seen++;
                                String major = entry.get("revision").getString();
                                String minor = entry.get("msPKI-Template-Minor-Revision").getString();
                                boolean described = entry.get("description") != null;
                                if (!major.equals(minor) || described != (Integer.parseInt(major) % 2 == 0)) {
                                    record(failures, "half-written: revision " + major + ", minor " + minor + ", description " + described);
                                }
                            }
                            if (seen != 1) {
                                record(failures, "found " + seen + " templates named Edited Often");
                            }
                            searches.incrementAndGet();
                        } catch (Exception e) {
                            record(failures, e.toString());
                        }
                    }
                    return null;
                }));
            }
            Thread.sleep(RUN_MILLIS);
            stop.set(true);
            for (Future<?> thread : running) {
                thread.get();
            }
            threads.shutdown();
            System.out.printf("InMemoryPartitionTest: %d searches during %d template edits in %d ms%n", searches.get(), edits.get(), RUN_MILLIS);
            assertTrue(edits.get() > 1000 && searches.get() > 1000, "too little ran to tell: " + edits + " edits, " + searches + " searches");
            assertEquals(List.of(), failures);
        }
    }

    private static void record(List<String> failures, String failure) {
        synchronized (failures) {
            if (failures.size() < 10) {
                failures.add(failure);
            }
        }
    }
}
