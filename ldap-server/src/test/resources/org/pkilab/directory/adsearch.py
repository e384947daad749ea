# Searches the DC with python3-ldap3 as AD tooling does, bound as the given account, and prints JSON.
# Usage: python3 adsearch.py <host> <port> <user> <password> <mode> <base> [args...]
#   filters <base> <filter>...        one result per filter: LDAP result code, message, and the DNs found
#   paged <base> <filter> <size>      ldap3's paged_search: the DNs of every page, in order, and the page count
#   sorted <base> <filter> <attr>     a search with the server-side sort control: the DNs in the order returned
import json
import sys

from ldap3 import NONE, Connection, Server, SUBTREE
from ldap3.protocol.controls import build_control
from pyasn1.type import namedtype, univ

host, port, user, password, mode, base = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
# get_info=NONE: the filter reaches the DC as written; with the schema loaded, ldap3 checks names and values itself
connection = Connection(Server(host, port=port, get_info=NONE), user=user, password=password, auto_bind=True)
out = {}
if mode == 'filters':
    out = []
    for search_filter in sys.argv[7:]:
        connection.search(base, search_filter, SUBTREE, attributes=['1.1'])
        out.append({'filter': search_filter, 'result': connection.result['result'],
                    'message': connection.result['message'], 'dns': [e['dn'] for e in connection.response if e['type'] == 'searchResEntry']})
elif mode == 'paged':
    search_filter, size = sys.argv[7], int(sys.argv[8])
    pages, dns, cookie = 0, [], None
    while True:
        connection.search(base, search_filter, SUBTREE, attributes=['1.1'], paged_size=size, paged_cookie=cookie)
        pages += 1
        page = [e['dn'] for e in connection.response if e['type'] == 'searchResEntry']
        out.setdefault('page_sizes', []).append(len(page))
        dns += page
        cookie = connection.result['controls']['1.2.840.113556.1.4.319']['value']['cookie']
        if not cookie or connection.result['result'] != 0:
            break
    out.update({'result': connection.result['result'], 'pages': pages, 'dns': dns})
elif mode == 'sorted':
    search_filter, attribute = sys.argv[7], sys.argv[8]

    class SortKey(univ.Sequence):
        componentType = namedtype.NamedTypes(namedtype.NamedType('attributeType', univ.OctetString()))

    class SortKeyList(univ.SequenceOf):
        componentType = SortKey()

    keys = SortKeyList()
    key = SortKey()
    key['attributeType'] = attribute
    keys.append(key)
    # 1.2.840.113556.1.4.473, RFC 2891: the control AD's LDAP_SERVER_SORT_OID names
    connection.search(base, search_filter, SUBTREE, attributes=[attribute],
                      controls=[build_control('1.2.840.113556.1.4.473', True, keys, encode_control_value=True)])
    out = {'result': connection.result['result'], 'message': connection.result['message'],
           'dns': [e['dn'] for e in connection.response if e['type'] == 'searchResEntry'],
           'controls': sorted((connection.result.get('controls') or {}).keys())}
print(json.dumps(out, indent=1))
connection.unbind()
