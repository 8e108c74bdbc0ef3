// Makes a cross-signing identity the way Element does, with Element's own SDKs, on keycustody-homeserver-sim:
// matrix-sdk-crypto-wasm (the crypto inside Element) bootstraps cross-signing for Alice's PHONE and for Bob, Alice's
// PHONE verifies her LAPTOP and Bob; matrix-js-sdk's ServerSideSecretStorageImpl stores the three private keys in
// Alice's secret storage (4S), with a recovery key or a passphrase (PBKDF2, Element's 500,000 iterations).
// Usage: node make-identity.mjs URL recovery|passphrase  → JSON on stdout (tokens and the 4S secret: test data).
import { initAsync, OlmMachine, UserId, DeviceId } from "@matrix-org/matrix-sdk-crypto-wasm";
import { ServerSideSecretStorageImpl } from "matrix-js-sdk/lib/secret-storage.js";
import { encodeRecoveryKey } from "matrix-js-sdk/lib/crypto-api/recovery-key.js";
import { deriveRecoveryKeyFromPassphrase } from "matrix-js-sdk/lib/crypto-api/key-passphrase.js";
import { Homeserver, process, refresh, uploadSignatures, AccountDataClient } from "./lib/homeserver.mjs";

const [url, variant] = globalThis.process.argv.slice(2);
if (!url || !["recovery", "passphrase"].includes(variant)) {
    console.error("usage: node make-identity.mjs URL recovery|passphrase");
    globalThis.process.exit(2);
}

const ALICE = "@alice:example.org";
const BOB = "@bob:example.org";
const ALICE_PASSWORD = "alice's account password";
await initAsync();
const hs = new Homeserver(url);

async function device(userId, password, deviceId) {
    const { access_token } = await hs.register(userId, password, deviceId);
    const api = hs.as(access_token);
    const machine = await OlmMachine.initialize(new UserId(userId), new DeviceId(deviceId));
    await process(machine, api);
    return { api, machine, token: access_token };
}

async function bootstrap({ api, machine }) {
    const requests = await machine.bootstrapCrossSigning(true);
    if (requests.uploadKeysRequest) {
        const r = requests.uploadKeysRequest;
        await machine.markRequestAsSent(r.id, r.type, JSON.stringify(await api.post("keys/upload", r.body)));
    }
    await api.post("keys/device_signing/upload", requests.uploadSigningKeysRequest.body);
    await uploadSignatures(api, requests.uploadSignaturesRequest);
}

const phone = await device(ALICE, ALICE_PASSWORD, "PHONE");
const laptop = await device(ALICE, ALICE_PASSWORD, "LAPTOP");
const bob = await device(BOB, "bob's password", "BOBPHONE");
await bootstrap(phone);
await bootstrap(bob);
await hs.createRoom([ALICE, BOB]);

// Alice's PHONE learns about her LAPTOP and Bob, then verifies both (as after emoji verification).
await phone.machine.updateTrackedUsers([new UserId(ALICE), new UserId(BOB)]);
await refresh(phone.machine, phone.api, [new UserId(ALICE), new UserId(BOB)]);
const laptopDevice = await phone.machine.getDevice(new UserId(ALICE), new DeviceId("LAPTOP"));
await uploadSignatures(phone.api, await laptopDevice.verify());
const bobIdentity = await phone.machine.getIdentity(new UserId(BOB));
await uploadSignatures(phone.api, await bobIdentity.verify());

// Secret storage, as Element sets up recovery: a new default key, the three private keys stored with it.
const exported = await phone.machine.exportCrossSigningKeys();
const secrets = {
    "m.cross_signing.master": exported.masterKey,
    "m.cross_signing.self_signing": exported.self_signing_key,
    "m.cross_signing.user_signing": exported.userSigningKey,
};
let key;
let opener;
let passphraseInfo;
if (variant === "recovery") {
    key = crypto.getRandomValues(new Uint8Array(32));
    opener = { recovery_key: encodeRecoveryKey(key) };
} else {
    const passphrase = "correct horse battery staple, but longer";
    const salt = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString("base64").replace(/[+/=]/g, "");
    passphraseInfo = { algorithm: "m.pbkdf2", salt, iterations: 500000, bits: 256 };
    key = await deriveRecoveryKeyFromPassphrase(passphrase, salt, 500000);
    opener = { passphrase };
}
const storage = new ServerSideSecretStorageImpl(new AccountDataClient(phone.api, ALICE), {
    getSecretStorageKey: async ({ keys }) => [Object.keys(keys)[0], key],
});
const { keyId } = await storage.addKey("m.secret_storage.v1.aes-hmac-sha2", { key, name: "Element recovery", passphrase: passphraseInfo });
await storage.setDefaultKeyId(keyId);
for (const [name, value] of Object.entries(secrets)) await storage.store(name, value, [keyId]);

globalThis.process.stdout.write(JSON.stringify({
    alice: { user_id: ALICE, token: phone.token, password: ALICE_PASSWORD },
    bob: { user_id: BOB, token: bob.token },
    secret_storage_key_id: keyId,
    ...opener,
    private_keys: secrets,
}) + "\n");
