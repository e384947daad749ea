# What an AD tool built on ldap3 learns of the DC's schema: get_info=ALL reads the root DSE, then the subschema
# subentry it names; printed as JSON with how ldap3, schema in hand, decodes an account's values.
# Usage: python3 schema.py <host> <port> <user> <password> <account DN>
import json
import sys

from ldap3 import ALL, BASE, Connection, Server

host, port, user, password, account = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
server = Server(host, port=port, get_info=ALL)
connection = Connection(server, user=user, password=password, auto_bind=True)
schema = server.schema
out = {'schema_entry': server.info.schema_entry, 'loaded': schema is not None}
if schema is not None:
    out['modify_time_stamp'] = str(schema.modify_time_stamp)
    out['attribute_types'] = {name: {'oid': t.oid, 'syntax': t.syntax, 'single_value': bool(t.single_value),
                                     'no_user_modification': bool(t.no_user_modification)}
                              for name, t in ((n, schema.attribute_types[n]) for n in schema.attribute_types)}
    out['object_classes'] = {name: {'oid': c.oid, 'superior': c.superior, 'kind': c.kind,
                                    'must': c.must_contain, 'may': c.may_contain}
                             for name, c in ((n, schema.object_classes[n]) for n in schema.object_classes)}
    connection.search(account, '(objectClass=*)', BASE, attributes=['objectSid', 'userAccountControl', 'cn'])
    entry = connection.entries[0]
    out['account'] = {'objectSid': str(entry.objectSid.value), 'userAccountControl': entry.userAccountControl.value,
                      'userAccountControl_type': type(entry.userAccountControl.value).__name__}
print(json.dumps(out, indent=1, default=str))
connection.unbind()
