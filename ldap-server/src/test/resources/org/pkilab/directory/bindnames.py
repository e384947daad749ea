# Binds to the DC with python3-ldap3 as AD tooling does: the name as typed, ldap3's default (simple) bind.
# Prints one line per name: "<result code> <name>".
import sys
from ldap3 import Server, Connection
from ldap3.core.exceptions import LDAPBindError

host, port, password = sys.argv[1], int(sys.argv[2]), sys.argv[3]
server = Server(host, port=port)
for name in sys.argv[4:]:
    try:
        Connection(server, user=name, password=password, auto_bind=True).unbind()
        print(0, name)
    except LDAPBindError:
        conn = Connection(server, user=name, password=password)
        conn.bind()
        print(conn.result['result'], name)
