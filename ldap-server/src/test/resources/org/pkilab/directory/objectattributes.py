# AD's object attributes as a tool built on ldap3 reads and writes them, one operation a run, printed as JSON;
# every value is given in hex (objectGUID, objectSid and tokenGroups are binary).
# Usage: python3 objectattributes.py <host> <port> <bind DN> <password> <operation> ...
#   read <dn> <attribute>...            a base-scope search, as AD computes tokenGroups only for one
#   search <base> <filter> <attribute>... a subtree search
#   modify <dn> add|delete|replace <attribute> <value>...
#   add <dn> <attribute>=<value>...
#   delete <dn>
import json
import sys

from ldap3 import BASE, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, NONE, SCHEMA, SUBTREE, Connection, Server

host, port, user, password, operation = sys.argv[1:6]
args = sys.argv[6:]
# The root DSE's attributes are in no schema, on AD as here, so ldap3 (which checks names against the schema it
# loaded) reads them only without one, as its get_info=DSA does.
root_dse = operation == "read" and args[0] == ""
connection = Connection(Server(host, port=int(port), get_info=NONE if root_dse else SCHEMA), user=user, password=password,
                        auto_bind=True)


def entries():
    return [{"dn": e["dn"], "attributes": {name: [v.hex() for v in values] for name, values in e["raw_attributes"].items()}}
            for e in connection.response if e["type"] == "searchResEntry"]


if operation in ("read", "search"):
    base, rest = args[0], args[1:]
    search_filter, attributes = ("(objectClass=*)", rest) if operation == "read" else (rest[0], rest[1:])
    connection.search(base, search_filter, BASE if operation == "read" else SUBTREE, attributes=attributes or ["*"])
    print(json.dumps({"result": connection.result["result"], "message": connection.result["message"], "entries": entries()}))
elif operation == "modify":
    dn, kind, attribute, values = args[0], args[1], args[2], args[3:]
    kinds = {"add": MODIFY_ADD, "delete": MODIFY_DELETE, "replace": MODIFY_REPLACE}
    connection.modify(dn, {attribute: [(kinds[kind], values)]})
    print(json.dumps({"result": connection.result["result"], "message": connection.result["message"], "entries": []}))
elif operation == "add":
    attributes = {}
    for pair in args[1:]:
        name, value = pair.split("=", 1)
        attributes.setdefault(name, []).append(value)
    connection.add(args[0], attributes=attributes)
    print(json.dumps({"result": connection.result["result"], "message": connection.result["message"], "entries": []}))
elif operation == "delete":
    connection.delete(args[0])
    print(json.dumps({"result": connection.result["result"], "message": connection.result["message"], "entries": []}))
else:
    sys.exit("unknown operation " + operation)
connection.unbind()
