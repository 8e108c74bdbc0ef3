// The reference crypto's verdicts on what keycustody-homeserver-sim publishes: fresh matrix-sdk-crypto-wasm
// OlmMachines (the crypto inside Element), fed only the homeserver's /keys/query answers, one as a new session of
// Alice who confirms her own identity (as after entering her recovery key), one as Bob. Also what matrix-js-sdk's
// secret storage sees in Alice's account data. The device keys these observers make are never uploaded.
// Usage: node verdicts.mjs URL IDENTITY_JSON  → JSON on stdout.
import { readFileSync } from "node:fs";
import { initAsync, OlmMachine, UserId, DeviceId } from "@matrix-org/matrix-sdk-crypto-wasm";
import { ServerSideSecretStorageImpl } from "matrix-js-sdk/lib/secret-storage.js";
import { Homeserver, process, AccountDataClient } from "./lib/homeserver.mjs";

const [url, identityFile] = globalThis.process.argv.slice(2);
const identity = JSON.parse(readFileSync(identityFile, "utf8"));
const ALICE = identity.alice.user_id;
const BOB = identity.bob.user_id;
await initAsync();
const hs = new Homeserver(url);

const publicKey = (json) => Object.values(JSON.parse(json).keys)[0];

async function observer(userId, token, users) {
    const machine = await OlmMachine.initialize(new UserId(userId), new DeviceId("OBSERVER" + Math.floor(Math.random() * 1e9)));
    await machine.updateTrackedUsers(users.map((u) => new UserId(u)));
    await process(machine, hs.as(token), { uploadKeys: false });
    return machine;
}

async function devices(machine, userId) {
    const result = {};
    for (const device of (await machine.getUserDevices(new UserId(userId))).devices()) {
        if (device.deviceId.toString().startsWith("OBSERVER")) continue;
        result[device.deviceId.toString()] = {
            cross_signed_by_owner: device.isCrossSignedByOwner(),
            cross_signing_trusted: device.isCrossSigningTrusted(),
            verified: device.isVerified(),
        };
    }
    return result;
}

// As a new session of Alice that has confirmed her identity.
const asAlice = await observer(ALICE, identity.alice.token, [ALICE, BOB]);
const own = await asAlice.getIdentity(new UserId(ALICE));
const ownBefore = own.isVerified();
await own.verify();
const ownAfter = await asAlice.getIdentity(new UserId(ALICE));
const bobSeenByAlice = await asAlice.getIdentity(new UserId(BOB));

// As Bob, who never verified Alice.
const asBob = await observer(BOB, identity.bob.token, [ALICE]);
const aliceSeenByBob = await asBob.getIdentity(new UserId(ALICE));

// Secret storage as matrix-js-sdk sees it.
const storage = new ServerSideSecretStorageImpl(new AccountDataClient(hs.as(identity.alice.token), ALICE), {});
const stored = {};
for (const name of ["m.cross_signing.master", "m.cross_signing.self_signing", "m.cross_signing.user_signing"]) {
    stored[name] = (await storage.isStored(name)) !== null;
}

globalThis.process.stdout.write(JSON.stringify({
    as_alice: {
        own_identity: {
            master_key: publicKey(ownAfter.masterKey),
            verified_before_confirming: ownBefore,
            verified: ownAfter.isVerified(),
            self_signing_key: publicKey(ownAfter.selfSigningKey),
            user_signing_key: publicKey(ownAfter.userSigningKey),
        },
        own_devices: await devices(asAlice, ALICE),
        bob: { master_key: publicKey(bobSeenByAlice.masterKey), verified: bobSeenByAlice.isVerified(), devices: await devices(asAlice, BOB) },
    },
    as_bob: {
        alice: { master_key: publicKey(aliceSeenByBob.masterKey), verified: aliceSeenByBob.isVerified(), self_signing_key: publicKey(aliceSeenByBob.selfSigningKey), devices: await devices(asBob, ALICE) },
    },
    secret_storage: { default_key: await storage.getDefaultKeyId(), stored },
}, null, 2) + "\n");
