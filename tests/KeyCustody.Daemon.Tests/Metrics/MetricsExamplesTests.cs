using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using KeyCustody.Daemon.Metrics;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.Daemon.Tests.Metrics;

/// <summary>
/// examples/prometheus/alerts.yml passes Prometheus' own checker (promtool check rules) and unit tests (promtool test
/// rules), and it and the Grafana dashboard
/// (examples/grafana/keycustody.json) name only families the daemon exposes; the dashboard shows every family.
/// </summary>
public sealed partial class MetricsExamplesTests
{
    private static string AlertsFile => Path.Combine(TestPaths.RepoRoot, "examples", "prometheus", "alerts.yml");

    private static string DashboardFile => Path.Combine(TestPaths.RepoRoot, "examples", "grafana", "keycustody.json");

    [Fact]
    public void The_alert_rules_pass_promtool_and_name_only_families_the_daemon_exposes()
    {
        var (exit, output) = Run("promtool", "check", "rules", AlertsFile);
        Assert.True(exit == 0, $"promtool check rules exited {exit}:\n{output}");
        Assert.Contains("SUCCESS: 10 rules found", output, StringComparison.Ordinal);

        var expressions = File.ReadAllLines(AlertsFile).Where(l => l.TrimStart().StartsWith("expr:", StringComparison.Ordinal)).ToList();
        Assert.Equal(10, expressions.Count);
        Assert.All(expressions, e => AssertNamesExist(e, AlertsFile));
        var named = expressions.SelectMany(Families).ToHashSet();
        Assert.Superset(new HashSet<string> { MetricNames.TokenPresent, MetricNames.TokenPinRetries, MetricNames.AuditHealthy, MetricNames.Requests, MetricNames.RequestDuration }, named);
    }

    /// <summary>
    /// promtool's unit tests (alerts.test.yml beside this file): a token absent for a minute, PIN retries at 1, a failed
    /// audit log, presence timeouts rising and a p99 above 30 s each fire with their labels and words; not before.
    /// </summary>
    [Fact]
    public void The_alerts_fire_on_the_series_the_daemon_exposes()
    {
        var tests = Path.Combine(TestPaths.RepoRoot, "tests", "KeyCustody.Daemon.Tests", "Metrics", "alerts.test.yml");
        var (exit, output) = Run("promtool", "test", "rules", tests);
        Assert.True(exit == 0, $"promtool test rules exited {exit}:\n{output}");
        Assert.Contains("SUCCESS", output, StringComparison.Ordinal);
        Assert.All(File.ReadAllLines(tests).Where(l => l.TrimStart().StartsWith("- series:", StringComparison.Ordinal)), l => AssertNamesExist(l, tests));
    }

    [Fact]
    public void Promtool_refuses_a_broken_rule_file()
    {
        var broken = Path.Combine(Directory.CreateTempSubdirectory("alerts-").FullName, "alerts.yml");
        File.WriteAllText(broken, File.ReadAllText(AlertsFile).Replace("keycustody_token_present == 0", "keycustody_token_present ==", StringComparison.Ordinal));
        Assert.NotEqual(0, Run("promtool", "check", "rules", broken).ExitCode);
    }

    [Fact]
    public void Every_dashboard_panel_queries_existing_families_and_every_family_is_shown()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DashboardFile));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        Assert.NotEmpty(panels);
        var shown = new HashSet<string>();
        foreach (var panel in panels)
        {
            var targets = panel.GetProperty("targets").EnumerateArray().ToList();
            Assert.True(targets.Count > 0, $"panel {panel.GetProperty("title")} has no query");
            foreach (var target in targets)
            {
                var expr = target.GetProperty("expr").GetString()!;
                AssertNamesExist(expr, DashboardFile);
                Assert.NotEmpty(Families(expr));
                shown.UnionWith(Families(expr));
            }
        }

        Assert.Equal(MetricNames.All.Order(), shown.Order());
    }

    /// <summary>Every keycustody_ name in <paramref name="expr"/> is a family (or a histogram's _bucket, _sum, _count).</summary>
    private static void AssertNamesExist(string expr, string file)
    {
        foreach (var name in MetricName().Matches(expr).Select(m => m.Value))
        {
            Assert.True(MetricNames.All.Contains(Family(name)), $"{file}: {name} is not a family keycustodyd exposes ({expr})");
        }
    }

    private static IEnumerable<string> Families(string expr) => MetricName().Matches(expr).Select(m => Family(m.Value));

    private static string Family(string name)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (name.EndsWith(suffix, StringComparison.Ordinal) && MetricNames.All.Contains(name[..^suffix.Length]))
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }

    private static (int ExitCode, string Output) Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException(program + " did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    [GeneratedRegex(@"keycustody_[a-z_]+")]
    private static partial Regex MetricName();
}
