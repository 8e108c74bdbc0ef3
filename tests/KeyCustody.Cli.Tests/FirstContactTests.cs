using System.Text;
using KeyCustody.Matrix.CrossSigning;
using KeyCustody.Matrix.Json;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Cli.Tests;

/// <summary>What a newcomer meets first: unknown commands, --json everywhere, files that are not what they should be, big inputs.</summary>
public sealed class FirstContactTests
{
    private const string SpecSeed = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
    private const string SpecPublicKey = "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI";

    /// <summary>
    /// --socket's help says where keycustody looks for the daemon, in DaemonSocket.Default's order, and shows no
    /// "[default: /run/keycustody/keycustodyd.sock]": that one path contradicted the order it had just described.
    /// </summary>
    [Theory]
    [InlineData("--help")]
    [InlineData("keys", "list", "--help")]
    public void Socket_help_says_the_search_order_and_no_default(params string[] args)
    {
        var runtime = Directory.CreateTempSubdirectory("kc-help-").FullName;
        try
        {
            var r = Cli.RunWith(
                environment =>
                {
                    environment.Remove("KEYCUSTODY_SOCKET");
                    environment["XDG_RUNTIME_DIR"] = runtime;
                },
                null,
                args);
            Assert.Equal(0, r.ExitCode);
            var line = Assert.Single(r.Out.Split('\n'), l => l.TrimStart().StartsWith("--socket", StringComparison.Ordinal));
            Assert.EndsWith(
                "the daemon's Unix socket; without it, keycustody uses $KEYCUSTODY_SOCKET when set, else /run/keycustody/keycustodyd.sock when it exists, "
                + $"else your keycustodyd --simulator's {runtime}/keycustody-simulator/keycustodyd.sock when it exists, else /run/keycustody/keycustodyd.sock",
                line.TrimEnd(),
                StringComparison.Ordinal);
            Assert.DoesNotContain("[default:", line, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(runtime, recursive: true);
        }
    }

    [Theory]
    [InlineData("'foo' is not a command of keycustody; its commands are json, ", "foo")]
    [InlineData("'lst' is not a command of keycustody keys; its commands are list, public, generate", "keys", "lst")]
    [InlineData("keycustody cross-sign needs a command: device, user", "cross-sign")]
    public void An_unknown_or_missing_command_is_named(string message, params string[] args)
    {
        var r = Cli.Run(string.Empty, args);
        Cli.AssertBadInput(r, message);
        Assert.DoesNotContain("Required command was not provided", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_verify_answers_in_json_with_json()
    {
        var signed = Cli.Run("{\"a\":1}", "json", "sign", "--seed", SpecSeed, "--entity", "example.org", "--key-name", "1").Stdout;
        var valid = Cli.Run(signed, "json", "verify", "--public-key", SpecPublicKey, "--entity", "example.org", "--key-name", "1", "--json");
        Assert.Equal(0, valid.ExitCode);
        Assert.Equal("{\"valid\":true}\n", valid.Out);

        var invalid = Cli.Run(signed, "json", "verify", "--public-key", SpecPublicKey, "--entity", "example.org", "--key-name", "2", "--json");
        Assert.Equal(1, invalid.ExitCode);
        var answer = CanonicalJson.ParseObject(invalid.Stdout);
        Assert.Equal(JsonBoolean.False, answer["valid"]);
        Assert.Equal("no signature from example.org with key ed25519:2", answer.GetString("reason"));
    }

    [Fact]
    public void Audit_verify_on_a_file_that_is_no_audit_log_says_so()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "{\"a\":1}\n");
            var r = Cli.Run(string.Empty, "audit", "verify", file);
            Assert.Equal(1, r.ExitCode);
            Assert.Equal("broken: line 1 (seq 1): not an audit record: it has no integer seq (is this a keycustodyd audit log? it is audit.jsonl in the daemon's state directory)\n", r.Stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>
    /// `audit tail -n 0`, a negative count or more than the daemon returns is a usage error (exit 2, before any daemon is
    /// asked), not the last record in silence (the daemon's own clamp).
    /// </summary>
    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("10001")]
    public void Audit_tail_with_a_count_out_of_range_is_a_usage_error(string n)
    {
        var r = Cli.Run(string.Empty, "audit", "tail", "--socket", "/nonexistent/keycustodyd.sock", "-n", n);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: -n is how many records, 1 to 10,000 (the most the daemon returns), not {n}\n", r.Stderr);
        Assert.Empty(r.Stdout);
    }

    /// <summary>A 5 MiB file is "5 MiB (5,242,880 bytes)", not "input of 4194305 bytes" (what was read before giving up).</summary>
    [Fact]
    public void An_input_over_the_limit_is_reported_with_its_size_in_MiB()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(file, Enumerable.Repeat((byte)' ', 5 << 20).ToArray());
            Cli.AssertBadInput(Cli.Run(string.Empty, "json", "canonicalize", file), $"error: {file} is 5 MiB (5,242,880 bytes); the limit is 4 MiB (4,194,304 bytes)");
            // Standard input is read only up to the limit, so its size is unknown past it (a little over: the rest fits the pipe).
            Cli.AssertBadInput(Cli.Run(Encoding.ASCII.GetBytes(new string(' ', (4 << 20) + 1000)), "json", "canonicalize"), "error: standard input is more than 4 MiB (4,194,304 bytes); the limit is 4 MiB (4,194,304 bytes)");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The public key of a seed, against PyNaCl's (through python-signedjson's key helpers).</summary>
    [Fact]
    public void Dev_public_key_derives_the_public_key_of_a_seed()
    {
        var r = Cli.Run(string.Empty, "dev", "public-key", "--seed", SpecSeed);
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(SpecPublicKey + "\n", r.Out);
        var seed = Cli.Run(string.Empty, "dev", "seed", "--json");
        var fresh = CanonicalJson.ParseObject(seed.Stdout).GetString("seed")!;
        var mine = Cli.Run(string.Empty, "dev", "public-key", "--seed", fresh).Out.Trim();
        Assert.Equal(PythonPublicKey(fresh), mine);
    }

    /// <summary>A test device made by hand: a device-keys object, self-signed (python-signedjson agrees).</summary>
    [Fact]
    public void Dev_device_makes_a_self_signed_test_device()
    {
        var r = Cli.Run(string.Empty, "dev", "device", "--user", "@alice:example.org", "--device-id", "TESTPHONE", "--seed", SpecSeed);
        Assert.True(r.ExitCode == 0, r.Stderr);
        var device = DeviceKeys.Parse(CanonicalJson.ParseObject(r.Stdout));
        Assert.Equal(("@alice:example.org", "TESTPHONE", SpecPublicKey), (device.UserId, device.DeviceId, device.Ed25519Key.Base64));
        Assert.True(device.VerifySelfSignature().IsValid);
        Assert.Equal(["valid"], PythonOracle.Verify([r.Stdout.AsSpan().TrimEnd((byte)'\n').ToArray()], SpecPublicKey, "@alice:example.org", "TESTPHONE"));
        Cli.AssertBadInput(Cli.Run(string.Empty, "dev", "device", "--user", "alice", "--device-id", "X", "--seed", SpecSeed), "user_id");
    }

    private static string PythonPublicKey(string seed)
    {
        var (exit, output) = ChildProcess.Run(PythonOracle.Python, ["-c", "import sys, signedjson.key as k; print(k.encode_verify_key_base64(k.get_verify_key(k.decode_signing_key_base64('ed25519', '1', sys.argv[1]))))", seed]);
        Assert.True(exit == 0, output);
        return output.Trim();
    }
}
