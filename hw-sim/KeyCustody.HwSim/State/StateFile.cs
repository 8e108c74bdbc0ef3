using System.Buffers;
using System.Text.Json;
using KeyCustody.HwSim.Applet;
using KeyCustody.HwSim.Crypto;
using KeyCustody.HwSim.Management;
using KeyCustody.HwSim.OpenPgp.State;

namespace KeyCustody.HwSim.State;

/// <summary>
/// The persistent card state as JSON (format 1), created 0600. Secrets are written from and read into byte
/// buffers (base64 through Utf8JsonWriter/Reader), never through strings; every buffer is zeroed after use.
/// </summary>
public static class StateFile
{
    public static void Save(string path, CardState state)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
            {
                Write(writer, state);
            }

            PrivateFile.WriteAtomically(path, buffer.WrittenSpan);
        }
        finally
        {
            buffer.Clear();
        }
    }

    public static CardState Load(string path)
    {
        var content = PrivateFile.ReadAll(path);
        try
        {
            using var document = JsonDocument.Parse(content);
            return Read(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"state file {path} is not a valid hw-sim state file", e);
        }
        finally
        {
            PrivateFile.Zero(content);
        }
    }

    private static void Write(Utf8JsonWriter writer, CardState state)
    {
        writer.WriteStartObject();
        writer.WriteNumber("format", 1);
        writer.WriteNumber("serial", state.Identity.Serial);
        writer.WriteString("profile", state.Profile.Name);
        writer.WriteNumber("form_factor", state.Identity.FormFactor);
        writer.WriteNumber("factory_management_algorithm", (byte)state.FactoryManagementAlgorithm);
        WriteCredential(writer, "pin", state.Pin);
        WriteCredential(writer, "puk", state.Puk);
        writer.WriteStartObject("management_key");
        writer.WriteNumber("algorithm", (byte)state.ManagementKey.Algorithm);
        writer.WriteBase64String("value", state.ManagementKey.Value);
        writer.WriteBoolean("touch", state.ManagementKey.TouchRequired);
        writer.WriteEndObject();
        writer.WriteStartArray("keys");
        foreach (var (slot, key) in state.Keys.OrderBy(k => k.Key))
        {
            writer.WriteStartObject();
            writer.WriteNumber("slot", slot);
            writer.WriteNumber("algorithm", (byte)key.Algorithm);
            writer.WriteNumber("pin_policy", (byte)key.PinPolicy);
            writer.WriteNumber("touch_policy", (byte)key.TouchPolicy);
            writer.WriteNumber("origin", (byte)key.Origin);
            writer.WriteBase64String("private", key.PrivateMaterial);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteStartArray("objects");
        foreach (var (id, value) in state.Objects.OrderBy(o => o.Key))
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            writer.WriteBase64String("value", value);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteDevice(writer, state.Device);
        OpenPgpStateFile.Write(writer, state.OpenPgp);
        writer.WriteEndObject();
    }

    private static void WriteDevice(Utf8JsonWriter writer, DeviceConfig device)
    {
        writer.WriteStartObject("device");
        writer.WriteNumber("usb_enabled", (ushort)device.UsbEnabled);
        writer.WriteNumber("nfc_enabled", (ushort)device.NfcEnabled);
        writer.WriteNumber("auto_eject_timeout", device.AutoEjectTimeout);
        writer.WriteNumber("challenge_response_timeout", device.ChallengeResponseTimeout);
        writer.WriteNumber("flags", device.DeviceFlags);
        writer.WriteBoolean("nfc_restricted", device.NfcRestricted);
        writer.WriteBase64String("lock_code", device.LockCode);
        writer.WriteEndObject();
    }

    /// <summary>Files written before the management applet existed have no "device": the factory configuration stays.</summary>
    private static void ReadDevice(JsonElement root, DeviceConfig device)
    {
        if (!root.TryGetProperty("device", out var element))
        {
            return;
        }

        device.UsbEnabled = (Capabilities)element.GetProperty("usb_enabled").GetUInt16();
        device.NfcEnabled = (Capabilities)element.GetProperty("nfc_enabled").GetUInt16();
        device.AutoEjectTimeout = element.GetProperty("auto_eject_timeout").GetUInt16();
        device.ChallengeResponseTimeout = element.GetProperty("challenge_response_timeout").GetByte();
        device.DeviceFlags = element.GetProperty("flags").GetByte();
        device.NfcRestricted = element.GetProperty("nfc_restricted").GetBoolean();
        var lockCode = element.GetProperty("lock_code").GetBytesFromBase64();
        try
        {
            device.SetLockCode(lockCode);
        }
        catch (ArgumentException e)
        {
            throw new FormatException("the lock code must be 16 bytes", e);
        }
        finally
        {
            PrivateFile.Zero(lockCode);
        }
    }

    private static void WriteCredential(Utf8JsonWriter writer, string name, Credential credential)
    {
        writer.WriteStartObject(name);
        writer.WriteBase64String("value", credential.Value);
        writer.WriteNumber("max_retries", credential.MaxRetries);
        writer.WriteNumber("remaining", credential.Remaining);
        writer.WriteEndObject();
    }

    private static CardState Read(JsonElement root)
    {
        if (root.GetProperty("format").GetInt32() != 1)
        {
            throw new FormatException("unsupported state format");
        }

        // Files written before profiles existed are YubiKey 5.7 cards.
        var profile = root.TryGetProperty("profile", out var profileName) ? CardProfile.Parse(profileName.GetString()!) : CardProfile.YubiKey57;
        var identity = new CardIdentity(
            root.GetProperty("serial").GetUInt32(), [.. profile.Firmware], root.GetProperty("form_factor").GetByte());
        var factoryAlgorithm = (ManagementKeyAlgorithm)root.GetProperty("factory_management_algorithm").GetByte();
        var mgm = root.GetProperty("management_key");
        var mgmValue = mgm.GetProperty("value").GetBytesFromBase64();
        var state = new CardState(
            identity,
            factoryAlgorithm,
            ReadCredential(root.GetProperty("pin"), Credential.DefaultPin),
            ReadCredential(root.GetProperty("puk"), Credential.DefaultPuk),
            new ManagementKey((ManagementKeyAlgorithm)mgm.GetProperty("algorithm").GetByte(), mgmValue, mgm.GetProperty("touch").GetBoolean()),
            profile);
        PrivateFile.Zero(mgmValue);

        foreach (var entry in root.GetProperty("keys").EnumerateArray())
        {
            var material = entry.GetProperty("private").GetBytesFromBase64();
            try
            {
                var key = SlotKey.FromPrivate(
                    (KeyAlgorithm)entry.GetProperty("algorithm").GetByte(),
                    material,
                    (PinPolicy)entry.GetProperty("pin_policy").GetByte(),
                    (TouchPolicy)entry.GetProperty("touch_policy").GetByte(),
                    (KeyOrigin)entry.GetProperty("origin").GetByte()) ?? throw new FormatException("invalid key");
                state.SetKey(entry.GetProperty("slot").GetByte(), key);
            }
            finally
            {
                PrivateFile.Zero(material);
            }
        }

        foreach (var entry in root.GetProperty("objects").EnumerateArray())
        {
            state.SetObject(entry.GetProperty("id").GetInt32(), entry.GetProperty("value").GetBytesFromBase64());
        }

        ReadDevice(root, state.Device);
        OpenPgpStateFile.Read(root, state.OpenPgp);
        state.Dirty = false;
        return state;
    }

    private static Credential ReadCredential(JsonElement element, byte[] factory)
    {
        var value = element.GetProperty("value").GetBytesFromBase64();
        try
        {
            if (value.Length != 8)
            {
                throw new FormatException("credential must be 8 bytes");
            }

            return new Credential(factory, value, element.GetProperty("max_retries").GetInt32(), element.GetProperty("remaining").GetInt32());
        }
        finally
        {
            PrivateFile.Zero(value);
        }
    }
}
