// A client of keycustody-homeserver-sim for the reference SDKs: login-free registration, the client-server calls an
// OlmMachine's outgoing requests need, and the account-data client matrix-js-sdk's ServerSideSecretStorageImpl needs.
import { EventEmitter } from "node:events";
import { RequestType } from "@matrix-org/matrix-sdk-crypto-wasm";

export class Homeserver {
    constructor(url) {
        this.url = url.replace(/\/$/, "");
    }

    async register(userId, password, deviceId) {
        return await this.#call("POST", "/_keycustody_sim/v1/register", null, { user_id: userId, password, device_id: deviceId });
    }

    async createRoom(members) {
        return await this.#call("POST", "/_keycustody_sim/v1/rooms", null, { members });
    }

    as(token) {
        return {
            get: (path) => this.#call("GET", "/_matrix/client/v3/" + path, token),
            put: (path, body) => this.#call("PUT", "/_matrix/client/v3/" + path, token, body),
            post: (path, body) => this.#call("POST", "/_matrix/client/v3/" + path, token, body),
        };
    }

    async #call(method, path, token, body) {
        const response = await fetch(this.url + path, {
            method,
            headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) },
            body: body === undefined || body === null ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        });
        const json = await response.json();
        if (!response.ok) {
            const error = new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
            error.status = response.status;
            error.body = json;
            throw error;
        }
        return json;
    }
}

/** Sends what an OlmMachine wants sent, and feeds the answers back, until it wants nothing more. */
export async function process(machine, api, { uploadKeys = true } = {}) {
    for (let round = 0; round < 10; round++) {
        const requests = await machine.outgoingRequests();
        if (requests.length === 0) return;
        for (const request of requests) {
            let response = {};
            switch (request.type) {
                case RequestType.KeysUpload:
                    response = uploadKeys ? await api.post("keys/upload", request.body) : { one_time_key_counts: {} };
                    break;
                case RequestType.KeysQuery:
                    response = await api.post("keys/query", request.body);
                    break;
                case RequestType.SignatureUpload:
                    response = await api.post("keys/signatures/upload", request.body);
                    break;
                default:
                    // Key claims, to-device messages, backups: not part of cross-signing; nothing is sent.
                    break;
            }
            await machine.markRequestAsSent(request.id, request.type, JSON.stringify(response));
        }
    }
    throw new Error("the OlmMachine kept asking for requests");
}

/** Asks the homeserver about these users now, whatever the machine thinks it knows (as a sync's device-list change would). */
export async function refresh(machine, api, userIds) {
    const request = machine.queryKeysForUsers(userIds);
    await machine.markRequestAsSent(request.id, request.type, JSON.stringify(await api.post("keys/query", request.body)));
}

/** A signature upload the machine hands out (verify(), bootstrap): sent, and refused loudly if the server says no. */
export async function uploadSignatures(api, request) {
    const answer = await api.post("keys/signatures/upload", request.body);
    if (Object.keys(answer.failures ?? {}).length > 0) throw new Error("signature upload refused: " + JSON.stringify(answer.failures));
    return answer;
}

/** matrix-js-sdk's AccountDataClient over the homeserver: get, set, and the event setDefaultKeyId waits for. */
export class AccountDataClient extends EventEmitter {
    constructor(api, userId) {
        super();
        this.api = api;
        this.path = (type) => `user/${encodeURIComponent(userId)}/account_data/${encodeURIComponent(type)}`;
    }

    async getAccountDataFromServer(type) {
        try {
            return await this.api.get(this.path(type));
        } catch (e) {
            if (e.status === 404) return null;
            throw e;
        }
    }

    async setAccountData(type, content) {
        await this.api.put(this.path(type), content);
        this.emit("accountData", { getType: () => type, getContent: () => content });
        return {};
    }
}
