# Security descriptors as the field's tools handle them: impacket's SR_SECURITY_DESCRIPTOR, over ldap3 with the
# SD flags control (1.2.840.113556.1.4.801), as dacledit, ldap_shell and BloodHound's collectors read them.
#   python3 securitydescriptors.py build <domainSid>
#       prints the hex of a descriptor impacket builds (owner and group Domain Admins, DACL protected and
#       auto-inherited: Read for Authenticated Users, Enroll for Domain Computers, an inheritable Deny)
#   python3 securitydescriptors.py read <host> <port> <bindDn> <password> <templatesDn>
#       reads every template's nTSecurityDescriptor with the control (critical, flags 0x7) and one with
#       OWNER only, and prints what SR_SECURITY_DESCRIPTOR parses, as JSON
#   python3 securitydescriptors.py grant <host> <port> <bindDn> <password> <dn> <trusteeSid> <mask>
#       as impacket's dacledit -action write: reads the DACL alone (flags 0x4), appends an ACCESS_ALLOWED_ACE of
#       <mask> for <trusteeSid>, writes it back under the same control; prints the LDAP result as JSON
#   python3 securitydescriptors.py own <host> <port> <bindDn> <password> <dn> <ownerSid>
#       as impacket's owneredit -action write: reads the owner alone (flags 0x1), sets OwnerSid, writes it back
#       under the same control; prints the LDAP result as JSON
import binascii
import json
import sys

from impacket.ldap import ldaptypes
from impacket.uuid import bin_to_string, string_to_bin

ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55"


def sid(text):
    s = ldaptypes.LDAP_SID()
    s.fromCanonical(text)
    return s


def ace(ace_type, flags, mask, trustee, object_type=None, inherited_object_type=None):
    a = ldaptypes.ACE()
    a["AceType"] = ace_type.ACE_TYPE
    a["AceFlags"] = flags
    body = ace_type()
    body["Mask"] = ldaptypes.ACCESS_MASK()
    body["Mask"]["Mask"] = mask
    body["Sid"] = sid(trustee)
    if ace_type.ACE_TYPE in (5, 6):
        body["Flags"] = 0
        body["ObjectType"] = string_to_bin(object_type) if object_type else b""
        body["InheritedObjectType"] = string_to_bin(inherited_object_type) if inherited_object_type else b""
    a["Ace"] = body
    return a


def build(domain_sid):
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR()
    sd["Revision"] = b"\x01"
    sd["Sbz1"] = b"\x00"
    sd["Control"] = 0x8000 | 0x1000 | 0x0400 | 0x0004  # SE_SELF_RELATIVE, SE_DACL_PROTECTED, AUTO_INHERITED, PRESENT
    sd["OwnerSid"] = sid(domain_sid + "-512")
    sd["GroupSid"] = sid(domain_sid + "-512")
    sd["Sacl"] = b""
    acl = ldaptypes.ACL()
    acl["AclRevision"] = 4
    acl["Sbz1"] = 0
    acl["Sbz2"] = 0
    acl.aces = [
        ace(ldaptypes.ACCESS_ALLOWED_ACE, 0, 0x20094, "S-1-5-11"),
        ace(ldaptypes.ACCESS_ALLOWED_OBJECT_ACE, 0, 0x100, domain_sid + "-515", ENROLL),
        ace(ldaptypes.ACCESS_DENIED_OBJECT_ACE, 0x02 | 0x08, 0x20, "S-1-5-32-544",
            "bf967a86-0de6-11d0-a285-00aa003049e2", "bf967aba-0de6-11d0-a285-00aa003049e2"),
    ]
    sd["Dacl"] = acl
    print(binascii.hexlify(sd.getData()).decode())


