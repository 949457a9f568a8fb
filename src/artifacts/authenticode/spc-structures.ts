/**
 * The Authenticode content type, from "Windows Authenticode Portable Executable Signature
 * Format". The project compiles with standard (not legacy) decorators, so asn1-schema's
 * decorators are applied as the plain functions they are.
 */
import 'reflect-metadata';
import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';

export const SPC_INDIRECT_DATA_OID = '1.3.6.1.4.1.311.2.1.4';
export const SPC_PE_IMAGE_DATA_OID = '1.3.6.1.4.1.311.2.1.15';
export const SPC_SIPINFO_OID = '1.3.6.1.4.1.311.2.1.30';
export const SPC_NESTED_SIGNATURE_OID = '1.3.6.1.4.1.311.2.4.1';
export const SPC_RFC3161_TIMESTAMP_OID = '1.3.6.1.4.1.311.3.3.1';
export const COUNTERSIGNATURE_OID = '1.2.840.113549.1.9.6';

/** SpcAttributeTypeAndOptionalValue ::= SEQUENCE { type ObjectID, value ANY OPTIONAL } */
export class SpcAttributeTypeAndOptionalValue {
  type = '';
  value?: ArrayBuffer;
}
AsnType({ type: AsnTypeTypes.Sequence })(SpcAttributeTypeAndOptionalValue);
AsnProp({ type: AsnPropTypes.ObjectIdentifier })(
  SpcAttributeTypeAndOptionalValue.prototype,
  'type',
);
AsnProp({ type: AsnPropTypes.Any, optional: true })(
  SpcAttributeTypeAndOptionalValue.prototype,
  'value',
);

/** DigestInfo ::= SEQUENCE { digestAlgorithm AlgorithmIdentifier, digest OCTET STRING } */
export class DigestInfo {
  digestAlgorithm = new AlgorithmIdentifier();
  digest = new OctetString();
}
AsnType({ type: AsnTypeTypes.Sequence })(DigestInfo);
AsnProp({ type: AlgorithmIdentifier })(DigestInfo.prototype, 'digestAlgorithm');
AsnProp({ type: OctetString })(DigestInfo.prototype, 'digest');

/** SpcIndirectDataContent ::= SEQUENCE { data SpcAttributeTypeAndOptionalValue, messageDigest DigestInfo } */
export class SpcIndirectDataContent {
  data = new SpcAttributeTypeAndOptionalValue();
  messageDigest = new DigestInfo();
}
AsnType({ type: AsnTypeTypes.Sequence })(SpcIndirectDataContent);
AsnProp({ type: SpcAttributeTypeAndOptionalValue })(SpcIndirectDataContent.prototype, 'data');
AsnProp({ type: DigestInfo })(SpcIndirectDataContent.prototype, 'messageDigest');
