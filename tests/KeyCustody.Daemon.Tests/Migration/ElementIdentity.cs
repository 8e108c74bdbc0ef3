using System.Text;
using System.Text.Json;
using KeyCustody.HomeserverSim;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Tests.Migration;

/// <summary>
/// An identity as Element leaves it on a homeserver: cross-signing keys published, two devices cross-signed by the
/// self-signing key (each also signing the master key), a contact (Bob) whose master key Alice's user-signing key
/// signed, a room they share, and the private keys in secret storage, written by matrix-js-sdk
/// (tests/vectors/secret-storage-js-sdk.json: the recovery-key or the passphrase variant).
/// </summary>
internal sealed class ElementIdentity : IDisposable
{
    public const string Alice = "@alice:example.org";
    public const string Bob = "@bob:example.org";
    public const string Password = "alice's account password";

    private static readonly Lazy<JsonDocument> Vectors = new(() => JsonDocument.Parse(File.ReadAllBytes(Path.Combine(TestPaths.Vectors, "secret-storage-js-sdk.json"))));

    private readonly List<IDisposable> _owned = [];

    private ElementIdentity(string variant)
    {
        Variant = Vectors.Value.RootElement.GetProperty(variant);
        Master = Own(Ed25519SoftwareKey.FromSeed(Seed("m.cross_signing.master")));
        SelfSigning = Own(Ed25519SoftwareKey.FromSeed(Seed("m.cross_signing.self_signing")));
        UserSigning = Own(Ed25519SoftwareKey.FromSeed(Seed("m.cross_signing.user_signing")));
        Phone = Own(Ed25519SoftwareKey.FromSeed("alice-phone-alice-phone-alice-ph"u8));
        Laptop = Own(Ed25519SoftwareKey.FromSeed("alice-laptop-alice-laptop-alice-"u8));
        BobMaster = Own(Ed25519SoftwareKey.FromSeed("bob-master-bob-master-bob-master"u8));
        BobSelfSigning = Own(Ed25519SoftwareKey.FromSeed("bob-self-signing-bob-self-signin"u8));
        BobPhone = Own(Ed25519SoftwareKey.FromSeed("bob-device-phone-bob-device-phon"u8));
    }

    public JsonElement Variant { get; }

    public Ed25519SoftwareKey Master { get; }

    public Ed25519SoftwareKey SelfSigning { get; }

    public Ed25519SoftwareKey UserSigning { get; }

    public Ed25519SoftwareKey Phone { get; }

    public Ed25519SoftwareKey Laptop { get; }

    public Ed25519SoftwareKey BobMaster { get; }

    public Ed25519SoftwareKey BobSelfSigning { get; }

    public Ed25519SoftwareKey BobPhone { get; }

    public SimUser AlicePhone { get; private set; } = null!;

    public SimUser BobDevice { get; private set; } = null!;

    public string RecoveryKey => Variant.GetProperty("recovery_key").GetString()!;

    public string Passphrase => Variant.GetProperty("passphrase").GetString()!;

    /// <summary>The master key's seed (a test vector), for a test that puts it on a token the way an earlier migrate did.</summary>
    public byte[] MasterSeed() => Seed("m.cross_signing.master");

    /// <summary>Sets it all up on <paramref name="sim"/>; <paramref name="variant"/> is "recovery_key" or "passphrase".</summary>
    public static async Task<ElementIdentity> CreateAsync(HomeserverSimulator sim, string variant = "recovery_key")
    {
        var id = new ElementIdentity(variant);
        await id.PublishAsync(sim);
        return id;
    }

    public JsonObject BobMasterJson => CrossSigningKey.Create(Bob, KeyUsage.Master, BobMaster.PublicKey).Json;

    public void Dispose() => _owned.ForEach(d => d.Dispose());

    private async Task PublishAsync(HomeserverSimulator sim)
    {
        AlicePhone = Own(new SimUser(sim, Alice, Password, "PHONE"));
        using var laptop = new SimUser(sim, Alice, Password, "LAPTOP");
        BobDevice = Own(new SimUser(sim, Bob, "bob's password", "BOBPHONE"));
        await AlicePhone.PostAsync("keys/upload", JsonObject.Of(("device_keys", Identities.SignedDevice(Alice, "PHONE", Phone, null))));
        await laptop.PostAsync("keys/upload", JsonObject.Of(("device_keys", Identities.SignedDevice(Alice, "LAPTOP", Laptop, null))));
        await BobDevice.PostAsync("keys/upload", JsonObject.Of(("device_keys", Identities.SignedDevice(Bob, "BOBPHONE", BobPhone, null))));

        var master = CrossSigningKey.Create(Alice, KeyUsage.Master, Master.PublicKey).Json;
        await AlicePhone.PostAsync("keys/device_signing/upload", JsonObject.Of(
            ("master_key", master),
            ("self_signing_key", SignedJson.Sign(CrossSigningKey.Create(Alice, KeyUsage.SelfSigning, SelfSigning.PublicKey).Json, Alice, Master.PublicKey.Base64, Master)),
            ("user_signing_key", SignedJson.Sign(CrossSigningKey.Create(Alice, KeyUsage.UserSigning, UserSigning.PublicKey).Json, Alice, Master.PublicKey.Base64, Master))));
        await BobDevice.PostAsync("keys/device_signing/upload", JsonObject.Of(
            ("master_key", BobMasterJson),
            ("self_signing_key", SignedJson.Sign(CrossSigningKey.Create(Bob, KeyUsage.SelfSigning, BobSelfSigning.PublicKey).Json, Bob, BobMaster.PublicKey.Base64, BobMaster))));
        await BobDevice.PostAsync("keys/signatures/upload", JsonObject.Of((Bob, JsonObject.Of(("BOBPHONE", Identities.SignedDevice(Bob, "BOBPHONE", BobPhone, BobSelfSigning))))));

        // Element cross-signs both devices, each device signs the master key, and Alice verified Bob.
        var signed = await AlicePhone.PostAsync("keys/signatures/upload", JsonObject.Of(
            (Alice, JsonObject.Of(
                ("PHONE", Identities.SignedDevice(Alice, "PHONE", Phone, SelfSigning)),
                ("LAPTOP", Identities.SignedDevice(Alice, "LAPTOP", Laptop, SelfSigning)),
                (Master.PublicKey.Base64, SignedJson.Sign(SignedJson.Sign(master, Alice, "PHONE", Phone), Alice, "LAPTOP", Laptop)))),
            (Bob, JsonObject.Of((BobMaster.PublicKey.Base64, SignedJson.Sign(BobMasterJson, Alice, UserSigning.PublicKey.Base64, UserSigning))))));
        if (signed.GetObject("failures") is not { Count: 0 })
        {
            throw new InvalidOperationException("setting up the identity failed: " + signed);
        }

        sim.CreateRoom(Alice, Bob);
        foreach (var entry in Variant.GetProperty("account_data").EnumerateObject())
        {
            sim.SetAccountData(Alice, entry.Name, CanonicalJson.ParseObject(Encoding.UTF8.GetBytes(entry.Value.GetRawText())));
        }
    }

    private byte[] Seed(string name) => Convert.FromHexString(Vectors.Value.RootElement.GetProperty("seeds_hex").GetProperty(name).GetString()!);

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