def parsed(raw):
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR(data=raw)
    aces = []
    if sd["Dacl"] != b"":
        for a in sd["Dacl"].aces:
            body = a["Ace"]
            object_type = None
            if a["AceType"] in (5, 6) and body.hasFlag(ldaptypes.ACCESS_ALLOWED_OBJECT_ACE.ACE_OBJECT_TYPE_PRESENT):
                object_type = bin_to_string(body["ObjectType"]).lower()
            aces.append({"type": a["TypeName"], "allow": a["AceType"] in (0, 5), "flags": a["AceFlags"],
                         "mask": body["Mask"]["Mask"], "sid": body["Sid"].formatCanonical(), "objectType": object_type})
    return {"owner": sd["OwnerSid"].formatCanonical() if sd["OwnerSid"] != b"" else None,
            "group": sd["GroupSid"].formatCanonical() if sd["GroupSid"] != b"" else None,
            "control": sd["Control"], "offsets": [sd["OffsetOwner"], sd["OffsetGroup"], sd["OffsetSacl"], sd["OffsetDacl"]],
            "aces": aces}


def read(host, port, bind_dn, password, templates):
    from ldap3 import BASE, LEVEL, Connection, Server
    from ldap3.protocol.microsoft import security_descriptor_control

    connection = Connection(Server(host, port=int(port)), user=bind_dn, password=password, auto_bind=True)
    out = {"templates": {}}
    connection.search(templates, "(objectClass=pKICertificateTemplate)", LEVEL, attributes=["cn", "nTSecurityDescriptor"],
                      controls=security_descriptor_control(criticality=True, sdflags=0x07))
    if connection.result["result"] != 0:
        raise SystemExit("search with the SD flags control failed: %s" % connection.result)
    first = None
    for entry in connection.response:
        if entry.get("type") != "searchResEntry":
            continue
        name = entry["attributes"]["cn"]
        name = name[0] if isinstance(name, list) else name
        out["templates"][name] = parsed(entry["raw_attributes"]["nTSecurityDescriptor"][0])
        first = first or entry["dn"]
    connection.search(first, "(objectClass=*)", BASE, attributes=["nTSecurityDescriptor"],
                      controls=security_descriptor_control(criticality=True, sdflags=0x01))
    out["ownerOnly"] = {"dn": first, "sd": parsed(connection.response[0]["raw_attributes"]["nTSecurityDescriptor"][0])}
    print(json.dumps(out, indent=1))
    connection.unbind()


def rewrite(host, port, bind_dn, password, dn, sdflags, change):
    from ldap3 import BASE, MODIFY_REPLACE, Connection, Server
    from ldap3.protocol.microsoft import security_descriptor_control

    connection = Connection(Server(host, port=int(port)), user=bind_dn, password=password, auto_bind=True)
    controls = security_descriptor_control(sdflags=sdflags)
    connection.search(dn, "(objectClass=*)", BASE, attributes=["nTSecurityDescriptor"], controls=controls)
    sd = ldaptypes.SR_SECURITY_DESCRIPTOR(data=connection.response[0]["raw_attributes"]["nTSecurityDescriptor"][0])
    change(sd)
    connection.modify(dn, {"nTSecurityDescriptor": [(MODIFY_REPLACE, [sd.getData()])]}, controls=controls)
    print(json.dumps({"result": connection.result["result"], "message": connection.result["message"]}))
    connection.unbind()


def grant(host, port, bind_dn, password, dn, trustee, mask):
    rewrite(host, port, bind_dn, password, dn, 0x04,
            lambda sd: sd["Dacl"].aces.append(ace(ldaptypes.ACCESS_ALLOWED_ACE, 0, int(mask, 0), trustee)))


def own(host, port, bind_dn, password, dn, owner):
    def set_owner(sd):
        sd["OwnerSid"] = sid(owner)
    rewrite(host, port, bind_dn, password, dn, 0x01, set_owner)


if sys.argv[1] == "build":
    build(sys.argv[2])
elif sys.argv[1] == "grant":
    grant(*sys.argv[2:9])
elif sys.argv[1] == "own":
    own(*sys.argv[2:8])
else:
    read(*sys.argv[2:7])
