# NTLM binds to the DC as AD tooling makes them, each tool as users run it.
# Prints one line per bind: "<tool> <result code> <name> <what the bound connection saw>"; a refusal's lines are
# joined with " | ". ldap3's line ends with the result code of a write to the template named by PKILAB_TEMPLATE,
# judged by the DC as the account bound.
import os
import socket
import sys
from ldap3 import Server, Connection, NTLM, BASE, MODIFY_REPLACE
from impacket.ldap import ldap as impacket_ldap, ldapasn1
from Cryptodome.Hash import MD4

host, port, base, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
names = sys.argv[5:]

# impacket's LDAPConnection always dials port 389 for ldap://; the test DC listens on a free port, so 389 on this
# host is sent there, as a port forward would (impacket's own code is untouched)
_getaddrinfo = socket.getaddrinfo
socket.getaddrinfo = lambda h, p, *rest: _getaddrinfo(h, port if (h, p) == (host, 389) else p, *rest)


def ldap3_bind(name, secret):
    # Debian's OpenSSL 3 has no MD4, so ldap3 cannot hash a password itself; it takes "LM:NT" hashes instead,
    # which is how ldap3 is used on such systems (the wire exchange is the same)
    nt = MD4.new(secret.encode('utf-16-le')).hexdigest()
    conn = Connection(Server(host, port=port), user=name, password='aad3b435b51404eeaad3b435b51404ee:' + nt,
                      authentication=NTLM)
    conn.bind()
    if conn.result['result'] != 0:
        print('ldap3', conn.result['result'], name, ' | '.join(conn.result.get('message', '').splitlines()))
        return
    me = conn.extend.standard.who_am_i()
    conn.search(base, '(objectClass=domainDNS)', search_scope=BASE, attributes=['objectSid'])
    found = len(conn.entries)
    template = os.environ.get('PKILAB_TEMPLATE')
    if template:
        conn.modify(template, {'msPKI-Minimal-Key-Size': [(MODIFY_REPLACE, ['2048'])]})
        print('ldap3', 0, name, me, found, conn.result['result'])
    else:
        print('ldap3', 0, name, me, found)
    conn.unbind()


def impacket_bind(name, secret):
    domain, user = name.split('\\', 1)
    conn = impacket_ldap.LDAPConnection('ldap://%s' % host, base)
    try:
        conn.login(user, secret, domain)
    except impacket_ldap.LDAPSessionError as e:
        print('impacket', 49 if 'invalidCredentials' in str(e) else -1, name, ' | '.join(str(e).splitlines()))
        return
    found = conn.search(searchFilter='(sAMAccountName=%s)' % user, attributes=['distinguishedName'])
    dns = [str(item['objectName']) for item in found if isinstance(item, ldapasn1.SearchResultEntry)]
    print('impacket', 0, name, ';'.join(dns))
    conn.close()


for name in names:
    ldap3_bind(name, password)
    impacket_bind(name, password)
ldap3_bind(names[0], 'not-the-password')
impacket_bind(names[0], 'not-the-password')
