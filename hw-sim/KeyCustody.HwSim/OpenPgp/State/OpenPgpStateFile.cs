using System.Security.Cryptography;
using System.Text.Json;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.OpenPgp.Keys;

namespace KeyCustody.HwSim.OpenPgp.State;

/// <summary>
/// The "openpgp" object of the state file: passwords and private keys as base64 written from and read into byte buffers
/// (never strings), zeroed after use, like the rest of the file.
/// </summary>
internal static class OpenPgpStateFile
{
    public static void Write(Utf8JsonWriter writer, OpenPgpState state)
    {
        writer.WriteStartObject("openpgp");
        WritePassword(writer, "pw1", state.UserPin);
        WritePassword(writer, "pw3", state.AdminPin);
        WritePassword(writer, "reset_code", state.ResetCode);
        writer.WriteBoolean("pw1_valid_for_several", state.UserPinValidForSeveral);
        writer.WriteNumber("signature_counter", state.SignatureCounter);
        writer.WriteBoolean("terminated", state.Terminated);
        writer.WriteBase64String("name", state.Name);
        writer.WriteBase64String("language", state.Language);
        writer.WriteBase64String("sex", state.Sex);
        writer.WriteBase64String("url", state.Url);
        writer.WriteBase64String("login", state.LoginData);
        WriteArray(writer, "private_dos", state.PrivateDos);
        WriteArray(writer, "certificates", state.Certificates);
        writer.WriteBase64String("attestation_certificate", state.AttestationCertificate);
        writer.WriteBase64String("kdf", state.Kdf);
        writer.WriteStartArray("keys");
        foreach (var key in Enum.GetValues<PgpKey>())
        {
            var slot = state.Slot(key);
            writer.WriteStartObject();
            writer.WriteNumber("key", (int)key);
            writer.WriteBase64String("attributes", slot.Algorithm.Encode(state.Profile));
            if (slot.Key is { } slotKey)
            {
                writer.WriteNumber("origin", (byte)slotKey.Origin);
                writer.WriteBase64String("private", slotKey.PrivateMaterial);
            }

            writer.WriteBase64String("fingerprint", slot.Fingerprint);
            writer.WriteBase64String("ca_fingerprint", slot.CaFingerprint);
            writer.WriteBase64String("time", slot.GenerationTime);
            writer.WriteNumber("uif", slot.Uif);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Files written before the OpenPGP applet existed have no "openpgp": the applet stays as from the factory.</summary>
    public static void Read(JsonElement root, OpenPgpState state)
    {
        if (!root.TryGetProperty("openpgp", out var element))
        {
            return;
        }

        ReadPassword(element.GetProperty("pw1"), state.UserPin);
        ReadPassword(element.GetProperty("pw3"), state.AdminPin);
        ReadPassword(element.GetProperty("reset_code"), state.ResetCode);
        state.UserPinValidForSeveral = element.GetProperty("pw1_valid_for_several").GetBoolean();
        state.SignatureCounter = element.GetProperty("signature_counter").GetUInt32();
        state.Terminated = element.GetProperty("terminated").GetBoolean();
        state.Name = element.GetProperty("name").GetBytesFromBase64();
        state.Language = element.GetProperty("language").GetBytesFromBase64();
        state.Sex = element.GetProperty("sex").GetBytesFromBase64();
        state.Url = element.GetProperty("url").GetBytesFromBase64();
        state.LoginData = element.GetProperty("login").GetBytesFromBase64();
        ReadArray(element.GetProperty("private_dos"), state.PrivateDos);
        ReadArray(element.GetProperty("certificates"), state.Certificates);
        state.AttestationCertificate = element.GetProperty("attestation_certificate").GetBytesFromBase64();
        state.Kdf = element.GetProperty("kdf").GetBytesFromBase64();
        foreach (var entry in element.GetProperty("keys").EnumerateArray())
        {
            var key = (PgpKey)entry.GetProperty("key").GetInt32();
            var algorithm = PgpAlgorithm.Parse(entry.GetProperty("attributes").GetBytesFromBase64())
                ?? throw new FormatException("unknown OpenPGP key attributes");
            var slot = state.Slot(key);
            slot.ChangeAlgorithm(algorithm);
            slot.Restore(
                ReadKey(entry, algorithm),
                entry.GetProperty("fingerprint").GetBytesFromBase64(),
                entry.GetProperty("ca_fingerprint").GetBytesFromBase64(),
                entry.GetProperty("time").GetBytesFromBase64(),
                entry.GetProperty("uif").GetByte());
        }
    }

    private static SlotKey? ReadKey(JsonElement entry, PgpAlgorithm algorithm)
    {
        if (!entry.TryGetProperty("private", out var privateElement))
        {
            return null;
        }

        var material = privateElement.GetBytesFromBase64();
        try
        {
            var origin = (KeyOrigin)entry.GetProperty("origin").GetByte();
            return SlotKey.FromPrivate(algorithm.KeyType, material, PinPolicy.Default, TouchPolicy.Default, origin)
                ?? throw new FormatException("invalid OpenPGP key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(material);
        }
    }

    private static void WritePassword(Utf8JsonWriter writer, string name, PgpPassword password)
    {
        writer.WriteStartObject(name);
        writer.WriteBase64String("value", password.Value);
        writer.WriteNumber("max_retries", password.MaxRetries);
        writer.WriteNumber("remaining", password.Remaining);
        writer.WriteEndObject();
    }

    private static void ReadPassword(JsonElement element, PgpPassword password)
    {
        var value = element.GetProperty("value").GetBytesFromBase64();
        try
        {
            if (value.Length > PgpPassword.MaxLength)
            {
                throw new FormatException("an OpenPGP password is at most 127 bytes");
            }

            password.SetMaxRetries(element.GetProperty("max_retries").GetInt32());
            password.Set(value);
            password.Restore(element.GetProperty("remaining").GetInt32());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(value);
        }
    }

    private static void WriteArray(Utf8JsonWriter writer, string name, byte[][] values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteBase64StringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void ReadArray(JsonElement element, byte[][] values)
    {
        int i = 0;
        foreach (var entry in element.EnumerateArray())
        {
            if (i < values.Length)
            {
                values[i++] = entry.GetBytesFromBase64();
            }
        }
    }
}
