using System.Globalization;
using KeyCustody.Daemon.Hosting;
using KeyCustody.Matrix.Json;
using KeyCustody.Tests.Shared;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The daemon caps malloc's arenas (<see cref="NativeHeap.LimitArenas"/>): many concurrent callers on a PKCS#11 token
/// (SoftHSM2 allocates with malloc on every signature, on whichever thread-pool thread runs it) leave at most
/// <see cref="NativeHeap.Arenas"/> arenas besides the main one, where glibc would give every such thread its own.
/// </summary>
public sealed class MallocArenaTests : IAsyncLifetime
{
    private const int Callers = 16;
    private readonly DaemonProcess _d = DaemonProcess.Create();
    private SoftHsmTokens _hsm = null!;

    public async Task InitializeAsync()
    {
        _hsm = new SoftHsmTokens(_d.Root);
        _hsm.CreateToken("arenas");
        _d.Environment["SOFTHSM2_CONF"] = _hsm.ConfigPath;
        // The operator's own choice would win over the daemon's cap: make sure none reaches the daemon from the test's environment.
        _d.Unset.Add("MALLOC_ARENA_MAX");
        _d.Unset.Add("GLIBC_TUNABLES");
        _d.Configure(new
        {
            tokens = new object[]
            {
                new { name = "hsm", kind = "pkcs11", module = SoftHsmTokens.Module, tokenLabel = "arenas", sessions = 4, pin = new { file = SecretFile(_d, "hsm.pin", SoftHsmTokens.UserPin) } },
            },
            keys = new[] { Key("hsm-server", "hsm", "srv", "server", owner: "example.org", presence: "none", version: "hsm") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "hsm", "srv");
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public async Task Concurrent_signing_on_a_pkcs11_token_leaves_at_most_the_capped_number_of_malloc_arenas()
    {
        var callers = Enumerable.Range(0, Callers).Select(async c =>
        {
            using var client = _d.Client();
            for (var i = 0; i < 10; i++)
            {
                var (_, error) = await Collect(client.Custody.SignJson(SignRequest("hsm-server", JsonObject.Of(("caller", (long)c), ("n", (long)i)))));
                Assert.Null(error);
            }
        });
        await Task.WhenAll(callers);

        var arenas = MallocArenas(_d.Pid);
        Assert.True(arenas.Count <= NativeHeap.Arenas, $"{arenas.Count} malloc arenas besides the main one (at most {NativeHeap.Arenas}): {string.Join(", ", arenas)}");
    }

    /// <summary>
    /// glibc's arenas other than the main one: each is a 64 MiB-aligned mapping of 64 MiB (HEAP_MAX_SIZE on 64-bit),
    /// its used part read-write and the rest reserved (---p), as /proc/PID/maps lists them.
    /// </summary>
    private static List<string> MallocArenas(int pid)
    {
        const ulong HeapMax = 64UL << 20;
        var maps = File.ReadAllLines($"/proc/{pid}/maps").Select(Parse).ToList();
        var arenas = new List<string>();
        for (var i = 0; i < maps.Count; i++)
        {
            var m = maps[i];
            if (m.Path.Length != 0 || m.Start % HeapMax != 0 || m.Perms != "rw-p")
            {
                continue;
            }

            var end = m.End;
            if (i + 1 < maps.Count && maps[i + 1].Start == end && maps[i + 1].Perms == "---p" && maps[i + 1].Path.Length == 0)
            {
                end = maps[i + 1].End;
            }

            if (end - m.Start == HeapMax)
            {
                arenas.Add(m.Start.ToString("x", CultureInfo.InvariantCulture));
            }
        }

        return arenas;
    }

    private static (ulong Start, ulong End, string Perms, string Path) Parse(string line)
    {
        var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
        var range = fields[0].Split('-');
        return (ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture), ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            fields[1], fields.Length > 5 ? fields[5].Trim() : string.Empty);
    }
}
