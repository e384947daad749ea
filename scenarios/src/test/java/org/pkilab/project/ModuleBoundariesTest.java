package org.pkilab.project;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.importer.Location;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The module directions the design names, checked on the production classes of every module on the
 * scenarios' class path (tests, which start a DC and a CA beside a host, are left out):
 *
 * <pre>
 * pkilab-common (AD model, directory client, PKI, WindowsError, enrollment contracts)   no ApacheDS, MINA, Jetty, CA, hosts
 *     ^            ^                 ^
 * ldap-server    ca-core         client-sim, iis-sim                                     the DC knows nothing of the CA;
 * (the DC)       (the CA)        (the hosts)                                             the CA no host, lab, scenario or CLI;
 *     ^            ^                 ^                                                   the hosts reach the DC and the CA
 *     +------------+---- scenarios (lab, scenario steps, CLI) ----+                      only over the network
 * </pre>
 *
 * <p>Rules name packages, not classes, so a class that moves between packages of the same module, or a
 * new package such as {@code org.pkilab.web} (the Jetty TLS connectors the CA and IIS share), is judged
 * by where it lands. "The DC" is {@code org.pkilab.directory} and its subpackages apart from the
 * {@code model} and {@code client} that {@code pkilab-common} holds.
 */
@AnalyzeClasses(packages = "org.pkilab", importOptions = {ImportOption.DoNotIncludeTests.class, ModuleBoundariesTest.NoTestJars.class})
class ModuleBoundariesTest {

    private static final String[] APACHE_DS = {"org.apache.directory..", "org.apache.mina.."};
    private static final String[] COMMON = {"org.pkilab.directory.model..", "org.pkilab.directory.client..", "org.pkilab.pki..",
            "org.pkilab.windows..", "org.pkilab.enrollment.."};

    /** The DC's own classes, the ApacheDS side of the directory: not its model or its LDAP client. */
    private static final DescribedPredicate<JavaClass> THE_DC = resideInAPackage("org.pkilab.directory..")
            .and(DescribedPredicate.not(resideInAnyPackage("org.pkilab.directory.model..", "org.pkilab.directory.client..")))
            .as("are the DC's (org.pkilab.directory apart from .model and .client)");

    /** The ca-core test-jar and ldap-server test-jar hold test helpers that start a DC; they are tests too. */
    static final class NoTestJars implements ImportOption {
        @Override
        public boolean includes(Location location) {
            return !location.contains("-tests.jar") && !location.contains("/test-classes/");
        }
    }

    @ArchTest
    static final ArchRule hostsReachTheDcAndTheCaOnlyOverTheNetwork = noClasses()
            .that().resideInAnyPackage("org.pkilab.host..", "org.pkilab.iis..")
            .should().dependOnClassesThat().resideInAnyPackage(concat(APACHE_DS, "org.pkilab.ca..", "org.pkilab.scenario..",
                    "org.pkilab.lab..", "org.pkilab.cli.."))
            .orShould().dependOnClassesThat(THE_DC)
            .because("a computer talks to the DC over LDAP and to the CA over HTTPS, as a Windows member does; "
                    + "client-sim and iis-sim depend on pkilab-common only");

    @ArchTest
    static final ArchRule theCaKnowsNoHostLabScenarioOrCli = noClasses()
            .that().resideInAPackage("org.pkilab.ca..")
            .should().dependOnClassesThat().resideInAnyPackage(concat(APACHE_DS, "org.pkilab.host..", "org.pkilab.iis..",
                    "org.pkilab.scenario..", "org.pkilab.lab..", "org.pkilab.cli..", "org.pkilab.admin.."))
            .orShould().dependOnClassesThat(THE_DC)
            .because("the CA serves any client over its protocols and reaches the DC over LDAP; ca-core has ldap-server in test scope only");

    @ArchTest
    static final ArchRule theSharedModelCarriesNoServer = noClasses()
            .that().resideInAnyPackage(COMMON)
            .should().dependOnClassesThat().resideInAnyPackage(concat(APACHE_DS, "org.eclipse.jetty..", "org.pkilab.web..",
                    "org.pkilab.ca..", "org.pkilab.host..", "org.pkilab.iis..", "org.pkilab.scenario..", "org.pkilab.lab..",
                    "org.pkilab.cli..", "org.pkilab.admin.."))
            .orShould().dependOnClassesThat(THE_DC)
            .because("pkilab-common is what every part shares: no ApacheDS, no Jetty, and nothing of the parts that use it");

    @ArchTest
    static final ArchRule theDirectoryKnowsNothingOfTheCa = noClasses()
            .that().resideInAPackage("org.pkilab.directory..")
            .should().dependOnClassesThat().resideInAPackage("org.pkilab.ca..")
            .because("AD works without AD CS; the CA publishes itself into the directory, never the other way round");

    private static String[] concat(String[] first, String... more) {
        String[] all = java.util.Arrays.copyOf(first, first.length + more.length);
        System.arraycopy(more, 0, all, first.length, more.length);
        return all;
    }
}
