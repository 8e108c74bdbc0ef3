using System.CommandLine;
using System.Security.Cryptography;
using KeyCustody.Matrix.Codecs;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;
using NSec.Cryptography;

namespace KeyCustody.Cli;

/// <summary>
/// <c>keycustody dev seed | public-key | device</c>: development helpers for making test inputs by hand (a test
/// device to cross-sign, say). The seed is on the command line and the key in this process's memory: test keys only,
/// never a real device's or user's.
/// </summary>
internal static class DevCommands
{
    private const string Warning = "development helper: the seed is on the command line, so the key is a test key";

    public static Command Build(Option<bool> json)
    {
        var dev = new Command("dev", "development helpers for test keys and test devices (seeds on the command line: never for real keys)");
        dev.Subcommands.Add(Seed(json));
        dev.Subcommands.Add(PublicKey(json));
        dev.Subcommands.Add(Device());
        return dev;
    }

    public static Option<string> SeedOption() => new("--seed")
    {
        Description = "unpadded base64 of a 32-byte Ed25519 seed (keycustody dev seed makes one)",
        Required = true,
    };

    /// <summary>The key of an unpadded-base64 seed given on the command line; the decoded seed is zeroed at once.</summary>
    public static Ed25519SoftwareKey ImportSeed(string base64)
    {
        if (!UnpaddedBase64.TryDecode(base64, out var seed, out var error))
        {
            throw new UsageException("--seed: " + error);
        }

        try
        {
            if (seed.Length != Ed25519SoftwareKey.SeedLength)
            {
                throw new UsageException($"--seed: an Ed25519 seed is 32 bytes, this is {seed.Length}");
            }

            return Ed25519SoftwareKey.FromSeed(seed);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private static Command Seed(Option<bool> json)
    {
        var cmd = new Command("seed", $"print a new random 32-byte seed, unpadded base64 ({Warning})");
        cmd.SetAction(r =>
        {
            var seed = RandomNumberGenerator.GetBytes(Ed25519SoftwareKey.SeedLength);
            try
            {
                var text = UnpaddedBase64.Encode(seed);
                return r.GetValue(json) ? JsonOut.Write(JsonOut.Object(("seed", text))) : Say(text);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(seed);
            }
        });
        return cmd;
    }

    private static Command PublicKey(Option<bool> json)
    {
        var seed = SeedOption();
        var cmd = new Command("public-key", $"print the Ed25519 public key of a seed, unpadded base64 ({Warning})") { seed };
        cmd.SetAction(r =>
        {
            using var key = ImportSeed(r.GetValue(seed)!);
            return r.GetValue(json) ? JsonOut.Write(JsonOut.Object(("public_key", key.PublicKey.Base64))) : Say(key.PublicKey.Base64);
        });
        return cmd;
    }

    private static Command Device()
    {
        var seed = SeedOption();
        var user = new Option<string>("--user") { Description = "the device's user ID", Required = true };
        var deviceId = new Option<string>("--device-id") { Description = "the device ID, e.g. TESTPHONE", Required = true };
        var cmd = new Command("device", $"print a device-keys object (as /keys/upload takes it) with ed25519:<DEVICE_ID> from the seed, signed by itself, ready for `keycustody cross-sign device` ({Warning}; its curve25519 key is derived from the same seed)")
        {
            seed, user, deviceId,
        };
        cmd.SetAction(r =>
        {
            using var key = ImportSeed(r.GetValue(seed)!);
            var (userId, id) = (r.GetValue(user)!, r.GetValue(deviceId)!);
            var unsigned = JsonObject.Of(
                ("user_id", userId),
                ("device_id", id),
                ("algorithms", new JsonArray("m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2")),
                ("keys", JsonObject.Of(("curve25519:" + id, Curve25519(r.GetValue(seed)!)), (SignedJson.Ed25519Prefix + id, key.PublicKey.Base64))));
            if (!DeviceKeys.TryParse(unsigned, out _, out var problem))
            {
                throw new UsageException(problem);
            }

            using var output = CliIo.OpenOutput();
            CliIo.WriteLine(output, CanonicalJson.Encode(SignedJson.Sign(unsigned, userId, id, key)));
            return ExitCodes.Ok;
        });
        return cmd;
    }

    /// <summary>An X25519 public key from the same seed: a test device needs a well-formed identity key, never a used one.</summary>
    private static string Curve25519(string seedBase64)
    {
        UnpaddedBase64.TryDecode(seedBase64, out var seed, out _);
        try
        {
            using var key = Key.Import(KeyAgreementAlgorithm.X25519, seed, KeyBlobFormat.RawPrivateKey);
            return UnpaddedBase64.Encode(key.PublicKey.Export(KeyBlobFormat.RawPublicKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    private static int Say(string text)
    {
        Console.Out.WriteLine(text);
        return ExitCodes.Ok;
    }
}
