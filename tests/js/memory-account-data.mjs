// The account-data client matrix-js-sdk's ServerSideSecretStorageImpl needs, in memory: get, set, and the
// ClientEvent.AccountData event it waits for after setting the default key.
import { EventEmitter } from "node:events";

export class MemoryAccountData extends EventEmitter {
    constructor() {
        super();
        this.data = new Map();
    }

    async getAccountDataFromServer(type) {
        return this.data.has(type) ? structuredClone(this.data.get(type)) : null;
    }

    async setAccountData(type, content) {
        this.data.set(type, structuredClone(content));
        this.emit("accountData", { getType: () => type, getContent: () => structuredClone(content) });
        return {};
    }

    dump() {
        return Object.fromEntries([...this.data.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    }
}
