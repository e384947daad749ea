package org.pkilab.directory.model;

/**
 * The well-known relative ids ([MS-DTYP] 2.4.2.4) a fresh domain gives its built-in accounts and
 * groups. Accounts created later get RIDs from {@link #FIRST_USER_RID} on.
 */
public final class RelativeIds {
    public static final int ADMINISTRATOR = 500;
    public static final int KRBTGT = 502;
    public static final int DOMAIN_ADMINS = 512;
    public static final int DOMAIN_USERS = 513;
    public static final int DOMAIN_COMPUTERS = 515;
    public static final int DOMAIN_CONTROLLERS = 516;
    public static final int CERT_PUBLISHERS = 517;
    public static final int SCHEMA_ADMINS = 518;
    public static final int ENTERPRISE_ADMINS = 519;
    public static final int FIRST_USER_RID = 1103;

    private RelativeIds() {
    }
}
