using System.Text;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Cli.Tests;

public class JsonCommandTests
{
    private const string SpecSeed = "YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1";
    private const string SpecPublicKey = "XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI";

    [Fact]
    public void Canonicalize_reads_stdin_and_files()
    {
        var r = Cli.Run("{\"b\": \"\\u65E5\", \"a\": [1, -0]}", "json", "canonicalize");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("{\"a\":[1,0],\"b\":\"日\"}\n", r.Out);
        Assert.Empty(r.Stderr);

        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "{\"z\": null, \"y\": true}");
            var f = Cli.Run((byte[]?)null, "json", "canonicalize", file);
            Assert.Equal("{\"y\":true,\"z\":null}\n", f.Out);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static TheoryData<string> RejectCases()
    {
        var data = new TheoryData<string>();
        foreach (var example in TestData.Root.GetProperty("canonical_json_examples").EnumerateArray())
        {
            if (example.GetProperty("canonical").GetString() == "REJECT")
            {
                data.Add(example.GetProperty("input").GetString()!);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(RejectCases))]
    public void Every_reject_vector_exits_2_with_one_error_line(string input)
    {
        Cli.AssertBadInput(Cli.Run(input, "json", "canonicalize"), " at byte ");
    }

    [Theory]
    [InlineData("03-object-duplicate-keys", "duplicate key")]
    [InlineData("10-float1", "floating-point")]
    [InlineData("11-exponent", "exponents")]
    [InlineData("21-string-unpaired-surrogate", "unpaired high surrogate")]
    [InlineData("23-string-invalid-utf-8", "unpaired low surrogate")]
    public void Msc4458_reject_cases_exit_2(string name, string reason)
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.Vectors, "msc4458", name));
        var input = string.Join('\n', lines.TakeWhile(l => l != "---").Where(l => !l.StartsWith('#')));
        Cli.AssertBadInput(Cli.Run(input, "json", "canonicalize"), reason);
    }

    [Fact]
    public void Lines_mode_answers_every_line_and_exits_2_when_any_is_refused()
    {
        var r = Cli.Run("{\"b\":1,\"a\":2}\n[1.5]\n\"x\"\n", "json", "canonicalize", "--lines");
        Assert.Equal(2, r.ExitCode);
        var lines = r.Out.Split('\n');
        Assert.Equal("{\"a\":2,\"b\":1}", lines[0]);
        Assert.StartsWith("error: floating-point numbers are not allowed", lines[1], StringComparison.Ordinal);
        Assert.Equal("\"x\"", lines[2]);
        Assert.Equal(["error: 1 of 3 lines were refused"], r.ErrLines);

        var ok = Cli.Run("{}\n[]", "json", "canonicalize", "--lines");
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("{}\n[]\n", ok.Out);
    }

    [Fact]
    public void Sign_reproduces_the_spec_vectors()
    {
        var r = Cli.Run("{}\n{\"one\": 1, \"two\": \"Two\"}\n", "json", "sign", "--seed", SpecSeed, "--entity", "domain", "--key-name", "1", "--lines");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(
            "{\"signatures\":{\"domain\":{\"ed25519:1\":\"K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ\"}}}\n" +
            "{\"one\":1,\"signatures\":{\"domain\":{\"ed25519:1\":\"KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw\"}},\"two\":\"Two\"}\n",
            r.Out);
    }

    [Theory]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("{\"signatures\": 1}", "'signatures' must be an object")]
    [InlineData("{\"a\": 1e5}", "exponents")]
    public void Sign_refuses_bad_input(string input, string reason)
    {
        Cli.AssertBadInput(Cli.Run(input, "json", "sign", "--seed", SpecSeed, "--entity", "domain", "--key-name", "1"), reason);
    }

    [Theory]
    [InlineData("AAAA", "32 bytes")]
    [InlineData("not base64!", "invalid base64")]
    public void Sign_refuses_bad_seeds(string seed, string reason)
    {
        Cli.AssertBadInput(Cli.Run("{}", "json", "sign", "--seed", seed, "--entity", "domain", "--key-name", "1"), reason);
    }

    [Fact]
    public void Verify_exits_0_valid_1_invalid_2_bad_input()
    {
        var signed = Cli.Run("{\"one\": 1}", "json", "sign", "--seed", SpecSeed, "--entity", "domain", "--key-name", "1").Out;

        var valid = Cli.Run(signed, "json", "verify", "--public-key", SpecPublicKey, "--entity", "domain", "--key-name", "1");
        Assert.Equal(0, valid.ExitCode);

        var tampered = Cli.Run(signed.Replace("\"one\":1", "\"one\":2", StringComparison.Ordinal), "json", "verify", "--public-key", SpecPublicKey, "--entity", "domain", "--key-name", "1");
        Assert.Equal(1, tampered.ExitCode);
        Assert.Empty(tampered.Stdout);
        Assert.Equal(["invalid: the signature from domain with key ed25519:1 does not verify"], tampered.ErrLines);

        var missing = Cli.Run(signed, "json", "verify", "--public-key", SpecPublicKey, "--entity", "other", "--key-name", "1");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no signatures from other", missing.Stderr, StringComparison.Ordinal);

        Cli.AssertBadInput(Cli.Run(signed, "json", "verify", "--public-key", "AAAA", "--entity", "domain", "--key-name", "1"), "--public-key");
        Cli.AssertBadInput(Cli.Run("{bad", "json", "verify", "--public-key", SpecPublicKey, "--entity", "domain", "--key-name", "1"));
    }

    [Fact]
    public void Usage_errors_are_one_line_and_exit_2()
    {
        Cli.AssertBadInput(Cli.Run("{}", "json", "sign", "--entity", "domain", "--key-name", "1"), "--seed");
        Cli.AssertBadInput(Cli.Run("{}", "json", "frobnicate"));
        Cli.AssertBadInput(Cli.Run("{}"));
        Cli.AssertBadInput(Cli.Run((byte[]?)null, "json", "canonicalize", "/nonexistent/file.json"), "cannot read");
    }

    [Fact]
    public void Help_lists_exit_codes()
    {
        var r = Cli.Run((byte[]?)null, "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Exit codes:", r.Out, StringComparison.Ordinal);
        Assert.Contains("2  bad input", r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Output_is_utf8_raw_not_escaped()
    {
        var r = Cli.Run("[\"\\u2028\\ud83d\\ude00\"]", "json", "canonicalize");
        Assert.Equal(Encoding.UTF8.GetBytes("[\"\u2028😀\"]\n"), r.Stdout);
    }
}
