# What an AD tool built on ldap3 learns from a DC before it does anything else: the root DSE, read anonymously
# with get_info=DSA, printed as JSON. Usage: python3 rootdse.py <host> <port>
import json
import sys

from ldap3 import DSA, Connection, Server

server = Server(sys.argv[1], port=int(sys.argv[2]), get_info=DSA)
connection = Connection(server, auto_bind=True)
info = server.info
print(json.dumps({
    "other": {name: [str(v) for v in values] for name, values in info.other.items()},
    "naming_contexts": list(info.naming_contexts or []),
    "supported_controls": [c[0] for c in info.supported_controls],
    "supported_features": [f[0] for f in info.supported_features],
    "supported_ldap_versions": [str(v) for v in info.supported_ldap_versions or []],
    "supported_sasl_mechanisms": list(info.supported_sasl_mechanisms or []),
    "schema_entry": str(info.schema_entry) if info.schema_entry else None,
}, indent=1))
connection.unbind()
