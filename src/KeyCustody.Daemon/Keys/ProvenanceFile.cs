using KeyCustody.Matrix.Json;

namespace KeyCustody.Daemon.Keys;

/// <summary>
/// provenance.json in the state directory, beside pins.json: key name → <see cref="KeyProvenance"/>. Written whole
/// (a temporary file, fsync, rename), created 0600; the start-up state-file check refuses it when others can read or
/// change it. A file that cannot be read stops the daemon at start: trust decisions are never taken on a guess.
/// </summary>
public sealed class ProvenanceFile
{
    public const string Name = "provenance.json";

    private readonly string _path;
    private Dictionary<string, KeyProvenance> _records;

    private ProvenanceFile(string path, Dictionary<string, KeyProvenance> records)
    {
        _path = path;
        _records = records;
    }

    /// <summary>Reads the file (none yet: no records); throws <see cref="InvalidDataException"/> naming the file and what is wrong.</summary>
    public static ProvenanceFile Open(string stateDirectory)
    {
        var path = Path.Combine(stateDirectory, Name);
        if (!File.Exists(path))
        {
            return new ProvenanceFile(path, new Dictionary<string, KeyProvenance>(StringComparer.Ordinal));
        }

        try
        {
            return new ProvenanceFile(path, Parse(File.ReadAllBytes(path)));
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or InvalidCastException)
        {
            throw new InvalidDataException($"{path} cannot be read ({e.Message}); {Restore}", e);
        }
    }

    /// <summary>What to do about a file that cannot be read (the start-up state-file check says it too).</summary>
    internal const string Restore = "restore it from a backup, or remove it: every key's origin is then unknown and its cross-signing keys sign only once attested again or accepted by an admin";

    /// <summary>The records of a whole file; throws <see cref="FormatException"/> (JSON), <see cref="InvalidDataException"/> or <see cref="InvalidCastException"/> (content).</summary>
    internal static Dictionary<string, KeyProvenance> Parse(ReadOnlySpan<byte> utf8)
    {
        var records = new Dictionary<string, KeyProvenance>(StringComparer.Ordinal);
        foreach (var (name, value) in CanonicalJson.ParseObject(utf8))
        {
            records[name] = KeyProvenance.FromJson(value as JsonObject ?? throw new InvalidDataException($"the record of '{name}' is not an object"));
        }

        return records;
    }

    public KeyProvenance? Get(string keyName) => _records.GetValueOrDefault(keyName);

    /// <summary>An admin's rejection of <paramref name="publicKey"/> in any key's record, or null.</summary>
    public KeyDecision? RejectionOf(Matrix.Signing.Ed25519PublicKey publicKey) =>
        _records.Values.FirstOrDefault(r => r.Rejected is not null && r.PublicKey.Equals(publicKey))?.Rejected;

    /// <summary>Replaces the record of <paramref name="keyName"/> on disk, then in memory.</summary>
    public void Put(string keyName, KeyProvenance record)
    {
        var updated = new Dictionary<string, KeyProvenance>(_records, StringComparer.Ordinal) { [keyName] = record };
        var json = new JsonObject(updated.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonValue)kv.Value.ToJson())));
        var tmp = _path + ".tmp";
        using (var f = new FileStream(tmp, new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
            f.Write(CanonicalJson.Encode(json));
            f.Flush(flushToDisk: true);
        }

        File.Move(tmp, _path, overwrite: true);
        _records = updated;
    }
}
