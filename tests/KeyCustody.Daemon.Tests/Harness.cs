using Google.Protobuf;
using Grpc.Core;
using KeyCustody.Client;
using KeyCustody.Contract.Audit;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using KeyCustody.Tests.Shared;

namespace KeyCustody.Daemon.Tests;

/// <summary>Configuration pieces and helpers shared by the end-to-end tests.</summary>
internal static class Harness
{
    public const string User = "@alice:example.org";
    public const string Other = "@bob:example.org";

    /// <summary>An in-process simulated YubiKey in the daemon (kind "simulator"); with demoKeys, keys in 9c/9a/9d are generated at start.</summary>
    public static object Simulator(DaemonProcess d, string name, uint serial, string touch = "auto", int touchTimeoutMs = 15_000, bool demoKeys = true, int? touchCacheSeconds = null, string? stateFile = null)
    {
        var pin = SecretFile(d, name + ".pin", "123456");
        var mgm = SecretFile(d, name + ".mgm", "010203040506070801020304050607080102030405060708");
        return new { name, kind = "simulator", serial, touch, touchDelayMs = 20, touchTimeoutMs, touchCacheSeconds, demoKeys, stateFile, pin = new { file = pin }, managementKey = new { file = mgm } };
    }

    public static object Software(DaemonProcess d, string name)
    {
        var dir = Path.Combine(d.Root, name);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return new { name, kind = "software", directory = dir };
    }

    public static object Key(string name, string token, string keyId, string role, string owner = User, string? presence = null, string? version = null, string? requireApprover = null) =>
        new { name, token, keyId, role, owner, presence, version, requireApprover };

    public static object Rule(string principal, string[] keys, params string[] operations) => new { principal, keys, operations };

