import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec } from './aes-gcm-codec';
import type { CodecKeyring } from './keys';

export { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from './aes-gcm-codec';
export { CodecKeyring, loadKeyring, parseKeyList } from './keys';

/**
 * The data converter client and workers share: payloads encrypted when keys are configured,
 * the SDK's default otherwise. Codecs run outside the workflow sandbox, so workflow code is
 * unaware of them.
 */
export function dataConverterFor(keyring: CodecKeyring | undefined): DataConverter | undefined {
  return keyring ? { payloadCodecs: [new AesGcmCodec(keyring)] } : undefined;
}
