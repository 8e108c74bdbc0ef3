using System.Diagnostics;
using System.Net.Sockets;
using Grpc.Core;
using KeyCustody.Daemon.Hosting.Systemd;
using KeyCustody.Matrix.Json;
using Xunit;
using static KeyCustody.Daemon.Tests.Harness;

namespace KeyCustody.Daemon.Tests.Systemd;

/// <summary>
/// Journald's native protocol from the real daemon: the test binds the datagram socket the configuration names as
/// journalSocket and starts the daemon with JOURNAL_STREAM naming its own standard error, as systemd does for a unit
/// whose output is the journal. Each request's end is an entry with KEYCUSTODY_REQUEST_ID, _KEY, _RESULT (and _RULE for
/// a policy refusal), at the right PRIORITY, and not on the console as well; no payload in any field. With
/// JOURNAL_STREAM naming another stream the console is used as before.
/// </summary>
public sealed class JournalTests
{
    private const string Marker = "journal-payload-marker-5c1e";

    [Fact]
    public async Task Each_request_ends_in_an_entry_journalctl_can_select_by_result_key_and_request_id()
    {
        await using var d = DaemonProcess.Create();
        using var journal = new JournalSocket(Path.Combine(d.Root, "journal"));
        Configure(d, journal.Path);
        d.Launcher = start => WithJournalStream(start, "$(stat -L -c %d:%i /proc/self/fd/2)");
        await d.StartAsync();
        using var client = d.Client();
        await Generate(client, "soft", "usk");
        await Accept(client, "usk");
        await Generate(client, "soft", "srv");

        var (_, policy) = await Collect(client.Custody.SignJson(SignRequest("usk", JsonObject.Of(("note", Marker)))));
        Assert.Equal(StatusCode.FailedPrecondition, policy!.StatusCode);
        var (_, rule) = await Collect(client.Custody.SignJson(SignRequest("unlisted", JsonObject.Of(("note", Marker)))));
        Assert.Equal(StatusCode.PermissionDenied, rule!.StatusCode);
        Assert.Null((await Collect(client.Custody.SignJson(SignRequest("srv", JsonObject.Of(("note", Marker)))))).Error);

        var entries = journal.Entries();
        var refused = Assert.Single(entries, e => e.GetValueOrDefault("KEYCUSTODY_RESULT") == "refused_policy");
        Assert.Equal("usk", refused["KEYCUSTODY_KEY"]);
        Assert.Equal("4", refused["PRIORITY"]);
        Assert.Equal("keycustodyd", refused["SYSLOG_IDENTIFIER"]);
        Assert.Equal("102", refused["KEYCUSTODY_EVENT_ID"]);
        Assert.False(string.IsNullOrEmpty(refused["KEYCUSTODY_RULE"]));
        Assert.StartsWith("uid:", refused["KEYCUSTODY_PRINCIPAL"], StringComparison.Ordinal);
        Assert.Contains("refused by policy", refused["MESSAGE"], StringComparison.Ordinal);
        var decision = Assert.Single(ReadAudit(d), r => r.GetString("decision") == "policy_denied");
        Assert.Equal(decision.GetString("request_id"), refused["KEYCUSTODY_REQUEST_ID"]);

        Assert.Equal("unlisted", Assert.Single(entries, e => e.GetValueOrDefault("KEYCUSTODY_RESULT") == "refused_rule")["KEYCUSTODY_KEY"]);
        var signed = Assert.Single(entries, e => e.GetValueOrDefault("KEYCUSTODY_RESULT") == "signed");
        Assert.Equal(("srv", "6"), (signed["KEYCUSTODY_KEY"], signed["PRIORITY"]));
        Assert.Contains(entries, e => e["MESSAGE"].StartsWith("Audit log ", StringComparison.Ordinal) && e.ContainsKey("KEYCUSTODY_AUDIT_LOG"));

        Assert.DoesNotContain(entries, e => e.Values.Any(v => v.Contains(Marker, StringComparison.Ordinal)));
        Assert.DoesNotContain("refused by policy", d.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_refused_request_ends_in_one_entry_with_its_result_bad_input_and_an_unusable_key_included()
    {
        await using var d = DaemonProcess.Create();
        using var journal = new JournalSocket(Path.Combine(d.Root, "journal"));
        Configure(d, journal.Path);
        d.Launcher = start => WithJournalStream(start, "$(stat -L -c %d:%i /proc/self/fd/2)");
        await d.StartAsync();
        using var client = d.Client();
        await Generate(client, "soft", "srv");

        var (_, bad) = await Collect(client.Custody.SignJson(SignRequest("srv", System.Text.Encoding.UTF8.GetBytes("{\"note\":\"" + Marker + "\""))));
        Assert.Equal(StatusCode.InvalidArgument, bad!.StatusCode);
        var (_, absent) = await Collect(client.Custody.SignJson(SignRequest("absent", JsonObject.Of(("note", Marker)))));
        Assert.NotNull(absent);

        var entries = journal.Entries();
        var decisions = ReadAudit(d).Where(r => r.GetString("kind") == "decision").ToList();
        Assert.Equal(2, decisions.Count);
        foreach (var decision in decisions)
        {
            Assert.Single(entries, e => e.GetValueOrDefault("KEYCUSTODY_REQUEST_ID") == decision.GetString("request_id") && e.ContainsKey("KEYCUSTODY_RESULT"));
        }

        Assert.Equal("srv", Assert.Single(entries, e => e.GetValueOrDefault("KEYCUSTODY_RESULT") == "bad_input")["KEYCUSTODY_KEY"]);
        Assert.Equal("absent", Assert.Single(entries, e => e.GetValueOrDefault("KEYCUSTODY_RESULT") == "token_unavailable")["KEYCUSTODY_KEY"]);
        Assert.DoesNotContain(entries, e => e.Values.Any(v => v.Contains(Marker, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task With_JOURNAL_STREAM_naming_another_stream_the_console_is_used()
    {
        await using var d = DaemonProcess.Create();
        using var journal = new JournalSocket(Path.Combine(d.Root, "journal"));
        Configure(d, journal.Path);
        d.Launcher = start => WithJournalStream(start, "1:1");
        await d.StartAsync();

        Assert.Empty(journal.Entries());
        Assert.Contains("Audit log ", d.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Fields_are_named_as_journald_wants_and_multi_line_values_are_length_prefixed()
    {
        Assert.Equal("REQUEST_ID", JournalFields.Name("RequestId"));
        Assert.Equal("PAYLOAD_SHA256", JournalFields.Name("PayloadSha256"));
        Assert.Equal("SOURCE_CONTEXT", JournalFields.Name("SourceContext"));
        Assert.Equal("A_B", JournalFields.Name("a.b"));
        Assert.Equal(64 - JournalFields.Prefix.Length, JournalFields.Name(new string('X', 100)).Length);

        var bytes = JournalDatagram.Encode([new("MESSAGE", "two\nlines"), new("PRIORITY", "3")]);
        Assert.Equal("MESSAGE\n"u8.ToArray().Concat(new byte[] { 9, 0, 0, 0, 0, 0, 0, 0 }).Concat("two\nlines\nPRIORITY=3\n"u8.ToArray()), bytes);
        Assert.Equal([new("MESSAGE", "two\nlines"), new("PRIORITY", "3")], JournalDatagram.Decode(bytes));
    }

    private static void Configure(DaemonProcess d, string journalSocket) => d.Configure(new
    {
        journalSocket,
        tokens = new[] { Software(d, "soft") },
        keys = new[]
        {
            Key("usk", "soft", "usk", "user_signing"),
            Key("srv", "soft", "srv", "server", owner: "example.org", presence: "none", version: "1"),
            Key("unlisted", "soft", "other", "server", owner: "example.org", presence: "none", version: "2"),
            Key("absent", "soft", "absent", "server", owner: "example.org", presence: "none", version: "3"),
        },
        access = new[] { Rule(Me, ["usk", "srv", "absent"], "sign", "admin"), Rule(Me, ["*"], "admin") },
    });

    /// <summary>The daemon started by a shell that sets JOURNAL_STREAM (a shell word, expanded there) and execs it.</summary>
    private static ProcessStartInfo WithJournalStream(ProcessStartInfo daemon, string value)
    {
        var start = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"export JOURNAL_STREAM={value} && exec \"$@\"");
        start.ArgumentList.Add("sh");
        start.ArgumentList.Add(daemon.FileName);
        foreach (var a in daemon.ArgumentList)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, v) in daemon.Environment)
        {
            start.Environment[name] = v;
        }

        return start;
    }

    /// <summary>
    /// Where the daemon is told journald listens: a datagram socket read by its own thread, as journald would (a Unix
    /// datagram queue holds only net.unix.max_dgram_qlen entries, 10 here; then the sender waits).
    /// </summary>
    private sealed class JournalSocket : IDisposable
    {
        private static readonly byte[] Sync = "TEST_SYNC=1\n"u8.ToArray();
        private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        private readonly List<Dictionary<string, string>> _entries = [];
        private readonly SemaphoreSlim _synced = new(0);

        public JournalSocket(string path)
        {
            Path = path;
            _socket.Bind(new UnixDomainSocketEndPoint(path));
            new Thread(Read) { IsBackground = true, Name = "journal-socket" }.Start();
        }

        public string Path { get; }

        /// <summary>
        /// Every entry sent before this call: a datagram of the test's own goes to the back of the queue, and the entries
        /// are returned once it is read (the daemon logs before it answers, so its entries are ahead of it).
        /// </summary>
        public List<Dictionary<string, string>> Entries()
        {
            using (var sender = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified))
            {
                sender.SendTo(Sync, new UnixDomainSocketEndPoint(Path));
            }

            Assert.True(_synced.Wait(TimeSpan.FromMinutes(2)), "the test's own datagram never came back");
            lock (_entries)
            {
                return [.. _entries];
            }
        }

        private void Read()
        {
            var buffer = new byte[1 << 20];
            try
            {
                while (true)
                {
                    var n = _socket.Receive(buffer);
                    if (buffer.AsSpan(0, n).SequenceEqual(Sync))
                    {
                        _synced.Release();
                        continue;
                    }

                    var entry = JournalDatagram.Decode(buffer.AsSpan(0, n)).ToDictionary(f => f.Key, f => f.Value);
                    lock (_entries)
                    {
                        _entries.Add(entry);
                    }
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Disposed.
            }
        }

        public void Dispose()
        {
            _socket.Dispose();
            _synced.Dispose();
        }
    }
}
