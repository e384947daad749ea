package org.pkilab.host;

/**
 * Who enrolls on a computer: the computer itself ("Local system": its logon token, {@code LocalMachine\My}) or a
 * logged-on user (their token, {@code CurrentUser\My}).
 *
 * @param authorization the {@code Authorization} header EST requests carry ({@code Bearer} and the logon token)
 */
record Enrollee(String authorization, CertificateStore store, String label) {
}
