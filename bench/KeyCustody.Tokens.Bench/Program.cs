using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using KeyCustody.Tokens.Bench;

// In-process toolchain: the rigs (SoftHSM2 config, private pcscd) live in this process, no child build.
var job = Job.Default
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithWarmupCount(3)
    .WithIterationCount(10);
var config = ManualConfig.Create(DefaultConfig.Instance).AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator);
var summary = BenchmarkRunner.Run<TokenBenchmarks>(config, args);
TokenBenchmarks.StopPcscd();

// The README table: signatures per second from the same run, and the pool-of-2 target.
var rates = summary.Reports
    .Where(report => report.ResultStatistics is not null)
    .ToDictionary(report => report.BenchmarkCase.Descriptor.WorkloadMethod.Name, report => 1e9 / report.ResultStatistics!.Mean);
var descriptions = summary.Reports.ToDictionary(
    report => report.BenchmarkCase.Descriptor.WorkloadMethod.Name,
    report => report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''));
Console.WriteLine();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
Console.WriteLine("| path | signatures/s | vs raw C_Sign |");
Console.WriteLine("|---|---:|---:|");
rates.TryGetValue(nameof(TokenBenchmarks.RawCSignOneSession), out var raw);
foreach (var (method, rate) in rates)
{
    var ratio = raw > 0 && method.Contains("Pool", StringComparison.Ordinal) || method.StartsWith("Raw", StringComparison.Ordinal) ? $"{rate / raw:0.00}×" : "";
    Console.WriteLine($"| {descriptions[method]} | {rate:N0} | {ratio} |");
}

if (raw > 0 && rates.TryGetValue(nameof(TokenBenchmarks.OursPoolOf2TwoSigners), out var pool2))
{
    bool met = pool2 >= 1.5 * raw;
    Console.WriteLine($"target (pool of 2 >= 1.5x raw single session): {(met ? "met" : "MISSED")} ({pool2 / raw:0.00}x)");
}

return 0;
