# Grants or denies Enroll on a template the way impacket's dacledit and ldap_shell write a DACL: read the DACL
# alone with the SD flags control (1.2.840.113556.1.4.801, flags 0x4), add an object ACE with SR_SECURITY_DESCRIPTOR,
# write it back under the same control (the owner stays as it is).
#   python3 dacledit.py <host> <port> <bindDn> <password> <templateDn> <allow|deny> <trusteeSid>
import sys

import ldap3
from impacket.ldap import ldaptypes
from impacket.uuid import string_to_bin
from ldap3.protocol.microsoft import security_descriptor_control

ENROLL = "0e10c968-78fb-11d2-90d4-00c04f79dc55"
host, port, bind_dn, password, template, action, trustee = sys.argv[1:8]

connection = ldap3.Connection(ldap3.Server(host, port=int(port)), user=bind_dn, password=password, auto_bind=True)
controls = security_descriptor_control(criticality=True, sdflags=0x04)
connection.search(template, "(objectClass=*)", ldap3.BASE, attributes=["nTSecurityDescriptor"], controls=controls)
sd = ldaptypes.SR_SECURITY_DESCRIPTOR(data=connection.response[0]["raw_attributes"]["nTSecurityDescriptor"][0])

ace = ldaptypes.ACE()
body = ldaptypes.ACCESS_ALLOWED_OBJECT_ACE() if action == "allow" else ldaptypes.ACCESS_DENIED_OBJECT_ACE()
ace["AceType"] = body.ACE_TYPE
ace["AceFlags"] = 0
body["Mask"] = ldaptypes.ACCESS_MASK()
body["Mask"]["Mask"] = ldaptypes.ACCESS_ALLOWED_OBJECT_ACE.ADS_RIGHT_DS_CONTROL_ACCESS
body["Flags"] = ldaptypes.ACCESS_ALLOWED_OBJECT_ACE.ACE_OBJECT_TYPE_PRESENT
body["ObjectType"] = string_to_bin(ENROLL)
body["InheritedObjectType"] = b""
body["Sid"] = ldaptypes.LDAP_SID()
body["Sid"].fromCanonical(trustee)
ace["Ace"] = body
if action == "allow":
    sd["Dacl"].aces.append(ace)
else:
    sd["Dacl"].aces.insert(0, ace)  # canonical order: explicit Deny entries first

connection.modify(template, {"nTSecurityDescriptor": [(ldap3.MODIFY_REPLACE, [sd.getData()])]}, controls=controls)
if connection.result["result"] != 0:
    raise SystemExit("writing the DACL of %s failed: %s" % (template, connection.result))
print("DACL of %s: %s Enroll for %s" % (template, action, trustee))
