using KeyCustody.Matrix.Codecs;
using KeyCustody.Tests.Shared;
using Xunit;
using Xunit.Abstractions;

namespace KeyCustody.Cli.Tests;

/// <summary>
/// The CLI itself, in --lines mode, against python-canonicaljson and python-signedjson: 10,000 awkward
/// documents per run through one process each. Seed printed; KEYCUSTODY_DIFF_SEED replays.
/// </summary>
public class DifferentialCliTests(ITestOutputHelper output)
{
    private const int Documents = 10_000;

    private static int Seed()
    {
        var fixedSeed = Environment.GetEnvironmentVariable("KEYCUSTODY_DIFF_SEED");
        return fixedSeed is null ? Random.Shared.Next() : int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static byte[] Join(IEnumerable<byte[]> lines)
    {
        using var ms = new MemoryStream();
        foreach (var line in lines)
        {
            ms.Write(line);
            ms.WriteByte((byte)'\n');
        }

        return ms.ToArray();
    }

    [Fact]
    public void Json_canonicalize_lines_equals_python()
    {
        var seed = Seed();
        output.WriteLine($"seed {seed}");
        var gen = new AwkwardJson(seed);
        var inputs = Enumerable.Range(0, Documents).Select(_ => gen.Noisy(gen.Document(false))).ToList();
        var python = PythonOracle.Canonicalize(inputs);
        var r = Cli.Run(Join(inputs), "json", "canonicalize", "--lines");
        Assert.Equal(0, r.ExitCode);
        AssertSame(seed, inputs, python, PythonOracle.SplitLines(r.Stdout));
    }

    [Fact]
    public void Json_sign_lines_equals_python()
    {
        var seed = Seed();
        output.WriteLine($"seed {seed}");
        var gen = new AwkwardJson(seed);
        var seedBytes = new byte[32];
        new Random(seed).NextBytes(seedBytes);
        var seedText = UnpaddedBase64.Encode(seedBytes);
        var inputs = Enumerable.Range(0, Documents).Select(_ => gen.Noisy(gen.Document(true))).ToList();
        var python = PythonOracle.Sign(inputs, seedText, "@alice:example.org", "JLAFKJWSCS");
        var r = Cli.Run(Join(inputs), "json", "sign", "--lines", "--seed", seedText, "--entity", "@alice:example.org", "--key-name", "JLAFKJWSCS");
        Assert.Equal(0, r.ExitCode);
        AssertSame(seed, inputs, python, PythonOracle.SplitLines(r.Stdout));
    }

    private static void AssertSame(int seed, List<byte[]> inputs, IReadOnlyList<byte[]> python, List<byte[]> ours)
    {
        Assert.Equal(inputs.Count, ours.Count);
        for (var i = 0; i < inputs.Count; i++)
        {
            Assert.True(python[i].AsSpan().SequenceEqual(ours[i]),
                $"seed {seed}, line {i}:\n input  {PythonOracle.Show(inputs[i])}\n python {PythonOracle.Show(python[i])}\n ours   {PythonOracle.Show(ours[i])}");
        }
    }
}
