package org.pkilab.host;

import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.http.HttpField;
import org.pkilab.enrollment.EnrollmentException;
import org.pkilab.enrollment.EstTransport;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The way a lab computer's EST requests travel: its {@link LabHttp} client, so names resolve in the lab network,
 * the CA's certificate is checked against what the computer trusts, and the TLS handshakes count in its timings.
 * A request that never gets an answer fails with the computer's name and, when TLS refused the CA, Windows' chain
 * error ({@code 0x800B0109 CERT_E_UNTRUSTEDROOT}).
 */
final class LabEstTransport implements EstTransport {

    private final String hostName;
    private final Supplier<LabHttp.Client> client;

    /** {@code client}: asked for on each request, since a computer makes a new one at each boot. */
    LabEstTransport(String hostName, Supplier<LabHttp.Client> client) {
        this.hostName = hostName;
        this.client = client;
    }

    @Override
    public Response exchange(EstTransport.Request call) {
        try {
            var request = client.get().newRequest(call.url()).method(call.method()).timeout(30, TimeUnit.SECONDS);
            if (call.authorization() != null) {
                request.headers(h -> h.put("Authorization", call.authorization()));
            }
            if (call.body() != null) {
                request.body(new BytesRequestContent(call.contentType(), call.body()));
            }
            ContentResponse response = request.send();
            Map<String, String> headers = new LinkedHashMap<>();
            for (HttpField field : response.getHeaders()) {
                headers.putIfAbsent(field.getName(), field.getValue());
            }
            return new Response(response.getStatus(), headers, response.getContent());
        } catch (Exception e) {
            TrustFailure failure = LabHttp.trustFailure(e);
            throw new EnrollmentException(0, failure == null ? null : failure.reason(),
                    hostName + " cannot reach " + call.url() + ": " + (failure == null ? LabHttp.rootCause(e) : failure.getMessage()));
        }
    }
}
