package org.pkilab.directory;

import org.apache.directory.api.asn1.DecoderException;
import org.apache.directory.api.asn1.util.Asn1Buffer;
import org.apache.directory.api.ldap.codec.api.AbstractControlFactory;
import org.apache.directory.api.ldap.codec.api.LdapApiService;
import org.apache.directory.api.ldap.model.message.Control;
import org.apache.directory.api.ldap.model.message.controls.AbstractControl;
import org.pkilab.directory.model.SecurityDescriptor;

/**
 * AD's SD flags control, {@code LDAP_SERVER_SD_FLAGS_OID} (1.2.840.113556.1.4.801, [MS-ADTS] 3.1.1.3.4.1.11):
 * which parts of {@code nTSecurityDescriptor} a search returns or a modify replaces. Its value is
 * {@code SEQUENCE { Flags INTEGER }} with {@code OWNER_SECURITY_INFORMATION} 0x1, {@code GROUP_...} 0x2,
 * {@code DACL_...} 0x4, {@code SACL_...} 0x8; without it AD reads and writes as if the flags were 0xF.
 *
 * <p>ldap3's {@code security_descriptor_control(sdflags=0x04)} sends {@code 30 03 02 01 04}: impacket's
 * {@code dacledit} and {@code samba-tool dsacl} read the DACL alone this way and write it back under the same
 * control, leaving the owner as it was. The factory registered with ApacheDS's codec makes the server accept the
 * control marked critical (an unknown critical control is refused with unavailableCriticalExtension).
 */
final class SdFlagsControl extends AbstractControl {

    static final String OID = "1.2.840.113556.1.4.801";
    /** Every part: the flags AD assumes when the control is absent. */
    static final int ALL = SecurityDescriptor.OWNER | SecurityDescriptor.GROUP | SecurityDescriptor.DACL | SecurityDescriptor.SACL;

    private int flags = ALL;

    SdFlagsControl() {
        super(OID);
    }

    int flags() {
        return flags;
    }

    /** The flags a request asks for: the control's, or {@link #ALL} without it. */
    static int of(org.apache.directory.server.core.api.interceptor.context.OperationContext ctx) {
        Control control = ctx.getRequestControl(OID);
        return control instanceof SdFlagsControl sd ? sd.flags : ALL;
    }

    /** Teaches ApacheDS's LDAP codec the control's value. */
    static final class Factory extends AbstractControlFactory<SdFlagsControl> {

        Factory(LdapApiService codec) {
            super(codec, OID);
        }

        @Override
        public Control newControl() {
            return new SdFlagsControl();
        }

        @Override
        public void decodeValue(Control control, byte[] value) throws DecoderException {
            // SEQUENCE { INTEGER }: 30 len 02 len value, the integer at most four bytes
            if (value == null || value.length < 5 || value[0] != 0x30 || (value[1] & 0xFF) != value.length - 2
                    || value[2] != 0x02 || (value[3] & 0xFF) != value.length - 4 || value.length - 4 > 5) {
                throw new DecoderException("SD flags control (" + OID + ") value is not SEQUENCE { INTEGER }: "
                        + (value == null ? "none" : org.apache.directory.api.util.Strings.dumpBytes(value)));
            }
            long flags = value[4]; // sign-extended: BER integers are two's complement
            for (int i = 5; i < value.length; i++) {
                flags = (flags << 8) | (value[i] & 0xFF);
            }
            ((SdFlagsControl) control).flags = (int) flags & ALL;
        }

        @Override
        public void encodeValue(Asn1Buffer buffer, Control control) {
            int flags = ((SdFlagsControl) control).flags;
            byte[] value = java.math.BigInteger.valueOf(flags).toByteArray();
            buffer.put(value);
            buffer.put((byte) value.length);
            buffer.put((byte) 0x02);
            buffer.put((byte) (value.length + 2));
            buffer.put((byte) 0x30);
        }
    }
}
