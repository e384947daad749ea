package org.pkilab.directory.client;

/** The OID of the lab's logon extended operation, under the lab's own UUID-derived arc ({@code 2.25.<uuid>}). */
public final class LogonRequest {

    /** The lab's OID arc, derived from a UUID as ITU-T X.667 allows, so it needs no registration. */
    public static final String LAB_ARC = "2.25.150133429867359329530462395417462069385";
    public static final String OID = LAB_ARC + ".2.1";

    private LogonRequest() {
    }
}
