using System.Globalization;
using System.Text.RegularExpressions;
using KeyCustody.Matrix.Json;
using KeyCustody.Protos.V1;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests;

/// <summary>
/// The audit log between two runs of the real daemon: its head is anchored beside pins.json and in the daemon's log
/// at start and stop, so a log cut at a record boundary or deleted while the daemon is stopped is refused at the next
/// start, saying what was found and how to accept it; the acceptance is recorded and works once. A record complete but
/// for its newline is kept.
/// </summary>
public sealed partial class AuditAnchorTests : IAsyncLifetime
{
    private readonly DaemonProcess _d = DaemonProcess.Create();

    public async Task InitializeAsync()
    {
        _d.Configure(new
        {
            tokens = new[] { Software(_d, "soft") },
            keys = new[] { Key("server", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1") },
            access = new[] { Rule(Me, ["*"], "sign", "admin") },
        });
        await _d.StartAsync();
        using var client = _d.Client();
        await Generate(client, "soft", "srv");
        for (var i = 0; i < 3; i++)
        {
            var (_, error) = await Collect(client.Custody.SignJson(SignRequest("server", JsonObject.Of(("n", (long)i)))));
            Assert.Null(error);
        }

        await _d.StopAsync();
    }

    public async Task DisposeAsync() => await _d.DisposeAsync();

    [Fact]
    public void The_head_is_in_the_daemons_log_at_start_and_at_stop()
    {
        var records = ReadAudit(_d);
        var last = records[^1];
        var opened = Heads(_d.Output, "opened");
        var closed = Heads(_d.Output, "closed");
        Assert.Equal((1L, records[0].GetString("hash")!), opened[0]);
        Assert.Equal((((JsonInteger)last["seq"]!).Value, last.GetString("hash")!), closed[^1]);
    }

    [Fact]
    public async Task A_log_cut_at_a_record_boundary_is_refused_until_an_operator_accepts_it_once()
    {
        var lines = File.ReadAllLines(_d.AuditLog);
        var anchored = lines.Length;
        File.WriteAllLines(_d.AuditLog, lines[..^3]);

        var (exit, output) = await _d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"ends at seq {anchored - 3}", output, StringComparison.Ordinal);
        Assert.Contains($"records up to seq {anchored}", output, StringComparison.Ordinal);
        Assert.Contains("3 record(s) are gone from its end", output, StringComparison.Ordinal);
        Assert.Contains($"--accept-audit-gap {anchored}", output, StringComparison.Ordinal);

        // keycustodyd --check-config finds the same.
        var check = _d.RunToEnd("--check-config", "--config", _d.ConfigFile);
        Assert.True(check.ExitCode == 2, check.Stdout + check.Stderr);
        Assert.Contains($"--accept-audit-gap {anchored}", check.Stdout + check.Stderr, StringComparison.Ordinal);

        // The number must be the one named: another is refused as well.
        _d.Arguments = ["--config", _d.ConfigFile, "--accept-audit-gap", (anchored - 3).ToString(CultureInfo.InvariantCulture)];
        (exit, _) = await _d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);

        _d.Arguments = ["--config", _d.ConfigFile, "--accept-audit-gap", anchored.ToString(CultureInfo.InvariantCulture)];
        await _d.StartAsync();
        var start = ReadAudit(_d)[anchored - 3];
        Assert.Equal("start", start.GetString("kind"));
        var anchor = start.GetObject("anchor")!;
        Assert.Equal("gap_accepted", anchor.GetString("state"));
        Assert.Equal("log_cut", anchor.GetObject("gap")!.GetString("kind"));
        Assert.Contains($"--accept-audit-gap {anchored}", anchor.GetObject("gap")!.GetString("accepted_by"), StringComparison.Ordinal);

        // Left on the command line, it is refused next time: there is nothing to accept.
        await _d.StopAsync();
        (exit, output) = await _d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("there is nothing to accept", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// A newcomer's sequence with the simulator: one start writes one record, so after an accepted gap only one anchor slot
    /// took the new head and the other still named the old one, which won at the next plain start (refused again), and a
    /// second --accept-audit-gap was taken. After an accepted gap the anchor describes the new chain only.
    /// </summary>
    [Fact]
    public async Task After_an_accepted_gap_plain_restarts_continue_and_a_second_acceptance_is_refused()
    {
        await using var sim = DaemonProcess.Create();
        var state = Path.Combine(sim.Root, "sim");
        sim.Socket = Path.Combine(state, KeyCustody.Contract.DaemonSockets.SocketFileName);
        string[] plain = ["--simulator", "--state-dir", state];
        sim.Arguments = plain;
        await sim.StartAsync();
        await sim.StopAsync();

        var log = Path.Combine(state, "audit.jsonl");
        var anchored = File.ReadAllLines(log).Length;
        Assert.True(anchored > 3, $"the first run wrote {anchored} records");
        File.WriteAllLines(log, File.ReadAllLines(log)[..2]);

        var (exit, output) = await sim.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains($"--accept-audit-gap {anchored}", output, StringComparison.Ordinal);

        string[] accepting = [.. plain, "--accept-audit-gap", anchored.ToString(CultureInfo.InvariantCulture)];
        sim.Arguments = accepting;
        await sim.StartAsync();
        await sim.StopAsync();

        sim.Arguments = plain;
        for (var run = 0; run < 2; run++)
        {
            await sim.StartAsync();
            await sim.StopAsync();
        }

        var starts = File.ReadAllLines(log).Select(l => CanonicalJson.ParseObject(System.Text.Encoding.UTF8.GetBytes(l)))
            .Where(r => r.GetString("kind") == "start").Select(r => r.GetObject("anchor")!.GetString("state")).ToList();
        Assert.Equal(["created", "gap_accepted", "continued", "continued"], starts);

        // Nothing to accept now: the option is refused, as --help says, and no second gap_accepted record is written.
        sim.Arguments = accepting;
        (exit, output) = await sim.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("there is nothing to accept", output, StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(log), l => l.Contains("gap_accepted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deleted_log_is_refused_while_the_anchor_or_pinned_keys_remain()
    {
        var anchored = File.ReadAllLines(_d.AuditLog).Length;
        File.Delete(_d.AuditLog);
        var (exit, output) = await _d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("is missing or empty", output, StringComparison.Ordinal);
        Assert.Contains($"--accept-audit-gap {anchored}", output, StringComparison.Ordinal);

        // Without the anchor too, the pinned key still says a daemon signed here.
        File.Delete(Path.Combine(_d.StateDirectory, "audit-anchor.json"));
        (exit, output) = await _d.RunExpectingFailureAsync();
        Assert.Equal(2, exit);
        Assert.Contains("keys were pinned or identities kept", output, StringComparison.Ordinal);
        Assert.Contains("--accept-audit-gap 0", output, StringComparison.Ordinal);

        _d.Arguments = ["--config", _d.ConfigFile, "--accept-audit-gap", "0"];
        await _d.StartAsync();
        var first = ReadAudit(_d)[0];
        Assert.Equal("start", first.GetString("kind"));
        Assert.Equal("log_missing", first.GetObject("anchor")!.GetObject("gap")!.GetString("kind"));
    }

    [Fact]
    public async Task A_last_record_complete_but_for_its_newline_is_kept()
    {
        var before = File.ReadAllBytes(_d.AuditLog);
        var count = File.ReadAllLines(_d.AuditLog).Length;
        File.WriteAllBytes(_d.AuditLog, before[..^1]);

        await _d.StartAsync();
        var records = ReadAudit(_d);
        Assert.Equal(count + 1, records.Count);
        var start = records[^1];
        Assert.Equal("start", start.GetString("kind"));
        Assert.Equal(0L, ((JsonInteger)start["torn_bytes_removed"]!).Value);
        Assert.True(start["kept_record_without_newline"] is JsonBoolean { Value: true });
        using var client = _d.Client();
        Assert.NotEmpty((await client.Custody.ListKeysAsync(new ListKeysRequest())).Keys);
    }

    /// <summary>
    /// keycustodyd --check-config, like nginx -t, runs beside the daemon it checks, whose anchor moves after every group
    /// commit while the check reads the log. The check read the anchor's seq before its pass and the anchor again after it,
    /// so a commit during the pass made it ask for a hash it had not kept: an unhandled InvalidOperationException, every
    /// time on a busy daemon with a 64 MB log. Read once, before the log, the anchor never leads what is read after it.
    /// The log comes through a FIFO so the anchor moves, deterministically, while the check is in the middle of its pass.
    /// </summary>
    [Fact]
    public async Task Check_config_beside_a_running_daemon_compares_the_log_with_the_anchor_as_it_read_it_first()
    {
        // The daemon's chain, continued as a running daemon would (a pass longer than the pipe's buffer).
        var log = new MemoryStream();
        log.Write(File.ReadAllBytes(_d.AuditLog));
        var records = ReadAudit(_d);
        var (seq, head) = (((JsonInteger)records[^1]["seq"]!).Value, records[^1].GetString("hash")!);
        while (log.Length < 2 * 1024 * 1024)
        {
            var (line, hash) = KeyCustody.Contract.Audit.AuditChain.Seal(JsonObject.Of(("kind", "decision"), ("call", new string('x', 300))), ++seq, head);
            log.Write(line);
            log.WriteByte((byte)'\n');
            head = hash;
        }

        var bytes = log.ToArray();
        File.Delete(_d.AuditLog);
        Assert.Equal(0, Posix.MakeFifo(_d.AuditLog, Convert.ToUInt32("600", 8)));
        var check = Task.Run(() => _d.RunToEnd("--check-config", "--config", _d.ConfigFile));
        await using (var pipe = await Task.Run(() => new FileStream(_d.AuditLog, FileMode.Open, FileAccess.Write)).WaitAsync(TimeSpan.FromMinutes(2)))
        {
            // Written past the pipe's 64 KiB: the check is reading the log, so it has read the anchor before it.
            var half = bytes.Length / 2;
            await pipe.WriteAsync(bytes.AsMemory(0, half));

            // The daemon commits the rest and its anchor follows (never ahead of the log on disk).
            using (var anchor = Audit.AuditAnchor.Open(Path.Combine(_d.StateDirectory, Audit.AuditAnchor.FileName)))
            {
                anchor.Rebase(new Audit.AuditHead(seq, head));
            }

            await pipe.WriteAsync(bytes.AsMemory(half));
        }

        var (exit, stdout, stderr) = await check.WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(exit == 0, stdout + stderr);
        Assert.Contains($"{seq} records, the chain is intact and continues its anchor", stdout, StringComparison.Ordinal);
    }

    private static List<(long Seq, string Hash)> Heads(string output, string when) =>
        HeadLine().Matches(output).Where(m => m.Groups["when"].Value == when)
            .Select(m => (long.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture), m.Groups["hash"].Value)).ToList();

    [GeneratedRegex("Audit log \\S+ (?<when>opened|closed): head seq (?<seq>\\d+), hash (?<hash>[0-9a-f]{64})")]
    private static partial Regex HeadLine();
}

internal static partial class Posix
{
    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "mkfifo", StringMarshalling = System.Runtime.InteropServices.StringMarshalling.Utf8)]
    public static partial int MakeFifo(string path, uint mode);
}
