using System.Text;
using KeyCustody.Daemon.Keys;
using KeyCustody.Matrix.Json;
using KeyCustody.Matrix.Signing;

namespace KeyCustody.Daemon.Hosting;

/// <summary>
/// The daemon's own state files, each read whole at start before anything uses it: pins.json, identities/*.json and
/// provenance.json. One that cannot be read stops the start (exit 2, like a bad configuration) with one line naming the
/// file, what is wrong (line and column when it is not JSON) and what to do; --check-config reports the same lines.
/// None is ever recreated in place of a broken one: a new pins.json would pin whatever key a token holds now. The audit
/// anchor belongs to the audit log: <see cref="Audit.AuditContinuity"/> judges it.
/// </summary>
public static class StateFiles
{
    public const string Pins = "pins.json";
    public const string Identities = "identities";

    private const string RestorePins = "it holds the public key each key was first seen with: restore it from a backup. keycustodyd never recreates it, " +
        "since a new one would pin whatever key a token holds now (without a backup, write each key's publicKey into the configuration, then move the file aside)";

    private const string RestoreIdentity = "it holds a user's cross-signing key objects as the master key signed them: restore it from a backup, " +
        "or move it aside and have the master key sign them again (keycustody provision)";

    private const string Access = "keycustodyd's user must be able to read it (its owner and mode, and the state directory's)";

    /// <summary>One line per state file that cannot be read; empty when every one present can.</summary>
    public static IReadOnlyList<string> Problems(string stateDirectory)
    {
        var problems = new List<string>();
        Check(Path.Combine(stateDirectory, Pins), CheckPins, RestorePins, problems);
        var identities = Path.Combine(stateDirectory, Identities);
        if (Directory.Exists(identities))
        {
            foreach (var file in Directory.EnumerateFiles(identities, "*.json").Order(StringComparer.Ordinal))
            {
                Check(file, CheckIdentity, RestoreIdentity, problems);
            }
        }

        Check(Path.Combine(stateDirectory, ProvenanceFile.Name), bytes => ProvenanceFile.Parse(bytes), ProvenanceFile.Restore, problems);
        return problems;
    }

    /// <summary>At start: the first problem stops it.</summary>
    public static void RequireReadable(string stateDirectory)
    {
        if (Problems(stateDirectory) is [var first, ..])
        {
            throw new DaemonStartException(first);
        }
    }

    private static void Check(string path, Action<byte[]> parse, string restore, List<string> problems)
    {
        if (!File.Exists(path))
        {
            return;
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problems.Add($"state file {path} cannot be read: {e.Message}; {Access}");
            return;
        }

        try
        {
            parse(bytes);
        }
        catch (CanonicalJsonException e)
        {
            var (line, column) = Position(bytes, e.Offset);
            problems.Add($"state file {path} is not valid JSON: line {line}, column {column}: {e.Detail}; {restore}");
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or InvalidCastException)
        {
            problems.Add($"state file {path} is not what keycustodyd wrote: {e.Message}; {restore}");
        }
    }

    /// <summary>{"key name": "unpadded base64 Ed25519 public key"}.</summary>
    private static void CheckPins(byte[] bytes)
    {
        foreach (var (name, value) in CanonicalJson.ParseObject(bytes))
        {
            if (value is not JsonString pin)
            {
                throw new InvalidDataException($"the pin of '{name}' is not a string");
            }

            if (!Ed25519PublicKey.TryFromBase64(pin.Value, out _, out var error))
            {
                throw new InvalidDataException($"the pin of '{name}' is not a public key ({error})");
            }
        }
    }

    /// <summary>{"master_key" | "self_signing_key" | "user_signing_key": signed key object}.</summary>
    private static void CheckIdentity(byte[] bytes)
    {
        foreach (var (member, value) in CanonicalJson.ParseObject(bytes))
        {
            if (value is not JsonObject)
            {
                throw new InvalidDataException($"'{member}' is not a key object");
            }
        }
    }

    /// <summary>1-based line and column (in characters) of a byte offset, for people and editors.</summary>
    private static (int Line, int Column) Position(byte[] bytes, long offset)
    {
        var end = (int)Math.Clamp(offset, 0, bytes.Length);
        var lineStart = end == 0 ? 0 : Array.LastIndexOf(bytes, (byte)'\n', end - 1) + 1;
        var line = 1 + bytes.AsSpan(0, lineStart).Count((byte)'\n');
        return (line, 1 + Encoding.UTF8.GetCharCount(bytes, lineStart, end - lineStart));
    }
}
