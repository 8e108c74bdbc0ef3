using System.Text;
using KeyCustody.Matrix.Json;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Matrix.Tests;

/// <summary>MSC4458's canonical-JSON cases. KeyCustody takes REJECT wherever a case allows it.</summary>
public class Msc4458Tests
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Path.Combine(TestPaths.Vectors, "msc4458")).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }

        return data;
    }

    [Fact]
    public void All_eleven_cases_are_present() => Assert.Equal(11, Cases().Count);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case(string name)
    {
        var (input, acceptable) = Load(name);
        if (acceptable.Contains("REJECT"))
        {
            var e = Assert.Throws<CanonicalJsonException>(() => CanonicalJson.Canonicalize(input));
            Assert.False(string.IsNullOrEmpty(e.Message));
        }
        else
        {
            Assert.Contains(Encoding.UTF8.GetString(CanonicalJson.Canonicalize(input)), acceptable);
        }
    }

    /// <summary>Input lines (without '#' comments) before the '---' line, acceptable outputs after it.</summary>
    internal static (byte[] Input, List<string> Acceptable) Load(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(TestPaths.Vectors, "msc4458", name));
        var lines = PythonOracle.SplitLines(bytes);
        var separator = lines.FindIndex(l => l.AsSpan().SequenceEqual("---"u8));
        Assert.True(separator > 0, $"{name} has no --- line");
        var input = new MemoryStream();
        foreach (var line in lines.Take(separator).Where(l => l.Length == 0 || l[0] != '#'))
        {
            input.Write(line);
            input.WriteByte((byte)'\n');
        }

        var acceptable = lines.Skip(separator + 1).Where(l => l.Length > 0).Select(l => Encoding.UTF8.GetString(l)).ToList();
        return (input.ToArray(), acceptable);
    }
}
