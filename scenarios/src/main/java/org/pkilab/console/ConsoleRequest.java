package org.pkilab.console;

import java.util.Map;

/**
 * One request as a view sees it: the method, the path, the query and form parameters (one value each), the session
 * signed in, and the console's lab and run.
 */
record ConsoleRequest(String method, String path, Map<String, String> parameters, ConsoleSession session, ConsoleContext context) {

    ConsoleRequest {
        parameters = Map.copyOf(parameters);
    }

    boolean post() {
        return method.equals("POST");
    }

    /** A parameter, or null. */
    String parameter(String name) {
        return parameters.get(name);
    }

    /** A parameter that must be there: a request without it is answered 400 naming it. */
    String required(String name) {
        String value = parameters.get(name);
        if (value == null || value.isBlank()) {
            throw new ConsoleAnswer.Refused(400, "Bad request", "The request has no '" + name + "'.");
        }
        return value;
    }

    /** A whole-number parameter that must be there (a request ID, a step number): anything else is answered 400 naming it. */
    long number(String name) {
        String value = required(name);
        try {
            return Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            throw new ConsoleAnswer.Refused(400, "Bad request", "'" + value + "' is not a number; '" + name + "' must be one.");
        }
    }
}
