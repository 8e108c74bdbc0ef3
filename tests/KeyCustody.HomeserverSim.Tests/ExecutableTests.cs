using System.Diagnostics;
using KeyCustody.Matrix.Json;
using KeyCustody.Tests.Shared;
using Xunit;

namespace KeyCustody.HomeserverSim.Tests;

/// <summary>The keycustody-homeserver-sim program: says where it listens and that it is a simulator, serves, stops on SIGTERM.</summary>
public sealed class ExecutableTests
{
    [Fact]
    public async Task The_program_prints_its_url_serves_and_stops()
    {
        var dll = Path.Combine(TestPaths.RepoRoot, "homeserver-sim", "KeyCustody.HomeserverSim", "bin", Binaries.Configuration, "net10.0", "keycustody-homeserver-sim.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        using var process = Process.Start(start)!;
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.NotNull(line);
            Assert.Contains("(a simulator, not a homeserver", line, StringComparison.Ordinal);
            var url = line!.Split(' ')[3];
            Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);
            using var client = new SimClient(url, null);
            var (status, body) = await client.SendAsync(HttpMethod.Post, "_keycustody_sim/v1/register", JsonObject.Of(("user_id", "@ci:localhost")));
            Assert.Equal(200, status);
            Assert.StartsWith("sim_", body.GetString("access_token"), StringComparison.Ordinal);
        }
        finally
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, process.ExitCode);
    }
}
