using System.Diagnostics;
using System.Text.Json;

namespace KeyCustody.Daemon.Bench;

/// <summary>python-signedjson in-process (yardstick.py) on the same objects: signatures per second and CPU time per signature.</summary>
internal sealed record Yardstick(double SignJsonPerSecond, double BytesToBytesPerSecond, double SignJsonCpuMicroseconds, double BytesToBytesCpuMicroseconds)
{
    public const string Python = "/usr/bin/python3";

    public static Yardstick Run(string devicesFile)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "yardstick.py");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(devicesFile);
        using var process = Process.Start(start) ?? throw new InvalidOperationException(Python + " did not start");
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"yardstick.py failed ({process.ExitCode}): {error.Result}");
        }

        using var json = JsonDocument.Parse(output);
        double Get(string name) => json.RootElement.GetProperty(name).GetDouble();
        return new Yardstick(Get("sign_json_per_s"), Get("bytes_to_bytes_per_s"), Get("sign_json_cpu_us"), Get("bytes_to_bytes_cpu_us"));
    }
}
