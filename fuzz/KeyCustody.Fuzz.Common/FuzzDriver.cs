using SharpFuzz;

namespace KeyCustody.Fuzz;

/// <summary>
/// The entry point every harness shares. A harness is one function of the input bytes that returns when the
/// code under test behaved, and throws (<see cref="FuzzFailure"/> or whatever escaped the code) when it did not.
/// </summary>
/// <remarks>
/// Modes: no arguments: AFL++'s target through SharpFuzz's out-of-process fork server (run.sh sets it up);
/// <c>replay PATH...</c>: each file (directories are walked) once, every failure printed, exit 1 if any;
/// <c>seeds DIR</c>: the harness writes its generated seeds (when it has a generator).
/// </remarks>
public static class FuzzDriver
{
    /// <summary>How long one replayed input may run before it counts as a hang.</summary>
    public static TimeSpan ReplayTimeout { get; set; } = TimeSpan.FromSeconds(20);

    public static int Main(string[] args, Action<byte[]> target, Func<string, int>? writeSeeds = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(target);
        if (args.Length == 0)
        {
            Fuzzer.OutOfProcess.Run(stream => target(ReadAll(stream)));
            return 0;
        }

        switch (args[0])
        {
            case "replay" when args.Length > 1:
                return Replay(args[1..], target, Console.Out);
            case "seeds" when args.Length == 2 && writeSeeds is not null:
                return writeSeeds(args[1]);
            default:
                Console.Error.WriteLine("usage: (no arguments: under afl-fuzz) | replay FILE|DIR... | seeds DIR");
                return 2;
        }
    }

    /// <summary>Runs every input under <paramref name="paths"/>; prints each failure with its file; 0 when none failed.</summary>
    public static int Replay(IEnumerable<string> paths, Action<byte[]> target, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(paths);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(output);
        var files = paths.SelectMany(Expand).ToList();
        var failures = 0;
        foreach (var file in files)
        {
            if (RunOne(file, target) is { } problem)
            {
                failures++;
                output.WriteLine($"FAIL {file}: {problem}");
            }
        }

        output.WriteLine($"replayed {files.Count} input(s), {failures} failure(s)");
        return failures == 0 ? 0 : 1;
    }

    /// <summary>Null when <paramref name="target"/> accepted the input in <paramref name="file"/>; otherwise what went wrong.</summary>
    public static string? RunOne(string file, Action<byte[]> target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var data = File.ReadAllBytes(file);
        var run = Task.Run(() => target(data));
        try
        {
            if (!run.Wait(ReplayTimeout))
            {
                return $"hang: still running after {ReplayTimeout.TotalSeconds} s";
            }

            return null;
        }
        catch (AggregateException e) when (e.InnerExceptions.Count == 1)
        {
            // The exception and where it was thrown: enough to find the faulty function, short enough to read.
            return string.Join(Environment.NewLine, e.InnerExceptions[0].ToString().Split('\n').Take(8));
        }
    }

    /// <summary>Files of a path: the file itself, or every file under a directory in ordinal order (AFL's README.txt excepted).</summary>
    public static IEnumerable<string> Expand(string path)
    {
        if (!Directory.Exists(path))
        {
            return [path];
        }

        return Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => !Path.GetFileName(f).Equals("README.txt", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}

/// <summary>The code under test broke a property the harness checks (not an exception it threw itself).</summary>
public sealed class FuzzFailure(string message) : Exception(message);