    public static string SecretFile(DaemonProcess d, string name, string value)
    {
        var path = Path.Combine(d.Root, name);
        File.WriteAllText(path, value);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>The access-rule principal of this test process (the daemon sees it through SO_PEERCRED).</summary>
    public static string Me => "uid:" + Posix.Uid().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Runs one signing stream to its end, returning every event (SIGNED last) or the status it failed with.</summary>
    public static async Task<(List<SignEvent> Events, RpcException? Error)> Collect(AsyncServerStreamingCall<SignEvent> call)
    {
        var events = new List<SignEvent>();
        try
        {
            using (call)
            {
                await foreach (var e in call.ResponseStream.ReadAllAsync())
                {
                    events.Add(e);
                }
            }

            return (events, null);
        }
        catch (RpcException e)
        {
            return (events, e);
        }
    }

    public static SignJsonRequest SignRequest(string key, byte[] json) => new() { Key = key, Json = ByteString.CopyFrom(json) };

    public static SignJsonRequest SignRequest(string key, JsonObject json) => SignRequest(key, CanonicalJson.Encode(json));

    /// <summary>Every record of the daemon's audit log, after checking the whole chain.</summary>
    public static List<JsonObject> ReadAudit(DaemonProcess d)
    {
        using (var stream = File.OpenRead(d.AuditLog))
        {
            var check = AuditChain.Verify(stream);
            if (!check.Valid)
            {
                throw new InvalidOperationException($"audit chain broken at line {check.BrokenLine}: {check.Problem}");
            }
        }

        // Complete lines only: the daemon may be appending while a test reads, and a read can end inside the line being
        // written (clean-clone CI once failed here with "unterminated string" in PresenceTests, the test's own race).
        using var log = File.OpenRead(d.AuditLog);
        return AuditChain.ReadLines(log, out _).Select(l => CanonicalJson.ParseObject(l)).ToList();
    }

    public static List<JsonObject> For(this List<JsonObject> audit, string requestId) => audit.Where(r => r.GetString("request_id") == requestId).ToList();

    /// <summary>Generates a key on a token through the Admin service; returns its public key.</summary>
    public static async Task<string> Generate(KeyCustodyClient client, string token, string keyId, string pin = "default", string touch = "default")
    {
        var response = await client.Admin.GenerateKeyAsync(new GenerateKeyRequest { Token = token, KeyId = keyId, PinPolicy = pin, TouchPolicy = touch });
        return response.PublicKey;
    }

    /// <summary>
    /// An admin accepts a key whose token cannot attest it (SoftHSM2, a software token), as an operator would before it
    /// may sign with a cross-signing role; the daemon records and audits it.
    /// </summary>
    public static async Task Accept(KeyCustodyClient client, string key, string reason = "test: the token cannot attest its keys")
    {
        var publicKey = (await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys.Single(k => k.Name == key).PublicKey;
        await client.Admin.AcceptKeyAsync(new KeyDecisionRequest { Key = key, PublicKey = publicKey, Reason = reason });
    }

    /// <summary>Writes the PEM of a hw-sim root file (keycustody-hwsim root-cert), for attestation.roots or --attestation-root.</summary>
    public static string RootPem(string rootFile, string pemFile)
    {
        var (exit, output) = ChildProcess.Run("dotnet", [Binaries.HwSim, "root-cert", "--root", rootFile]);
        if (exit != 0)
        {
            throw new InvalidOperationException($"keycustody-hwsim root-cert: {output}");
        }

        File.WriteAllText(pemFile, output);
        return pemFile;
    }

    /// <summary>
    /// The CLI's build output copied where every user can read it: the clone itself may sit in a directory only
    /// its owner may enter (mktemp -d, a home directory), which other users' processes cannot load from.
    /// </summary>
    private static readonly Lazy<string> SharedCli = new(() =>
    {
        var source = Path.GetDirectoryName(Binaries.Cli)!;
        var target = Directory.CreateTempSubdirectory("keycustody-cli-").FullName;
        const UnixFileMode Dir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        File.SetUnixFileMode(target, Dir);
        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            Directory.CreateDirectory(Path.Combine(target, Path.GetRelativePath(source, dir)), Dir);
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            File.Copy(file, copy);
            File.SetUnixFileMode(copy, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        return Path.Combine(target, Path.GetFileName(Binaries.Cli));
    });

    /// <summary>Runs the keycustody CLI as another user (setpriv), e.g. an approver who is not the requester.</summary>
    public static (int ExitCode, string Output) RunCliAs(uint uid, uint gid, params string[] args) => RunCliAs(uid, gid, Array.Empty<uint>(), new Dictionary<string, string>(), args);

    /// <summary><see cref="RunCliAs(uint, uint, string[])"/> with these environment variables set as well.</summary>
    public static (int ExitCode, string Output) RunCliAs(uint uid, uint gid, IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunCliAs(uid, gid, Array.Empty<uint>(), environment, args);

    /// <summary>
    /// The CLI as user <paramref name="uid"/> with primary group <paramref name="gid"/> and supplementary <paramref name="groups"/>:
    /// what `sg OTHERGROUP -c 'keycustody ...'` gives a user who belongs to OTHERGROUP.
    /// </summary>
    public static (int ExitCode, string Output) RunCliAs(uint uid, uint gid, IReadOnlyList<uint> groups, params string[] args) =>
        RunCliAs(uid, gid, groups, new Dictionary<string, string>(), args);

    private static (int ExitCode, string Output) RunCliAs(uint uid, uint gid, IReadOnlyList<uint> groups, IReadOnlyDictionary<string, string> environment, string[] args) =>
        ChildProcess.Run(
            "/usr/bin/setpriv",
            [$"--reuid={uid}", $"--regid={gid}", .. groups.Count == 0 ? ["--clear-groups"] : new[] { "--groups=" + string.Join(',', groups) }, "--", "dotnet", SharedCli.Value, .. args],
            start =>
            {
                start.Environment["HOME"] = "/tmp";
                start.Environment["DOTNET_CLI_HOME"] = "/tmp";
                start.Environment.Remove("KEYCUSTODY_SOCKET");
                foreach (var (k, v) in environment)
                {
                    start.Environment[k] = v;
                }
            });

    /// <summary>A file every user may read (the CLI run as another user reads its payload from it).</summary>
    public static string PublicFile(DaemonProcess d, string name, byte[] content)
    {
        var path = Path.Combine(d.Root, name);
        File.WriteAllBytes(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return path;
    }
}

internal static partial class Posix
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Uid();
}
