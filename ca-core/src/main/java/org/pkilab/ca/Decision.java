package org.pkilab.ca;

import org.pkilab.windows.WindowsError;

/**
 * What one policy step decided, explaining itself: go on, hold the request for a certificate manager,
 * or refuse with an AD CS error and a sentence naming the host, the template, the right or setting,
 * and what to change.
 *
 * <pre>{@code
 * Decision.deny(WindowsError.CERTSRV_E_TEMPLATE_DENIED,
 *         "CONTOSO\\IIS01$ holds no Enroll right on 'ConfigMgr Web Server Certificate'; groups in its token: ...",
 *         "Grant Enroll to a group IIS01 is in, then restart IIS01.");
 * }</pre>
 */
public record Decision(Outcome outcome, WindowsError error, String reason, String fix) {

    public enum Outcome { CONTINUE, PENDING, DENY }

    private static final Decision CONTINUE = new Decision(Outcome.CONTINUE, null, "", "");

    public static Decision proceed() {
        return CONTINUE;
    }

    public static Decision pend(String reason) {
        return new Decision(Outcome.PENDING, null, reason, "A certificate manager approves or denies it in the CA console.");
    }

    public static Decision deny(WindowsError error, String reason, String fix) {
        return new Decision(Outcome.DENY, error, reason, fix);
    }

    public boolean proceeds() {
        return outcome == Outcome.CONTINUE;
    }

    /** The whole explanation: code, Windows' text, the lab's reason, the fix. */
    public String explain() {
        if (outcome != Outcome.DENY) {
            return reason;
        }
        return error.symbolicName() + " (" + error.code() + ")\n" + error.windowsMessage() + "\n" + reason
                + (fix == null || fix.isEmpty() ? "" : "\nTo fix: " + fix);
    }
}
