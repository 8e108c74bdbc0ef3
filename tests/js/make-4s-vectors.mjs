// Writes tests/vectors/secret-storage-js-sdk.json: secret storage (4S) exactly as matrix-js-sdk writes it, for the
// unit tests of src/KeyCustody.Matrix/SecretStorage. Run: node tests/js/make-4s-vectors.mjs > tests/vectors/secret-storage-js-sdk.json
// (after `npm ci` in tests/js). The outputs include random IVs, so a new run makes different, equally valid vectors.
import { ServerSideSecretStorageImpl } from "matrix-js-sdk/lib/secret-storage.js";
import { encodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/recovery-key.js";
import { deriveRecoveryKeyFromPassphrase } from "matrix-js-sdk/lib/crypto-api/key-passphrase.js";
import { encodeUnpaddedBase64 } from "matrix-js-sdk/lib/base64.js";
import { MemoryAccountData } from "./memory-account-data.mjs";

const te = new TextEncoder();
const hex = (bytes) => Buffer.from(bytes).toString("hex");

// Seeds in the style of matrix-js-sdk's test data (32 ASCII bytes); the master seed is its own test MSK.
const seeds = {
    "m.cross_signing.master": te.encode("doyouspeakwhaaaaaaaaaaaaaaaaaale"),
    "m.cross_signing.self_signing": te.encode("selfsigningkeyselfsigningkeyself"),
    "m.cross_signing.user_signing": te.encode("usersigningkeyusersigningkeyuser"),
};

async function make(name, key, passphrase) {
    const data = new MemoryAccountData();
    const keyForId = {};
    const storage = new ServerSideSecretStorageImpl(data, {
        getSecretStorageKey: async ({ keys }) => {
            const id = Object.keys(keys)[0];
            return [id, keyForId[id]];
        },
    });
    const { keyId } = await storage.addKey("m.secret_storage.v1.aes-hmac-sha2", { key, name, passphrase }, undefined);
    keyForId[keyId] = key;
    await storage.setDefaultKeyId(keyId);
    for (const [secret, seed] of Object.entries(seeds)) {
        // Element stores the unpadded base64 of each seed (exportCrossSigningKeys()).
        await storage.store(secret, encodeUnpaddedBase64(seed), [keyId]);
    }
    return { key_id: keyId, key_hex: hex(key), account_data: data.dump() };
}

const recovery = new Uint8Array(32).map((_, i) => (i * 7 + 3) & 0xff);
const salt = "MmMsAlty";
const iterations = 1000;
const passphrase = "It's a secret to everybody";
const derived = await deriveRecoveryKeyFromPassphrase(passphrase, salt, iterations);
// The spec's own example parameters (salt MmMsAlty, 100,000 iterations, 256 bits).
const specExample = await deriveRecoveryKeyFromPassphrase(passphrase, salt, 100000, 256);

const out = {
    made_by: "matrix-js-sdk 37.5.0 (tests/js/make-4s-vectors.mjs)",
    seeds_hex: Object.fromEntries(Object.entries(seeds).map(([k, v]) => [k, hex(v)])),
    recovery_key: { recovery_key: encodeRecoveryKey(recovery), ...(await make("recovery key vector", recovery)) },
    passphrase: {
        passphrase,
        ...(await make("passphrase vector", derived, { algorithm: "m.pbkdf2", salt, iterations, bits: 256 })),
    },
    spec_example_pbkdf2: { passphrase, salt, iterations: 100000, bits: 256, key_hex: hex(specExample) },
};
process.stdout.write(JSON.stringify(out, null, 2) + "\n");
