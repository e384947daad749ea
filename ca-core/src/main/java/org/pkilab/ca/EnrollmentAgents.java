package org.pkilab.ca;

import org.pkilab.directory.model.LogonToken;
import org.pkilab.windows.WindowsError;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What the CA knows about an enrollment agent's request "on behalf of" another account: a PKCS #10 inside a CMS
 * SignedData ({@link AgentSignedRequest}), signed with the agent's Enrollment Agent certificate, whose RequesterName
 * attribute names the account the certificate is for. The checks themselves are the policy module's
 * ({@link EnrollmentAgentSignature}); this part of the {@link EnrollmentService} gathers the facts they need and says
 * whose request it is in the CA database.
 *
 * <pre>{@code
 * // CONTOSO\agent signs a request with RequesterName "CONTOSO\alice"
 * agents.agent(request, signed);        // issued by this CA? revoked? alice's account in the directory
 * EnrollmentAgents.recordedRequester(request, facts); // Requester Name CONTOSO\alice, "enrolled on behalf of ... by enrollment agent CONTOSO\agent"
 * agents.originalCaller(record, now);   // resubmitted: CONTOSO\agent again, found by its signing certificate here
 * }</pre>
 */
final class EnrollmentAgents {

    /**
     * Who the CA database records as the requester: the caller, or for an enrollment agent's request on behalf of
     * another account that account (the console's "Requester Name"), with the agent named in the disposition ({@code note}).
     */
    record Requester(String account, String dn, String note, RequestRecord.Arrival arrival) {
    }

    private static final EnrollmentAgentSignature AGENT_CHECK = new EnrollmentAgentSignature();

    private final String caName;
    private final CaDirectory directory;
    private final CaDatabase database;
    private final Supplier<X509Certificate> caCertificate;
    private final String caHostFqdn;

    EnrollmentAgents(String caName, CaDirectory directory, CaDatabase database, Supplier<X509Certificate> caCertificate,
                     String caHostFqdn) {
        this.caName = caName;
        this.directory = directory;
        this.database = database;
        this.caCertificate = caCertificate;
        this.caHostFqdn = caHostFqdn;
    }

    /** What the CA can find out about an enrollment agent's signature: its certificate in this CA's database, and the account it names. */
    EnrollmentAgentSignature.Agent agent(EnrollmentRequest request, AgentSignedRequest signed) {
        X509Certificate signer = signed.signer();
        X509Certificate ca = caCertificate.get();
        boolean issuedHere;
        try {
            signer.verify(ca.getPublicKey());
            issuedHere = signer.getIssuerX500Principal().equals(ca.getSubjectX500Principal());
        } catch (GeneralSecurityException e) {
            issuedHere = false;
        }
        boolean revoked;
        try {
            revoked = issuedHere && database.bySerial(signer.getSerialNumber()).map(r -> r.status() == RequestStatus.REVOKED).orElse(false);
        } catch (SQLException e) {
            throw new IllegalStateException("the CA database could not be read: " + e.getMessage(), e);
        }
        CaDirectory.Account target = null;
        String unmapped = null;
        String named = signed.requesterName();
        if (named != null && !named.isEmpty()) {
            CaDirectory.NamedAccount account = directory.requesterAccount(named);
            target = account.dn() == null ? null : directory.account(account.dn());
            unmapped = account.refusal();
        }
        return new EnrollmentAgentSignature.Agent(signed, request.requester().account(), request.requester().distinguishedName(),
                issuedHere, revoked, target, unmapped);
    }

    /**
     * The target is recorded only once the agent's signature passed: a refused signature (another CA's certificate, no
     * Certificate Request Agent policy, revoked) leaves the request the caller's, so that no resubmission can take it as
     * the target's own.
     */
    static Requester recordedRequester(EnrollmentRequest request, IssuanceFacts facts) {
        EnrollmentAgentSignature.Agent agent = facts.agent();
        if (agent != null && agent.onBehalfOfAnother() && agent.target() != null && facts.template() != null
                && AGENT_CHECK.check(facts).proceeds()) {
            String caller = request.requester().account();
            // the console writes DOMAIN\sAMAccountName, whatever form the agent named the account in
            String account = caller.substring(0, caller.indexOf('\\') + 1) + agent.target().samAccountName();
            return new Requester(account, agent.target().dn(), " (enrolled on behalf of " + account + " by enrollment agent "
                    + request.requester().account() + ")", RequestRecord.Arrival.ENROLLMENT_AGENT);
        }
        return new Requester(request.requester().account(), request.requester().distinguishedName(), "", request.arrival());
    }

    /**
     * Who sent a recorded request, for its resubmission: the requester, except for an enrollment agent's request recorded
     * under the account it was made on behalf of. Its caller, the agent, is the account this CA issued the signing
     * certificate to; resubmitted as the agent's, the request goes through the agent checks again (issued here, not revoked,
     * Certificate Request Agent, the template's Issuance Requirements) rather than passing as the target's own request.
     *
     * @throws CaException when the signing certificate is none this CA issued: the agent cannot be known, so the request
     *                     cannot be checked again
     */
    LogonToken originalCaller(RequestRecord r, Instant now) {
        String account = r.requester();
        String dn = r.requesterDn();
        byte[] der = r.csr();
        if (AgentSignedRequest.isSignedData(der)) {
            AgentSignedRequest signed = AgentSignedRequest.parse(der, r.requester()).request();
            String named = signed == null ? null : signed.requesterName();
            if (named != null && !named.isEmpty() && dn.equalsIgnoreCase(String.valueOf(directory.requesterAccount(named).dn()))) {
                byte[] signer = encoded(signed.signer());
                Optional<RequestRecord> agentCertificate;
                try {
                    agentCertificate = database.bySerial(signed.signer().getSerialNumber())
                            .filter(c -> c.certificate() != null && Arrays.equals(c.certificate(), signer));
                } catch (SQLException e) {
                    throw new IllegalStateException("the CA database could not be read: " + e.getMessage(), e);
                }
                if (agentCertificate.isEmpty()) {
                    throw new CaException(Decision.deny(WindowsError.CERT_E_UNTRUSTEDROOT, "request " + r.requestId() + " was signed on behalf of "
                                    + account + " with a certificate " + caName + " did not issue (" + signed.signer().getSubjectX500Principal().getName()
                                    + "), so the enrollment agent who sent it cannot be checked again",
                            "have the enrollment agent send a new request signed with an Enrollment Agent certificate " + caName + " issued"));
                }
                account = agentCertificate.get().requester();
                dn = agentCertificate.get().requesterDn();
            }
        }
        return new LogonToken(account, dn, directory.account(dn).sid(), List.of(), now, caHostFqdn);
    }

    private static byte[] encoded(X509Certificate certificate) {
        try {
            return certificate.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            return new byte[0];
        }
    }
}
