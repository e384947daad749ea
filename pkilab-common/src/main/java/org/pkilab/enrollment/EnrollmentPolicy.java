package org.pkilab.enrollment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The enrollment policy the CA answers at {@code GET /.well-known/est/policy}: the CA's name and the
 * templates the caller may enroll for, the lab's stand-in for MS-XCEP's {@code GetPolicies} response.
 * The CA writes it and the computers read it with this one codec, so the two sides cannot drift apart.
 *
 * <pre>{@code
 * {"ca":"contoso-CA","templates":[{"name":"WebServer","displayName":"Web Server", ... }]}
 * }</pre>
 */
public record EnrollmentPolicy(String ca, List<EnrollableTemplate> templates) {

    /** The policy's media type. */
    public static final String MEDIA_TYPE = "application/json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public EnrollmentPolicy {
        templates = List.copyOf(templates);
    }

    /** The policy as the CA sends it, UTF-8 JSON with a final line break. */
    public byte[] toJson() {
        ObjectNode root = JSON.createObjectNode().put("ca", ca);
        ArrayNode list = root.putArray("templates");
        for (EnrollableTemplate t : templates) {
            ObjectNode o = list.addObject()
                    .put("name", t.name())
                    .put("displayName", t.displayName())
                    .put("oid", t.oid())
                    .put("schemaVersion", t.schemaVersion())
                    .put("subjectSuppliedInRequest", t.subjectSuppliedInRequest())
                    .put("minimalKeySize", t.minimalKeySize())
                    .put("keyAlgorithm", t.keyAlgorithmName())
                    .put("exportableKey", t.exportableKey())
                    .put("requiresApproval", t.requiresApproval())
                    .put("keyStorage", t.usesCng() ? "CNG" : "CSP")
                    .put("autoenroll", t.autoenroll())
                    .put("machine", t.machine())
                    .put("renewalPeriodSeconds", t.renewalPeriod().getSeconds());
            t.extendedKeyUsages().forEach(o.putArray("extendedKeyUsages")::add);
            t.supersedes().forEach(o.putArray("supersedes")::add);
        }
        try {
            return (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the enrollment policy: " + e.getMessage(), e);
        }
    }

    /**
     * Reads a policy the CA sent.
     *
     * @throws IllegalArgumentException naming what is missing or malformed
     */
    public static EnrollmentPolicy fromJson(byte[] json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("the enrollment policy is not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.path("templates").isArray()) {
            throw new IllegalArgumentException("the enrollment policy has no \"templates\" list");
        }
        List<EnrollableTemplate> templates = new ArrayList<>();
        for (JsonNode t : root.get("templates")) {
            templates.add(new EnrollableTemplate(text(t, "name"), text(t, "displayName"), t.path("oid").asText(""),
                    t.path("schemaVersion").asInt(1), t.path("subjectSuppliedInRequest").asBoolean(), t.path("minimalKeySize").asInt(),
                    t.path("keyAlgorithm").asText("RSA"), t.path("exportableKey").asBoolean(), t.path("requiresApproval").asBoolean(),
                    "CNG".equals(t.path("keyStorage").asText()), t.path("autoenroll").asBoolean(), t.path("machine").asBoolean(),
                    Duration.ofSeconds(t.path("renewalPeriodSeconds").asLong(0)),
                    strings(t.path("extendedKeyUsages")), strings(t.path("supersedes"))));
        }
        return new EnrollmentPolicy(root.path("ca").asText(""), templates);
    }

    private static String text(JsonNode template, String field) {
        JsonNode value = template.get(field);
        if (value == null || !value.isTextual()) {
            throw new IllegalArgumentException("a template of the enrollment policy has no \"" + field + "\"");
        }
        return value.asText();
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.asText()));
        return values;
    }
}
