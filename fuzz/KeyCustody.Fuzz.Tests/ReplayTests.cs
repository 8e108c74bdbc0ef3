using System.Reflection;
using KeyCustody.Fuzz.HwSim;
using KeyCustody.Fuzz.Json;
using KeyCustody.Fuzz.Pipeline;
using KeyCustody.Fuzz.Piv;
using Xunit;

namespace KeyCustody.Fuzz.Tests;

/// <summary>Seeds and former crashes of each target, one test case per file, through the harness itself.</summary>
public sealed class ReplayTests
{
    public static TheoryData<string> JsonInputs => Inputs("json");

    public static TheoryData<string> PivInputs => Inputs("piv");

    public static TheoryData<string> HwSimInputs => Inputs("hwsim");

    public static TheoryData<string> PipelineInputs => Inputs("pipeline");

    [Theory]
    [MemberData(nameof(JsonInputs))]
    public void Json(string input) => Replay(input, JsonTarget.Run);

    [Theory]
    [MemberData(nameof(PivInputs))]
    public void Piv(string input) => Replay(input, PivTarget.Run);

    [Theory]
    [MemberData(nameof(HwSimInputs))]
    public void HwSim(string input) => Replay(input, HwSimTarget.Run);

    [Theory]
    [MemberData(nameof(PipelineInputs))]
    public void Pipeline(string input) => Replay(input, PipelineTarget.Run);

    [Fact]
    public void EveryTargetHasSeeds()
    {
        foreach (var target in new[] { "json", "piv", "hwsim", "pipeline" })
        {
            Assert.True(Inputs(target).Count >= 10, $"fuzz/corpus/{target} has fewer than 10 seeds");
        }
    }

    private static void Replay(string input, Action<byte[]> target)
    {
        var problem = FuzzDriver.RunOne(Path.Combine(FuzzRoot, input), target);
        Assert.True(problem is null, $"{input}: {problem}");
    }

    /// <summary>Paths relative to fuzz/ (readable test names): corpus/TARGET/* and regressions/TARGET/*.</summary>
    private static TheoryData<string> Inputs(string target)
    {
        var data = new TheoryData<string>();
        foreach (var folder in new[] { "corpus", "regressions" })
        {
            var dir = Path.Combine(FuzzRoot, folder, target);
            if (Directory.Exists(dir))
            {
                foreach (var file in FuzzDriver.Expand(dir))
                {
                    data.Add(Path.GetRelativePath(FuzzRoot, file));
                }
            }
        }

        return data;
    }

    private static string FuzzRoot { get; } = FindFuzzRoot();

    private static string FindFuzzRoot()
    {
        // Above the build output when it is in the tree; otherwise where the project was built from.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KeyCustody.sln")))
            {
                return Path.Combine(dir.FullName, "fuzz");
            }
        }

        return typeof(ReplayTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FuzzRoot").Value!;
    }
}
