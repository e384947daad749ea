package org.pkilab.scenario;

import org.pkilab.directory.model.CertificateTemplate;
import org.pkilab.directory.model.DefaultTemplates;
import org.pkilab.directory.model.SecurityIdentifier;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The names a scenario's steps refer to, checked against what the lab will hold when they run: templates
 * (the CA's defaults, or made by a {@code duplicate template} step) and accounts ({@code Administrator},
 * {@code lab: users}, or made by a {@code create user} step), for a step's {@code user} and {@code as}.
 */
final class ScenarioReferences {

    /** Every account a fresh domain has before any scenario runs. */
    private static final List<String> BUILT_IN_USERS = List.of("Administrator");

    private ScenarioReferences() {
    }

    /**
     * Every template and user a step names must exist when it runs: a default template of the CA or one the
     * scenario duplicates; Administrator, a lab user, or one the scenario creates.
     */
    static void check(Scenario scenario, List<String> problems) {
        Set<String> templates = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        List<String> defaults = new ArrayList<>();
        for (CertificateTemplate t : DefaultTemplates.all("1.2.3", SecurityIdentifier.parse("S-1-5-21-1-2-3"))) {
            templates.add(t.name());
            templates.add(t.displayName());
            defaults.add(t.displayName());
        }
        Set<String> users = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        users.addAll(BUILT_IN_USERS);
        users.addAll(scenario.lab().users());
        for (Scenario.Step step : scenario.steps()) {
            if (step.verb() == Verb.DUPLICATE_TEMPLATE && step.text("name") != null) {
                templates.add(step.text("name"));
            }
            if (step.verb() == Verb.CREATE_USER && step.text("name") != null) {
                if (scenario.lab().users().stream().anyMatch(step.text("name")::equalsIgnoreCase)) {
                    problems.add(step.where() + ": 'create user' makes " + step.text("name") + ", whom the lab already has (lab: users, "
                            + "created before step 1); keep one of the two");
                }
                users.add(step.text("name"));
            }
        }
        for (Scenario.Step step : scenario.steps()) {
            List<String> named = new ArrayList<>();
            if (step.text("template") != null) {
                named.add(step.text("template"));
            }
            named.addAll(step.verb() == Verb.SUPERSEDE ? step.list("templates") : List.of());
            if ((step.verb() == Verb.ISSUE_TEMPLATE || step.verb() == Verb.STOP_ISSUING) && step.text("name") != null) {
                named.add(step.text("name"));
            }
            if (step.text("agent template") != null) {
                named.add(step.text("agent template"));
            }
            String client = step.verb() == Verb.CONNECT ? step.text("client certificate") : null;
            if (client != null && !client.equalsIgnoreCase("none")) {
                named.add(client);
            }
            for (String template : named) {
                if (!templates.contains(template)) {
                    problems.add(step.where() + ": template '" + template + "' is neither a default template of the CA (" + String.join(", ", defaults)
                            + ") nor made by a 'duplicate template' step of this scenario" + NearestName.hint(template, templates));
                }
            }
            for (String field : List.of("user", "as", "account", "on behalf of")) {
                String user = step.text(field);
                if (user != null && !users.contains(user)) {
                    problems.add(step.where() + ": " + (field.equals("as") ? "'as' account" : field) + " '" + user + "' is not in this lab: add it to 'lab: users' or make it with a "
                            + "'create user' step (Administrator is built in)" + NearestName.hint(user, users));
                }
            }
        }
    }
}
